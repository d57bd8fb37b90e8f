// Admission of pods into a serverless cluster: what the cloud refuses at
// creation time (docs/tencent/pod-sizing.md, quotas.md, security-groups.md). Runs inside the API server before a pod is stored:
//   - eks annotations (pod's own, over the cluster's kube-system/eks-config defaults, ./eks-config.ts) are well-formed;
//   - the pod's size is computed by Tencent's rules and recorded (or the pod is refused);
//   - security groups named by annotation exist in the region;
//   - the cluster's pod quota (pods-per-cluster) is not exceeded;
//   - each of its security groups has room for one more instance (instances-per-security-group,
//     2,000 by default): refused now with the cloud's message, rather than left in
//     ContainerCreating when its ENI is refused later (docs/tencent/quotas.md).
import type { AdmissionPlugin, Attributes } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import type { Registry } from '../../apiserver/registry.js';
import { errors, StatusError } from '../../apiserver/status.js';
import type { FieldError, KubeObject } from '../../api/types.js';
import type { Cloud } from '../../cloud/cloud.js';
import { QuotaExceeded } from '../../cloud/errors.js';
import { validateEksAnnotations } from './annotations.js';
import { CREATED_AT_ANNOTATION, validateCreatedAt } from './feature-dates.js';
import type { EksConfig } from './eks-config.js';
import { computePodSize, formatPodSize, PodSizeError } from './podsize.js';

/** Where the computed size is recorded on the pod (shown by `kubectl describe pod`). */
export const POD_SIZE_ANNOTATION = 'nodeless.dev/pod-size';
export const SG_ANNOTATION = 'eks.tke.cloud.tencent.com/security-group-id';

/** What the mutating phase found, for the validating phase to refuse (in the order it always has). */
interface Sizing {
  ann: Record<string, string>;
  annotationErrors: FieldError[];
  /** A PodSizeError (the pod fits no size), or anything sizing threw. */
  sizeError?: unknown;
}

/**
 * Mutating: the pod's size is computed and recorded in an annotation. Validating: the eks
 * annotations are well-formed, the pod has a size, its security groups exist and the cluster's
 * pod quota has room. The refusals all come after the strategy's validation, as they always did.
 */
export function podAdmission(cloud: Cloud, cluster: string, eksConfig: EksConfig, registry: Registry): AdmissionPlugin & { name: 'TencentEKSPod' } {
  // The cluster's pod count, kept from the store's change feed (a count(*) per create would grow with the cluster),
  // plus pods admitted but not yet stored, so two concurrent creates cannot both take the last slot.
  let stored: number | undefined;
  let counting: Promise<void> | undefined;
  const pending = new Map<string, NodeJS.Timeout>();
  /** The security groups of the pods in `pending` (by store key): they take an instance each once they get their ENI. */
  const pendingGroups = new Map<string, string[]>();
  const startCount = async () => {
    const prefix = registry.prefix(registry.catalog.lookup('', 'v1', 'pods')!);
    const from = registry.store.revision();
    stored = await registry.store.count(prefix);
    registry.store.watch(prefix, from, (c) => {
      if (c.type === 'ADDED') {
        stored!++;
        const t = pending.get(c.key);
        if (t) { clearTimeout(t); pending.delete(c.key); pendingGroups.delete(c.key); }
      } else if (c.type === 'DELETED') stored!--;
    });
  };
  const sizings = new WeakMap<KubeObject, Sizing>();
  // Status writes (the node agent's) and deletes change nothing admission cares about.
  const applies = (a: Attributes) => !a.subresource && a.resource.group === '' && a.resource.resource === 'pods';
  return {
    name: 'TencentEKSPod',
    handles: handling('CREATE', 'UPDATE'),
    async admit(a) {
      if (!applies(a) || a.operation !== 'CREATE') return;
      const pod = a.object!;
      const ann = eksConfig.effective(pod, await eksConfig.fresh());
      const sizing: Sizing = { ann, annotationErrors: validateEksAnnotations(ann) };
      sizings.set(pod, sizing);
      if (sizing.annotationErrors.length) return;
      try {
        const size = computePodSize(pod, ann);
        pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [POD_SIZE_ANNOTATION]: formatPodSize(size) };
      } catch (e) {
        sizing.sizeError = e;
      }
    },
    async validate(a) {
      if (!applies(a)) return;
      const pod = a.object!;
      const rt = a.resourceType;
      const name = pod.metadata.name ?? '';
      const sizing = a.operation === 'CREATE' ? sizings.get(pod) : undefined;
      const ann = sizing?.ann ?? eksConfig.effective(pod, await eksConfig.fresh());
      // A pod's own created-at (docs/tencent/feature-dates.md) is checked with the eks annotations.
      const fieldErrors = [...(sizing?.annotationErrors ?? validateEksAnnotations(ann)), ...validateCreatedAt(pod, Date.now())];
      // The time the pod was created cannot change afterwards.
      const was = a.oldObject?.metadata.annotations?.[CREATED_AT_ANNOTATION];
      if (a.operation === 'UPDATE' && was !== pod.metadata.annotations?.[CREATED_AT_ANNOTATION]) {
        fieldErrors.push({ field: `metadata.annotations[${CREATED_AT_ANNOTATION}]`, type: 'FieldValueInvalid', message: `annotation ${CREATED_AT_ANNOTATION}: field is immutable (it is when the pod was created)` });
      }
      if (fieldErrors.length) throw errors.invalid(rt, name, fieldErrors);
      if (a.operation === 'UPDATE') return;
      if (sizing?.sizeError instanceof PodSizeError) {
        throw errors.invalid(rt, name, [{ field: 'spec.containers', type: 'FieldValueInvalid', message: `pod size: ${sizing.sizeError.message}` }]);
      }
      if (sizing?.sizeError !== undefined) throw sizing.sizeError;

      const sgIds = (ann[SG_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      for (const id of sgIds) {
        try {
          cloud.securityGroups.get(id);
        } catch {
          throw errors.invalid(rt, name, [{ field: `metadata.annotations[${SG_ANNOTATION}]`, type: 'FieldValueNotSupported' as const, message: `${JSON.stringify(id)}: security group ${id} does not exist in region ${cloud.regions.list()[0]?.region ?? ''}` }]);
        }
      }

      // One change-feed subscription per cluster, however many creates race to start it.
      await (counting ??= startCount());
      const used = stored! + pending.size;
      const limit = cloud.quotas.limit('pods-per-cluster', cluster);
      if (used + 1 > limit) {
        throw new StatusError(403, 'Forbidden', `pods "${name}" is forbidden: exceeded quota: pods-per-cluster, requested: pods=1, used: pods=${used}, limited: pods=${limit} (cluster ${cluster}; raise it with: nodeless cloud quota set pods-per-cluster N --cluster ${cluster})`, { name, kind: 'pods' });
      }
      const groups = podGroups(cloud, pod);
      const podsRt = registry.catalog.lookup('', 'v1', 'pods')!;
      for (const sg of groups) {
        const limit = cloud.quotas.limit('instances-per-security-group');
        const bound = cloud.securityGroups.get(sg).instanceCount;
        // The pods admitted before this one that have no ENI yet will each take an instance too. Counting them
        // reads every pod, so only when the group is near its quota (at most every stored pod could be one).
        if (bound + stored! + pending.size + 1 <= limit) continue;
        let waiting = [...pendingGroups.values()].filter((g) => g.includes(sg)).length;
        for (const p of (await registry.list(podsRt, undefined)).items) {
          if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
          if (cloud.findEniByPod({ cluster, namespace: p.metadata.namespace!, pod: p.metadata.name!, uid: p.metadata.uid })) continue;
          if (podGroups(cloud, p).includes(sg)) waiting++;
        }
        const used = bound + waiting;
        if (used + 1 > limit) {
          // The cloud's own refusal (what creating the pod's ENI would answer), told at create as the pod quota is.
          const refusal = new QuotaExceeded('instances-per-security-group', limit, `security group ${sg}`);
          throw new StatusError(403, 'Forbidden', `pods "${name}" is forbidden: ${refusal.code}: ${refusal.message} (${bound} bound, ${waiting} admitted pod(s) waiting for their network interface; raise it with: nodeless cloud quota set instances-per-security-group N)`, { name, kind: 'pods' });
        }
      }
      if (!a.dryRun) {
        // Held until the store reports the pod ADDED; a create that fails after admission frees it after a while.
        const key = registry.key(rt, pod.metadata.namespace, name);
        pending.set(key, setTimeout(() => { pending.delete(key); pendingGroups.delete(key); }, 10_000).unref());
        pendingGroups.set(key, groups);
      }
    },
  };
}

/**
 * The security groups a pod's ENI will be in: its annotation's, else the region's default group
 * (what the eklet asks for, src/eklet.ts SubnetNetwork).
 */
function podGroups(cloud: Cloud, pod: KubeObject): string[] {
  const ids = (pod.metadata.annotations?.[SG_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const exists = (id: string) => { try { return !!cloud.securityGroups.get(id); } catch { return false; } };
  if (ids.length) return [...new Set(ids)].filter(exists);
  const def = cloud.securityGroups.defaultGroup();
  return def ? [def.id] : [];
}
