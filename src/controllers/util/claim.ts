// Adoption and release (ControllerRefManager): an owner claims the orphans its
// selector matches and lets go of the objects it controls that no longer match.
import type { KubeObject } from '../../api/types.js';
import type { Client, ResourceRef } from '../../client/types.js';
import type { LabelMatcher } from '../../api/selectors.js';
import type { Informer } from '../../client/cache/informer.js';
import { controllerOf, controllerRef } from './pods.js';
import { ignoreNotFound } from './context.js';

export interface ClaimArgs<T extends KubeObject> {
  client: Client;
  owner: KubeObject;
  selector: LabelMatcher;
  /** Informer indexed by 'controller' (see ControllerContext.byController). */
  informer: Informer<T>;
  ref: ResourceRef;
  /** Extra filter for adoption candidates (e.g. DaemonSet pods only). */
  canAdopt?: (o: T) => boolean;
}

/**
 * The objects `owner` controls after adoption and release. Adoption and
 * release are written to the API; the returned list reflects them already.
 */
export async function claim<T extends KubeObject>(a: ClaimArgs<T>): Promise<T[]> {
  const { owner, selector, informer } = a;
  const uid = owner.metadata.uid!;
  const ns = owner.metadata.namespace ?? '';
  const out: T[] = [];
  // Cached objects of one template share one frozen labels object: match each object once per claim.
  const matched = new Map<object, boolean>();
  const matches = (labels: Record<string, string> | undefined): boolean => {
    if (!labels) return selector.matches(labels);
    let m = matched.get(labels);
    if (m === undefined) matched.set(labels, (m = selector.matches(labels)));
    return m;
  };
  for (const o of informer.byIndex('controller', uid)) {
    if (matches(o.metadata.labels) || owner.metadata.deletionTimestamp) {
      out.push(o);
      continue;
    }
    // No longer selected: release it (drop our controller reference).
    const rest = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    await ignoreNotFound(a.client.patch(a.ref, o.metadata.namespace, o.metadata.name!, 'merge', { metadata: { ownerReferences: rest.length ? rest : null } }));
  }
  // An owner on its way out adopts nothing; an empty selector adopts nothing either (it would take everything).
  if (owner.metadata.deletionTimestamp || selector.empty) return out;
  for (const o of informer.byIndex('controller', `orphan/${ns}`)) {
    if (o.metadata.deletionTimestamp || !matches(o.metadata.labels) || (a.canAdopt && !a.canAdopt(o))) continue;
    if (controllerOf(o)) continue;
    const refs = [...(o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid), controllerRef(owner)];
    const adopted = await ignoreNotFound(a.client.patch<T>(a.ref, o.metadata.namespace, o.metadata.name!, 'merge', { metadata: { ownerReferences: refs } }));
    if (adopted && controllerOf(adopted)?.uid === uid) out.push(adopted);
  }
  return out;
}
