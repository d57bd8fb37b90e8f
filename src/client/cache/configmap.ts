// One named ConfigMap's settings, fed by a cluster's shared informer on its
// namespace: what the last version seen parses to, `fresh()` for admission
// (waits for the first list, and reads the ConfigMap itself while the informer
// re-lists after a broken watch), and `onChange` when the settings change.
// Used by the clouds' per-cluster settings (clouds/tencent/eks-config.ts,
// clouds/alibaba/controller-config.ts).
import type { KubeObject } from '../../api/types.js';
import { refs } from '../types.js';
import type { Informer } from './informer.js';
import { InformerView, type SharedInformers } from './shared.js';

export interface WatchedConfigMapOptions<T> {
  namespace: string;
  name: string;
  /** The settings of the ConfigMap's data (undefined: no ConfigMap). */
  parse(data: Record<string, string> | undefined): T;
  /** Whether two settings are the same (no change to tell). */
  same(a: T, b: T): boolean;
  /** fresh() finding no ConfigMap while the informer re-lists takes the settings of none. */
  resetWhenAbsent?: boolean;
}

export class WatchedConfigMap<T> {
  private readonly informer: Informer;
  private readonly view: InformerView;
  /** The settings as last seen, and the resourceVersion they come from (0: no ConfigMap). */
  private current: T;
  private rv = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly informers: SharedInformers, private readonly o: WatchedConfigMapOptions<T>) {
    this.current = o.parse(undefined);
    this.informer = informers.informer(refs.configmaps, { namespace: o.namespace });
    this.view = new InformerView(this.informer, (cm) => cm.metadata.name === o.name);
    this.view.on({ add: (cm) => this.observe(cm), update: (_o, cm) => this.observe(cm), delete: (cm) => this.observe(cm, true) });
  }

  /** The settings as last seen. */
  value(): T {
    return this.current;
  }

  hasSynced(): Promise<void> {
    return this.view.hasSynced();
  }

  /** The freshest settings: waits for the informer's first list, and reads the ConfigMap while it re-lists. */
  async fresh(): Promise<T> {
    await this.view.hasSynced();
    if (!this.informer.watching) {
      const cm = await this.informers.client.tryGet(refs.configmaps, this.o.namespace, this.o.name);
      if (cm) this.observe(cm);
      else if (this.o.resetWhenAbsent && !this.informer.watching) this.set(this.o.parse(undefined), this.rv);
    }
    return this.current;
  }

  /** Calls `fn` whenever the settings change; returns the function that stops it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stops listening to the shared informer (which runs on for the cluster's other components). */
  close(): void {
    this.view.close();
    this.listeners.clear();
  }

  /** Takes a version of the ConfigMap unless a newer one was seen (a read-through and the watch may cross). */
  private observe(cm: KubeObject, deleted = false): void {
    const rv = Number(cm.metadata.resourceVersion) || 0;
    if (rv < this.rv) return;
    this.set(this.o.parse(deleted ? undefined : cm.data as Record<string, string> | undefined), rv);
  }

  private set(next: T, rv: number): void {
    this.rv = rv;
    if (this.o.same(next, this.current)) return;
    this.current = next;
    for (const fn of this.listeners) fn();
  }
}
