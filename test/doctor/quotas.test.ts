// `nodeless doctor`'s quota check (docs/doctor.md, docs/tencent/quotas.md) against a nodeless that
// runs pods: one running pod holds one of the cluster's pods and one instance of the default
// security group; quotas lowered to that usage are critical (exit 1), the defaults are fine.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessOk, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n, 120_000);
  kc(n, ['run', 'web', '--image=nginx:1.25']);
  // The pod's ENI (its IP) is what both quotas count.
  await waitFor('the pod ENI', () => JSON.parse(kc(n, ['get', 'pod', 'web', '-o', 'json'])).status?.podIP, 120_000);
});
after(async () => { await n?.stop(); });

const quotaFindings = () => {
  const res = nodeless(n, ['doctor', '-o', 'json']);
  assert.ok(res.code === 0 || res.code === 1, res.stderr);
  return { code: res.code, findings: JSON.parse(res.stdout).findings.filter((f: any) => f.check === 'quota') };
};

describe('nodeless doctor: quotas', () => {
  it('at the defaults (200 pods, 2000 instances per group): no finding', () => {
    assert.deepEqual(quotaFindings().findings, []);
  });

  it('pods-per-cluster and instances-per-security-group at their limit: critical, exit 1', async () => {
    await waitFor('the pod counted', () => JSON.parse(nodelessOk(n, ['cloud', 'quota', 'list', '--cluster', 'default', '-o', 'json']))
      .find((q: any) => q.name === 'pods-per-cluster')?.used === 1, 120_000);
    nodelessOk(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '1', '--cluster', 'default']);
    nodelessOk(n, ['cloud', 'quota', 'set', 'instances-per-security-group', '1']);
    const { code, findings } = quotaFindings();
    assert.equal(code, 1);
    const pods = findings.find((f: any) => f.objects.includes('cluster/default'));
    assert.equal(pods?.severity, 'critical');
    assert.match(pods.message, /^cluster default runs 1 of its 1 pods \(quota pods-per-cluster\): past it, new pods are refused with QuotaExceeded$/);
    assert.match(pods.source.seed, /"Pay Attention to Quota Limits"/);
    assert.match(pods.fix, /^nodeless cloud quota set pods-per-cluster <n> --cluster default/);
    const sg = findings.find((f: any) => /^sg-/.test(f.objects[0]));
    assert.equal(sg?.severity, 'critical');
    assert.match(sg.message, /has 1 of 1 instances \(quota instances-per-security-group\)/);
    nodelessOk(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '200', '--cluster', 'default']);
    nodelessOk(n, ['cloud', 'quota', 'set', 'instances-per-security-group', '2000']);
    assert.deepEqual(quotaFindings().findings, []);
  });
});
