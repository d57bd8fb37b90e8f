// What the PV controller, the scheduler's VolumeBinding plugin, the CSI
// sidecars and the attach/detach controller share: the annotations of the
// binding protocol and kube's matching of a claim to a volume
// (component-helpers/storage/volume: FindMatchingVolume, CheckNodeAffinity).
// docs/storage.md.
import type { KubeObject } from '../../api/types.js';
import { quantity } from '../../api/resource.js';
import { selectorFromLabelSelector } from '../../api/selectors.js';
import { matchNodeSelectorTerm } from '../scheduling/filters.js';

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** The capacity a claim keeps showing while its file system waits to be grown on the node (the external resizer sets it). */
export const ANN_PRE_RESIZE_CAPACITY = 'volume.alpha.kubernetes.io/pre-resize-capacity';
const BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';

const ann = (o: KubeObject, k: string): string | undefined => {
  const a = o.metadata.annotations;
  return a && Object.hasOwn(a, k) ? a[k] : undefined;
};

/** GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName, else "". */
export const claimClass = (c: KubeObject): string => ann(c, BETA_CLASS) ?? c.spec?.storageClassName ?? '';
/** GetPersistentVolumeClass. */
export const volumeClass = (v: KubeObject): string => ann(v, BETA_CLASS) ?? v.spec?.storageClassName ?? '';

export const claimKey = (c: KubeObject): string => `${c.metadata.namespace}/${c.metadata.name}`;
export const claimRequest = (c: KubeObject): number => quantity(c.spec?.resources?.requests?.storage ?? 0);
export const volumeCapacity = (v: KubeObject): number => quantity(v.spec?.capacity?.storage ?? 0);

/** Whether the claim names a provisioner that is working on it (either annotation). */
export const claimProvisioner = (c: KubeObject): string | undefined => ann(c, ANN_STORAGE_PROVISIONER) ?? ann(c, ANN_BETA_STORAGE_PROVISIONER);

export const selectedNode = (c: KubeObject): string | undefined => ann(c, ANN_SELECTED_NODE);

/** IsVolumeBoundToClaim: the PV's claimRef names this claim (and its uid, once set). */
export function isVolumeBoundToClaim(v: KubeObject, c: KubeObject): boolean {
  const ref = v.spec?.claimRef;
  if (!ref || ref.name !== c.metadata.name || ref.namespace !== c.metadata.namespace) return false;
  return !ref.uid || ref.uid === c.metadata.uid;
}

/** CheckNodeAffinity: a PV without required node affinity fits every node. */
export function volumeFitsNode(v: KubeObject, node: KubeObject): boolean {
  const terms: any[] | undefined = v.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => matchNodeSelectorTerm(t, node));
}

/** The access modes the claim asks for are all among the volume's. */
function accessModesFit(v: KubeObject, c: KubeObject): boolean {
  const has: string[] = v.spec?.accessModes ?? [];
  return (c.spec?.accessModes ?? []).every((m: string) => has.includes(m));
}

const volumeMode = (o: KubeObject): string => o.spec?.volumeMode ?? 'Filesystem';

/**
 * FindMatchingVolume: the smallest Available volume that satisfies the claim (class, size,
 * access modes, volume mode, selector, and the node's topology when one is given), or the
 * volume pre-bound to it. With `delayBinding` and no node, only pre-bound volumes count: the
 * scheduler binds the rest once it has picked a node.
 */
export function findMatchingVolume(c: KubeObject, volumes: Iterable<KubeObject>, opts: { node?: KubeObject; delayBinding?: boolean; excluded?: Set<string> } = {}): KubeObject | undefined {
  const want = claimRequest(c);
  const cls = claimClass(c);
  let selector: ReturnType<typeof selectorFromLabelSelector> | undefined;
  try {
    selector = c.spec?.selector ? selectorFromLabelSelector(c.spec.selector) : undefined;
  } catch {
    return undefined; // an invalid selector matches nothing
  }
  let best: KubeObject | undefined;
  for (const v of volumes) {
    if (opts.excluded?.has(v.metadata.name!)) continue;
    if (volumeMode(v) !== volumeMode(c)) continue;
    const size = volumeCapacity(v);
    const fitsNode = !opts.node || volumeFitsNode(v, opts.node);
    if (v.spec?.claimRef) {
      if (!isVolumeBoundToClaim(v, c)) continue;
      // Pre-bound to this claim: it, if big enough and on the node.
      if (size < want) continue;
      return fitsNode ? v : undefined;
    }
    if (!opts.node && opts.delayBinding) continue;
    if (v.status?.phase !== 'Available' || v.metadata.deletionTimestamp) continue;
    if (selector && !selector.matches(v.metadata.labels)) continue;
    if (volumeClass(v) !== cls) continue;
    if (!fitsNode || !accessModesFit(v, c)) continue;
    if (size >= want && (!best || size < volumeCapacity(best))) best = v;
  }
  return best;
}

/** Why a pre-bound volume does not satisfy its claim (checkVolumeSatisfyClaim), or undefined. */
export function volumeMismatch(v: KubeObject, c: KubeObject): string | undefined {
  if (volumeCapacity(v) < claimRequest(c)) return 'requested PV is too small';
  if (volumeClass(v) !== claimClass(c)) return 'storageClassName does not match';
  if (volumeMode(v) !== volumeMode(c)) return 'incompatible volumeMode';
  if (!accessModesFit(v, c)) return 'incompatible accessMode';
  return undefined;
}

/** The claims a pod's volumes name (namespace/name). */
export function podClaims(pod: KubeObject): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const name = v?.persistentVolumeClaim?.claimName;
    if (typeof name === 'string' && name) out.push(`${pod.metadata.namespace}/${name}`);
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    else if (v?.ephemeral && v.name) out.push(`${pod.metadata.namespace}/${pod.metadata.name}-${v.name}`);
  }
  return out;
}
