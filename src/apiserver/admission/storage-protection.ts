// Two of kube-apiserver's storage admission plugins (docs/storage.md):
// StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuse)
// puts kubernetes.io/pvc-protection on every new claim and kubernetes.io/pv-protection
// on every new volume, so that the protection controllers keep a claim a pod
// uses, and a bound volume, until they are free; PersistentVolumeClaimResize
// (plugin/pkg/admission/storage/persistentvolume/resize) refuses a bigger
// request unless the claim's class allows expansion.
import type { KubeObject } from '../../api/types.js';
import { quantity } from '../../api/resource.js';
import type { Registry } from '../registry.js';
import { errors } from '../status.js';
import type { MutationInterface, ValidationInterface } from './types.js';
import { handling } from './types.js';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export function storageObjectInUseProtection(): MutationInterface & { name: 'StorageObjectInUseProtection' } {
  return {
    name: 'StorageObjectInUseProtection',
    handles: handling('CREATE'),
    async admit(a) {
      if (a.subresource || a.resource.group !== '' || !a.object) return;
      const finalizer = a.resource.resource === 'persistentvolumeclaims' ? PVC_PROTECTION_FINALIZER : a.resource.resource === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : undefined;
      if (!finalizer) return;
      const list: unknown = a.object.metadata.finalizers;
      const current = Array.isArray(list) ? list : [];
      if (!current.includes(finalizer)) a.object.metadata.finalizers = [...current, finalizer];
    },
  };
}

const BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';
const claimClass = (c: KubeObject): string => {
  const a = c.metadata.annotations;
  return (a && Object.hasOwn(a, BETA_CLASS) ? a[BETA_CLASS] : undefined) ?? c.spec?.storageClassName ?? '';
};

export function persistentVolumeClaimResize(registry: Registry): ValidationInterface & { name: 'PersistentVolumeClaimResize' } {
  const classes = registry.catalog.lookup('storage.k8s.io', 'v1', 'storageclasses')!;
  return {
    name: 'PersistentVolumeClaimResize',
    handles: handling('UPDATE'),
    async validate(a) {
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'persistentvolumeclaims' || !a.object || !a.oldObject) return;
      const want = quantity(a.object.spec?.resources?.requests?.storage ?? 0);
      const had = quantity(a.oldObject.spec?.resources?.requests?.storage ?? 0);
      if (!(want > had)) return; // not an expansion
      const cls = claimClass(a.object);
      const sc = cls && cls === claimClass(a.oldObject) ? await registry.tryGet(classes, undefined, cls) : undefined;
      if (sc?.allowVolumeExpansion === true) return;
      throw errors.forbidden(a.resourceType, a.name, 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    },
  };
}
