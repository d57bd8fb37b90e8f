// The CronJob controller's sync(key) on an in-process cluster with a fake clock
// (src/controllers/cronjob.ts, docs/controllers-batch.md): each test makes its
// controller on a FakeClock set a few hours after the CronJob was created, then
// steps it from one scheduled time to the next; nothing waits for a minute.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { CronJobController, mostRecentScheduleTime, nextScheduleDelay, rfc1123z } from '../../src/controllers/cronjob.js';
import { parseSchedule } from '../../src/api/cron.js';
import { assertBackoff, inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: CronJobController | undefined;
let clock: FakeClock;

before(async () => { t = await inProcess(); });
after(() => { ctl?.stop(); t.close(); });

const HOUR = 3_600_000;
const MIN = 60_000;
/** A whole hour well after anything this test creates: the fake clock's start. */
const T0 = Math.floor(Date.now() / HOUR) * HOUR + 3 * HOUR;

/** A controller of its own on a fresh clock (the informers are the cluster's). */
async function controllerAt(ms: number): Promise<CronJobController> {
  ctl?.stop();
  clock = new FakeClock(ms);
  ctl = new CronJobController(t.client, { informers: t.informers, clock, log: () => {} });
  await ctl.start(0);
  return ctl;
}

function cronJob(name: string, spec: any = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { metadata: { labels: { team: 'a' }, annotations: { note: 'x' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

const cached = (ref: typeof refs.jobs, name: string) => t.informers.informer(ref).get('default', name);
const getCJ = (name: string) => t.cluster.client.get(refs.cronjobs, 'default', name);
const jobsOf = async (cj: string) => (await t.cluster.client.list(refs.jobs, { namespace: 'default' })).items
  .filter((j) => j.metadata.ownerReferences?.[0]?.name === cj).map((j) => j.metadata.name).sort();
const events = async (name: string, reason: string) =>
  (await t.cluster.client.list(refs.events, { namespace: 'default', fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items;
const event = (name: string, reason: string) => waitFor(`${reason} on ${name}`, async () => (await events(name, reason))[0]);

/** Creates the CronJob and waits until the controller's caches have it. */
async function create(cj: KubeObject): Promise<KubeObject> {
  const o = await t.cluster.client.create(refs.cronjobs, cj);
  await waitFor('cached', () => cached(refs.cronjobs, o.metadata.name!)?.metadata.resourceVersion === o.metadata.resourceVersion);
  return o;
}

/** Syncs `name` once its caches show the API's CronJob and Jobs (the in-process watch is a hop behind a write). */
async function sync(name: string): Promise<void> {
  const cj = await getCJ(name);
  await waitFor('cronjob cached', () => cached(refs.cronjobs, name)?.metadata.resourceVersion === cj.metadata.resourceVersion);
  const jobs = (await t.cluster.client.list(refs.jobs, { namespace: 'default' })).items;
  await waitFor('jobs cached', () => jobs.every((j) => cached(refs.jobs, j.metadata.name!)?.metadata.resourceVersion === j.metadata.resourceVersion)
    && t.informers.informer(refs.jobs).list('default').length === jobs.length);
  await ctl!.sync(`default/${name}`);
}

/** Finishes a Job as the Job controller would. */
async function finish(name: string, type: 'Complete' | 'Failed', atMs: number): Promise<void> {
  const j = await t.cluster.client.get(refs.jobs, 'default', name);
  const when = new Date(atMs).toISOString().replace(/\.\d+Z$/, 'Z');
  await t.cluster.client.updateStatus(refs.jobs, {
    ...j, status: {
      startTime: j.status?.startTime ?? when,
      ...(type === 'Complete' ? { completionTime: when, succeeded: 1 } : { failed: 1 }),
      conditions: [{ type: type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget', status: 'True', lastTransitionTime: when }, { type, status: 'True', lastTransitionTime: when }],
    },
  });
}

describe('CronJobController.sync', () => {
  it('creates the Job of the most recent scheduled time, named by its minute, and looks again at the next', async () => {
    await create(cronJob('every5'));
    await controllerAt(T0 + 20_000);
    await sync('every5');
    const name = `every5-${T0 / MIN}`;
    assert.deepEqual(await jobsOf('every5'), [name], 'only the most recent of the missed times runs');
    const job = await t.cluster.client.get(refs.jobs, 'default', name);
    assert.equal(job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(T0).toISOString().replace('.000Z', 'Z'));
    assert.equal(job.metadata.annotations!.note, 'x');
    assert.equal(job.metadata.labels!.team, 'a');
    const cj = await getCJ('every5');
    assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'every5', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(cj.status.active, [{ kind: 'Job', namespace: 'default', name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion }]);
    assert.equal(cj.status.lastScheduleTime, new Date(T0).toISOString().replace('.000Z', 'Z'));
    assert.equal((await event('every5', 'SuccessfulCreate')).message, `Created job ${name}`);
    assert.equal(ctl!.queue.readyAt('default/every5'), T0 + 5 * MIN + 100, 'the next time, and 100 ms');
    // A second sync with nothing new changes nothing.
    await sync('every5');
    assert.equal((await getCJ('every5')).metadata.resourceVersion, cj.metadata.resourceVersion);
    assert.deepEqual(await jobsOf('every5'), [name]);
  });

  it('Allow runs the next Job beside a running one; finished ones leave active, set lastSuccessfulTime, and the history keeps the last N', async () => {
    await create(cronJob('allow', { successfulJobsHistoryLimit: 1 }));
    await controllerAt(T0);
    await sync('allow');
    clock.step(5 * MIN + 100);
    assert.equal(ctl!.queue.len > 0, true, 'queued at its time');
    await sync('allow');
    const [first, second] = [`allow-${T0 / MIN}`, `allow-${T0 / MIN + 5}`];
    assert.deepEqual(await jobsOf('allow'), [first, second]);
    assert.equal((await getCJ('allow')).status.active.length, 2);
    await finish(first, 'Complete', T0 + 6 * MIN);
    await sync('allow');
    let cj = await getCJ('allow');
    assert.deepEqual(cj.status.active.map((r: any) => r.name), [second]);
    assert.equal(cj.status.lastSuccessfulTime, new Date(T0 + 6 * MIN).toISOString().replace('.000Z', 'Z'));
    assert.equal((await event('allow', 'SawCompletedJob')).message, `Saw completed job: ${first}, condition: Complete`);
    await finish(second, 'Complete', T0 + 7 * MIN);
    await sync('allow');
    // Two succeeded, the limit is 1: the older goes.
    await sync('allow');
    assert.deepEqual(await jobsOf('allow'), [second]);
    assert.equal((await event('allow', 'SuccessfulDelete')).message, `Deleted job ${first}`);
    cj = await getCJ('allow');
    assert.equal(cj.status.active, undefined);
    assert.equal(cj.status.lastSuccessfulTime, new Date(T0 + 7 * MIN).toISOString().replace('.000Z', 'Z'));
  });

  it('Forbid skips a time while a Job runs (JobAlreadyActive), and starts it late once the Job is done', async () => {
    await create(cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    await controllerAt(T0);
    await sync('forbid');
    clock.step(5 * MIN + 100);
    await sync('forbid');
    assert.deepEqual(await jobsOf('forbid'), [`forbid-${T0 / MIN}`]);
    assert.equal((await event('forbid', 'JobAlreadyActive')).message, 'Not starting job because prior execution is running and concurrency policy is Forbid');
    assert.equal(ctl!.queue.readyAt('default/forbid'), T0 + 10 * MIN + 100);
    clock.step(MIN);
    await finish(`forbid-${T0 / MIN}`, 'Failed', clock.now());
    await sync('forbid');
    assert.deepEqual(await jobsOf('forbid'), [`forbid-${T0 / MIN}`, `forbid-${T0 / MIN + 5}`], 'the skipped time runs now');
    assert.equal((await getCJ('forbid')).status.lastSuccessfulTime, undefined, 'a failed Job is no success');
  });

  it('Replace deletes the running Job and starts the new one', async () => {
    await create(cronJob('replace', { concurrencyPolicy: 'Replace' }));
    await controllerAt(T0);
    await sync('replace');
    clock.step(5 * MIN + 100);
    await sync('replace');
    assert.deepEqual(await jobsOf('replace'), [`replace-${T0 / MIN + 5}`]);
    assert.equal((await event('replace', 'SuccessfulDelete')).message, `Deleted job replace-${T0 / MIN}`);
    assert.deepEqual((await getCJ('replace')).status.active.map((r: any) => r.name), [`replace-${T0 / MIN + 5}`]);
  });

  it('a suspended CronJob starts nothing and is not queued again until it changes', async () => {
    await create(cronJob('paused', { suspend: true }));
    await controllerAt(T0);
    await sync('paused');
    assert.deepEqual(await jobsOf('paused'), []);
    assert.equal(ctl!.queue.readyAt('default/paused'), undefined);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is not started late', async () => {
    await create(cronJob('deadline', { schedule: '0 * * * *', startingDeadlineSeconds: 30 }));
    await controllerAt(T0 + 45_000);
    await sync('deadline');
    assert.deepEqual(await jobsOf('deadline'), []);
    assert.equal(ctl!.queue.readyAt('default/deadline'), T0 + HOUR + 100);
    clock.step(HOUR - 45_000 + 100 + 20_000);
    await sync('deadline');
    assert.deepEqual(await jobsOf('deadline'), [`deadline-${(T0 + HOUR) / MIN}`], 'within the deadline it starts');
  });

  it('more than 100 missed times: TooManyMissedTimes, and only the most recent runs', async () => {
    await create(cronJob('many', { schedule: '* * * * *' }));
    await controllerAt(T0);
    await sync('many');
    assert.equal((await event('many', 'TooManyMissedTimes')).message, 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    assert.equal((await event('many', 'TooManyMissedTimes')).type, 'Warning');
    assert.deepEqual(await jobsOf('many'), [`many-${T0 / MIN}`]);
  });

  it('timeZone: the schedule is read in the zone, the annotation carries its offset', async () => {
    await create(cronJob('paris', { schedule: '0 9 * * *', timeZone: 'Europe/Paris' }));
    const day = Math.floor(T0 / (24 * HOUR)) * 24 * HOUR + 2 * 24 * HOUR;
    const paris9 = parseSchedule('0 9 * * *', 'Europe/Paris').next(day);
    await controllerAt(paris9 + 1000);
    await sync('paris');
    const name = `paris-${paris9 / MIN}`;
    assert.deepEqual(await jobsOf('paris'), [name]);
    const stamp = (await t.cluster.client.get(refs.jobs, 'default', name)).metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'];
    assert.match(stamp, /T09:00:00\+0[12]:00$/);
    assert.equal(Date.parse(stamp), paris9);
  });

  it('a Job it did not make is an UnexpectedJob; an active Job that vanished is a MissingJob', async () => {
    const cj = await create(cronJob('odd', { schedule: '0 0 1 1 *' }));
    await controllerAt(T0);
    await t.cluster.client.create(refs.jobs, {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name: 'odd-manual', namespace: 'default', annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'odd', uid: cj.metadata.uid!, controller: true }] },
      spec: cj.spec.jobTemplate.spec,
    });
    await sync('odd');
    assert.equal((await event('odd', 'UnexpectedJob')).message, 'Saw a job that the controller did not create or forgot: odd-manual');
    const fresh = await getCJ('odd');
    await t.cluster.client.updateStatus(refs.cronjobs, { ...fresh, status: { active: [{ kind: 'Job', namespace: 'default', name: 'gone', uid: 'not-a-job', apiVersion: 'batch/v1' }] } });
    await sync('odd');
    assert.equal((await event('odd', 'MissingJob')).message, 'Active job went missing: gone');
    assert.equal((await getCJ('odd')).status.active, undefined);
  });

  it('a schedule that never comes is an InvalidSchedule, not a crash', async () => {
    await create(cronJob('never', { schedule: '0 0 30 2 *' }));
    await controllerAt(T0);
    await sync('never');
    assert.equal((await event('never', 'InvalidSchedule')).message, 'invalid schedule: 0 0 30 2 * : time difference between two schedules is less than 1 second');
    assert.deepEqual(await jobsOf('never'), []);
  });

  it('a refused create is a FailedCreate event and a retry with back-off', async () => {
    // The earlier tests' CronJobs go first: the queue must hold this one's key alone.
    for (const o of (await t.cluster.client.list(refs.cronjobs, { namespace: 'default' })).items) await t.cluster.client.delete(refs.cronjobs, 'default', o.metadata.name!);
    await waitFor('cache empty', () => t.informers.informer(refs.cronjobs).list('default').length === 0);
    await create(cronJob('flaky', { schedule: '0 * * * *' }));
    await controllerAt(T0);
    t.failures.set('create', 1);
    await assert.rejects(sync('flaky'));
    assert.match((await event('flaky', 'FailedCreate')).message, /^Error creating job: create: etcdserver: request timed out$/);
    // Through the queue now (the same event again is a patch of its count, not a create):
    // the failures count, and the key comes back after 5 ms, then 10 ms.
    t.failures.set('create', 2);
    ctl!.queue.add('default/flaky');
    await ctl!.processNextWorkItem();
    await assertBackoff(ctl!.queue, 'default/flaky', clock, [5, 10], () => ctl!.processNextWorkItem());
    assert.deepEqual(await jobsOf('flaky'), [`flaky-${T0 / MIN}`]);
  });
});

describe('the schedule arithmetic of cronjob/utils.go', () => {
  const cj = (created: string, extra: any = {}) => ({ metadata: { name: 'x', creationTimestamp: created }, spec: { startingDeadlineSeconds: extra.sds }, status: extra.last ? { lastScheduleTime: extra.last } : {} }) as KubeObject;
  const every = parseSchedule('*/10 * * * *');
  it('mostRecentScheduleTime: none yet, one, a few, many', () => {
    const c = cj('2025-01-01T00:01:00Z');
    assert.deepEqual(mostRecentScheduleTime(c, Date.parse('2025-01-01T00:05:00Z'), every, false), { earliest: Date.parse('2025-01-01T00:01:00Z'), missed: 'none' });
    assert.equal(mostRecentScheduleTime(c, Date.parse('2025-01-01T00:15:00Z'), every, false).mostRecent, Date.parse('2025-01-01T00:10:00Z'));
    const few = mostRecentScheduleTime(c, Date.parse('2025-01-01T01:05:00Z'), every, false);
    assert.deepEqual([few.mostRecent, few.missed], [Date.parse('2025-01-01T01:00:00Z'), 'few']);
    const many = mostRecentScheduleTime(c, Date.parse('2025-01-02T00:00:00Z'), every, false);
    assert.deepEqual([many.mostRecent, many.missed], [Date.parse('2025-01-02T00:00:00Z'), 'many']);
    // The deadline moves the start up to now − 60 s: the 00:00 time is older than that, so nothing is due.
    const clamped = mostRecentScheduleTime(cj('2025-01-01T00:01:00Z', { sds: 60 }), Date.parse('2025-01-02T00:07:00Z'), every, true);
    assert.deepEqual([clamped.mostRecent, clamped.missed], [undefined, 'none'], 'nothing within the deadline');
    const within = mostRecentScheduleTime(cj('2025-01-01T00:01:00Z', { sds: 300 }), Date.parse('2025-01-02T00:03:00Z'), every, true);
    assert.deepEqual([within.mostRecent, within.missed], [Date.parse('2025-01-02T00:00:00Z'), 'none'], 'the 00:00 time, 3 minutes ago, is within 5');
  });
  it('nextScheduleTimeDuration: from the last time, or from now once some were missed, plus 100 ms', () => {
    const c = cj('2025-01-01T00:01:00Z', { last: '2025-01-01T00:10:00Z' });
    assert.equal(nextScheduleDelay(c, Date.parse('2025-01-01T00:12:00Z'), every), 8 * MIN + 100);
    assert.equal(nextScheduleDelay(c, Date.parse('2025-01-01T00:33:00Z'), every), 7 * MIN + 100);
  });
  it('MissSchedule prints the time as Go\'s RFC1123Z in UTC', () => {
    assert.equal(rfc1123z(Date.parse('2025-01-05T09:03:07Z')), 'Sun, 05 Jan 2025 09:03:07 +0000');
  });
});
