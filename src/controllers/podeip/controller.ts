// The pod EIP controller (see docs/alibaba/pod-eip.md), after ACK's ack-extend-network-
// controller: a pod annotated pod-with-eip (or naming an EIP instance id)
// gets an EIP bound to its ENI once it has an IP, a PodEIP object that
// records it, the allocated-eipAddress annotation and the readiness-gate
// condition k8s.aliyun.com/eip. When the pod goes the EIP follows the
// release strategy; the PodEIP's finalizer holds it until the EIP is dealt
// with, so deleting a namespace cannot leak EIPs. A controller as
// docs/controllers.md describes, keyed by pod.
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../../client/types.js';
import { refs } from '../../client/types.js';
import type { Cloud } from '../../cloud/cloud.js';
import type { Eip } from '../../cloud/types.js';
import type { MutationInterface } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import { EventRecorder } from '../../client/record/events.js';
import { keyOf } from '../../client/cache/informer.js';
import { InformerView, SharedInformers } from '../../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { installPodEipCrd } from '../../clouds/alibaba/podeip-crd.js';
import type { EipRequest } from '../../cloud/types.js';
import { ALLOCATED_ANNOTATION, CONTROLLER_ANNOTATION, EIP_GATE, FINALIZER } from '../../clouds/alibaba/pod-eip.js';
import { eipRequest, wantsEip } from './request.js';
import { formatRFC3339, parseGoDuration } from '../../api/duration.js';

export interface PodEipOptions extends ControllerOptions {
  /** Modelled time from association to the EIP carrying traffic (default 1s; NODELESS_EIP_BIND_DELAY_MS). */
  bindDelayMs?: number;
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
}

const gone = (p: KubeObject | undefined) => !p || !!p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** How long a pod waits for an EIP another pod holds before it says so, and looks again. */
const CONFLICT_RETRY_MS = 5000;
/** A holder already deleted lets its EIP go within this: until then the waiting pod looks again quietly. */
const RELEASE_GRACE_MS = 10_000;

/**
 * Keys are pods ("namespace/name", the PodEIP has the pod's name). sync(key)
 * binds an EIP to a pod that asks for one, records it, and lets it go by the
 * release strategy once the pod is gone; waits (the modelled bind, a TTL, an
 * EIP held by another pod) are the key queued again after them, never a
 * pause inside a sync.
 */
export class PodEipController extends Controller {
  private readonly bindDelay: number;
  private readonly shared: SharedInformers;
  private readonly pods: InformerView;
  private readonly podeips: InformerView;
  private readonly events: EventRecorder;
  /** The last state of deleted pods, so the events of their EIP's release can name them (uid included). */
  private readonly departed = new Map<string, KubeObject>();
  /** Pods waiting for a Static EIP another pod holds (the rolling-update race, E5), by EIP id: woken when it is let go. */
  private readonly waiters = new Map<string, Set<string>>();
  /** When a pod first found its EIP still bound to a pod already deleted (its release under way), by pod key. */
  private readonly quiet = new Map<string, number>();
  /** When each pod's EIP was associated with its ENI (by pod key): it carries traffic bindDelay later. */
  private readonly associated = new Map<string, { eip: string; eni: string; at: number }>();

  constructor(private cloud: Cloud, private cluster: string, private client: Client, private opts: PodEipOptions = {}) {
    super('ack-extend-network-controller', opts);
    this.bindDelay = opts.bindDelayMs ?? (Number(process.env.NODELESS_EIP_BIND_DELAY_MS) || 1000);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.pods = new InformerView(this.shared.informer(refs.pods));
    this.podeips = new InformerView(this.shared.informer(refs.podeips));
    this.events = new EventRecorder(client, { component: 'ack-extend-network-controller' }, undefined, this.clock);
    const enqueue = (o: KubeObject) => this.queue.add(keyOf(o));
    this.pods.on({ add: enqueue, update: (_o, n) => enqueue(n), delete: (o) => { if (wantsEip(o)) this.departed.set(keyOf(o), o); enqueue(o); } });
    this.podeips.on({ add: enqueue, update: (_o, n) => enqueue(n), delete: enqueue });
  }

  /**
   * Installs the PodEIP CRD, releases EIPs allocated for pods whose PodEIP was
   * never written (nodeless stopped in between), and works the queue.
   */
  async start(workers = 4): Promise<void> {
    await installPodEipCrd(this.client);
    await Promise.all([this.pods.hasSynced(), this.podeips.hasSynced()]);
    const recorded = new Set(this.podeips.list().map((pe) => pe.spec?.allocationID));
    for (const e of this.cloud.eips.list()) {
      if (e.allocatedFor?.cluster === this.cluster && !e.association && !recorded.has(e.id)) await this.cloud.eips.release(e.id).catch(() => undefined);
    }
    this.runWorkers(workers);
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pod = this.pods.get(ns, name);
    const pe = this.podeips.get(ns, name);
    if (pe?.metadata.deletionTimestamp) return this.finish(pe);
    if (gone(pod) || !wantsEip(pod!)) {
      if (pe) await this.podGone(pe, key);
      else this.departed.delete(key);
      this.quiet.delete(key);
      this.associated.delete(key);
      return;
    }
    if (!pod!.status?.podIP) return;
    let req: EipRequest;
    try {
      req = eipRequest(pod!);
    } catch (e) {
      return this.fail(pod!, (e as Error).message);
    }
    // A PodEIP kept from a pod of the same name: a different uid means a new pod; bind it again.
    await this.bind(pod!, pe, req);
  }

  /** Sets the readiness-gate condition (only when it changes). */
  private async setCondition(pod: KubeObject, ok: boolean, reason: string, message: string): Promise<void> {
    const conds: any[] = pod.status?.conditions ?? [];
    const old = conds.find((c) => c.type === EIP_GATE);
    if (old && old.status === (ok ? 'True' : 'False') && old.message === message) return;
    const cond = { type: EIP_GATE, status: ok ? 'True' : 'False', reason, message, lastProbeTime: null, lastTransitionTime: formatRFC3339(this.clock.now()) };
    const fresh = await this.client.get(refs.pods, pod.metadata.namespace, pod.metadata.name!);
    fresh.status = { ...fresh.status, conditions: [...(fresh.status?.conditions ?? []).filter((c: any) => c.type !== EIP_GATE), cond] };
    await this.client.updateStatus(refs.pods, fresh);
  }

  private async fail(pod: KubeObject, message: string, retryMs?: number): Promise<void> {
    this.events.record(pod, 'Warning', 'AllocateEIPFailed', message);
    await this.setCondition(pod, false, 'AllocateEIPFailed', message);
    // A conflict can clear up (the other pod goes); bad annotations wait for the pod to change.
    if (retryMs) this.queue.addAfter(keyOf(pod), retryMs);
  }

  private ours(eip: Eip, pe: KubeObject): boolean {
    return eip.boundPod?.cluster === this.cluster && eip.boundPod.namespace === pe.metadata.namespace && eip.boundPod.name === pe.metadata.name;
  }

  /** The pod a PodEIP belongs to, live or just deleted, for events about its EIP. */
  private podOf(pe: KubeObject): KubeObject {
    return this.pods.get(pe.metadata.namespace, pe.metadata.name!) ?? this.departed.get(keyOf(pe))
      ?? { apiVersion: 'v1', kind: 'Pod', metadata: { name: pe.metadata.name, namespace: pe.metadata.namespace } };
  }

  private wake(eipId: string): void {
    for (const k of this.waiters.get(eipId) ?? []) this.queue.add(k);
    this.waiters.delete(eipId);
  }

  /** Releases what the PodEIP holds (Auto: release; Static: unbind only), then lets it go. */
  private async finish(pe: KubeObject): Promise<void> {
    const id = pe.spec?.allocationID as string;
    const eip = this.cloud.eips.list().find((e) => e.id === id);
    // A Static EIP may meanwhile be bound to another pod naming it: leave that binding alone.
    if (eip && (!eip.association || this.ours(eip, pe))) {
      const held = !!eip.association || pe.status?.status === 'InUse';
      await this.cloud.eips.disassociate(id);
      const release = pe.spec?.allocationType?.type !== 'Static' && pe.spec?.allocationType?.releaseStrategy !== 'Never';
      if (release) await this.cloud.eips.release(id);
      // Said on the pod: in the rolling-update race this is the moment the waiting pod gets the EIP.
      if (held) this.events.record(this.podOf(pe), 'Normal', release ? 'ReleaseEIP' : 'DisassociateEIP', `EIP ${id} (${eip.address}) ${release ? 'released' : 'disassociated'}: the pod is being deleted`);
    }
    this.wake(id);
    this.departed.delete(keyOf(pe));
    const fin = (pe.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await this.client.patch(refs.podeips, pe.metadata.namespace, pe.metadata.name!, 'merge', { metadata: { finalizers: fin.length ? fin : null } }).catch(() => undefined);
    await this.client.delete(refs.podeips, pe.metadata.namespace, pe.metadata.name!).catch(() => undefined);
  }

  /** The pod is gone (or going): Follow releases now; TTL keeps the EIP until podLastSeen + releaseAfter. */
  private async podGone(pe: KubeObject, key: string): Promise<void> {
    const at = pe.spec?.allocationType ?? {};
    if (pe.metadata.deletionTimestamp || at.releaseStrategy === 'Follow' || !at.releaseStrategy) return this.finish(pe);
    const id = pe.spec.allocationID as string;
    if (this.cloud.eips.list().some((e) => e.id === id && e.association && this.ours(e, pe))) await this.cloud.eips.disassociate(id);
    this.wake(id);
    if (at.releaseStrategy === 'Never') return;
    if (!pe.status?.podLastSeen || pe.status?.status === 'InUse') {
      await this.client.patch(refs.podeips, pe.metadata.namespace, pe.metadata.name!, 'merge', { status: { podLastSeen: formatRFC3339(this.clock.now()), status: 'Unbound', networkInterfaceID: null, privateIPAddress: null } }, { subresource: 'status' });
      this.queue.addAfter(key, 50);
      return;
    }
    const left = Date.parse(pe.status.podLastSeen) + (parseGoDuration(at.releaseAfter ?? '') ?? 0) - this.clock.now();
    if (left <= 0) return this.finish(pe);
    this.queue.addAfter(key, left + 50);
  }

  private async bind(pod: KubeObject, pe: KubeObject | undefined, req: EipRequest): Promise<void> {
    const ns = pod.metadata.namespace!, name = pod.metadata.name!;
    const key = keyOf(pod);
    const cloud = this.cloud;
    const eni = cloud.findEniByPod({ cluster: this.cluster, namespace: ns, pod: name, uid: pod.metadata.uid });
    if (!eni) return; // the ENI appears with the pod IP; the pod update re-queues us
    // The EIP: the one a kept PodEIP holds (same pod name back within the TTL), a named one, or a new one.
    let eip: Eip | undefined;
    const held = pe?.spec?.allocationID as string | undefined;
    if (held) eip = cloud.eips.list().find((e) => e.id === held);
    if (!eip && req.instanceId) {
      eip = cloud.eips.list().find((e) => e.id === req.instanceId);
      if (!eip) return this.fail(pod, `EIP ${req.instanceId} (pod-eip-instanceid) does not exist`);
    }
    const type = req.instanceId ? 'Static' : 'Auto';
    if (!eip) {
      try {
        eip = await cloud.eips.allocate({
          bandwidthMbps: req.bandwidthMbps, internetChargeType: req.internetChargeType, instanceChargeType: req.instanceChargeType,
          isp: req.isp, name: req.name, description: req.description, allocatedFor: { cluster: this.cluster, namespace: ns, name },
        });
      } catch (e) {
        return this.fail(pod, `allocate EIP: ${(e as Error).message}`);
      }
    }
    const allocationType: any = { type: pe?.spec?.allocationType?.type ?? type, releaseStrategy: req.releaseStrategy };
    if (req.releaseAfter) allocationType.releaseAfter = req.releaseAfter;
    // Record the allocation before binding so a crash or a deletion now cannot leak the EIP.
    if (!pe) {
      try {
        pe = await this.client.create(refs.podeips, {
          apiVersion: 'alibabacloud.com/v1beta1', kind: 'PodEIP',
          metadata: { name, namespace: ns, finalizers: [FINALIZER], annotations: { [CONTROLLER_ANNOTATION]: 'ack-extend-network-controller' } },
          spec: { allocationID: eip.id, allocationType },
        });
      } catch (e) {
        if (type === 'Auto') await cloud.eips.release(eip.id).catch(() => undefined);
        throw e;
      }
    } else if (JSON.stringify(pe.spec?.allocationType) !== JSON.stringify(allocationType) || pe.spec?.allocationID !== eip.id) {
      pe = await this.client.patch(refs.podeips, ns, name, 'merge', { spec: { allocationID: eip.id, allocationType } });
    }
    const a = eip.association;
    if (a && !(a.type === 'eni' && a.id === eni.id)) {
      // Bound elsewhere: an earlier pod of the same name (its ENI lingers) is ours to take; anything else is a conflict.
      const b = eip.boundPod;
      if (!(b && b.cluster === this.cluster && b.namespace === ns && b.name === name)) {
        (this.waiters.get(eip.id) ?? this.waiters.set(eip.id, new Set()).get(eip.id)!).add(key);
        const holder = b && b.cluster === this.cluster ? this.pods.get(b.namespace, b.name) : undefined;
        // A holder already deleted is being let go (Recreate): look again shortly, nothing to report —
        // unless that takes longer than a release does, when something else holds on to it.
        if (b && b.cluster === this.cluster && gone(holder)) {
          const since = this.quiet.get(key) ?? this.quiet.set(key, this.clock.now()).get(key)!;
          if (this.clock.now() - since < RELEASE_GRACE_MS) return void this.queue.addAfter(key, 200);
        }
        // The rolling-update race (docs/alibaba/pod-eip.md): the old pod still holds the EIP; wait until its deletion lets go.
        return this.fail(pod, `EIP ${eip.id} (${eip.address}) is in use by ${b ? `pod ${b.namespace}/${b.name}` : a.type + ' ' + a.id}; waiting for it to be disassociated`, CONFLICT_RETRY_MS);
      }
      await cloud.eips.disassociate(eip.id);
    }
    this.quiet.delete(key);
    if (!a || a.id !== eni.id) {
      eip = await cloud.eips.associate(eip.id, { eniId: eni.id });
      this.associated.set(key, { eip: eip.id, eni: eni.id, at: this.clock.now() });
    }
    // The association carries traffic bindDelay after it was made: until then the pod is looked at again, not reported bound.
    const done = this.associated.get(key);
    if (done && done.eip === eip.id && done.eni === eni.id) {
      const left = done.at + this.bindDelay - this.clock.now();
      if (left > 0) return void this.queue.addAfter(key, left);
      this.associated.delete(key);
    }
    const status = {
      eipAddress: eip.address, internetChargeType: eip.internetChargeType,
      isp: eip.isp, name: eip.name, networkInterfaceID: eni.id, privateIPAddress: eni.primaryIp,
      bandwidth: String(eip.bandwidthMbps), status: 'InUse',
    };
    // podLastSeen is stamped when the binding changes, not on every look (each write wakes this controller again).
    const cur = pe?.status ?? {};
    if (!cur.podLastSeen || Object.entries(status).some(([k, v]) => cur[k] !== v)) {
      await this.client.patch(refs.podeips, ns, name, 'merge', { status: { ...status, podLastSeen: formatRFC3339(this.clock.now()) } }, { subresource: 'status' });
    }
    if (pod.metadata.annotations?.[ALLOCATED_ANNOTATION] !== eip.address) {
      await this.client.patch(refs.pods, ns, name, 'merge', { metadata: { annotations: { [ALLOCATED_ANNOTATION]: eip.address } } });
    }
    const had = (pod.status?.conditions ?? []).some((c: any) => c.type === EIP_GATE && c.status === 'True');
    await this.setCondition(pod, true, 'Associate eip succeed', `EIP ${eip.id} (${eip.address}) is associated with ${eni.id}`);
    if (!had) this.events.record(pod, 'Normal', 'AllocateEIPSucceed', `EIP ${eip.address} (${eip.id}) associated with the pod`);
  }

  override stop(): void {
    super.stop();
    this.pods.close();
    this.podeips.close();
    this.events.stop();
    if (!this.opts.informers) this.shared.stop();
  }
}

/** Starts the pod EIP controller of `cluster` (see PodEipController.start). */
export async function startPodEips(cloud: Cloud, cluster: string, client: Client, opts: PodEipOptions = {}): Promise<{ stop(): void }> {
  const c = new PodEipController(cloud, cluster, client, opts);
  await c.start();
  return c;
}

/**
 * Injects the readiness gate k8s.aliyun.com/eip into pods that ask for an
 * EIP (ACK's webhook does the same), so such a pod is Ready only once the
 * controller has bound its EIP.
 */
export function podEipAdmission(): MutationInterface & { name: 'PodEIPReadinessGate' } {
  return {
    name: 'PodEIPReadinessGate',
    handles: handling('CREATE'),
    admit(a) {
      const obj = a.object!;
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'pods' || !wantsEip(obj)) return;
      // Mutating runs before validation: a malformed spec is left for validation to refuse.
      if (obj.spec != null && (typeof obj.spec !== 'object' || Array.isArray(obj.spec))) return;
      const gates = ((obj.spec ??= {}).readinessGates ??= []);
      if (!Array.isArray(gates)) return;
      if (!gates.some((g: any) => g?.conditionType === EIP_GATE)) gates.push({ conditionType: EIP_GATE });
    },
  };
}
