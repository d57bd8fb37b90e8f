// Issue 14: durations validation accepts must not make timers re-arm in a loop. setTimeout fires at
// once for delays past 2^31-1 ms, so a sync that re-arms for a far deadline (ttlSecondsAfterFinished,
// minReadySeconds, activeDeadlineSeconds near their maximum) looped thousands of times a second.
// The work queue is spied on: arms for far deadlines stay few while other work goes on.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { WorkQueue } from '../../src/client/workqueue/queue.js';
import { MAX_TIMER_MS, timerDelay, timerStats } from '../../src/util/timers.js';
import { startHarness, waitFor, deployment, type Harness } from './harness.js';

const DAY = 24 * 3600 * 1000;
let h: Harness;
let addAfter: ReturnType<typeof mock.method>;
before(async () => {
  addAfter = mock.method(WorkQueue.prototype, 'addAfter');
  h = await startHarness();
  h.fate = (p) => (p.metadata.labels?.['job-name']?.startsWith('hang') ? 'ready' : p.metadata.labels?.['job-name'] ? 'succeed' : 'ready');
});
after(async () => { await h.close(); mock.restoreAll(); });

/** addAfter calls for deadlines more than a day away (the ones that looped). */
const farArms = () => addAfter.mock.calls.filter((c) => (c.arguments[1] as number) > DAY).length;

const job = (name: string, spec: any = {}): KubeObject => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
});
const done = (j: KubeObject) => (j.status?.conditions ?? []).some((c: any) => c.type === 'Complete' && c.status === 'True');

test('timerDelay keeps delays within what setTimeout honours', () => {
  assert.equal(timerDelay(1500), 1500);
  assert.equal(timerDelay(-5), 0);
  assert.equal(timerDelay(NaN), 0);
  const before = timerStats.clamped;
  assert.equal(timerDelay(2 ** 31 * 1000), MAX_TIMER_MS);
  assert.equal(timerDelay(Infinity), MAX_TIMER_MS);
  assert.equal(timerStats.clamped, before + 2);
});

test('a work queue key added after a far delay comes back at the limit, not at once', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const q = new WorkQueue();
    const seen: string[] = [];
    q.run(async (k) => { seen.push(k); });
    q.addAfter('far', 1e15);
    q.addAfter('near', 10);
    mock.timers.tick(10);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['near']);
    mock.timers.tick(MAX_TIMER_MS - 11);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['near'], 'not before the limit');
    mock.timers.tick(1);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['near', 'far']);
    q.stop();
  } finally {
    mock.timers.reset();
  }
});

test('far ttlSecondsAfterFinished, activeDeadlineSeconds and minReadySeconds arm their timers a bounded number of times', async () => {
  const max32 = 2 ** 31 - 1;
  await h.client.create(refs.jobs, job('ttl-far', { ttlSecondsAfterFinished: max32 }));
  await h.client.create(refs.jobs, job('hang-deadline-far', { activeDeadlineSeconds: 1e15 }));
  await h.client.create(refs.deployments, { ...deployment('ready-far', 1), spec: { ...deployment('ready-far', 1).spec, minReadySeconds: max32 - 1, progressDeadlineSeconds: max32 } });
  await waitFor('ttl-far complete', async () => done(await h.client.get(refs.jobs, 'default', 'ttl-far')));
  await waitFor('hang-deadline-far running', async () => (await h.client.get(refs.jobs, 'default', 'hang-deadline-far')).status?.ready === 1);
  await waitFor('ready-far has its ready replica', async () => (await h.client.get(refs.deployments, 'default', 'ready-far')).status?.readyReplicas === 1);
  const settled = farArms();
  assert.ok(settled >= 3, `each far deadline was armed (${settled})`);
  // Other work goes through the same controllers meanwhile; a looping timer would re-arm thousands of times by the end of it.
  await h.client.create(refs.jobs, job('after', { completions: 3 }));
  await h.client.create(refs.deployments, deployment('after', 2));
  await waitFor('job after complete', async () => done(await h.client.get(refs.jobs, 'default', 'after')));
  await waitFor('deployment after available', async () => (await h.client.get(refs.deployments, 'default', 'after')).status?.availableReplicas === 2);
  const total = farArms();
  assert.ok(total <= settled + 10, `far timers armed ${total} times (${settled} when settled)`);
  // Each of those delays was cut to what setTimeout honours.
  assert.ok(timerStats.clamped >= 3);
  // The far-off Job is still there, not deleted early; the deadline one still runs.
  assert.ok(await h.client.tryGet(refs.jobs, 'default', 'ttl-far'));
  assert.equal((await h.client.get(refs.jobs, 'default', 'hang-deadline-far')).status?.failed ?? 0, 0);
});
