// The cloud's Ingress controller (docs/services.md): every cluster has its cloud's default
// IngressClass (Tencent `qcloud`, Alibaba `alb`, AWS `alb`); an Ingress of that class (by
// spec.ingressClassName, the kubernetes.io/ingress.class annotation, or no class at all) gets a
// public load balancer of the cloud model and its address in status.loadBalancer.ingress. The
// load balancer goes with the Ingress.
import type { KubeObject } from '../api/types.js';
import { refs, type Client } from '../client/types.js';
import { InformerView, type SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { EventRecorder } from '../client/record/events.js';
import type { Cloud } from '../cloud/cloud.js';
import { CloudError } from '../cloud/errors.js';
import { ignoreNotFound, isAlreadyExists, splitKey } from './util/context.js';

export const IS_DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';

/** Each cloud's ingress class and the controller name it carries, and the load balancer product. */
export const INGRESS_CLASSES = {
  tencent: { name: 'qcloud', controller: 'cloud.tencent.com/tke-ingress-controller', product: 'CLB' },
  alibaba: { name: 'alb', controller: 'ingress.k8s.alibabacloud/alb', product: 'ALB' },
  aws: { name: 'alb', controller: 'ingress.k8s.aws/alb', product: 'ALB' },
} as const;

export interface IngressLBOptions extends ControllerOptions { informers: SharedInformers }

export class IngressLBController extends Controller {
  private readonly ingresses: InformerView;
  private readonly events: EventRecorder;
  private readonly klass: (typeof INGRESS_CLASSES)[keyof typeof INGRESS_CLASSES];

  constructor(private client: Client, private cloud: Cloud, private cluster: string, opts: IngressLBOptions) {
    super('ingress-controller', opts);
    let name: keyof typeof INGRESS_CLASSES = 'tencent';
    try { name = cloud.clusters.get(cluster).cloud ?? 'tencent'; } catch { /* unknown cluster: Tencent's */ }
    this.klass = INGRESS_CLASSES[name];
    this.ingresses = new InformerView(opts.informers.informer(refs.ingresses));
    this.events = new EventRecorder(client, { component: 'ingress-controller' }, undefined, this.clock);
    const on = (i: KubeObject) => this.queue.add(`${i.metadata.namespace}/${i.metadata.name}`);
    this.ingresses.on({ add: on, update: (_o, i) => on(i), delete: on });
  }

  /** Creates the cloud's default IngressClass when missing, then runs. */
  async start(workers = 1): Promise<void> {
    if (!(await this.client.tryGet(refs.ingressclasses, undefined, this.klass.name))) {
      try {
        await this.client.create(refs.ingressclasses, {
          apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
          metadata: { name: this.klass.name, annotations: { [IS_DEFAULT_INGRESS_CLASS]: 'true' } },
          spec: { controller: this.klass.controller },
        });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    await this.ingresses.hasSynced();
    // Load balancers of Ingresses deleted while nodeless was down go now.
    for (const lb of this.cloud.loadBalancers.list({ cluster: this.cluster })) {
      const m = /^ingress\/([^/]+)\/(.+)$/.exec(lb.service);
      if (m && this.ingresses.get(m[1], m[2])?.metadata.uid !== lb.serviceUid) await this.cloud.loadBalancers.delete(lb.id);
    }
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    this.events.stop();
    this.ingresses.close();
  }

  private ours(i: KubeObject): boolean {
    const cls = i.spec?.ingressClassName ?? i.metadata.annotations?.['kubernetes.io/ingress.class'];
    return cls === undefined || cls === this.klass.name;
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const ing = this.ingresses.get(ns, name);
    const tag = `ingress/${ns}/${name}`;
    // Load balancers this Ingress name had under another uid, or that it no longer wants.
    for (const lb of this.cloud.loadBalancers.list({ cluster: this.cluster })) {
      if (lb.service === tag && (!ing || lb.serviceUid !== ing.metadata.uid || !this.ours(ing))) await this.cloud.loadBalancers.delete(lb.id);
    }
    if (!ing || !this.ours(ing)) return;
    let lb = this.cloud.loadBalancers.findByService(this.cluster, ing.metadata.uid!);
    if (!lb) {
      try {
        lb = await this.cloud.loadBalancers.create({
          name: `${this.cluster}_${ns}_${name}`.slice(0, 60), product: this.klass.product,
          cluster: this.cluster, service: tag, serviceUid: ing.metadata.uid!,
        });
      } catch (e) {
        if (!(e instanceof CloudError)) throw e;
        this.events.record(ing, 'Warning', 'SyncLoadBalancerFailed', `failed to create load balancer: ${e.code}: ${e.message}`);
        throw e;
      }
    }
    const ingress = [{ ip: lb.address }];
    if (JSON.stringify(ing.status?.loadBalancer?.ingress ?? []) === JSON.stringify(ingress)) return;
    await ignoreNotFound(this.client.updateStatus(refs.ingresses, { ...ing, status: { ...ing.status, loadBalancer: { ingress } } }));
  }
}
