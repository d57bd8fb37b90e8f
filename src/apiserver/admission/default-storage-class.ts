// DefaultStorageClass, as kube-apiserver's plugin of that name
// (plugin/pkg/admission/storage/storageclass/setdefault/admission.go): a new
// claim that names no class (neither spec.storageClassName nor the beta
// annotation) gets the default StorageClass, the one annotated
// storageclass.kubernetes.io/is-default-class "true" (or the beta annotation);
// with several, the newest (then by name: util.GetDefaultClass). docs/admission.md.
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../registry.js';
import type { MutationInterface } from './types.js';
import { WatchedObjects } from './watched.js';
import { handling } from './types.js';

export const IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const BETA_IS_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_CLAIM_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** IsDefaultAnnotation: either annotation, exactly "true". */
export const isDefaultClass = (sc: KubeObject): boolean =>
  sc.metadata.annotations?.[IS_DEFAULT_CLASS] === 'true' || sc.metadata.annotations?.[BETA_IS_DEFAULT_CLASS] === 'true';

export function defaultStorageClass(registry: Registry): MutationInterface & { name: 'DefaultStorageClass'; start(): Promise<void>; close(): void } {
  // The StorageClasses as the plugin's lister has them (kube's reads an informer), not a store list per claim.
  const classes = new WatchedObjects(registry, registry.catalog.lookup('storage.k8s.io', 'v1', 'storageclasses')!);
  return {
    name: 'DefaultStorageClass',
    start: () => classes.start(),
    close: () => classes.close(),
    handles: handling('CREATE'),
    async admit(a) {
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'persistentvolumeclaims' || !a.object) return;
      const pvc = a.object;
      // PersistentVolumeClaimHasClass: a class named, even "" (which asks for no class), is kept.
      if (pvc.spec?.storageClassName !== undefined && pvc.spec?.storageClassName !== null) return;
      if (pvc.metadata.annotations && Object.hasOwn(pvc.metadata.annotations, BETA_CLAIM_CLASS)) return;
      await classes.start();
      const defaults = classes.all().filter(isDefaultClass);
      if (defaults.length === 0) return;
      defaults.sort((x, y) => {
        const t = Date.parse(y.metadata.creationTimestamp ?? '') - Date.parse(x.metadata.creationTimestamp ?? '');
        return t || (x.metadata.name! < y.metadata.name! ? -1 : x.metadata.name! > y.metadata.name! ? 1 : 0);
      });
      pvc.spec ??= {};
      pvc.spec.storageClassName = defaults[0].metadata.name;
    },
  };
}
