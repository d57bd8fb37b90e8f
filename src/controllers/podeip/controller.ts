// The pod EIP controller (see docs/alibaba/pod-eip.md), after ACK's ack-extend-network-
// controller: a pod annotated pod-with-eip (or naming an EIP instance id)
// gets an EIP bound to its ENI once it has an IP, a PodEIP object that
// records it, the allocated-eipAddress annotation and the readiness-gate
// condition k8s.aliyun.com/eip. When the pod goes the EIP follows the
// release strategy; the PodEIP's finalizer holds it until the EIP is dealt
// with, so deleting a namespace cannot leak EIPs.
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
import { WorkQueue } from '../../client/workqueue/queue.js';
import { installPodEipCrd } from '../../clouds/alibaba/podeip-crd.js';
import type { EipRequest } from '../../cloud/types.js';
import { ALLOCATED_ANNOTATION, CONTROLLER_ANNOTATION, EIP_GATE, FINALIZER } from '../../clouds/alibaba/pod-eip.js';
import { eipRequest, wantsEip } from './request.js';
import { formatRFC3339, parseGoDuration } from '../../api/duration.js';

export interface PodEipOptions {
  /** Modelled time from association to the EIP carrying traffic (default 1s; NODELESS_EIP_BIND_DELAY_MS). */
  bindDelayMs?: number;
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
}

const gone = (p: KubeObject | undefined) => !p || !!p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export async function startPodEips(cloud: Cloud, cluster: string, client: Client, opts: PodEipOptions = {}): Promise<{ stop(): void }> {
  await installPodEipCrd(client);
  const bindDelay = opts.bindDelayMs ?? (Number(process.env.NODELESS_EIP_BIND_DELAY_MS) || 1000);
  const shared = opts.informers ?? new SharedInformers(client);
  const pods = new InformerView(shared.informer(refs.pods));
  const podeips = new InformerView(shared.informer(refs.podeips));
  const queue = new WorkQueue();
  const events = new EventRecorder(client, { component: 'ack-extend-network-controller' });
  const enqueue = (o: KubeObject) => queue.add(keyOf(o));
  // The last state of deleted pods, so the events of their EIP's release can name them (uid included).
  const departed = new Map<string, KubeObject>();
  // Pods waiting for a Static EIP another pod holds (the rolling-update race, E5), by EIP id: woken when it is let go.
  const waiters = new Map<string, Set<string>>();
  // When a pod first found its EIP still bound to a pod already deleted (its release under way), by pod key.
  const quiet = new Map<string, number>();
  const wake = (eipId: string) => {
    for (const k of waiters.get(eipId) ?? []) queue.add(k);
    waiters.delete(eipId);
  };
  pods.on({ add: enqueue, update: (_o, n) => enqueue(n), delete: (o) => { if (wantsEip(o)) departed.set(keyOf(o), o); enqueue(o); } });
  podeips.on({ add: enqueue, update: (_o, n) => enqueue(n), delete: enqueue });

  /** Sets the readiness-gate condition (only when it changes). */
  const setCondition = async (pod: KubeObject, ok: boolean, reason: string, message: string) => {
    const conds: any[] = pod.status?.conditions ?? [];
    const old = conds.find((c) => c.type === EIP_GATE);
    if (old && old.status === (ok ? 'True' : 'False') && old.message === message) return;
    const cond = { type: EIP_GATE, status: ok ? 'True' : 'False', reason, message, lastProbeTime: null, lastTransitionTime: formatRFC3339() };
    const fresh = await client.get(refs.pods, pod.metadata.namespace, pod.metadata.name!);
    fresh.status = { ...fresh.status, conditions: [...(fresh.status?.conditions ?? []).filter((c: any) => c.type !== EIP_GATE), cond] };
    await client.updateStatus(refs.pods, fresh);
  };

  const fail = async (pod: KubeObject, message: string, retryMs?: number) => {
    events.record(pod, 'Warning', 'AllocateEIPFailed', message);
    await setCondition(pod, false, 'AllocateEIPFailed', message);
    // A conflict can clear up (the other pod goes); bad annotations wait for the pod to change.
    if (retryMs) queue.addAfter(keyOf(pod), retryMs);
  };
  const ours = (eip: Eip, pe: KubeObject) => eip.boundPod?.cluster === cluster && eip.boundPod.namespace === pe.metadata.namespace && eip.boundPod.name === pe.metadata.name;

  /** The pod a PodEIP belongs to, live or just deleted, for events about its EIP. */
  const podOf = (pe: KubeObject): KubeObject => {
    const key = keyOf(pe);
    return pods.get(pe.metadata.namespace, pe.metadata.name!) ?? departed.get(key)
      ?? { apiVersion: 'v1', kind: 'Pod', metadata: { name: pe.metadata.name, namespace: pe.metadata.namespace } };
  };

  /** Releases what the PodEIP holds (Auto: release; Static: unbind only), then lets it go. */
  const finish = async (pe: KubeObject) => {
    const id = pe.spec?.allocationID as string;
    const eip = cloud.eips.list().find((e) => e.id === id);
    // A Static EIP may meanwhile be bound to another pod naming it: leave that binding alone.
    if (eip && (!eip.association || ours(eip, pe))) {
      const held = !!eip.association || pe.status?.status === 'InUse';
      await cloud.eips.disassociate(id);
      const release = pe.spec?.allocationType?.type !== 'Static' && pe.spec?.allocationType?.releaseStrategy !== 'Never';
      if (release) await cloud.eips.release(id);
      // Said on the pod: in the rolling-update race this is the moment the waiting pod gets the EIP.
      if (held) events.record(podOf(pe), 'Normal', release ? 'ReleaseEIP' : 'DisassociateEIP', `EIP ${id} (${eip.address}) ${release ? 'released' : 'disassociated'}: the pod is being deleted`);
    }
    wake(id);
    departed.delete(keyOf(pe));
    const fin = (pe.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await client.patch(refs.podeips, pe.metadata.namespace, pe.metadata.name!, 'merge', { metadata: { finalizers: fin.length ? fin : null } }).catch(() => undefined);
    await client.delete(refs.podeips, pe.metadata.namespace, pe.metadata.name!).catch(() => undefined);
  };

  /** The pod is gone (or going): Follow releases now; TTL keeps the EIP until podLastSeen + releaseAfter. */
  const podGone = async (pe: KubeObject, key: string) => {
    const at = pe.spec?.allocationType ?? {};
    if (pe.metadata.deletionTimestamp || at.releaseStrategy === 'Follow' || !at.releaseStrategy) return finish(pe);
    const id = pe.spec.allocationID as string;
    if (cloud.eips.list().some((e) => e.id === id && e.association && ours(e, pe))) await cloud.eips.disassociate(id);
    wake(id);
    if (at.releaseStrategy === 'Never') return;
    if (!pe.status?.podLastSeen || pe.status?.status === 'InUse') {
      await client.patch(refs.podeips, pe.metadata.namespace, pe.metadata.name!, 'merge', { status: { podLastSeen: formatRFC3339(), status: 'Unbound', networkInterfaceID: null, privateIPAddress: null } }, { subresource: 'status' });
      queue.addAfter(key, 50);
      return;
    }
    const left = Date.parse(pe.status.podLastSeen) + (parseGoDuration(at.releaseAfter ?? '') ?? 0) - Date.now();
    if (left <= 0) return finish(pe);
    queue.addAfter(key, left + 50);
  };

  const bind = async (pod: KubeObject, pe: KubeObject | undefined, req: EipRequest) => {
    const ns = pod.metadata.namespace!, name = pod.metadata.name!;
    const eni = cloud.findEniByPod({ cluster, namespace: ns, pod: name, uid: pod.metadata.uid });
    if (!eni) return; // the ENI appears with the pod IP; the pod update re-queues us
    // The EIP: the one a kept PodEIP holds (same pod name back within the TTL), a named one, or a new one.
    let eip: Eip | undefined;
    const held = pe?.spec?.allocationID as string | undefined;
    if (held) eip = cloud.eips.list().find((e) => e.id === held);
    if (!eip && req.instanceId) {
      eip = cloud.eips.list().find((e) => e.id === req.instanceId);
      if (!eip) return fail(pod, `EIP ${req.instanceId} (pod-eip-instanceid) does not exist`);
    }
    const type = req.instanceId ? 'Static' : 'Auto';
    if (!eip) {
      try {
        eip = await cloud.eips.allocate({
          bandwidthMbps: req.bandwidthMbps, internetChargeType: req.internetChargeType, instanceChargeType: req.instanceChargeType,
          isp: req.isp, name: req.name, description: req.description, allocatedFor: { cluster, namespace: ns, name },
        });
      } catch (e) {
        return fail(pod, `allocate EIP: ${(e as Error).message}`);
      }
    }
    const allocationType: any = { type: pe?.spec?.allocationType?.type ?? type, releaseStrategy: req.releaseStrategy };
    if (req.releaseAfter) allocationType.releaseAfter = req.releaseAfter;
    // Record the allocation before binding so a crash or a deletion now cannot leak the EIP.
    if (!pe) {
      try {
        pe = await client.create(refs.podeips, {
          apiVersion: 'alibabacloud.com/v1beta1', kind: 'PodEIP',
          metadata: { name, namespace: ns, finalizers: [FINALIZER], annotations: { [CONTROLLER_ANNOTATION]: 'ack-extend-network-controller' } },
          spec: { allocationID: eip.id, allocationType },
        });
      } catch (e) {
        if (type === 'Auto') await cloud.eips.release(eip.id).catch(() => undefined);
        throw e;
      }
    } else if (JSON.stringify(pe.spec?.allocationType) !== JSON.stringify(allocationType) || pe.spec?.allocationID !== eip.id) {
      pe = await client.patch(refs.podeips, ns, name, 'merge', { spec: { allocationID: eip.id, allocationType } });
    }
    const a = eip.association;
    if (a && !(a.type === 'eni' && a.id === eni.id)) {
      // Bound elsewhere: an earlier pod of the same name (its ENI lingers) is ours to take; anything else is a conflict.
      const b = eip.boundPod;
      if (!(b && b.cluster === cluster && b.namespace === ns && b.name === name)) {
        (waiters.get(eip.id) ?? waiters.set(eip.id, new Set()).get(eip.id)!).add(keyOf(pod));
        const holder = b && b.cluster === cluster ? pods.get(b.namespace, b.name) : undefined;
        // A holder already deleted is being let go (Recreate): look again shortly, nothing to report —
        // unless that takes longer than a release does, when something else holds on to it.
        if (b && b.cluster === cluster && gone(holder)) {
          const since = quiet.get(keyOf(pod)) ?? quiet.set(keyOf(pod), Date.now()).get(keyOf(pod))!;
          if (Date.now() - since < 10_000) return void queue.addAfter(keyOf(pod), 200);
        }
        // The rolling-update race (docs/alibaba/pod-eip.md): the old pod still holds the EIP; wait until its deletion lets go.
        return fail(pod, `EIP ${eip.id} (${eip.address}) is in use by ${b ? `pod ${b.namespace}/${b.name}` : a.type + ' ' + a.id}; waiting for it to be disassociated`, 5000);
      }
      await cloud.eips.disassociate(eip.id);
    }
    quiet.delete(keyOf(pod));
    if (!a || a.id !== eni.id) {
      eip = await cloud.eips.associate(eip.id, { eniId: eni.id });
      await new Promise((r) => setTimeout(r, bindDelay));
    }
    const status = {
      eipAddress: eip.address, internetChargeType: eip.internetChargeType,
      isp: eip.isp, name: eip.name, networkInterfaceID: eni.id, privateIPAddress: eni.primaryIp,
      bandwidth: String(eip.bandwidthMbps), status: 'InUse',
    };
    // podLastSeen is stamped when the binding changes, not on every look (each write wakes this controller again).
    const cur = pe?.status ?? {};
    if (!cur.podLastSeen || Object.entries(status).some(([k, v]) => cur[k] !== v)) {
      await client.patch(refs.podeips, ns, name, 'merge', { status: { ...status, podLastSeen: formatRFC3339() } }, { subresource: 'status' });
    }
    if (pod.metadata.annotations?.[ALLOCATED_ANNOTATION] !== eip.address) {
      await client.patch(refs.pods, ns, name, 'merge', { metadata: { annotations: { [ALLOCATED_ANNOTATION]: eip.address } } });
    }
    const had = (pod.status?.conditions ?? []).some((c: any) => c.type === EIP_GATE && c.status === 'True');
    await setCondition(pod, true, 'Associate eip succeed', `EIP ${eip.id} (${eip.address}) is associated with ${eni.id}`);
    if (!had) events.record(pod, 'Normal', 'AllocateEIPSucceed', `EIP ${eip.address} (${eip.id}) associated with the pod`);
  };

  const reconcile = async (key: string) => {
    const [ns, name] = key.split('/');
    const pod = pods.get(ns, name);
    const pe = podeips.get(ns, name);
    if (pe?.metadata.deletionTimestamp) return finish(pe);
    if (gone(pod) || !wantsEip(pod!)) {
      if (pe) await podGone(pe, key);
      else departed.delete(key);
      quiet.delete(key);
      return;
    }
    if (!pod!.status?.podIP) return;
    let req: EipRequest;
    try {
      req = eipRequest(pod!);
    } catch (e) {
      return fail(pod!, (e as Error).message);
    }
    // A PodEIP kept from a pod of the same name: a different uid means a new pod; bind it again.
    await bind(pod!, pe, req);
  };

  await Promise.all([pods.hasSynced(), podeips.hasSynced()]);
  // An EIP allocated for a pod whose PodEIP was never written (nodeless died in between) belongs to nobody: release it.
  const recorded = new Set(podeips.list().map((pe) => pe.spec?.allocationID));
  for (const e of cloud.eips.list()) {
    if (e.allocatedFor?.cluster === cluster && !e.association && !recorded.has(e.id)) await cloud.eips.release(e.id).catch(() => undefined);
  }
  queue.run(reconcile, 4);
  return { stop: () => { queue.stop(); pods.close(); podeips.close(); if (!opts.informers) shared.stop(); } };
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
