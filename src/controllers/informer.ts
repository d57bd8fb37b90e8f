// A shared informer: list + watch one resource through the Client, keep a
// local cache, and tell handlers about adds, updates and deletes. On a
// broken or expired watch it relists, as client-go's reflector does.
//
// One cluster runs one informer per resource (SharedInformers), however many
// controllers, schedulers and kubelets read it: 10k pods are held once, and
// each watch event is decoded once. Cached objects are frozen, so a component
// that edits one in place instead of copying it fails loudly in tests rather
// than corrupting what every other component sees.
import type { KubeObject } from '../api/types.js';
import type { Client, ResourceRef, WatchHandle } from '../client/types.js';

export interface InformerHandlers<T extends KubeObject> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export const keyOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);

export class Informer<T extends KubeObject = KubeObject> {
  private cache = new Map<string, T>();
  private handlers: InformerHandlers<T>[] = [];
  private handle?: WatchHandle;
  private stopped = false;
  private running = false;
  private synced!: Promise<void>;
  private resolveSynced!: () => void;
  private indexes = new Map<string, { fn: (o: T) => string[]; map: Map<string, Set<string>> }>();

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

  /** Adds a secondary index (e.g. pods by node name). */
  addIndex(name: string, fn: (o: T) => string[]): void {
    if (this.indexes.has(name)) return; // shared: the first component to ask defines it
    const map = new Map<string, Set<string>>();
    for (const [k, o] of this.cache) for (const v of fn(o)) (map.get(v) ?? map.set(v, new Set()).get(v)!).add(k);
    this.indexes.set(name, { fn, map });
  }

  byIndex(name: string, value: string): T[] {
    const idx = this.indexes.get(name);
    if (!idx) throw new Error(`no index ${name}`);
    return [...(idx.map.get(value) ?? [])].map((k) => this.cache.get(k)!).filter(Boolean);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
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

  private index(key: string, oldObj: T | undefined, newObj: T | undefined) {
    for (const { fn, map } of this.indexes.values()) {
      if (oldObj) for (const v of fn(oldObj)) map.get(v)?.delete(key);
      if (newObj) for (const v of fn(newObj)) (map.get(v) ?? map.set(v, new Set()).get(v)!).add(key);
    }
  }

  private call(fn: () => void) {
    try {
      fn();
    } catch (e) {
      console.error(`informer ${this.ref.resource} handler failed:`, e);
    }
  }

  private set(o: T) {
    const key = keyOf(o);
    const old = this.cache.get(key);
    if (old && old.metadata.resourceVersion === o.metadata.resourceVersion) return;
    deepFreeze(o);
    this.cache.set(key, o);
    this.index(key, old, o);
    for (const h of this.handlers) this.call(() => (old ? h.update?.(old, o) : h.add?.(o)));
  }

  private remove(o: T) {
    const key = keyOf(o);
    const old = this.cache.get(key);
    if (!old) return;
    this.cache.delete(key);
    this.index(key, old, undefined);
    deepFreeze(o);
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
        for (const [k, o] of [...this.cache]) if (!seen.has(k)) this.remove(o);
        this.resolveSynced();
        backoff = 100;
        let expired = false;
        this.handle = this.client.watch<T>(this.ref, { ...this.opts, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true }, (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') this.set(e.object);
          else if (e.type === 'DELETED') this.remove(e.object);
          else if (e.type === 'ERROR') {
            expired = true;
            this.handle?.stop();
          }
        });
        await this.handle.done;
        if (!expired && this.stopped) return;
      } catch (e) {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

/**
 * Short strings seen in cached objects, so that 10k pods of one Deployment
 * share one "IfNotPresent", one image name and one timestamp per second
 * instead of holding 10k copies each (a decoded object has its own strings).
 * Bounded: when full it starts afresh, which costs sharing, never correctness.
 */
const interned = new Map<string, string>();
const INTERN_MAX_LENGTH = 64;
const INTERN_MAX_ENTRIES = 200_000;
function intern(s: string): string {
  if (s.length > INTERN_MAX_LENGTH) return s;
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= INTERN_MAX_ENTRIES) interned.clear();
  interned.set(s, s);
  return s;
}

/** Interns the strings of an object graph and freezes it (informer objects are shared read-only). */
function deepFreeze(o: unknown): void {
  if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return;
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (typeof v === 'string') rec[k] = intern(v);
    else if (v !== null && typeof v === 'object') deepFreeze(v);
  }
  Object.freeze(o);
}
