// The faults of nodes (docs/faults.md): node-notready and zone-outage cut
// node agents off from the API server, so the node lifecycle controller marks
// their nodes Unknown, taints them unreachable and evicts their pods once
// their tolerations run out; image-pull fails or slows pulls. On, the effect
// seen through kubectl, off, the effect gone; the controllers' time is a
// FakeClock stepped on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/nodeless.js';
import { startHarness, until as untilShown, type Harness } from './harness.js';

let h: Harness;
const LONG = 120_000;
const json = async (args: string[]) => JSON.parse(await h.kc([...args, '-o', 'json']));
const ready = (n: any) => n.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
const tainted = (n: any) => (n.spec?.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
const until = (what: string, path: string, ready: (o: any) => unknown, shown?: () => Promise<unknown>) => untilShown(h, what, path, ready, shown, LONG);
const nodeList = async () => (await h.fetch('GET', '/api/v1/nodes')).body.items;
const podPath = (name: string) => `/api/v1/namespaces/default/pods/${name}`;
const eventsOf = (name: string) => `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`;
const pod = (name: string, node: string, extra = '') => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  nodeName: ${node}\n  containers: [{name: c, image: nginx:1.25${extra}}]\n`;

before(async () => { h = await startHarness({ simulation: { timeScale: 0 } }); });
after(async () => { await h?.close(); });

test('node-notready: the node goes Unknown, is tainted unreachable, its pod is evicted after 300 s; cleared, it is Ready again', async () => {
  await until('Ready nodes', '/api/v1/nodes', (l) => l.items.length && l.items.every((n: any) => ready(n) === 'True'));
  const nodes = (await json(['get', 'nodes'])).items;
  assert.ok(nodes.length && nodes.every((n: any) => ready(n) === 'True'));
  const node = nodes[0].metadata.name;
  await h.kc(['apply', '-f', '-'], pod('victim', node));
  await until('the pod running', podPath('victim'), (p) => p.status?.phase === 'Running');

  const inj = await h.nodeless(['fault', 'inject', 'node-notready', '--target', node, '--name', 'down']);
  assert.equal(inj.code, 0, inj.stderr);
  // The lease is not renewed any more: past the 40 s grace period the node is Unknown and tainted.
  h.clock.step(41_000);
  await until('the node Unknown and tainted', `/api/v1/nodes/${node}`, (x) => ready(x) === 'Unknown' && tainted(x));
  const n = await json(['get', 'node', node]);
  assert.ok(ready(n) === 'Unknown' && tainted(n));
  assert.equal(n.status.conditions.find((c: any) => c.type === 'Ready').reason, 'NodeStatusUnknown');
  assert.match(await h.kc(['get', 'events', '--field-selector', `involvedObject.name=${node}`]), /NodeNotReady/);
  // The pod tolerates node.kubernetes.io/unreachable for 300 s (DefaultTolerationSeconds), then is evicted.
  h.clock.step(300_000);
  await until('TaintManagerEviction', eventsOf('victim'), (l) => l.items.some((e: any) => e.reason === 'TaintManagerEviction'),
    async () => /TaintManagerEviction\s+pod\/victim\s+Marking for deletion Pod default\/victim/.test(await h.kc(['get', 'events'])));

  assert.equal((await h.nodeless(['fault', 'clear', 'down'])).code, 0);
  await until('the node Ready and untainted', `/api/v1/nodes/${node}`, (x) => ready(x) === 'True' && !tainted(x),
    async () => { const x = await json(['get', 'node', node]); return ready(x) === 'True' && !tainted(x); });
});

test('zone-outage: every node of the zone goes Unknown, the others stay Ready; expired, they come back', async () => {
  const nodes = (await json(['get', 'nodes'])).items;
  const zone = nodes[0].metadata.labels['topology.kubernetes.io/zone'];
  const inZone = nodes.filter((x: any) => x.metadata.labels['topology.kubernetes.io/zone'] === zone).map((x: any) => x.metadata.name);
  const bad = await h.nodeless(['fault', 'inject', 'zone-outage', '--target', 'mars-1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /spec\.target: Unsupported value: "mars-1": supported values: .*"ap-guangzhou-/);
  assert.equal((await h.nodeless(['fault', 'inject', 'zone-outage', '--target', zone, '--for', '10m', '--name', 'zone'])).code, 0);
  h.clock.step(41_000);
  await waitFor('the zone\'s nodes Unknown', async () => (await nodeList()).filter((x: any) => inZone.includes(x.metadata.name)).every((x: any) => ready(x) === 'Unknown'), LONG);
  // The others renew their leases: Ready (again, if the step outran a renewal).
  await waitFor('the other nodes Ready', async () => (await nodeList()).filter((x: any) => !inZone.includes(x.metadata.name)).every((x: any) => ready(x) === 'True'), LONG);
  h.clock.step(10 * 60_000);
  await until('Expired', '/apis/nodeless.dev/v1alpha1/faults/zone', (f) => f.status?.phase === 'Expired',
    async () => (await h.kc(['get', 'fault', 'zone', '-o', 'jsonpath={.status.phase}'])) === 'Expired');
  await until('the zone\'s nodes Ready again', '/api/v1/nodes', (l) => l.items.every((x: any) => ready(x) === 'True' && !tainted(x)),
    async () => (await json(['get', 'nodes'])).items.every((x: any) => ready(x) === 'True' && !tainted(x)));
});

test('image-pull: pulls fail with ErrImagePull / ImagePullBackOff; slow pulls wait; cleared, the pull succeeds', async () => {
  const node = (await json(['get', 'nodes'])).items.find((x: any) => ready(x) === 'True').metadata.name;
  assert.equal((await h.nodeless(['fault', 'inject', 'image-pull', '--target', 'redis:7', '--name', 'pull'])).code, 0);
  await h.kc(['apply', '-f', '-'], pod('puller', node).replace('nginx:1.25', 'redis:7'));
  const backOff = (p: any) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff';
  await until('ImagePullBackOff', podPath('puller'), backOff);
  const puller = await json(['get', 'pod', 'puller']);
  assert.ok(backOff(puller));
  const waiting = puller.status.containerStatuses[0].state.waiting;
  assert.match(waiting.message, /Back-off pulling image "redis:7": ErrImagePull: failed to pull and unpack image "docker.io\/library\/redis:7".*connection refused/);
  assert.match(await h.kc(['get', 'events', '--field-selector', 'involvedObject.name=puller']), /Error: ErrImagePull/);
  assert.equal((await h.nodeless(['fault', 'clear', 'pull'])).code, 0);
  // The next try after the back-off pulls it.
  await until('running', podPath('puller'), (p) => p.status?.phase === 'Running');

  assert.equal((await h.nodeless(['fault', 'inject', 'image-pull', 'mode=slow', 'delay=1h', '--name', 'slow'])).code, 0);
  await h.kc(['apply', '-f', '-'], pod('slowpoke', node).replace('nginx:1.25', 'busybox:1.36'));
  await until('Pulling', eventsOf('slowpoke'), (l) => l.items.some((e: any) => e.reason === 'Pulling'),
    async () => /Pulling image "busybox:1.36"/.test(await h.kc(['get', 'events', '--field-selector', 'involvedObject.name=slowpoke'])));
  const w = (await json(['get', 'pod', 'slowpoke'])).status?.containerStatuses?.[0]?.state?.waiting;
  assert.equal(w?.reason, 'ContainerCreating', 'an hour-long pull is still going');
  assert.equal((await h.nodeless(['fault', 'clear', 'slow'])).code, 0);
});

test('disk-full: the pod\'s disk has no free byte (stats summary), its writes fail, the disk check restarts it; cleared, the space is back', async () => {
  const node = (await json(['get', 'nodes'])).items.find((x: any) => ready(x) === 'True').metadata.name;
  const EKS = 'eks.tke.cloud.tencent.com';
  await h.kc(['apply', '-f', '-'], `apiVersion: v1\nkind: Pod\nmetadata:\n  name: writer\n  annotations: {${EKS}/image-gc-period: 1s, ${EKS}/pod-eviction-threshold: "85"}\nspec:\n  nodeName: ${node}\n  containers: [{name: app, image: nginx:1.25}]\n`);
  await until('running', podPath('writer'), (p) => p.status?.phase === 'Running');
  const storage = async () => JSON.parse(await h.kc(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`])).pods.find((p: any) => p.podRef.name === 'writer')?.['ephemeral-storage'];
  const before = await waitFor('the pod\'s disk in the summary', storage, LONG);
  assert.ok(before.availableBytes > 0);
  const bad = await h.nodeless(['fault', 'inject', 'disk-full', '--target', 'default/nobody']);
  assert.match(bad.stderr, /spec\.target: Unsupported value: "default\/nobody"/);
  assert.equal((await h.nodeless(['fault', 'inject', 'disk-full', '--target', 'writer', '--name', 'full'])).code, 0);
  assert.equal((await storage()).availableBytes, 0);
  const events = async () => h.kc(['get', 'events', '--field-selector', 'involvedObject.name=writer']);
  assert.match(await events(), /container app: write: no space left on device/);
  // The disk's periodic check finds it above pod-eviction-threshold and restarts the pod in place.
  await until('EvictionThresholdMet', eventsOf('writer'), (l) => l.items.some((e: any) => e.reason === 'EvictionThresholdMet'),
    async () => /EvictionThresholdMet.*above pod-eviction-threshold 85%: restarting the pod/.test(await events()));
  await until('restarted', podPath('writer'), (p) => p.status?.containerStatuses?.[0]?.restartCount >= 1);
  assert.equal((await h.nodeless(['fault', 'clear', 'full'])).code, 0);
  await waitFor('space again', async () => (await storage())?.availableBytes > 0, LONG);
});
