// Admission rules of Tencent EKS's pod network annotations that need more than
// one annotation's value (docs/tencent/pod-eip.md, retain-ip.md):
//   - eip-id-list binds existing EIPs by StatefulSet ordinal, so it is refused
//     on a pod that is not a StatefulSet's, on an ordinal with no id left, on
//     a StatefulSet whose replicas outnumber the ids, and in the template of
//     any other workload: the error comes at once (kubectl apply, or the
//     StatefulSet's FailedCreate event) instead of a pod stuck later;
//   - retain-ip: a pod recreated under a retained name is pinned to the
//     subnet of the retained address, the only place it can get it back.
// eip-id-list together with eip-attributes is refused by the per-annotation
// checks (./annotations.ts).
import type { AdmissionPlugin, Attributes } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import { errors } from '../../apiserver/status.js';
import type { FieldError, KubeObject } from '../../api/types.js';
import type { Cloud } from '../../cloud/cloud.js';
import { EIP_ATTRIBUTES, EIP_ID_LIST, statefulSetOrdinal } from './pod-eip.js';
import { RETAIN_IP } from './retain-ip.js';
import { SUBNET_LABEL } from './supernode.js';

const WORKLOADS = new Set(['apps/statefulsets', 'apps/deployments', 'apps/replicasets', 'apps/daemonsets', 'batch/jobs']);

const idList = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const field = (prefix: string) => `${prefix}[${EIP_ID_LIST}]`;

/** Rules common to a pod and a pod template: no id twice. */
function duplicates(ids: string[], prefix: string): FieldError[] {
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  return twice.length ? [{ field: field(prefix), type: 'FieldValueDuplicate', message: `${JSON.stringify(twice[0])}: each EIP may be listed once (one EIP per pod)` }] : [];
}

function podErrors(pod: KubeObject): FieldError[] {
  const ids = idList(pod.metadata.annotations?.[EIP_ID_LIST]);
  if (!ids.length) return [];
  const prefix = 'metadata.annotations';
  const errs = duplicates(ids, prefix);
  if (pod.metadata.annotations?.[EIP_ATTRIBUTES] !== undefined) {
    errs.push({ field: `${prefix}[${EIP_ATTRIBUTES}]`, type: 'FieldValueForbidden', message: `may not be set together with ${EIP_ID_LIST} (existing EIPs are bound as they are)` });
  }
  const sts = statefulSetOrdinal(pod);
  if (!sts) {
    errs.push({ field: field(prefix), type: 'FieldValueForbidden',
      message: `existing EIPs (${EIP_ID_LIST}) are for StatefulSet pods only, bound by ordinal; this pod has no StatefulSet owner (for a new EIP use ${EIP_ATTRIBUTES})` });
  } else if (sts.ordinal >= ids.length) {
    errs.push({ field: field(prefix), type: 'FieldValueForbidden',
      message: `pod ordinal ${sts.ordinal} has no EIP: ${EIP_ID_LIST} names ${ids.length} EIP(s) (${ids.join(',')}), so StatefulSet ${sts.set} may have at most ${ids.length} replica(s)` });
  }
  return errs;
}

function workloadErrors(kind: string, obj: KubeObject): FieldError[] {
  const a = obj.spec?.template?.metadata?.annotations ?? {};
  const ids = idList(a[EIP_ID_LIST]);
  if (!ids.length) return [];
  const prefix = 'spec.template.metadata.annotations';
  if (kind !== 'StatefulSet') {
    return [{ field: field(prefix), type: 'FieldValueForbidden', message: `existing EIPs (${EIP_ID_LIST}) are for StatefulSets only, bound by pod ordinal; a ${kind}'s pods have no stable names (for new EIPs use ${EIP_ATTRIBUTES})` }];
  }
  const errs = duplicates(ids, prefix);
  if (a[EIP_ATTRIBUTES] !== undefined) {
    errs.push({ field: `${prefix}[${EIP_ATTRIBUTES}]`, type: 'FieldValueForbidden', message: `may not be set together with ${EIP_ID_LIST} (existing EIPs are bound as they are)` });
  }
  const replicas = obj.spec?.replicas ?? 1;
  if (replicas > ids.length) {
    errs.push({ field: 'spec.replicas', type: 'FieldValueInvalid', message: `${replicas}: must be no more than the ${ids.length} EIP(s) in ${EIP_ID_LIST} (${ids.join(',')}), one per pod` });
  }
  return errs;
}

/** The parts of a workload these rules read, to let unrelated updates of an already-stored object through. */
const watched = (o: KubeObject | undefined) => {
  const a = o?.spec?.template?.metadata?.annotations ?? {};
  return JSON.stringify([o?.spec?.replicas ?? 1, a[EIP_ID_LIST], a[EIP_ATTRIBUTES]]);
};

/**
 * Requires the pod's node to be on `subnetId` (ANDed into any node affinity it has). Admission
 * mutates before validation, so a malformed affinity is left as it is, for validation to refuse.
 */
function pinToSubnet(pod: KubeObject, subnetId: string): void {
  const req = { key: SUBNET_LABEL, operator: 'In', values: [subnetId] };
  const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(pod.spec)) return;
  const affinity = (pod.spec.affinity ??= {});
  if (!isObject(affinity)) return;
  const na = (affinity.nodeAffinity ??= {});
  if (!isObject(na)) return;
  const sel = (na.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] });
  if (!isObject(sel)) return;
  if (sel.nodeSelectorTerms == null || (Array.isArray(sel.nodeSelectorTerms) && !sel.nodeSelectorTerms.length)) sel.nodeSelectorTerms = [{ matchExpressions: [req] }];
  else if (Array.isArray(sel.nodeSelectorTerms)) {
    for (const t of sel.nodeSelectorTerms) {
      if (!isObject(t)) continue;
      t.matchExpressions ??= [];
      if (Array.isArray(t.matchExpressions)) t.matchExpressions.push(req);
    }
  }
}

/**
 * Mutating: a retain-ip pod is pinned to its retained subnet. Validating: eip-id-list
 * on pods and workload templates.
 */
export function eksNetworkAdmission(cloud: Cloud, cluster: string): AdmissionPlugin & { name: 'TencentEKSNetwork' } {
  const isPod = (a: Attributes) => a.resource.group === '' && a.resource.resource === 'pods';
  return {
    name: 'TencentEKSNetwork',
    handles: handling('CREATE', 'UPDATE'),
    admit(a) {
      const obj = a.object!;
      if (a.subresource || a.operation !== 'CREATE' || !isPod(a)) return;
      if (obj.metadata.annotations?.[RETAIN_IP] === 'true' && !obj.spec?.nodeName && obj.metadata.name) {
        // A lingering or retained ENI of this pod name: come back where its address lives, if a super node still serves it.
        const eni = cloud.findEniByPod({ cluster, namespace: obj.metadata.namespace!, pod: obj.metadata.name });
        if (eni && cloud.superNodes.list({ cluster }).some((sn) => sn.subnetId === eni.subnetId && sn.state === 'running')) pinToSubnet(obj, eni.subnetId);
      }
    },
    validate(a) {
      const obj = a.object!;
      if (a.subresource) return;
      if (isPod(a)) {
        if (a.operation !== 'CREATE') return;
        const errs = podErrors(obj);
        if (errs.length) throw errors.invalid(a.resourceType, obj.metadata.name ?? '', errs);
        return;
      }
      if (!WORKLOADS.has(`${a.resource.group}/${a.resource.resource}`)) return;
      if (a.operation === 'UPDATE' && watched(obj) === watched(a.oldObject)) return;
      const errs = workloadErrors(a.kind.kind, obj);
      if (errs.length) throw errors.invalid(a.resourceType, obj.metadata.name ?? '', errs);
    },
  };
}
