// The pod's 20 GiB system disk (docs/tencent/system-disk.md)
// through the real kubectl: simulated writes fill it, image GC that frees
// nothing reports ImageGCFailed, pod-eviction-threshold restarts the pod in
// place (same pod, restartCount up); a pull that does not fit on a reused disk
// fails with "no space left on device: unknown" and the pod recovers by
// itself; FreeDiskSpaceFailed carries the documented "Wanted to free N bytes, but
// freed M bytes"; a malformed threshold is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getObject, kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const GiB = 2 ** 30;
const EKS = 'eks.tke.cloud.tencent.com';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const podsOf = (app: string) => JSON.parse(kc(n, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items as any[];
const eventsOf = (pod: string) =>
  JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${pod}`, '-o', 'json'])).items as any[];
// The same reads for polling, straight from the API (a kubectl per look costs ~50 ms of CPU).
const podNow = (name: string) => getObject(n, `/api/v1/namespaces/default/pods/${name}`);
const podsNow = async (app: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`)).items;
const eventsNow = async (name: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items;
const waitEvent = (pod: string, reason: string, timeoutMs = 60_000) =>
  waitFor(`${reason} on ${pod}`, async () => (await eventsNow(pod)).find((e) => e.reason === reason), timeoutMs);

const livePod = (app: string) => waitFor(`${app} pod`, async () => {
  const live = (await podsNow(app)).filter((p) => !p.metadata.deletionTimestamp);
  return live.length === 1 && live[0].metadata.name as string;
}, 60_000);

/** A Deployment whose pod template has `annotations` and the given containers (name, image). */
const deploy = (name: string, annotations: Record<string, string>, containers: [string, string][]) => JSON.stringify({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: {
    replicas: 1, selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, annotations },
      spec: { containers: containers.map(([c, image]) => ({ name: c, image })) },
    },
  },
});

const scaleTo0 = async (app: string) => {
  kc(n, ['scale', `deploy/${app}`, '--replicas=0']);
  await waitFor(`${app} pods gone`, async () => (await podsNow(app)).length === 0, 60_000);
};

describe('system disk', () => {
  it('writes filling the disk: ImageGCFailed, then pod-eviction-threshold restarts the same pod', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: {
        name: 'filler', annotations: {
          'nodeless.dev/simulate': 'write=17Gi write-after=1s',
          [`${EKS}/image-gc-period`]: '2s',
          [`${EKS}/pod-eviction-threshold`]: '85',
        },
      },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
    }));
    const uid = await waitFor('filler Running', async () => { const p = (await podNow('filler')); return p.status?.phase === 'Running' && p.metadata.uid; });
    const gcFailed = await waitEvent('filler', 'ImageGCFailed');
    assert.match(gcFailed.message, /^failed to garbage collect required amount of images\. Wanted to free \d+ bytes, but freed 0 bytes$/);
    assert.equal(gcFailed.type, 'Warning');
    const met = await waitEvent('filler', 'EvictionThresholdMet');
    assert.match(met.message, /^system disk usage [\d.]+% is above pod-eviction-threshold 85%: restarting the pod$/);
    const st = await waitFor('restartCount 1', async () => {
      const s = (await podNow('filler')).status?.containerStatuses?.[0];
      return s?.restartCount >= 1 && s;
    });
    assert.equal(podJson('filler').metadata.uid, uid, 'restarted in place, not rebuilt');
    assert.ok(st.lastState.terminated, JSON.stringify(st));
    const describe = kc(n, ['describe', 'pod', 'filler']);
    assert.match(describe, /ImageGCFailed .*failed to garbage collect required amount of images/);
    assert.match(describe, /Killing .*Stopping container app/);
    kc(n, ['delete', 'pod', 'filler', '--wait=false']);
  });

  it('without pod-eviction-threshold the pod is not restarted (the threshold is off unless set)', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: {
        name: 'filler-off', annotations: { 'nodeless.dev/simulate': 'write=17Gi', [`${EKS}/image-gc-period`]: '1s' },
      },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
    }));
    await waitEvent('filler-off', 'ImageGCFailed');
    // Each GC round on the full disk repeats ImageGCFailed (its count grows): two more
    // rounds, each of which would have restarted the pod had the threshold been on.
    const rounds = () => eventsOf('filler-off').filter((e) => e.reason === 'ImageGCFailed').reduce((t, e) => t + (e.count ?? 1), 0);
    const seen = rounds();
    await waitFor('two more GC rounds', () => rounds() >= seen + 2, 30_000);
    assert.equal(podJson('filler-off').status.containerStatuses[0].restartCount, 0);
    assert.ok(!eventsOf('filler-off').some((e) => e.reason === 'EvictionThresholdMet'));
    kc(n, ['delete', 'pod', 'filler-off', '--wait=false']);
  });

  it('a pull that does not fit on the reused disk: "no space left on device: unknown", then it recovers by itself', async () => {
    const sim = { 'nodeless.dev/simulate': 'image-size=12Gi pull=500ms' };
    kc(n, ['apply', '-f', '-'], deploy('big', sim, [['app', 'registry.example.com/big:v1']]));
    const first = await livePod('big');
    await waitFor('big v1 Running', async () => (await podNow(first)).status?.phase === 'Running');
    await scaleTo0('big'); // its disk, 12 GiB of big:v1 on it, is reused by the next pod
    kc(n, ['set', 'image', 'deploy/big', 'app=registry.example.com/big:v2']);
    kc(n, ['scale', 'deploy/big', '--replicas=1']);
    const pod = await livePod('big');
    const failed = await waitFor('no space', async () => (await eventsNow(pod)).find((e) => e.reason === 'Failed' && /no space left on device: unknown$/.test(e.message)), 30_000);
    assert.equal(failed.message, 'Failed to pull image "registry.example.com/big:v2": failed to pull and unpack image "registry.example.com/big:v2": no space left on device: unknown');
    assert.equal(failed.type, 'Warning');
    const waiting = podJson(pod).status.containerStatuses[0].state.waiting;
    assert.equal(waiting?.reason, 'ImagePullBackOff', JSON.stringify(waiting));
    assert.match(waiting.message, /no space left on device: unknown/);
    // The failed pull freed the old unused image; the retry after the back-off fits.
    await waitFor('big v2 Running', async () => (await podNow(pod)).status?.phase === 'Running', 60_000);
    const evs = eventsOf(pod);
    assert.ok(evs.some((e) => e.reason === 'Pulled' && /^Successfully pulled image "registry\.example\.com\/big:v2"/.test(e.message)), JSON.stringify(evs.map((e) => e.message)));
    assert.equal(podJson(pod).status.containerStatuses[0].restartCount, 0);
  });

  it('FreeDiskSpaceFailed when the unused images are not enough (Wanted to free N bytes, but freed M bytes)', async () => {
    // side (15 GiB, in use) + app:v1 (1 GiB, unused once app moves to v2) on the reused disk; app:v2 needs 6 GiB.
    const sim = { 'nodeless.dev/simulate': 'container=side:image-size=15Gi pull=200ms; container=app:image-size=1Gi pull=200ms' };
    kc(n, ['apply', '-f', '-'], deploy('fds', sim, [['side', 'registry.example.com/side:v1'], ['app', 'registry.example.com/app:v1']]));
    const first = await livePod('fds');
    await waitFor('fds Running', async () => (await podNow(first)).status?.phase === 'Running');
    await scaleTo0('fds');
    const sim2 = { 'nodeless.dev/simulate': 'container=side:image-size=15Gi pull=200ms; container=app:image-size=6Gi pull=200ms' };
    kc(n, ['apply', '-f', '-'], deploy('fds', sim2, [['side', 'registry.example.com/side:v1'], ['app', 'registry.example.com/app:v2']]));
    const pod = await livePod('fds');
    const fds = await waitEvent(pod, 'FreeDiskSpaceFailed', 30_000);
    assert.equal(fds.type, 'Warning');
    assert.equal(fds.message, `failed to garbage collect required amount of images. Wanted to free ${2 * GiB} bytes, but freed ${GiB} bytes`);
    assert.match(kc(n, ['describe', 'pod', pod]), /FreeDiskSpaceFailed .*Wanted to free 2147483648 bytes, but freed 1073741824 bytes/);
  });

  it('kube-system/eks-config supplies the thresholds for pods without the annotations', async () => {
    kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system',
      `--from-literal=pod.annotations=${EKS}/pod-eviction-threshold: "85"\n${EKS}/image-gc-period: "1s"\n`]);
    try {
      kc(n, ['run', 'filler-cm', '--image=nginx:1.25', '--annotations=nodeless.dev/simulate=write=18Gi write-after=1s']);
      await waitEvent('filler-cm', 'EvictionThresholdMet');
      await waitFor('restartCount 1', async () => (await podNow('filler-cm')).status?.containerStatuses?.[0]?.restartCount >= 1);
    } finally {
      kc(n, ['delete', 'configmap', 'eks-config', '-n', 'kube-system']);
      kc(n, ['delete', 'pod', 'filler-cm', '--wait=false']);
    }
  });

  it('process runtime: real bytes under the pod root count, and the restart empties the writable layer', async () => {
    // A sparse file: 17 GiB by size, no real disk used on this machine.
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: {
        name: 'proc-filler', annotations: {
          'nodeless.dev/runtime': 'process', [`${EKS}/image-gc-period`]: '1s', [`${EKS}/pod-eviction-threshold`]: '80',
        },
      },
      spec: {
        terminationGracePeriodSeconds: 1,
        // Only the first instance fills the disk (an emptyDir volume, which a restart keeps,
        // remembers it): one restart, not one every few seconds.
        containers: [{
          name: 'app', image: 'busybox', volumeMounts: [{ name: 'state', mountPath: '/state' }],
          command: ['sh', '-c', 'if [ -e "$NODELESS_ROOT/marker" ]; then echo kept; else echo fresh; fi; touch "$NODELESS_ROOT/marker"; if [ ! -e "$NODELESS_ROOT/state/filled" ]; then touch "$NODELESS_ROOT/state/filled"; truncate -s 17G "$NODELESS_ROOT/big"; fi; exec sleep 3600'],
        }],
        volumes: [{ name: 'state', emptyDir: {} }],
      },
    }));
    const uid = await waitFor('proc-filler Running', async () => { const p = (await podNow('proc-filler')); return p.status?.phase === 'Running' && p.metadata.uid; });
    const met = await waitEvent('proc-filler', 'EvictionThresholdMet');
    assert.match(met.message, /above pod-eviction-threshold 80%/);
    await waitFor('restarted and running', async () => {
      const s = (await podNow('proc-filler')).status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running;
    }, 30_000);
    assert.equal(podJson('proc-filler').metadata.uid, uid);
    // The new instance found no file of the old one in its root.
    await waitFor('restarted instance logged', () => /^(fresh|kept)$/m.test(kc(n, ['logs', 'proc-filler'])));
    assert.equal(kc(n, ['logs', 'proc-filler']).trim(), 'fresh');
    assert.equal(kc(n, ['logs', 'proc-filler', '--previous']).trim(), 'fresh');
    kc(n, ['delete', 'pod', 'proc-filler', '--wait=false']);
  });

  it('a malformed threshold refuses the pod, naming the annotation', () => {
    const r = kubectl(n, ['run', 'badgc', '--image=nginx', `--annotations=${EKS}/image-gc-high-threshold=lots`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /image-gc-high-threshold.*expected a percentage/);
  });
});
