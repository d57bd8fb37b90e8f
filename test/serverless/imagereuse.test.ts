// Image reuse (docs/tencent/image-reuse.md) through the real
// kubectl: a pod of the same workload in the same zone after an earlier pod's
// deletion finds its images on the reused system disk (no Pulling, the
// kubelet's "already present on machine"); another workload, or the same one
// in another zone, pulls; the cbs-reuse-key annotation shares the cache
// across workloads; the cache survives a nodeless restart; past the cache
// time it is gone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentYaml, kc, nodelessJson, nodelessOk, startCli, tempHome, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const REUSE_KEY = 'eks.tke.cloud.tencent.com/cbs-reuse-key';

const podsOf = (n: Running, app: string) => JSON.parse(kc(n, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items as any[];

/** The one Running pod of `app`, once it runs. */
const runningPod = (n: Running, app: string) => waitFor(`${app} Running`, () => {
  const live = podsOf(n, app).filter((p) => !p.metadata.deletionTimestamp);
  return live.length === 1 && live[0].status?.phase === 'Running' && live[0].metadata.name as string;
}, 60_000);

const eventsOf = (n: Running, pod: string) =>
  JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${pod}`, '-o', 'json'])).items as any[];

/** The pod's pull events once its container started. */
const pullEvents = (n: Running, pod: string) => waitFor(`${pod} events`, () => {
  const evs = eventsOf(n, pod);
  return evs.some((e) => e.reason === 'Started') && evs.filter((e) => e.reason === 'Pulling' || e.reason === 'Pulled');
}, 30_000);

const scaleTo0 = async (n: Running, app: string) => {
  kc(n, ['scale', `deploy/${app}`, '--replicas=0']);
  await waitFor(`${app} pods gone`, () => podsOf(n, app).length === 0, 60_000);
};

describe('image reuse', () => {
  let n: Running;
  const home = tempHome();
  before(async () => {
    n = await startCli(home);
    await waitForReadyNode(n);
  });
  after(async () => { await n?.stop(); });

  it('the first pod of a Deployment pulls its image', async () => {
    kc(n, ['apply', '-f', '-'], deploymentYaml('web', 1));
    const pod = await runningPod(n, 'web');
    const evs = await pullEvents(n, pod);
    assert.ok(evs.some((e) => e.reason === 'Pulling' && e.message === 'Pulling image "nginx:1.25"'), JSON.stringify(evs));
    assert.ok(evs.some((e) => e.reason === 'Pulled' && /^Successfully pulled image "nginx:1\.25"/.test(e.message)), JSON.stringify(evs));
  });

  it('a pod of the same Deployment after the earlier one was deleted reuses the image: no Pulling', async () => {
    const first = await runningPod(n, 'web');
    await scaleTo0(n, 'web');
    kc(n, ['scale', 'deploy/web', '--replicas=1']);
    const pod = await runningPod(n, 'web');
    assert.notEqual(pod, first);
    const evs = await pullEvents(n, pod);
    assert.ok(!evs.some((e) => e.reason === 'Pulling'), JSON.stringify(evs));
    const pulled = evs.find((e) => e.reason === 'Pulled');
    assert.equal(pulled?.message, 'Container image "nginx:1.25" already present on machine');
    assert.equal(pulled?.involvedObject.fieldPath, 'spec.containers{app}');
    assert.match(kc(n, ['describe', 'pod', pod]), /Pulled .*Container image "nginx:1\.25" already present on machine/);
  });

  it('another workload does not get that disk: it pulls', async () => {
    await scaleTo0(n, 'web'); // web's disk, with nginx on it, is in the pool again
    kc(n, ['apply', '-f', '-'], deploymentYaml('other', 1));
    const pod = await runningPod(n, 'other');
    const evs = await pullEvents(n, pod);
    assert.ok(evs.some((e) => e.reason === 'Pulling' && e.message === 'Pulling image "nginx:1.25"'), JSON.stringify(evs));
  });

  it(`${REUSE_KEY} shares the cache across workloads`, async () => {
    const ann = `"${REUSE_KEY}": "nginx"`;
    kc(n, ['apply', '-f', '-'], deploymentYaml('keyed-a', 1, ann));
    const a = await runningPod(n, 'keyed-a');
    assert.ok((await pullEvents(n, a)).some((e) => e.reason === 'Pulling'));
    await scaleTo0(n, 'keyed-a');
    kc(n, ['apply', '-f', '-'], deploymentYaml('keyed-b', 1, ann));
    const b = await runningPod(n, 'keyed-b');
    const evs = await pullEvents(n, b);
    assert.ok(!evs.some((e) => e.reason === 'Pulling'), JSON.stringify(evs));
    assert.ok(evs.some((e) => e.message === 'Container image "nginx:1.25" already present on machine'), JSON.stringify(evs));
  });

  it('the cache survives a nodeless restart', async () => {
    // web is at 0 replicas: its disk waits in the pool across the restart.
    await n.stop();
    n = await startCli(home);
    await waitForReadyNode(n);
    kc(n, ['scale', 'deploy/web', '--replicas=1']);
    const pod = await runningPod(n, 'web');
    const evs = await pullEvents(n, pod);
    assert.ok(!evs.some((e) => e.reason === 'Pulling'), JSON.stringify(evs));
    assert.ok(evs.some((e) => e.message === 'Container image "nginx:1.25" already present on machine'), JSON.stringify(evs));
  });

  it('a pod of the same workload in another zone pulls', async () => {
    const ZONE = 'topology.kubernetes.io/zone';
    const node = JSON.parse(kc(n, ['get', 'nodes', '-o', 'json'])).items[0];
    const zoneA = node.metadata.labels[ZONE];
    const subnetB = nodelessJson(n, ['cloud', 'subnet', 'list']).find((s: any) => s.zone !== zoneA);
    nodelessOk(n, ['supernode', 'add', '--subnet', subnetB.id, '--name', 'zone-b']);
    await waitFor('zone-b Ready', () => /zone-b\s+Ready/.test(kc(n, ['get', 'nodes'])));
    const pinned = (zone: string) => deploymentYaml('zoned', 1, '', `${ZONE}: ${zone}`);
    kc(n, ['apply', '-f', '-'], pinned(zoneA));
    await runningPod(n, 'zoned');
    await scaleTo0(n, 'zoned');
    kc(n, ['apply', '-f', '-'], pinned(subnetB.zone));
    const pod = await runningPod(n, 'zoned');
    assert.equal(JSON.parse(kc(n, ['get', 'pod', pod, '-o', 'json'])).spec.nodeName, 'zone-b');
    const evs = await pullEvents(n, pod);
    assert.ok(evs.some((e) => e.reason === 'Pulling'), JSON.stringify(evs));
    kc(n, ['delete', 'deploy', 'zoned']);
  });
});

describe('image reuse after the cache time', () => {
  let n: Running;
  before(async () => {
    // The 2-hour cache time, shortened through the documented environment variable to 1 ms:
    // the next pod of the workload is created (by kubectl, the controllers and the scheduler)
    // well after its disk was released, so it comes after the cache time without a pause.
    n = await startCli(undefined, [], { NODELESS_IMAGE_REUSE_WINDOW_MS: '1' });
    await waitForReadyNode(n);
  });
  after(async () => { await n?.stop(); });

  it('a pod created after the cache time pulls again', async () => {
    kc(n, ['apply', '-f', '-'], deploymentYaml('late', 1));
    await runningPod(n, 'late');
    await scaleTo0(n, 'late');
    kc(n, ['scale', 'deploy/late', '--replicas=1']);
    const pod = await runningPod(n, 'late');
    const evs = await pullEvents(n, pod);
    assert.ok(evs.some((e) => e.reason === 'Pulling' && e.message === 'Pulling image "nginx:1.25"'), JSON.stringify(evs));
    assert.ok(!evs.some((e) => /already present/.test(e.message)), JSON.stringify(evs));
  });
});
