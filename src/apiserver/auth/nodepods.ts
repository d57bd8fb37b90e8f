// The Node authorizer's view of the pods (kube's graph populator: an informer of
// pods adding an edge from each pod to its node and to what it refers to): for
// each node and namespace, what each pod bound there refers to. Kept from the
// store's change feed, so a kubelet's read costs a lookup, not a list of the
// namespace's pods (every pod start asks twice: its token, kube-root-ca.crt).
// The store hands a change to its watchers before the write's caller hears
// back, so a pod bound to a node is in the index before its kubelet can see it.
import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../store/types.js';
import { podRefs, type PodRefs } from './node.js';

interface Entry {
  node: string;
  namespace: string;
  name: string;
}

export class NodePods {
  /** node → namespace → pod name → what it refers to. */
  private readonly byNode = new Map<string, Map<string, Map<string, PodRefs>>>();
  /** Store key → where the pod is in byNode (what a change or deletion must remove). */
  private readonly where = new Map<string, Entry>();
  private started: Promise<void> | undefined;
  private stop: (() => void) | undefined;

  /** `list`: the pods stored now and the revision of that list; `prefix`: the pods' keys in `store`. */
  constructor(private readonly store: Store, private readonly prefix: string, private readonly list: () => Promise<{ items: KubeObject[]; resourceVersion: string }>) {}

  async on(node: string, namespace: string): Promise<Iterable<PodRefs>> {
    await (this.started ??= this.follow());
    return this.byNode.get(node)?.get(namespace)?.values() ?? [];
  }

  close(): void {
    this.stop?.();
  }

  private async follow(): Promise<void> {
    const list = await this.list();
    for (const p of list.items) this.put(`${this.prefix}${p.metadata.namespace}/${p.metadata.name}`, p);
    const w = this.store.watch(this.prefix, Number(list.resourceVersion), (c) => {
      this.put(c.key, c.type === 'DELETED' ? undefined : (JSON.parse(c.json) as KubeObject));
    });
    this.stop = () => w.stop();
  }

  private put(key: string, pod: KubeObject | undefined): void {
    const was = this.where.get(key);
    if (was) {
      const ns = this.byNode.get(was.node)!;
      const pods = ns.get(was.namespace)!;
      pods.delete(was.name);
      if (pods.size === 0) ns.delete(was.namespace);
      if (ns.size === 0) this.byNode.delete(was.node);
      this.where.delete(key);
    }
    const node = pod?.spec?.nodeName;
    if (!pod || typeof node !== 'string' || !node) return;
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name!;
    let ns = this.byNode.get(node);
    if (!ns) this.byNode.set(node, (ns = new Map()));
    let pods = ns.get(namespace);
    if (!pods) ns.set(namespace, (pods = new Map()));
    pods.set(name, podRefs(pod));
    this.where.set(key, { node, namespace, name });
  }
}
