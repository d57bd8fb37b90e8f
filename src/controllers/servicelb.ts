// The service controller of the cloud controller manager (docs/services.md): a Service of type
// LoadBalancer gets a load balancer of the cluster's cloud (Tencent CLB, Alibaba SLB, AWS NLB),
// public with an EIP or internal in a subnet the annotations choose; its address goes into
// status.loadBalancer.ingress. The service.kubernetes.io/load-balancer-cleanup finalizer keeps the
// Service until its load balancer is freed, as kube's controller does.
import type { KubeObject } from '../api/types.js';
import { refs, type Client } from '../client/types.js';
import { InformerView, type SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { EventRecorder } from '../client/record/events.js';
import { deepCopy } from '../api/deepcopy.js';
import type { Cloud } from '../cloud/cloud.js';
import { CloudError } from '../cloud/errors.js';
import { ignoreNotFound, splitKey } from './util/context.js';

export const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
export const TENCENT_INTERNAL_SUBNET = 'service.kubernetes.io/qcloud-loadbalancer-internal-subnetid';
export const ALIBABA_ADDRESS_TYPE = 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type';
export const ALIBABA_VSWITCH = 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-vswitch-id';
export const AWS_SCHEME = 'service.beta.kubernetes.io/aws-load-balancer-scheme';

const PRODUCT = { tencent: 'CLB', alibaba: 'SLB', aws: 'NLB' } as const;
/** The error code each cloud's API answers when the load balancer quota is used up. */
const QUOTA_CODE = { tencent: 'LimitExceeded', alibaba: 'QuotaExceeded.LoadBalancer', aws: 'TooManyLoadBalancers' } as const;

const wantsLB = (s: KubeObject) => s.spec?.type === 'LoadBalancer' && !s.metadata.deletionTimestamp;

export interface ServiceLBOptions extends ControllerOptions { informers: SharedInformers }

export class ServiceLBController extends Controller {
  private readonly services: InformerView;
  private readonly events: EventRecorder;
  private readonly cloudName: 'tencent' | 'alibaba' | 'aws';

  constructor(private client: Client, private cloud: Cloud, private cluster: string, opts: ServiceLBOptions) {
    super('service-controller', opts);
    this.services = new InformerView(opts.informers.informer(refs.services));
    this.events = new EventRecorder(client, { component: 'service-controller' }, undefined, this.clock);
    let name: 'tencent' | 'alibaba' | 'aws' = 'tencent';
    try { name = cloud.clusters.get(cluster).cloud ?? 'tencent'; } catch { /* a cluster the cloud does not know: Tencent's */ }
    this.cloudName = name;
    const on = (s: KubeObject) => {
      if (s.spec?.type === 'LoadBalancer' || (s.metadata.finalizers ?? []).includes(LB_CLEANUP_FINALIZER)) this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    };
    this.services.on({ add: on, update: (_o, s) => on(s) });
  }

  async start(workers = 1): Promise<void> {
    await this.services.hasSynced();
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    this.events.stop();
    this.services.close();
  }

  /** The subnet an internal load balancer takes its address from, or undefined for a public one. */
  private internalSubnet(svc: KubeObject): string | undefined {
    const a = svc.metadata.annotations ?? {};
    const clusterSubnet = () => { try { return this.cloud.clusters.get(this.cluster).subnetIds[0]; } catch { return undefined; } };
    if (this.cloudName === 'tencent') return a[TENCENT_INTERNAL_SUBNET] || undefined;
    if (this.cloudName === 'alibaba') return a[ALIBABA_ADDRESS_TYPE] === 'intranet' ? (a[ALIBABA_VSWITCH] || clusterSubnet()) : undefined;
    return a[AWS_SCHEME] === 'internal' ? clusterSubnet() : undefined;
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.services.get(ns, name);
    if (!svc) return;
    const lb = svc.metadata.uid ? this.cloud.loadBalancers.findByService(this.cluster, svc.metadata.uid) : undefined;
    if (!wantsLB(svc)) {
      // Deleted, or no longer of type LoadBalancer: free the load balancer, then let the Service go.
      if (!lb && !(svc.metadata.finalizers ?? []).includes(LB_CLEANUP_FINALIZER)) return;
      if (lb) {
        this.events.record(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
        await this.cloud.loadBalancers.delete(lb.id);
        this.events.record(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      }
      const next = deepCopy(svc);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f: string) => f !== LB_CLEANUP_FINALIZER);
      if (!next.metadata.finalizers.length) delete next.metadata.finalizers;
      if (svc.spec?.type !== 'LoadBalancer' && svc.status?.loadBalancer?.ingress) {
        await this.update(next);
        const fresh = await this.client.tryGet(refs.services, svc.metadata.namespace, svc.metadata.name!);
        if (fresh) await ignoreNotFound(this.client.updateStatus(refs.services, { ...fresh, status: { ...fresh.status, loadBalancer: {} } }));
        return;
      }
      await this.update(next);
      return;
    }
    let cur = svc;
    if (!(svc.metadata.finalizers ?? []).includes(LB_CLEANUP_FINALIZER)) {
      const next = deepCopy(svc);
      next.metadata.finalizers = [...(next.metadata.finalizers ?? []), LB_CLEANUP_FINALIZER];
      const done = await this.update(next);
      if (!done) return;
      cur = done;
    }
    let address = lb?.address;
    if (!lb) {
      this.events.record(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
      try {
        const made = await this.cloud.loadBalancers.create({
          name: `${this.cluster}_${svc.metadata.namespace}_${svc.metadata.name}`.slice(0, 60), product: PRODUCT[this.cloudName],
          cluster: this.cluster, service: `${svc.metadata.namespace}/${svc.metadata.name}`, serviceUid: svc.metadata.uid!, subnetId: this.internalSubnet(svc),
        });
        address = made.address;
      } catch (e) {
        if (!(e instanceof CloudError)) throw e;
        const code = e.code === 'QuotaExceeded' ? QUOTA_CODE[this.cloudName] : e.code;
        this.events.record(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: failed to ensure load balancer: ${code}: ${e.message}`);
        throw e; // retried with backoff, as kube's controller does
      }
    }
    const ingress = [{ ip: address, ipMode: 'VIP' }];
    if (JSON.stringify(cur.status?.loadBalancer?.ingress ?? []) !== JSON.stringify(ingress)) {
      await this.client.updateStatus(refs.services, { ...cur, status: { ...cur.status, loadBalancer: { ingress } } });
      if (!lb) this.events.record(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    }
  }

  private update(o: KubeObject): Promise<KubeObject | undefined> {
    return ignoreNotFound(this.client.update(refs.services, o));
  }
}
