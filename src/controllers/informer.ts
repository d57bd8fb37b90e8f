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

/**
 * One informer per resource (and selector) for a whole cluster, as client-go's
 * SharedInformerFactory: components ask for what they read, and handlers they
 * add are removed when they stop, while the informer runs on until the cluster
 * closes. Informers start as soon as they are asked for.
 */
export class SharedInformers {
  private informers = new Map<string, Informer<any>>();
  private stopped = false;

  constructor(readonly client: Client) {}

  informer<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}): Informer<T> {
    const k = `${ref.apiVersion}/${ref.resource}?${opts.namespace ?? ''}&${opts.labelSelector ?? ''}&${opts.fieldSelector ?? ''}`;
    let inf = this.informers.get(k);
    if (!inf) {
      inf = new Informer<T>(this.client, ref, opts);
      this.informers.set(k, inf);
      if (!this.stopped) inf.start();
    }
    return inf as Informer<T>;
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) inf.stop();
  }
}

/** What a component sees of a shared informer: only the objects `keep` accepts; its handlers go when it stops. */
export class InformerView<T extends KubeObject = KubeObject> {
  private added: InformerHandlers<T>[] = [];

  constructor(readonly inner: Informer<T>, private keep: (o: T) => boolean = () => true) {}

  /** Handlers see objects entering the view as adds and leaving it as deletes. */
  on(h: InformerHandlers<T>): this {
    const keep = this.keep;
    const wrapped: InformerHandlers<T> = {
      add: (o) => { if (keep(o)) h.add?.(o); },
      update: (a, b) => {
        const was = keep(a), is = keep(b);
        if (was && is) h.update?.(a, b);
        else if (is) h.add?.(b);
        else if (was) h.delete?.(a);
      },
      delete: (o) => { if (keep(o)) h.delete?.(o); },
    };
    this.added.push(wrapped);
    this.inner.on(wrapped);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const o = this.inner.get(namespace, name);
    return o && this.keep(o) ? o : undefined;
  }

  list(namespace?: string): T[] {
    return this.inner.list(namespace).filter(this.keep);
  }

  byIndex(name: string, value: string): T[] {
    return this.inner.byIndex(name, value).filter(this.keep);
  }

  hasSynced(): Promise<void> {
    return this.inner.hasSynced();
  }

  /** Removes this view's handlers; the shared informer runs on. */
  close(): void {
    for (const h of this.added) this.inner.off(h);
    this.added = [];
  }
}

/** A work queue of keys with de-duplication and delayed re-adds, processed one key at a time per worker. */
export class WorkQueue {
  private queue: string[] = [];
  private queued = new Set<string>();
  private processing = new Set<string>();
  private dirty = new Set<string>();
  private timers = new Map<string, NodeJS.Timeout>();
  private waiting: (() => void)[] = [];
  private stopped = false;
  /** Per key: not before this time again. A sync of a ReplicaSet of 10k pods walks them all, and every pod
   *  change asks for one; resting twice as long as the sync took keeps such a key to a third of the CPU, while
   *  a sync of a few pods (well under a millisecond) is not held back at all. */
  private restUntil = new Map<string, number>();
  private restTimers = new Map<string, NodeJS.Timeout>();
  private urgent = new Set<string>();

  /**
   * `restAfterSlowSync`: for controllers whose sync walks every object of a
   * workload (ReplicaSet, Deployment…). Off for controllers that wait on
   * purpose inside a sync (a modelled EIP bind), where the wait is not work.
   */
  constructor(private opts: { restAfterSlowSync?: boolean } = {}) {}

  /** Queues a key; `now` skips the rest after a slow sync (a controller continuing its own burst). */
  add(key: string, now = false): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      if (now) this.urgent.add(key);
      return;
    }
    // A key whose last run was expensive waits a little (see run()); cheap keys never do.
    const rest = now ? 0 : (this.restUntil.get(key) ?? 0) - Date.now();
    if (rest > 0) {
      if (!this.restTimers.has(key) && !this.queued.has(key)) {
        this.restTimers.set(key, setTimeout(() => {
          this.restTimers.delete(key);
          this.restUntil.delete(key);
          this.add(key);
        }, rest));
      }
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiting.shift()?.();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, Math.max(0, ms)));
  }

  /** Runs `worker` for keys until stop(); a failing key is retried with back-off. */
  run(worker: (key: string) => Promise<void>, concurrency = 1): void {
    const failures = new Map<string, number>();
    const loop = async () => {
      while (!this.stopped) {
        const key = this.queue.shift();
        if (key === undefined) {
          await new Promise<void>((r) => this.waiting.push(r));
          continue;
        }
        this.queued.delete(key);
        this.processing.add(key);
        try {
          const t0 = Date.now();
          await worker(key);
          const took = Date.now() - t0;
          if (this.opts.restAfterSlowSync && took >= 2) this.restUntil.set(key, Date.now() + 2 * took);
          else this.restUntil.delete(key);
          failures.delete(key);
        } catch (e) {
          const n = (failures.get(key) ?? 0) + 1;
          failures.set(key, n);
          if (n === 1 || n % 20 === 0) console.error(`controller: ${key}: ${(e as Error).message}`);
          this.addAfter(key, Math.min(5 * 2 ** Math.min(n, 10), 5000));
        } finally {
          this.processing.delete(key);
          if (this.dirty.delete(key)) this.add(key, this.urgent.delete(key));
        }
      }
    };
    for (let i = 0; i < concurrency; i++) void loop();
  }

  stop(): void {
    this.stopped = true;
    for (const t of [...this.timers.values(), ...this.restTimers.values()]) clearTimeout(t);
    for (const w of this.waiting) w();
  }
}
