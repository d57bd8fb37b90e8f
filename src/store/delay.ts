// The store's fault injection point (docs/faults.md, store-slow): a Store
// whose writes wait before they commit while a delay is set, as writes do on a
// struggling etcd (a slow disk's fsync, a lost leader). The API server's
// etcd_request_duration_seconds times the wait (it wraps this store), so the
// slowness shows where an operator would look for it.
import type { Store } from './types.js';
import { timerDelay } from '../util/timers.js';

const WRITES = new Set(['create', 'update', 'delete']);

/**
 * Writes of nodeless's own group (`/CLUSTER/nodeless.dev/…`: the Fault objects) are not delayed, as
 * apiserver-errors exempts that group: otherwise `store-slow delay=2562047h` would hold the fault's own
 * status (never Active) and the write that clears it (its finalizer), and nothing could end it.
 */
const exempt = (key: unknown) => typeof key === 'string' && key.split('/', 3)[2] === 'nodeless.dev';

export class DelayedStore {
  /** The store to hand out: `inner` with writes delayed while delays are set. */
  readonly store: Store;
  private readonly delays = new Map<string, number>();

  constructor(inner: Store) {
    // Methods bound once: the store is on every request's path.
    const methods = new Map<PropertyKey, unknown>();
    this.store = new Proxy(inner, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        let m = methods.get(prop);
        if (m === undefined) {
          m = typeof prop === 'string' && WRITES.has(prop)
            ? (...args: unknown[]) => {
              const write = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              // No fault: the write as it was, called now (no extra turn of the event loop), the key not even looked at.
              if (!this.delays.size) return write();
              const ms = exempt(args[0]) ? 0 : this.delayMs;
              return ms > 0 ? this.hold(ms).then(write) : write();
            }
            : value.bind(target);
          methods.set(prop, m);
        }
        return m;
      },
    });
  }

  /** Sets (or replaces) the delay of fault `id`; the longest delay set applies. */
  set(id: string, ms: number): void {
    this.delays.set(id, ms);
  }

  delete(id: string): boolean {
    const had = this.delays.delete(id);
    // The last delay cleared: writes still waiting commit now (a store-slow of hours must not outlive its fault).
    if (!this.delays.size) for (const release of [...this.waiting]) release();
    return had;
  }

  private readonly waiting = new Set<() => void>();

  /** Waits `ms`, or until no delay is set any more. */
  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => { clearTimeout(t); this.waiting.delete(release); resolve(); };
      const t = setTimeout(release, timerDelay(ms));
      t.unref();
      this.waiting.add(release);
    });
  }

  get delayMs(): number {
    return this.delays.size ? Math.max(...this.delays.values()) : 0;
  }
}
