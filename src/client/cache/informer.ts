// A shared informer: list + watch one resource through the Client, keep a
// local cache, and tell handlers about adds, updates and deletes. On a
// broken or expired watch it relists, as client-go's reflector does.
//
// One cluster runs one informer per resource (SharedInformers), however many
// controllers, schedulers and kubelets read it: 10k pods are held once, and
// each watch event is decoded once. Cached objects are frozen and share their
// common parts (compact.ts), so a component that edits one in place instead of
// copying it fails loudly in tests rather than corrupting what every other
// component sees.
import type { KubeObject } from '../../api/types.js';
import type { Client, ResourceRef, WatchHandle } from '../types.js';
import { compact } from './compact.js';
import { logger } from '../../util/log.js';

const log = logger('informer');

export interface InformerHandlers<T extends KubeObject> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

/**
 * "namespace/name". Built with join(): a flat string. A template literal gives a
 * concatenation node, which a Map flattens in place when it hashes the key and
 * then holds both (80 bytes where 48 do), once per pod in every map keyed so.
 */
export const keyOf = (o: KubeObject): string => (o.metadata.namespace ? [o.metadata.namespace, o.metadata.name].join('/') : o.metadata.name!);

/**
 * The cache: namespace → name → object ('' holds cluster-scoped objects). Two
 * levels instead of one map keyed by "namespace/name": listing a namespace
 * needs no index, and the keys are the objects' own name strings, where a
 * joined key would be one more string per object (10k pods, 10k strings).
 */
class ObjectCache<T extends KubeObject> {
  private byNs = new Map<string, Map<string, T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.byNs.get(namespace ?? '')?.get(name);
  }

  set(o: T): void {
    const ns = o.metadata.namespace ?? '';
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    const before = m.size;
    m.set(o.metadata.name!, o);
    this.count += m.size - before;
  }

  delete(o: T): void {
    const ns = o.metadata.namespace ?? '';
    const m = this.byNs.get(ns);
    if (!m?.delete(o.metadata.name!)) return;
    this.count--;
    if (m.size === 0) this.byNs.delete(ns);
  }

  *values(namespace?: string): IterableIterator<T> {
    if (namespace !== undefined) {
      const m = this.byNs.get(namespace);
      if (m) yield* m.values();
      return;
    }
    for (const m of this.byNs.values()) yield* m.values();
  }
}

export class Informer<T extends KubeObject = KubeObject> {
  private cache = new ObjectCache<T>();
  private handlers: InformerHandlers<T>[] = [];
  private handle?: WatchHandle;
  private stopped = false;
  private running = false;
  private live = false;
  private synced!: Promise<void>;
  private resolveSynced!: () => void;
  /** Index name → value → the objects with that value (one object alone, not in a Set: a uid index has one per value). */
  private indexes = new Map<string, { fn: (o: T) => string[]; map: Map<string, T | Set<T>> }>();

  constructor(private client: Client, readonly ref: ResourceRef, private opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
  }

  /**
   * Adds handlers. Like client-go's AddEventHandler, a handler added to an
   * informer that already holds objects is told about each of them as an add.
   */
  on(h: InformerHandlers<T>): this {
    this.handlers.push(h);
    if (h.add) for (const o of [...this.cache.values()]) this.call(() => h.add!(o));
    return this;
  }

  /** Removes handlers added with on() (a component stopping while the shared informer runs on). */
  off(h: InformerHandlers<T>): void {
    this.handlers = this.handlers.filter((x) => x !== h);
  }

  get started(): boolean {
    return this.running;
  }

  /** Listed and watching: the cache has every change the watch has delivered (false while it lists or re-lists). */
  get watching(): boolean {
    return this.live;
  }

  /** Adds a secondary index (e.g. pods by node name). */
  addIndex(name: string, fn: (o: T) => string[]): void {
    if (this.indexes.has(name)) return; // shared: the first component to ask defines it
    const map = new Map<string, T | Set<T>>();
    for (const o of this.cache.values()) for (const v of fn(o)) bucketAdd(map, v, o);
    this.indexes.set(name, { fn, map });
  }

  byIndex(name: string, value: string): T[] {
    const idx = this.indexes.get(name);
    if (!idx) throw new Error(`no index ${name}`);
    const b = idx.map.get(value);
    return b === undefined ? [] : b instanceof Set ? [...b] : [b];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace || undefined, name);
  }

  /** All objects, or those of one namespace. */
  list(namespace?: string): T[] {
    return [...this.cache.values(namespace)];
  }

  get size(): number {
    return this.cache.size;
  }

  hasSynced(): Promise<void> {
    return this.synced;
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.handle?.stop();
  }

  private index(oldObj: T | undefined, newObj: T | undefined) {
    for (const { fn, map } of this.indexes.values()) {
      const was = oldObj ? fn(oldObj) : [];
      const is = newObj ? fn(newObj) : [];
      for (const v of was) bucketDelete(map, v, oldObj!);
      for (const v of is) bucketAdd(map, v, newObj!);
    }
  }

  private call(fn: () => void) {
    try {
      fn();
    } catch (e) {
      log.error({ err: e }, `informer ${this.ref.resource} handler failed`);
    }
  }

  private set(o: T) {
    const old = this.cache.get(o.metadata.namespace, o.metadata.name!);
    if (old && old.metadata.resourceVersion === o.metadata.resourceVersion) return;
    o = compact(o, old);
    this.cache.set(o);
    this.index(old, o);
    for (const h of this.handlers) this.call(() => (old ? h.update?.(old, o) : h.add?.(o)));
  }

  private remove(o: T) {
    const old = this.cache.get(o.metadata.namespace, o.metadata.name!);
    if (!old) return;
    this.cache.delete(old);
    this.index(old, undefined);
    o = compact(o, old);
    for (const h of this.handlers) this.call(() => h.delete?.(o));
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        const list = await this.client.list<T>(this.ref, this.opts);
        const seen = new Set<string>();
        for (const o of list.items) {
          seen.add(keyOf(o));
          this.set(o);
        }
        for (const o of [...this.cache.values()]) if (!seen.has(keyOf(o))) this.remove(o);
        this.resolveSynced();
        backoff = 100;
        let expired = false;
        this.handle = this.client.watch<T>(this.ref, { ...this.opts, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true }, (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') this.set(e.object);
          else if (e.type === 'DELETED') this.remove(e.object);
          else if (e.type === 'ERROR') {
            expired = true;
            this.live = false;
            this.handle?.stop();
          }
        });
        this.live = !expired;
        await this.handle.done;
        this.live = false;
        if (!expired && this.stopped) return;
      } catch (e) {
        if (this.stopped) return;
        // As client-go's reflector: a list that keeps failing is told (a 403 would otherwise leave a
        // controller waiting for its cache in silence), then retried after a back-off. The first few
        // (a second and a half) are not: a custom resource's informer may start before its CRD is served.
        if (backoff >= 800) log.error({ resource: this.ref.resource }, `failed to list ${this.ref.resource}: ${(e as Error)?.message ?? String(e)}`);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

function bucketAdd<T extends object>(map: Map<string, T | Set<T>>, value: string, o: T): void {
  const b = map.get(value);
  if (b === undefined) map.set(value, o);
  else if (b instanceof Set) b.add(o);
  else if (b !== o) map.set(value, new Set([b, o]));
}

function bucketDelete<T extends object>(map: Map<string, T | Set<T>>, value: string, o: T): void {
  const b = map.get(value);
  if (b === o) map.delete(value);
  else if (b instanceof Set) {
    b.delete(o);
    if (b.size === 1) map.set(value, b.values().next().value!);
  }
}
