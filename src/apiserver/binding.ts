// POST pods/NAME/binding and namespaces/NS/bindings (kube's BindingREST): place a pod on a
// node. Its own module so the generic store can offer it to the Binding strategy without
// depending on the subresource handlers.
import type { Catalog } from '../api/catalog.js';
import type { KubeObject, ResourceType } from '../api/types.js';
import type { Store } from '../store/types.js';
import { formatRFC3339 } from '../api/duration.js';
import { errors } from './status.js';

/** What binding needs of the generic store. */
export interface BindingStore {
  readonly catalog: Catalog;
  readonly store: Store;
  get(rt: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject>;
  key(rt: ResourceType, namespace: string | undefined, name: string): string;
  render(obj: KubeObject): (rv: number) => string;
}

/** Places a pod on a node, as POST pods/NAME/binding does; a dry run checks and stores nothing. */
export async function bindPod(reg: BindingStore, namespace: string, name: string, node: string, dryRun = false): Promise<void> {
  const pods = reg.catalog.lookup('', 'v1', 'pods')!;
  for (let i = 0; ; i++) {
    const pod = await reg.get(pods, namespace, name);
    if (pod.spec?.nodeName) throw errors.conflict(pods, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    if (pod.metadata.deletionTimestamp) throw errors.conflict(pods, name, 'pod is being deleted');
    pod.spec.nodeName = node;
    const now = formatRFC3339();
    const conds: any[] = (pod.status.conditions ??= []).filter((c: any) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
    pod.status.conditions = conds;
    if (dryRun) return;
    try {
      // A binding writes spec and status together, bypassing the spec-immutability of pod updates.
      await reg.store.update(reg.key(pods, namespace, name), reg.render(pod), Number(pod.metadata.resourceVersion));
      return;
    } catch (e) {
      if (i < 5 && (e as any).code === 'Conflict') continue;
      throw e;
    }
  }
}

