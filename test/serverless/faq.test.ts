// Tencent's FAQ and notes, point by point, through the real kubectl and CLI
// (docs/tencent/super-nodes.md, system-disk.md, quotas.md, feature-dates.md):
// a super node's events come from `eklet, eklet-subnet-…`, not a kubelet.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentYaml, getObject, kc, kubectl, nodelessJson, nodelessOk, raw, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const eventsOf = (name: string) =>
  JSON.parse(kc(n, ['get', 'events', '-A', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
// For polling: one API GET per look (a kubectl or CLI process per look costs ~50-150 ms of CPU); what is
// asserted is read again through kubectl or the CLI once the wait is over.
const apiPod = async (name: string) => (await getObject(n, `/api/v1/namespaces/default/pods/${name}`)) ?? {};
const apiEventsOf = async (name: string) =>
  (await getObject(n, `/api/v1/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items as any[];

describe('super-node events come from the eklet', () => {
  it('every event of a pod on a super node but the scheduler\'s is eklet\'s, with the node as host', async () => {
    kc(n, ['run', 'ev', '--image=nginx:1.25']);
    await waitFor('ev Started', async () => (await apiEventsOf('ev')).some((e) => e.reason === 'Started'), 60_000);
    const node = podJson('ev').spec.nodeName as string;
    assert.match(node, /^eklet-subnet-/);
    const sources = eventsOf('ev').map((e) => `${e.reason} ${e.source.component} ${e.source.host ?? ''}`.trim());
    for (const reason of ['Pulling', 'Pulled', 'Created', 'Started']) assert.ok(sources.includes(`${reason} eklet ${node}`), sources.join('\n'));
    assert.deepEqual(sources.filter((s) => !/ eklet /.test(s)), ['Scheduled default-scheduler']);
    // The FAQ's "eklet, eklet-subnet-xxx" is the SOURCE column of `get events -o wide`; kubectl 1.32's describe shows the component.
    assert.match(kc(n, ['get', 'events', '-o', 'wide', '--field-selector', 'involvedObject.name=ev,reason=Started']), new RegExp(`eklet, ${node}`));
    assert.match(kc(n, ['describe', 'pod', 'ev']), /Started\s+\S+\s+eklet\s+Started container ev/);
    // The node's own start, told by its eklet.
    const nodeEvents = eventsOf(node).map((e) => `${e.source.component} ${e.reason}`);
    assert.ok(nodeEvents.includes('eklet Starting') && nodeEvents.includes('eklet NodeReady'), nodeEvents.join('\n'));
    assert.ok(!nodeEvents.some((s) => s.startsWith('kubelet ')), nodeEvents.join('\n'));
    kc(n, ['delete', 'pod', 'ev', '--wait=false']);
  });
});

describe('the security-group instance quota refuses the pod at create', () => {
  it('with the cloud\'s QuotaExceeded message, counting pods admitted but not yet given their ENI', async () => {
    const sg = nodelessOk(n, ['cloud', 'sg', 'create', '--name', 'quota-test']);
    nodelessOk(n, ['cloud', 'quota', 'set', 'instances-per-security-group', '2']);
    try {
      const run = (name: string) => kubectl(n, ['run', name, '--image=nginx:1.25', `--annotations=eks.tke.cloud.tencent.com/security-group-id=${sg}`]);
      // Back to back: the second is admitted while the first may still wait for its ENI, and counts it.
      assert.equal(run('sgq-1').code, 0);
      assert.equal(run('sgq-2').code, 0);
      const refused = run('sgq-3');
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, new RegExp(`^Error from server \\(Forbidden\\): pods "sgq-3" is forbidden: QuotaExceeded: quota instances-per-security-group \\(2\\) for security group ${sg} is exhausted \\(`));
      assert.notEqual(kubectl(n, ['get', 'pod', 'sgq-3']).code, 0, 'nothing stored');
      await waitFor('both running in the group', async () => (await Promise.all(['sgq-1', 'sgq-2'].map(apiPod))).every((p) => p.status?.phase === 'Running'), 60_000);
      for (const p of ['sgq-1', 'sgq-2']) assert.equal(podJson(p).status.phase, 'Running');
      assert.equal(nodelessJson(n, ['cloud', 'sg', 'get', sg]).instanceCount, 2);
      // A workload's pods are refused the same way: the ReplicaSet says so, no pod is left in ContainerCreating.
      kc(n, ['apply', '-f', '-'], deploymentYaml('sgq', 1, `eks.tke.cloud.tencent.com/security-group-id: ${sg}`));
      const quotaExceeded = (e: any) => /QuotaExceeded: quota instances-per-security-group \(2\)/.test(e.message);
      await waitFor('FailedCreate', async () => (await getObject(n, '/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedCreate')).items.some(quotaExceeded), 60_000);
      const failed = JSON.parse(kc(n, ['get', 'events', '-o', 'json', '--field-selector', 'reason=FailedCreate'])).items.find(quotaExceeded);
      assert.equal(failed.involvedObject.kind, 'ReplicaSet');
      assert.deepEqual(JSON.parse(kc(n, ['get', 'pods', '-l', 'app=sgq', '-o', 'json'])).items, []);
      kc(n, ['delete', 'deploy', 'sgq']);
      // A freed instance lets the next pod in.
      kc(n, ['delete', 'pod', 'sgq-1']);
      await waitFor('the ENI freed', async () => (await getObject(n, `/cloud/v1/securitygroups/${sg}`)).instanceCount === 1, 60_000);
      assert.equal(nodelessJson(n, ['cloud', 'sg', 'get', sg]).instanceCount, 1);
      assert.equal(run('sgq-3').code, 0);
      kc(n, ['delete', 'pod', 'sgq-2', 'sgq-3', '--wait=false']);
    } finally {
      nodelessOk(n, ['cloud', 'quota', 'set', 'instances-per-security-group', '2000']);
    }
  });
});

describe('features the FAQ dates: a pod created before they went live lacks them', () => {
  const EKS = 'eks.tke.cloud.tencent.com';
  const rounds = async (pod: string) => (await apiEventsOf(pod)).filter((e) => e.reason === 'ImageGCFailed').reduce((t, e) => t + (e.count ?? 1), 0);

  it('before 2022-04-27: pod-eviction-threshold is not applied, and the pod is told so', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: {
        name: 'old-evict', annotations: {
          'nodeless.dev/created-at': '2022-01-10', 'nodeless.dev/simulate': 'write=17Gi',
          [`${EKS}/image-gc-period`]: '1s', [`${EKS}/pod-eviction-threshold`]: '85',
        },
      },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
    }));
    await waitFor('FeatureNotAvailable', async () => (await apiEventsOf('old-evict')).some((e) => e.reason === 'FeatureNotAvailable'), 60_000);
    const told = eventsOf('old-evict').find((e) => e.reason === 'FeatureNotAvailable');
    assert.equal(told.type, 'Warning');
    assert.equal(told.message, `pod created 2022-01-10, before 2022-04-27, has no pod-eviction-threshold restarts: the pod is not restarted whatever its disk usage; recreate the pod to enable it (no effect: ${EKS}/pod-eviction-threshold)`);
    // The exited-container GC (2021-09-15) it has: one event only.
    assert.equal(eventsOf('old-evict').filter((e) => e.reason === 'FeatureNotAvailable').length, 1);
    await waitFor('ImageGCFailed', async () => (await rounds('old-evict')) > 0, 60_000);
    const seen = await rounds('old-evict');
    await waitFor('two more GC rounds above the threshold', async () => (await rounds('old-evict')) >= seen + 2, 30_000);
    assert.equal(podJson('old-evict').status.containerStatuses[0].restartCount, 0);
    assert.ok(!eventsOf('old-evict').some((e) => e.reason === 'EvictionThresholdMet'));
    kc(n, ['delete', 'pod', 'old-evict', '--wait=false']);
  });

  it('before 2021-09-15: exited containers are never collected, so --previous survives a full disk', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: {
        name: 'old-gc', annotations: {
          'nodeless.dev/created-at': '2021-06-01T08:00:00Z', 'nodeless.dev/simulate': 'crash-loop after=2s write=18Gi',
          [`${EKS}/image-gc-period`]: '1s',
        },
      },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
    }));
    await waitFor('old-gc CrashLoopBackOff', async () => {
      const s = (await apiPod('old-gc')).status?.containerStatuses?.[0];
      return s?.restartCount >= 1 && s.state?.waiting?.reason === 'CrashLoopBackOff';
    }, 60_000);
    const reasons = eventsOf('old-gc').filter((e) => e.reason === 'FeatureNotAvailable').map((e) => e.message).sort();
    assert.deepEqual(reasons, [
      `pod created 2021-06-01T08:00:00Z, before 2021-09-15, has no exited-container GC: exited containers are never removed, so their disk space is not freed (no effect: ${EKS}/container-gc-threshold, ${EKS}/must-keep-last-container)`,
      `pod created 2021-06-01T08:00:00Z, before 2022-04-27, has no pod-eviction-threshold restarts: the pod is not restarted whatever its disk usage; recreate the pod to enable it (no effect: ${EKS}/pod-eviction-threshold)`,
    ]);
    const seen = await rounds('old-gc');
    await waitFor('two more GC rounds at 90%', async () => (await rounds('old-gc')) >= seen + 2, 30_000);
    const prev = kubectl(n, ['logs', 'old-gc', '--previous']);
    assert.equal(prev.code, 0, prev.stderr);
    kc(n, ['delete', 'pod', 'old-gc', '--wait=false']);
  });

  it('refuses a malformed or future created-at, and a change of it', () => {
    const bad = kubectl(n, ['run', 'when-bad', '--image=nginx', '--annotations=nodeless.dev/created-at=last spring']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /nodeless\.dev\/created-at: invalid value "last spring": expected a date \(2021-06-01\)/);
    const future = kubectl(n, ['run', 'when-future', '--image=nginx', '--annotations=nodeless.dev/created-at=2999-01-01']);
    assert.match(future.stderr, /cannot have been created in the future/);
    kc(n, ['run', 'when-ok', '--image=nginx', '--annotations=nodeless.dev/created-at=2021-01-01']);
    const change = kubectl(n, ['annotate', 'pod', 'when-ok', '--overwrite', 'nodeless.dev/created-at=2023-01-01']);
    assert.notEqual(change.code, 0);
    assert.match(change.stderr, /field is immutable/);
    kc(n, ['delete', 'pod', 'when-ok', '--wait=false']);
  });
});

describe('a full disk from deleted files still held open (the FAQ\'s lsof cause)', () => {
  it('process runtime: a deleted file a process keeps open still counts, until it is closed', async () => {
    // A 17 GiB sparse file (no real disk used here), opened on fd 3, deleted; `sleep` inherits fd 3.
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: {
        name: 'held', annotations: { 'nodeless.dev/runtime': 'process', 'eks.tke.cloud.tencent.com/image-gc-period': '1s' },
      },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'app', image: 'busybox',
          command: ['sh', '-c', 'truncate -s 17G "$NODELESS_ROOT/big.log" && exec 3<"$NODELESS_ROOT/big.log" && rm "$NODELESS_ROOT/big.log" && echo deleted && exec sleep 3600'],
        }],
      },
    }));
    await waitFor('the file deleted', async () => /deleted/.test((await raw(n, 'GET', '/api/v1/namespaces/default/pods/held/log')).body), 60_000);
    assert.match(kc(n, ['logs', 'held']), /deleted/);
    // Nothing is left under the pod's root, yet the disk is 85% full: image GC has 2 GiB to free down to 75% and cannot.
    await waitFor('ImageGCFailed', async () => (await apiEventsOf('held')).some((e) => e.reason === 'ImageGCFailed'), 60_000);
    const gc = eventsOf('held').find((e) => e.reason === 'ImageGCFailed');
    assert.equal(gc.message, `failed to garbage collect required amount of images. Wanted to free ${2 * 2 ** 30} bytes, but freed 0 bytes`);
    assert.equal(gc.source.component, 'eklet');
    kc(n, ['delete', 'pod', 'held', '--wait=false']);
  });
});
