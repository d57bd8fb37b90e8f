// The TTL-after-finished controller on an in-process cluster with a FakeClock
// (src/controllers/ttlafterfinished.ts, docs/controllers-batch.md): a
// finished Job goes ttlSecondsAfterFinished after its condition's time, not a
// millisecond before, with Foreground propagation; a TTL raised meanwhile
// (seen only by the API, not yet by the cache) wins; running Jobs and Jobs
// without a TTL are never queued.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { TTLAfterFinishedController } from '../../src/controllers/ttlafterfinished.js';
import { inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: TTLAfterFinishedController | undefined;
let clock: FakeClock;
before(async () => { t = await inProcess(); });
after(() => { ctl?.stop(); t.close(); });

const ns = 'default';
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
/** A whole second, so the condition's time (whole seconds) is exact. */
const T0 = Math.floor(Date.now() / 1000) * 1000;

async function controller(): Promise<TTLAfterFinishedController> {
  ctl?.stop();
  clock = new FakeClock(T0);
  ctl = new TTLAfterFinishedController(t.client, { informers: t.informers, clock, log: () => {} });
  await ctl.start(0);
  return ctl;
}

/** A Job, finished at `finishedAt` when given (as the Job controller writes it). */
async function job(name: string, ttl: number | undefined, finishedAt?: number): Promise<KubeObject> {
  const j = await t.cluster.client.create(refs.jobs, {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: ns },
    spec: { ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  if (finishedAt === undefined) return j;
  const when = iso(finishedAt);
  return t.cluster.client.updateStatus(refs.jobs, {
    ...j, status: {
      startTime: when, completionTime: when, succeeded: 1,
      conditions: [{ type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: when }, { type: 'Complete', status: 'True', lastTransitionTime: when }],
    },
  });
}

const cachedAs = (o: KubeObject) => waitFor('cached', () => t.informers.informer(refs.jobs).get(ns, o.metadata.name!)?.metadata.resourceVersion === o.metadata.resourceVersion);
const exists = (name: string) => t.cluster.client.tryGet(refs.jobs, ns, name);

describe('TTLAfterFinishedController', () => {
  it('deletes a finished Job when its TTL is up, not before, in the foreground', async () => {
    await controller();
    const j = await job('done', 60, T0 - 10_000);
    await cachedAs(j);
    await ctl!.sync(`${ns}/done`);
    assert.ok(await exists('done'));
    assert.equal(ctl!.queue.readyAt(`${ns}/done`), T0 + 50_000, 'queued for the moment it expires');
    clock.step(50_000 - 1);
    assert.notEqual(ctl!.queue.readyAt(`${ns}/done`), undefined);
    clock.step(1);
    assert.equal(await ctl!.processNextWorkItem(), true);
    // Foreground: the Job stays, marked with the foregroundDeletion finalizer, until the GC (not run here) has removed its dependents.
    const gone = (await exists('done'))!;
    assert.ok(gone.metadata.deletionTimestamp, 'deleted');
    assert.deepEqual(gone.metadata.finalizers, ['foregroundDeletion']);
  });

  it('a TTL raised after the cache saw the Job: the API\'s copy wins', async () => {
    await controller();
    const j = await job('raised', 5, T0 - 10_000);
    await cachedAs(j);
    // The API has the new TTL; the cache is made to lag by asking sync before it catches up.
    await t.cluster.client.patch(refs.jobs, ns, 'raised', 'merge', { spec: { ttlSecondsAfterFinished: 3600 } });
    await ctl!.sync(`${ns}/raised`);
    assert.equal((await exists('raised'))?.metadata.deletionTimestamp, undefined);
  });

  it('never queues a running Job or one without a TTL; a TTL of 0 goes at once', async () => {
    await controller();
    const running = await job('running', 0);
    const forever = await job('forever', undefined, T0 - 3_600_000);
    const now = await job('now', 0, T0);
    await cachedAs(running);
    await cachedAs(forever);
    await cachedAs(now);
    await ctl!.sync(`${ns}/running`);
    await ctl!.sync(`${ns}/forever`);
    assert.equal(ctl!.queue.readyAt(`${ns}/running`), undefined);
    assert.equal(ctl!.queue.readyAt(`${ns}/forever`), undefined);
    await ctl!.sync(`${ns}/now`);
    assert.ok((await exists('now'))!.metadata.deletionTimestamp);
    assert.ok(await exists('running'));
    assert.ok(await exists('forever'));
  });
});
