// The objects an admission plugin reads on every request (webhook
// configurations, admission policies and their bindings, LimitRanges,
// ResourceQuotas, PriorityClasses, StorageClasses), kept in memory from the
// store's change feed as kube-apiserver's plugins keep them in informers
// instead of reading the store per request. The store hands a committed change
// to its watchers before the write's caller hears back, so an object applies
// to the very next request.
import type { KubeObject, ResourceType } from '../../api/types.js';
import type { Registry } from '../registry.js';

const byName = (a: KubeObject, b: KubeObject) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0);

export class WatchedObjects {
  /** Namespace ('' for cluster-scoped objects), then name. */
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** Each namespace's objects sorted by name, made when first asked for after a change. */
  private readonly sorted = new Map<string, KubeObject[]>();
  private all_: KubeObject[] | undefined;
  private started: Promise<void> | undefined;
  private stop: (() => void) | undefined;
  private closed = false;
  /** Bumped on every change: what a plugin derives from the objects is rebuilt when it moves. */
  generation = 0;
  /** Told of every object listed at start and every change after (undefined for a deletion). */
  onChange: ((name: string, o: KubeObject | undefined, namespace: string) => void) | undefined;

  constructor(private readonly registry: Registry, private readonly rt: ResourceType) {}

  /** Lists what is stored, then follows every change after that list (once, however often asked). */
  start(): Promise<void> {
    this.started ??= this.follow();
    return this.started;
  }

  private async follow(): Promise<void> {
    const list = await this.registry.list(this.rt, undefined);
    if (this.closed) return;
    for (const o of list.items) this.put(o.metadata.namespace ?? '', o.metadata.name!, o);
    this.generation++;
    for (const o of list.items) this.onChange?.(o.metadata.name!, o, o.metadata.namespace ?? '');
    const prefix = this.registry.prefix(this.rt);
    const w = this.registry.store.watch(prefix, Number(list.resourceVersion), (c) => {
      const o = JSON.parse(c.json) as KubeObject;
      const name = o.metadata?.name;
      if (!name) return;
      const ns = o.metadata.namespace ?? '';
      this.put(ns, name, c.type === 'DELETED' ? undefined : o);
      this.generation++;
      this.onChange?.(name, c.type === 'DELETED' ? undefined : o, ns);
    });
    this.stop = () => w.stop();
  }

  private put(ns: string, name: string, o: KubeObject | undefined): void {
    let m = this.objects.get(ns);
    if (o) {
      if (!m) this.objects.set(ns, (m = new Map()));
      m.set(name, o);
    } else if (m) {
      m.delete(name);
      if (m.size === 0) this.objects.delete(ns);
    }
    this.sorted.delete(ns);
    this.all_ = undefined;
  }

  close(): void {
    this.closed = true;
    this.stop?.();
  }

  get(name: string, namespace = ''): KubeObject | undefined {
    return this.objects.get(namespace)?.get(name);
  }

  /** Every object, sorted by name (the order kube-apiserver runs webhook configurations and policies in). */
  all(): KubeObject[] {
    this.all_ ??= [...this.objects.values()].flatMap((m) => [...m.values()]).sort(byName);
    return this.all_;
  }

  /** A namespace's objects, sorted by name (the order a list of the namespace gives). */
  inNamespace(namespace: string): KubeObject[] {
    let s = this.sorted.get(namespace);
    if (!s) {
      s = [...(this.objects.get(namespace)?.values() ?? [])].sort(byName);
      this.sorted.set(namespace, s);
    }
    return s;
  }
}
