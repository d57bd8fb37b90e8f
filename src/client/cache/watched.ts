// One named object's settings, fed by a cluster's shared informer on its namespace: what the last
// version seen parses to, and `onChange` when the settings change. WatchedConfigMap (configmap.ts) and
// the AWS clouds' AwsNodeConfig (the aws-node DaemonSet's environment) are built on it.
import type { KubeObject } from '../../api/types.js';
import type { ResourceRef } from '../types.js';
import type { Informer } from './informer.js';
import { InformerView, type SharedInformers } from './shared.js';

export interface WatchedObjectOptions<T> {
  ref: ResourceRef;
  namespace: string;
  name: string;
  /** The settings of a version of the object (undefined: no object). */
  parse(obj: KubeObject | undefined): T;
  /** Whether two settings are the same (no change to tell). */
  same(a: T, b: T): boolean;
  /** The settings before any version is seen (default: parse(undefined)). */
  initial?: T;
}

export class WatchedObject<T> {
  protected readonly informer: Informer;
  private readonly view: InformerView;
  /** The settings as last seen, and the resourceVersion they come from (0: no object yet). */
  private current: T;
  protected rv = 0;
  private readonly listeners = new Set<() => void>();

  // Subclasses: the informer replays its cache into observe() within this constructor, before a
  // subclass's own fields are set; keep what observe() needs here (rv), not in subclass fields.
  constructor(protected readonly informers: SharedInformers, private readonly wo: WatchedObjectOptions<T>) {
    this.current = 'initial' in wo ? wo.initial as T : wo.parse(undefined);
    this.informer = informers.informer(wo.ref, { namespace: wo.namespace });
    this.view = new InformerView(this.informer, (o) => o.metadata.name === wo.name);
    this.view.on({ add: (o) => this.observe(o), update: (_o, o) => this.observe(o), delete: (o) => this.observe(o, true) });
  }

  /** The settings as last seen. */
  value(): T {
    return this.current;
  }

  hasSynced(): Promise<void> {
    return this.view.hasSynced();
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

  /** Takes a version of the object (deleted: its last version, leaving none). */
  protected observe(obj: KubeObject, deleted = false): void {
    this.set(this.wo.parse(deleted ? undefined : obj), Number(obj.metadata.resourceVersion) || 0);
  }

  /** Takes settings from that resourceVersion, telling the listeners if they changed. */
  protected set(next: T, rv: number): void {
    this.rv = rv;
    if (this.wo.same(next, this.current)) return;
    this.current = next;
    for (const fn of this.listeners) fn();
  }
}
