// What the controllers' unit tests build on: one cluster in process (memory
// store, the cloud model, the registry and its in-process client, as
// src/nodeless.ts assembles them, without the HTTPS server or any
// controller), a FakeClock, and a client whose calls can be made to fail.
import { MemoryStore } from '../../src/store/memory.js';
import { openCluster, type Cluster } from '../../src/cluster.js';
import { Cloud } from '../../src/cloud/cloud.js';
import type { Client } from '../../src/client/types.js';
import { ApiError } from '../../src/client/types.js';
import { SharedInformers } from '../../src/client/cache/shared.js';
import { FakeClock } from '../../src/util/clock.js';
import type { WorkQueue } from '../../src/client/workqueue/queue.js';
import assert from 'node:assert/strict';

export interface InProcess {
  store: MemoryStore;
  cloud: Cloud;
  cluster: Cluster;
  /** The cluster's client, failing the calls `failures` says to. */
  client: Client;
  informers: SharedInformers;
  /** Starts where the wall clock is: what the API server stamps and what the controllers compute agree. */
  clock: FakeClock;
  /** Calls to fail: method name (get, patch, updateStatus, createSubresource…) → how many more times (Infinity: until cleared). */
  failures: Map<string, number>;
  close(): void;
}

/** A 500 as the API server would send one. */
export const serverError = (method: string) => new ApiError(500, 'InternalError', `${method}: etcdserver: request timed out`);

export async function inProcess(opts: { superNodes?: boolean } = {}): Promise<InProcess> {
  const store = new MemoryStore();
  const cloud = await Cloud.open(store);
  await cloud.bootstrap({ superNodes: opts.superNodes ?? false });
  const cluster = await openCluster('default', store);
  await cloud.quotas.set('pods-per-cluster', 1_000_000, { cluster: 'default' });
  const failures = new Map<string, number>();
  const inner = cluster.client;
  const client = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        const left = failures.get(prop) ?? 0;
        if (left > 0 && prop !== 'watch') {
          failures.set(prop, left - 1);
          return Promise.reject(serverError(prop));
        }
        return v.apply(target, args);
      };
    },
  }) as Client;
  // Informers read through the cluster's own client: a failing write must not break the caches.
  const informers = new SharedInformers(inner);
  return {
    store, cloud, cluster, client, informers, failures, clock: new FakeClock(Date.now()),
    close() { informers.stop(); },
  };
}

/**
 * The back-off of a key that has just failed once: for each delay in turn, the
 * key must have failed that many times, wait exactly that long on the clock
 * (not queued a millisecond before), and then be processed again by `next`.
 * Ends after the last retry; the caller asserts what that one did.
 */
export async function assertBackoff(queue: WorkQueue, key: string, clock: FakeClock, delays: number[], next: () => Promise<unknown>): Promise<void> {
  for (const [i, delay] of delays.entries()) {
    assert.equal(queue.numRequeues(key), i + 1, `failures of ${key}`);
    assert.equal(queue.readyAt(key), clock.now() + delay, `failure ${i + 1}: the next try in ${delay} ms`);
    clock.step(delay - 1);
    assert.notEqual(queue.readyAt(key), undefined, `failure ${i + 1}: not tried before ${delay} ms`);
    clock.step(1);
    assert.equal(queue.readyAt(key), undefined);
    await next();
  }
}
