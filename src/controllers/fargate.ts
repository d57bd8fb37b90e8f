// EKS's fargate-scheduler (docs/aws/fargate.md): each pending pod whose schedulerName is
// fargate-scheduler (set at admission by the Fargate webhook, src/clouds/aws/fargate.ts) gets a
// Fargate node of its own in one of its profile's subnets, and is bound to it once the node is
// registered. The node goes when the pod is deleted; deleting a profile deletes its pods.
// Pods Fargate does not run stay Pending with a FailedScheduling event saying why.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Cloud } from '../cloud/cloud.js';
import type { FargateProfile } from '../cloud/types.js';
import { EventRecorder } from '../client/record/events.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { FARGATE_SCHEDULER, fargateSize, PROFILE_LABEL, unsupportedOnFargate } from '../clouds/aws/fargate.js';

export interface FargateSchedulerOptions extends ControllerOptions {
  informers?: SharedInformers;
}

const terminal = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class FargateScheduler extends Controller {
  private readonly pods: InformerView;
  private readonly nodes: InformerView;
  private readonly recorder: EventRecorder;
  private readonly offs: (() => void)[] = [];
  /** The last FailedScheduling message per pod, so a retry does not repeat it. */
  private readonly told = new Map<string, string>();

  constructor(private cloud: Cloud, private cluster: string, private client: Client, opts: FargateSchedulerOptions = {}) {
    super(FARGATE_SCHEDULER, opts);
    const shared = opts.informers ?? new SharedInformers(client);
    this.pods = new InformerView(shared.informer(refs.pods));
    this.nodes = new InformerView(shared.informer(refs.nodes));
    this.recorder = new EventRecorder(client, { component: FARGATE_SCHEDULER }, undefined, this.clock);
    const key = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`;
    this.pods.on({
      add: (p) => { if (this.mine(p)) this.queue.add(key(p)); },
      update: (_o, p) => { if (this.mine(p)) this.queue.add(key(p)); },
      delete: (p) => {
        this.told.delete(key(p));
        // The pod is gone: so is its Fargate node (and the node's address).
        if (p.metadata.uid) void this.cloud.fargate.release(this.cluster, p.metadata.uid).catch((e) => this.log.warn({ err: e }, 'a Fargate node could not be removed'));
      },
    });
    // A node registering lets its pod be bound.
    this.nodes.on({ add: (n) => { const f = this.cloud.fargate.nodes(this.cluster).find((x) => x.name === n.metadata.name)?.fargate; if (f) this.queue.add(`${f.namespace}/${f.pod}`); } });
    this.offs.push(cloud.onChange((ch) => {
      if (ch.kind !== 'fargateprofile' || ch.type !== 'deleted') return;
      const p = ch.object as FargateProfile;
      if (p.clusterName === this.cluster) void this.deletePodsOf(p.name).catch((e) => this.log.warn({ err: e }, `the pods of Fargate profile ${p.name} could not be deleted`));
    }));
  }

  private mine(p: KubeObject): boolean {
    return p.spec?.schedulerName === FARGATE_SCHEDULER;
  }

  async start(workers = 2): Promise<void> {
    await Promise.all([this.pods.hasSynced(), this.nodes.hasSynced()]);
    // Nodes whose pod went while nodeless was down.
    const uids = new Set(this.pods.list().map((p) => p.metadata.uid));
    for (const n of this.cloud.fargate.nodes(this.cluster)) if (!uids.has(n.fargate!.uid)) await this.cloud.fargate.release(this.cluster, n.fargate!.uid).catch(() => undefined);
    for (const p of this.pods.list()) if (this.mine(p)) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    this.runWorkers(workers);
  }

  stop(): void {
    for (const off of this.offs) off();
    super.stop();
  }

  private async deletePodsOf(profile: string): Promise<void> {
    for (const p of this.pods.list()) {
      if (p.metadata.labels?.[PROFILE_LABEL] !== profile || !this.mine(p)) continue;
      try {
        await this.client.delete(refs.pods, p.metadata.namespace, p.metadata.name!);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
  }

  private failed(pod: KubeObject, key: string, message: string): void {
    if (this.told.get(key) === message) return;
    this.told.set(key, message);
    this.recorder.record(pod, 'Warning', 'FailedScheduling', message);
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pod = this.pods.get(ns, name);
    if (!pod || !this.mine(pod) || pod.spec?.nodeName || pod.metadata.deletionTimestamp || terminal(pod)) return;
    const why = unsupportedOnFargate(pod);
    if (why) return this.failed(pod, key, why);
    const profileName = pod.metadata.labels?.[PROFILE_LABEL];
    const profile = profileName ? this.cloud.fargate.list({ cluster: this.cluster }).find((p) => p.name === profileName) : undefined;
    if (!profile) return this.failed(pod, key, `Pod not supported on Fargate: no Fargate profile ${JSON.stringify(profileName ?? '')} in cluster ${this.cluster}`);
    const size = fargateSize(pod)!;
    let node;
    try {
      node = await this.cloud.fargate.launch({ cluster: this.cluster, profile: profile.name, namespace: ns, pod: name, uid: pod.metadata.uid!, vcpu: size.vcpu, memoryGB: size.memoryGB });
    } catch (e) {
      this.failed(pod, key, `Fargate could not launch the pod: ${(e as Error).message}`);
      throw e; // tried again with back-off (a subnet may free an address)
    }
    // Bound once its node is registered (the node agent's start queues the pod again).
    if (!this.nodes.get(undefined, node.name)) return;
    try {
      await this.client.createSubresource(refs.pods, ns, name, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: node.name },
      });
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
    this.told.delete(key);
    this.recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node.name}`);
  }
}

export async function startFargateScheduler(cloud: Cloud, cluster: string, client: Client, opts: FargateSchedulerOptions = {}): Promise<FargateScheduler> {
  const s = new FargateScheduler(cloud, cluster, client, opts);
  await s.start();
  return s;
}
