// The objects an admission plugin reads on every request (webhook
// configurations, admission policies and their bindings), kept in memory from
// the store's change feed as kube-apiserver keeps them in informers. The
// store hands a committed change to its watchers before the write's caller
// hears back, so a configuration applies to the very next request.
import type { KubeObject, ResourceType } from '../../api/types.js';
import type { Registry } from '../registry.js';

export class WatchedObjects {
  private readonly byName = new Map<string, KubeObject>();
  private sorted: KubeObject[] | undefined;
  private stop: (() => void) | undefined;
  /** Bumped on every change: what a plugin derives from the objects is rebuilt when it moves. */
  generation = 0;
  /** Told of every object listed at start and every change after (undefined for a deletion). */
  onChange: ((name: string, o: KubeObject | undefined) => void) | undefined;

  constructor(private readonly registry: Registry, private readonly rt: ResourceType) {}

  /** Lists what is stored, then follows every change after that list. */
  async start(): Promise<void> {
    const list = await this.registry.list(this.rt, undefined);
    for (const o of list.items) this.byName.set(o.metadata.name!, o);
    this.generation++;
    for (const o of list.items) this.onChange?.(o.metadata.name!, o);
    const prefix = this.registry.prefix(this.rt);
    const w = this.registry.store.watch(prefix, Number(list.resourceVersion), (c) => {
      const o = JSON.parse(c.json) as KubeObject;
      const name = o.metadata?.name;
      if (!name) return;
      if (c.type === 'DELETED') this.byName.delete(name);
      else this.byName.set(name, o);
      this.sorted = undefined;
      this.generation++;
      this.onChange?.(name, c.type === 'DELETED' ? undefined : o);
    });
    this.stop = () => w.stop();
  }

  close(): void {
    this.stop?.();
  }

  get(name: string): KubeObject | undefined {
    return this.byName.get(name);
  }

  /** Every object, sorted by name (the order kube-apiserver runs webhook configurations and policies in). */
  all(): KubeObject[] {
    this.sorted ??= [...this.byName.values()].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
    return this.sorted;
  }
}
