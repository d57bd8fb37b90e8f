// kubectl logs' selection flags on a process pod's real output (issue 19
// item 6): -c, --all-containers (with --prefix), --since-time, --since,
// --limit-bytes, --tail, --timestamps, and kube-apiserver's refusals of bad
// values. The container writes one line, waits for a file the test makes
// (through exec), then writes another: the two lines are more than a second
// apart (sinceTime travels in whole seconds, metav1.Time).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyProcessPod, kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  applyProcessPod(n, 'talk', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: first
    image: busybox
    command: [sh, -c, 'echo one-first; sleep 1.2; until [ -f $NODELESS_ROOT/go ]; do sleep 0.1; done; echo two-first; exec sleep 3600']
  - name: second
    image: busybox
    command: [sh, -c, 'echo only-second; exec sleep 3600']
`);
  await waitFor('talk said its first lines', () => kubectl(n, ['logs', 'talk', '-c', 'first']).stdout === 'one-first\n' && kubectl(n, ['logs', 'talk', '-c', 'second']).stdout === 'only-second\n', 90_000, 300);
  kc(n, ['exec', 'talk', '-c', 'first', '--', 'sh', '-c', 'touch $NODELESS_ROOT/go']);
  await waitFor('talk said its second line', () => kc(n, ['logs', 'talk', '-c', 'first']) === 'one-first\ntwo-first\n', 60_000, 300);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

describe('kubectl logs', () => {
  it('-c picks a container; without it kubectl takes the first and says so; --all-containers shows both', () => {
    assert.equal(kc(n, ['logs', 'talk', '-c', 'second']), 'only-second\n');
    // kubectl defaults to the first container (annotation kubectl.kubernetes.io/default-container absent), saying so.
    const r = kubectl(n, ['logs', 'talk']);
    assert.equal(r.stdout, 'one-first\ntwo-first\n');
    assert.match(r.stderr, /Defaulted container "first" out of: first, second/);
    // kubectl may print the containers' logs in either order; each container's own lines keep theirs.
    const lines = (args: string[]) => kc(n, ['logs', 'talk', ...args]).trimEnd().split('\n');
    const all = lines(['--all-containers']);
    assert.deepEqual([...all].sort(), ['one-first', 'only-second', 'two-first']);
    assert.ok(all.indexOf('one-first') < all.indexOf('two-first'), all.join('\n'));
    assert.deepEqual(lines(['--all-containers', '--prefix']).sort(), ['[pod/talk/first] one-first', '[pod/talk/first] two-first', '[pod/talk/second] only-second']);
  });

  it('--since-time, --since, --tail, --limit-bytes and --timestamps select as the kubelet does', () => {
    const stamped = kc(n, ['logs', 'talk', '-c', 'first', '--timestamps']).trimEnd().split('\n');
    assert.equal(stamped.length, 2);
    for (const l of stamped) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (one|two)-first$/);
    const second = stamped[1].split(' ')[0];
    // From the second line's own time on: only it.
    assert.equal(kc(n, ['logs', 'talk', '-c', 'first', `--since-time=${second}`]), 'two-first\n');
    assert.equal(kc(n, ['logs', 'talk', '-c', 'first', '--since-time=2000-01-01T00:00:00Z']), 'one-first\ntwo-first\n');
    assert.equal(kc(n, ['logs', 'talk', '-c', 'first', '--since=1h']), 'one-first\ntwo-first\n');
    assert.equal(kc(n, ['logs', 'talk', '-c', 'first', '--tail=1']), 'two-first\n');
    assert.equal(kc(n, ['logs', 'talk', '-c', 'first', '--limit-bytes=5']), 'one-f');
  });

  it('bad values get kube-apiserver\'s refusals', async () => {
    const { raw } = await import('../helpers/nodeless.js');
    const bad = async (q: string) => {
      const r = await raw(n, 'GET', `/api/v1/namespaces/default/pods/talk/log?container=first&${q}`);
      return [r.status, JSON.parse(r.body).message];
    };
    assert.deepEqual(await bad('limitBytes=0'), [422, 'PodLogOptions "talk" is invalid: limitBytes: Invalid value: 0: must be greater than 0']);
    assert.deepEqual(await bad('sinceSeconds=0'), [422, 'PodLogOptions "talk" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0']);
    const r = kubectl(n, ['logs', 'talk', '-c', 'nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container nope is not valid for pod talk/);
  });
});
