// CronJobs as a user meets them, through the real kubectl against nodeless'
// HTTPS API (docs/controllers-batch.md): `kubectl create cronjob`, the
// apiserver's refusals of a bad schedule or time zone, a scheduled Job that
// runs to completion, `kubectl create job --from=cronjob/x`. The workload
// controllers run on a FakeClock, so "the next minute" is one clock.step.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { kc as kcOf, kubectl as kubectlOf, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
let clock: FakeClock;
const MIN = 60_000;
/** Generous: CI runs this on a busy 2-core machine. */
const LONG = 90_000;

before(async () => {
  clock = new FakeClock(Date.now());
  h = await startHarness({ clock });
  // Pods of Jobs succeed; anything else just runs.
  h.fate = (p) => (p.metadata.labels?.['job-name'] ? 'succeed' : 'ready');
});
after(async () => { await h.close(); });

const kc = (args: string[], input?: string) => kcOf(h, args, input);
const kubectl = (args: string[], input?: string) => kubectlOf(h, args, input);
const events = async (name: string, reason: string) =>
  (await h.client.list(refs.events, { namespace: 'default', fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items;

test('kubectl create cronjob: the scheduled Job runs at its minute, the CronJob records it, describe shows the events', async () => {
  assert.equal((await kc(['create', 'cronjob', 'hello', '--image=busybox', '--schedule=*/1 * * * *', '--', 'echo', 'hi'])).trim(), 'cronjob.batch/hello created');
  const cj = await h.client.get(refs.cronjobs, 'default', 'hello');
  // The next whole minute after its creation is its first time: move the controllers' clock just past it.
  const first = (Math.floor(Date.parse(cj.metadata.creationTimestamp!) / MIN) + 1) * MIN;
  clock.step(Math.max(0, first + 1000 - clock.now()));
  const job = `hello-${first / MIN}`;
  await waitFor('the scheduled job', () => h.client.tryGet(refs.jobs, 'default', job), LONG);
  await kc(['wait', '--for=condition=complete', `job/${job}`, '--timeout=90s']);
  const done = await waitFor('lastSuccessfulTime', async () => {
    const o = await h.client.get(refs.cronjobs, 'default', 'hello');
    return o.status?.lastSuccessfulTime && !o.status?.active ? o : undefined;
  }, LONG);
  assert.equal(done.status.lastScheduleTime, new Date(first).toISOString().replace('.000Z', 'Z'));
  assert.equal(await kc(['get', 'job', job, '-o', 'jsonpath={.metadata.annotations.batch\\.kubernetes\\.io/cronjob-scheduled-timestamp}']), new Date(first).toISOString().replace('.000Z', 'Z'));
  assert.equal(await kc(['get', 'job', job, '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}']), 'CronJob/hello');
  await waitFor('SawCompletedJob', async () => (await events('hello', 'SawCompletedJob')).length > 0, LONG);
  const describe = await kc(['describe', 'cronjob', 'hello']);
  assert.match(describe, new RegExp(`SuccessfulCreate\\s+\\S+\\s+cronjob-controller\\s+Created job ${job}`));
  assert.match(describe, new RegExp(`SawCompletedJob\\s+\\S+\\s+cronjob-controller\\s+Saw completed job: ${job}, condition: Complete`));
  // The Job's own pods are the Job controller's, named as kube-controller-manager names it.
  assert.match(await kc(['describe', 'job', job]), new RegExp(`SuccessfulCreate\\s+\\S+\\s+job-controller\\s+Created pod: ${job}-[a-z0-9]{5}`));
  const row = (await kc(['get', 'cronjob', 'hello', '--no-headers'])).trim().split(/\s+/);
  assert.deepEqual(row.slice(0, 5), ['hello', '*/1', '*', '*', '*'], 'schedule column');
});

test('kubectl create job --from=cronjob/x runs the template now, owned by the CronJob', async () => {
  await kc(['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=@daily', '--', 'true']);
  assert.equal((await kc(['create', 'job', 'nightly-now', '--from=cronjob/nightly'])).trim(), 'job.batch/nightly-now created');
  const j = await h.client.get(refs.jobs, 'default', 'nightly-now');
  assert.equal(j.metadata.annotations!['cronjob.kubernetes.io/instantiate'], 'manual');
  assert.equal(j.metadata.ownerReferences![0].name, 'nightly');
  await kc(['wait', '--for=condition=complete', 'job/nightly-now', '--timeout=90s']);
  // A Job the controller did not schedule: kube-controller-manager says so, and counts its success all the same.
  const ev = await waitFor('UnexpectedJob', async () => (await events('nightly', 'UnexpectedJob'))[0], LONG);
  assert.equal(ev.message, 'Saw a job that the controller did not create or forgot: nightly-now');
  await waitFor('lastSuccessfulTime', async () => (await h.client.get(refs.cronjobs, 'default', 'nightly')).status?.lastSuccessfulTime, LONG);
});

test('the apiserver refuses a bad schedule and an unknown time zone with kube-apiserver\'s words', async () => {
  const bad = await kubectl(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^error: failed to create cronjob: CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61$/m);
  const tz = await kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'mars', namespace: 'default' },
    spec: { schedule: '0 9 * * *', timeZone: 'Mars/Olympus', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
  }));
  assert.notEqual(tz.code, 0);
  assert.match(tz.stderr, /The CronJob "mars" is invalid: spec.timeZone: Invalid value: "Mars\/Olympus": unknown time zone Mars\/Olympus/);
});
