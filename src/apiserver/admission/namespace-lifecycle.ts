// NamespaceLifecycle, as kube-apiserver's plugin of that name
// (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle): nothing is
// created in a namespace that does not exist or is being terminated, nothing is
// updated in one that does not exist, and the immortal namespaces (default,
// kube-system, kube-public) cannot be deleted.
// Kubernetes reads namespaces from an informer and falls back to storage;
// nodeless reads its store, which is as fast and never stale.
import type { Registry } from '../registry.js';
import type { StoredItem } from '../../store/types.js';
import { errors, qualifiedResource, StatusError } from '../status.js';
import type { MutationInterface } from './types.js';
import { handling } from './types.js';

/** kube-apiserver's immortal namespaces (--immortal-namespaces is not a flag: metav1.NamespaceDefault, NamespaceSystem, NamespacePublic). */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

export function namespaceLifecycle(registry: Registry): MutationInterface & { name: 'NamespaceLifecycle' } {
  const namespaces = registry.catalog.lookup('', 'v1', 'namespaces')!;
  /** The last namespace a create was checked against, decoded once per version (every create in it asks). */
  let last: { key: string; rv: number; terminating: boolean } | undefined;
  const terminating = (ns: StoredItem): boolean => {
    if (last?.rv !== ns.rv || last.key !== ns.key) last = { key: ns.key, rv: ns.rv, terminating: JSON.parse(ns.json).status?.phase === 'Terminating' };
    return last.terminating;
  };
  return {
    name: 'NamespaceLifecycle',
    handles: handling('CREATE', 'UPDATE', 'DELETE'),
    async admit(a) {
      const isNamespace = a.resource.group === '' && a.resource.resource === 'namespaces';
      if (a.operation === 'DELETE') {
        if (isNamespace && IMMORTAL_NAMESPACES.has(a.name)) throw errors.forbidden(a.resourceType, a.name, 'this namespace may not be deleted');
        return;
      }
      if (!a.namespace || isNamespace) return;
      // Access reviews are always answered: saying the namespace is missing would leak that it is (isAccessReview).
      if (a.resource.group === 'authorization.k8s.io' && a.resource.resource === 'localsubjectaccessreviews') return;
      const ns = await registry.store.get(registry.key(namespaces, undefined, a.namespace));
      // A create or an update in a namespace that is gone: 404 for the namespace.
      if (!ns) throw errors.notFound(namespaces, a.namespace);
      if (a.operation === 'CREATE' && terminating(ns)) {
        // admission.NewForbidden: named by the object's name (or its generateName), with the NamespaceTerminating cause.
        const name = a.name || a.object?.metadata.generateName || '';
        const rt = a.resourceType;
        throw new StatusError(403, 'Forbidden', `${qualifiedResource(rt)} "${name}" is forbidden: unable to create new content in namespace ${a.namespace} because it is being terminated`, {
          name, group: rt.group, kind: rt.plural,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    },
  };
}
