// The pod EIP controller (see docs/alibaba/pod-eip.md), after ACK's ack-extend-network-
// controller: a pod annotated pod-with-eip (or naming an EIP instance id)
// gets an EIP bound to its ENI once it has an IP, a PodEIP object that
// records it, the allocated-eipAddress annotation and the readiness-gate
// condition k8s.aliyun.com/eip. When the pod goes the EIP follows the
// release strategy; the PodEIP's finalizer holds it until the EIP is dealt
// with, so deleting a namespace cannot leak EIPs. A controller as
// docs/controllers.md describes, keyed by pod.
//
// Its configuration is ConfigMap kube-system/ack-extend-network-controller
// (src/clouds/alibaba/controller-config.ts): absent (`disabled`), a webhook
// injecting the readiness gate (`injectReadinessGate`, off as on ACK), a RAM
// role allowed to call the EIP API (`ramPermission`), and fix A of the
// report's rolling-update race (`bindAfterRollout`). Without fix A the race
// plays out as the report tells it: a Deployment's new pod naming the static
// EIP its old pod holds takes it, and the old pod's teardown, which still
// believes it holds the EIP, disassociates it from the new pod.
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
import { ALLOCATED_ANNOTATION, alibabaChargeType, CONTROLLER_ANNOTATION, EIP_GATE, FINALIZER, RAM_DENIED } from '../../clouds/alibaba/pod-eip.js';
import { PodEipConfig, type PodEipSettings } from '../../clouds/alibaba/controller-config.js';
import { DEFAULT_RESOURCE_GROUP } from '../../cloud/models/eip.js';
import { eipRequest, wantsEip } from './request.js';
import { formatRFC3339, parseGoDuration } from '../../api/duration.js';

export interface PodEipOptions extends ControllerOptions {
  /** Modelled time from association to the EIP carrying traffic (default 1s; NODELESS_EIP_BIND_DELAY_MS). */
  bindDelayMs?: number;
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
  /** The cluster's controller settings, shared with the admission plugin (else the controller reads its own). */
  config?: PodEipConfig;
}

/** An EIP API call the controller's RAM role may not make (ramPermission: false). */
class RamDenied extends Error {
  constructor(readonly action: string) {
    super(`${action}: ${RAM_DENIED.code}: ${RAM_DENIED.message}`);
  }
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
  private readonly config: PodEipConfig;
  private readonly replicasets: InformerView;
  private readonly offConfig: () => void;

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
    this.replicasets = new InformerView(this.shared.informer(refs.replicasets));
    this.config = opts.config ?? new PodEipConfig(this.shared);
    // A setting changed (installed again, permission granted, fix A on): every pod with an EIP is looked at again.
    this.offConfig = this.config.onChange(() => {
      for (const p of this.pods.list()) if (wantsEip(p)) this.queue.add(keyOf(p));
      for (const pe of this.podeips.list()) this.queue.add(keyOf(pe));
    });
  }

  private get settings(): Readonly<PodEipSettings> {
    return this.config.settings();
  }

  /** An EIP API call: refused with Alibaba's Forbidden.RAM while the controller's role lacks the permission. */
  private ram(action: string): void {
    if (!this.settings.ramPermission) throw new RamDenied(action);
  }

  /**
   * Installs the PodEIP CRD, releases EIPs allocated for pods whose PodEIP was
   * never written (nodeless stopped in between), and works the queue.
   */
  async start(workers = 4): Promise<void> {
    await installPodEipCrd(this.client);
    await Promise.all([this.pods.hasSynced(), this.podeips.hasSynced(), this.replicasets.hasSynced(), this.config.hasSynced()]);
    const recorded = new Set(this.podeips.list().map((pe) => pe.spec?.allocationID));
    for (const e of this.cloud.eips.list()) {
      if (this.settings.disabled || !this.settings.ramPermission) break;
      if (e.allocatedFor?.cluster === this.cluster && !e.association && !recorded.has(e.id)) await this.cloud.eips.release(e.id).catch(() => undefined);
    }
    this.runWorkers(workers);
  }

  async sync(key: string): Promise<void> {
    // Not installed: annotations do nothing, and PodEIPs left from before keep their finalizer (docs/alibaba/pod-eip.md).
    if (this.settings.disabled) return;
    const [ns, name] = key.split('/');
    const pod = this.pods.get(ns, name);
    const pe = this.podeips.get(ns, name);
    try {
      await this.reconcile(key, ns, name, pod, pe);
    } catch (e) {
      if (!(e instanceof RamDenied)) throw e;
      // Told on the pod and on its PodEIP; nothing to retry until the permission is granted (a setting change).
      const live = this.pods.get(ns, name);
      if (live && !gone(live) && wantsEip(live)) await this.fail(live, e.message);
      const letGo = e.action === 'UnassociateEipAddress' || e.action === 'ReleaseEipAddress';
      if (pe) this.events.record(pe, 'Warning', letGo ? 'ReleaseEIPFailed' : 'AllocateEIPFailed', e.message);
    }
  }

  private async reconcile(key: string, ns: string, name: string, pod: KubeObject | undefined, pe: KubeObject | undefined): Promise<void> {
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

  /**
   * Releases what the PodEIP holds (Auto: release; Static: unbind only), then lets it go. A PodEIP that
   * believes it holds its EIP (status InUse) disassociates it whatever the EIP is bound to now: the
   * teardown of the report's rolling-update race, which leaves a newer pod that took the EIP without it.
   */
  private async finish(pe: KubeObject): Promise<void> {
    const id = pe.spec?.allocationID as string;
    const eip = this.cloud.eips.list().find((e) => e.id === id);
    const believed = pe.status?.status === 'InUse';
    if (eip && (believed || !eip.association || this.ours(eip, pe))) {
      const from = eip.association && !this.ours(eip, pe) ? eip.boundPod : undefined;
      const held = !!eip.association || believed;
      const release = pe.spec?.allocationType?.type !== 'Static' && pe.spec?.allocationType?.releaseStrategy !== 'Never';
      if (eip.association) { this.ram('UnassociateEipAddress'); await this.cloud.eips.disassociate(id); }
      if (release) { this.ram('ReleaseEipAddress'); await this.cloud.eips.release(id); }
      // Said on the pod: in the rolling-update race this is the moment the EIP is lost.
      if (held) this.events.record(this.podOf(pe), 'Normal', release ? 'ReleaseEIP' : 'DisassociateEIP', `EIP ${id} (${eip.address}) ${release ? 'released' : 'disassociated'}: the pod is being deleted`);
      const victim = from && from.cluster === this.cluster ? this.pods.get(from.namespace, from.name) : undefined;
      if (victim) {
        this.events.record(victim, 'Warning', 'DisassociateEIP', `EIP ${id} (${eip.address}) was disassociated from this pod by the teardown of pod ${pe.metadata.namespace}/${pe.metadata.name}, which held it before; this pod is left without it`);
      }
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
    if (this.cloud.eips.list().some((e) => e.id === id && e.association && this.ours(e, pe))) { this.ram('UnassociateEipAddress'); await this.cloud.eips.disassociate(id); }
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

  /** The workload a pod belongs to (a Deployment through its ReplicaSet), for fix A; undefined for a bare pod. */
  private workloadOf(pod: KubeObject): string | undefined {
    const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller);
    if (!owner) return undefined;
    if (owner.kind === 'ReplicaSet') {
      const rs = this.replicasets.get(pod.metadata.namespace, owner.name);
      const dep = (rs?.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'Deployment');
      if (dep) return `Deployment ${dep.name}`;
    }
    return `${owner.kind} ${owner.name}`;
  }

  /**
   * Whether pod `a` (on ENI `aEni`) came after `b` (on `bEni`): the pod a rollout brings in. Creation
   * times are whole seconds, so within one second the pods' ENIs, stamped to the millisecond and in
   * order, decide.
   */
  private newer(a: KubeObject, aEni: string, b: KubeObject, bEni: string): boolean {
    const ta = Date.parse(a.metadata.creationTimestamp ?? ''), tb = Date.parse(b.metadata.creationTimestamp ?? '');
    if (ta !== tb) return ta > tb;
    const created = (id: string) => { try { return this.cloud.enis.get(id).createdTime; } catch { return ''; } };
    return created(aEni) > created(bEni);
  }

  private async bind(pod: KubeObject, pe: KubeObject | undefined, req: EipRequest): Promise<void> {
    const ns = pod.metadata.namespace!, name = pod.metadata.name!;
    const key = keyOf(pod);
    const cloud = this.cloud;
    const eni = cloud.findEniByPod({ cluster: this.cluster, namespace: ns, pod: name, uid: pod.metadata.uid });
    if (!eni) return; // the ENI appears with the pod IP; the pod update re-queues us
    const type = req.instanceId ? 'Static' : 'Auto';
    const allocationType: any = { type: pe?.spec?.allocationType?.type ?? type, releaseStrategy: req.releaseStrategy };
    if (req.releaseAfter) allocationType.releaseAfter = req.releaseAfter;
    // What the PodEIP says is done is done: the controller reconciles from its records, not by polling the
    // cloud (so an EIP taken away by another pod's teardown stays lost, as in the report).
    if (pe?.status?.status === 'InUse' && pe.status.networkInterfaceID === eni.id && pe.spec?.allocationID === (req.instanceId ?? pe.spec?.allocationID)
      && JSON.stringify(pe.spec?.allocationType) === JSON.stringify(allocationType)) {
      return this.announce(pod, pe.status.eipAddress, pe.spec.allocationID, eni.id);
    }
    // The EIP: the one a kept PodEIP holds (same pod name back within the TTL), a named one, or a new one.
    let id = (pe?.spec?.allocationID as string | undefined) ?? req.instanceId;
    // A named EIP is recorded first (its id is known), so what goes wrong next is told on the PodEIP too.
    if (!pe && id) pe = await this.record(ns, name, id, allocationType);
    let eip: Eip | undefined;
    if (id) {
      this.ram('DescribeEipAddresses');
      eip = cloud.eips.list().find((e) => e.id === id);
      if (!eip && req.instanceId && id === req.instanceId) return this.fail(pod, `EIP ${req.instanceId} (pod-eip-instanceid) does not exist`);
    }
    if (!eip) {
      this.ram('AllocateEipAddress');
      try {
        eip = await cloud.eips.allocate({
          bandwidthMbps: req.bandwidthMbps, internetChargeType: req.internetChargeType, instanceChargeType: req.instanceChargeType,
          isp: req.isp, name: req.name, description: req.description, resourceGroupId: req.resourceGroupId, allocatedFor: { cluster: this.cluster, namespace: ns, name },
        });
      } catch (e) {
        return this.fail(pod, `allocate EIP: ${(e as Error).message}`);
      }
      id = eip.id;
      // Recorded before binding so a crash or a deletion now cannot leak the EIP.
      if (!pe) {
        try {
          pe = await this.record(ns, name, eip.id, allocationType);
        } catch (e) {
          await cloud.eips.release(eip.id).catch(() => undefined);
          throw e;
        }
      }
    }
    if (JSON.stringify(pe!.spec?.allocationType) !== JSON.stringify(allocationType) || pe!.spec?.allocationID !== eip.id) {
      pe = await this.client.patch(refs.podeips, ns, name, 'merge', { spec: { allocationID: eip.id, allocationType } });
    }
    const a = eip.association;
    if (a && !(a.type === 'eni' && a.id === eni.id)) {
      const b = eip.boundPod;
      const holder = b && b.cluster === this.cluster ? this.pods.get(b.namespace, b.name) : undefined;
      const waiting = () => (this.waiters.get(eip!.id) ?? this.waiters.set(eip!.id, new Set()).get(eip!.id)!).add(key);
      // An earlier pod of the same name (its ENI lingers) is ours to take.
      const sameName = b && b.cluster === this.cluster && b.namespace === ns && b.name === name;
      if (!sameName) {
        // A holder already deleted is being let go (Recreate): look again shortly, nothing to report —
        // unless that takes longer than a release does, when something else holds on to it.
        if (b && b.cluster === this.cluster && gone(holder)) {
          waiting();
          const since = this.quiet.get(key) ?? this.quiet.set(key, this.clock.now()).get(key)!;
          if (this.clock.now() - since < RELEASE_GRACE_MS) return void this.queue.addAfter(key, 200);
          return this.fail(pod, `EIP ${eip.id} (${eip.address}) is in use by pod ${b.namespace}/${b.name}; waiting for it to be disassociated`, CONFLICT_RETRY_MS);
        }
        // A live pod holds it. A pod the rollout brings in takes it (the report's race) unless fix A
        // defers that until the old pod of the same workload is gone; an older pod, or anything but a
        // pod of this cluster, keeps it.
        const taker = type === 'Static' && holder && this.newer(pod, eni.id, holder, a.id);
        if (!taker) {
          waiting();
          return this.fail(pod, `EIP ${eip.id} (${eip.address}) is in use by ${b ? `pod ${b.namespace}/${b.name}` : a.type === 'nat' ? `NAT gateway ${a.id}` : `ENI ${a.id}`}; waiting for it to be disassociated`, CONFLICT_RETRY_MS);
        }
        const workload = this.workloadOf(pod);
        if (this.settings.bindAfterRollout && workload && workload === this.workloadOf(holder)) {
          waiting();
          return this.defer(pod, eip, holder, workload);
        }
      }
      this.ram('UnassociateEipAddress');
      await cloud.eips.disassociate(eip.id);
    }
    this.quiet.delete(key);
    if (!a || a.id !== eni.id) {
      this.ram('AssociateEipAddress');
      // Associating takes bindDelay before the EIP carries traffic (src/cloud/models/eip.ts).
      eip = await cloud.eips.associate(eip.id, { eniId: eni.id }, { takesMs: this.bindDelay });
      this.associated.set(key, { eip: eip.id, eni: eni.id, at: this.clock.now() });
    }
    // The association carries traffic bindDelay after it was made: until then the pod is looked at again, not reported bound.
    const done = this.associated.get(key);
    if (done && done.eip === eip.id && done.eni === eni.id) {
      const left = done.at + this.bindDelay - this.clock.now();
      if (left > 0) return void this.queue.addAfter(key, left);
      this.associated.delete(key);
    }
    // The status ack-extend-network-controller writes (the report's and ACK's examples): no bandwidth;
    // the EIP's name only when it has one; its charge type and resource group in Alibaba's words.
    const status: Record<string, string | null> = {
      eipAddress: eip.address, internetChargeType: alibabaChargeType(eip.internetChargeType), isp: eip.isp,
      name: eip.name && eip.name !== eip.id ? eip.name : null, networkInterfaceID: eni.id, privateIPAddress: eni.primaryIp,
      resourceGroupID: eip.resourceGroupId ?? DEFAULT_RESOURCE_GROUP, status: 'InUse', bandwidth: null,
    };
    // podLastSeen is stamped when the binding changes, not on every look (each write wakes this controller again).
    const cur = pe?.status ?? {};
    if (!cur.podLastSeen || Object.entries(status).some(([k, v]) => (cur[k] ?? null) !== v)) {
      await this.client.patch(refs.podeips, ns, name, 'merge', { status: { ...status, podLastSeen: formatRFC3339(this.clock.now()) } }, { subresource: 'status' });
    }
    await this.announce(pod, eip.address, eip.id, eni.id);
  }

  /** The PodEIP of a pod, written before the EIP is bound (finalizer: it is let go only with the EIP). */
  private record(ns: string, name: string, allocationID: string, allocationType: unknown): Promise<KubeObject> {
    return this.client.create(refs.podeips, {
      apiVersion: 'alibabacloud.com/v1beta1', kind: 'PodEIP',
      metadata: { name, namespace: ns, finalizers: [FINALIZER], annotations: { [CONTROLLER_ANNOTATION]: 'ack-extend-network-controller' } },
      spec: { allocationID, allocationType },
    });
  }

  /** Tells the pod its EIP: the allocated-eipAddress annotation, the readiness-gate condition, an event the first time. */
  private async announce(pod: KubeObject, address: string, eipId: string, eniId: string): Promise<void> {
    const ns = pod.metadata.namespace!, name = pod.metadata.name!;
    if (pod.metadata.annotations?.[ALLOCATED_ANNOTATION] !== address) {
      await this.client.patch(refs.pods, ns, name, 'merge', { metadata: { annotations: { [ALLOCATED_ANNOTATION]: address } } });
    }
    const had = (pod.status?.conditions ?? []).some((c: any) => c.type === EIP_GATE && c.status === 'True' && c.reason === 'Associate eip succeed');
    await this.setCondition(pod, true, 'Associate eip succeed', `EIP ${eipId} (${address}) is associated with ${eniId}`);
    if (!had) this.events.record(pod, 'Normal', 'AllocateEIPSucceed', `EIP ${address} (${eipId}) associated with the pod`);
  }

  /**
   * Fix A (bindAfterRollout): the EIP stays with the old pod of the same workload until that pod is gone,
   * and then goes to this one. The readiness gate does not wait for it, or the rollout, which needs this
   * pod Ready before the old one goes, would never finish.
   */
  private async defer(pod: KubeObject, eip: Eip, holder: KubeObject, workload: string): Promise<void> {
    const message = `EIP ${eip.id} (${eip.address}) is held by pod ${holder.metadata.namespace}/${holder.metadata.name} of the same ${workload}; it will be associated with this pod once that pod is gone (bindAfterRollout)`;
    const cond = (pod.status?.conditions ?? []).find((c: any) => c.type === EIP_GATE);
    if (cond?.message !== message) this.events.record(pod, 'Normal', 'WaitForRollout', message);
    await this.setCondition(pod, true, 'WaitForRollout', message);
  }

  override stop(): void {
    super.stop();
    this.offConfig();
    if (!this.opts.config) this.config.close();
    this.pods.close();
    this.podeips.close();
    this.replicasets.close();
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
 * EIP, where the cluster's configuration says to (injectReadinessGate; off by
 * default: on ACK the user adds the gate), so such a pod is Ready only once
 * the controller has bound its EIP. Without it a pod can be Ready first
 * (docs/alibaba/pod-eip.md).
 */
export function podEipAdmission(config: PodEipConfig): MutationInterface & { name: 'PodEIPReadinessGate' } {
  return {
    name: 'PodEIPReadinessGate',
    handles: handling('CREATE'),
    async admit(a) {
      const obj = a.object!;
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'pods' || !wantsEip(obj)) return;
      const s = await config.fresh();
      if (s.disabled || !s.injectReadinessGate) return;
      // Mutating runs before validation: a malformed spec is left for validation to refuse.
      if (obj.spec != null && (typeof obj.spec !== 'object' || Array.isArray(obj.spec))) return;
      const gates = ((obj.spec ??= {}).readinessGates ??= []);
      if (!Array.isArray(gates)) return;
      if (!gates.some((g: any) => g?.conditionType === EIP_GATE)) gates.push({ conditionType: EIP_GATE });
    },
  };
}
