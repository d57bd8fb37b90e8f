// Job: completions with parallelism, backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ jobBackoffBaseMs: 10 });
  // Pods of jobs named fail-* fail, hang-* run forever, the rest succeed.
  h.fate = (p) => {
    const job = p.metadata.labels?.['job-name'] ?? '';
    return job.startsWith('fail') ? 'fail' : job.startsWith('hang') ? 'ready' : p.metadata.labels?.['job-name'] ? 'succeed' : 'ready';
  };
});
after(async () => { await h.close(); });

function job(name: string, spec: any = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }, ...spec },
  };
}
const getJob = (name: string) => h.client.get(refs.jobs, 'default', name);
const condition = (j: KubeObject, type: string) => (j.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');

test('a job runs pods until completions succeed, then is Complete', async () => {
  const created = await h.client.create(refs.jobs, job('ok', { completions: 3, parallelism: 2 }));
  const j = await waitFor('complete', async () => { const j = await getJob('ok'); return condition(j, 'Complete') ? j : undefined; });
  assert.equal(j.status.succeeded, 3);
  assert.equal(j.status.active, undefined);
  assert.ok(j.status.startTime);
  assert.ok(j.status.completionTime);
  assert.equal(condition(j, 'Complete').reason, 'CompletionsReached');
  assert.equal(condition(j, 'SuccessCriteriaMet').message, 'Reached expected number of succeeded pods');
  const pods = await h.pods('default', 'job-name=ok');
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.equal(p.metadata.labels!['batch.kubernetes.io/job-name'], 'ok');
    assert.equal(p.metadata.labels!['controller-uid'], created.metadata.uid);
    assert.equal(p.metadata.ownerReferences![0].uid, created.metadata.uid);
    assert.ok(!(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking'), 'tracking finalizer removed');
  }
});

test('failing pods past backoffLimit fail the job with BackoffLimitExceeded', async () => {
  await h.client.create(refs.jobs, job('fail-a', { backoffLimit: 2 }));
  const j = await waitFor('failed', async () => { const j = await getJob('fail-a'); return condition(j, 'Failed') ? j : undefined; });
  const c = condition(j, 'Failed');
  assert.equal(c.reason, 'BackoffLimitExceeded');
  assert.equal(c.message, 'Job has reached the specified backoff limit');
  assert.equal(condition(j, 'FailureTarget').reason, 'BackoffLimitExceeded');
  assert.equal(j.status.failed, 3);
  assert.equal((await h.pods('default', 'job-name=fail-a')).length, 3, 'restartPolicy Never: one pod per failure');
});

test('activeDeadlineSeconds fails a running job and stops its pods', async () => {
  await h.client.create(refs.jobs, job('hang-a', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 }));
  const j = await waitFor('deadline', async () => { const j = await getJob('hang-a'); return condition(j, 'Failed') ? j : undefined; }, 10_000);
  assert.equal(condition(j, 'Failed').reason, 'DeadlineExceeded');
  assert.equal(condition(j, 'Failed').message, 'Job was active longer than specified deadline');
  await waitFor('pods stopped', async () => (await h.pods('default', 'job-name=hang-a')).length === 0);
});

test('ttlSecondsAfterFinished deletes the finished job and its pods', async () => {
  await h.client.create(refs.jobs, job('ttl', { ttlSecondsAfterFinished: 0 }));
  await waitFor('job gone', async () => !(await h.client.tryGet(refs.jobs, 'default', 'ttl')));
  await waitFor('pods gone', async () => (await h.pods('default', 'job-name=ttl')).length === 0);
});

test('Indexed jobs give each pod its completion index', async () => {
  await h.client.create(refs.jobs, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
  const j = await waitFor('complete', async () => { const j = await getJob('idx'); return condition(j, 'Complete') ? j : undefined; });
  assert.equal(j.status.completedIndexes, '0-2');
  const idx = (await h.pods('default', 'job-name=idx')).map((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index']).sort();
  assert.deepEqual(idx, ['0', '1', '2']);
});
