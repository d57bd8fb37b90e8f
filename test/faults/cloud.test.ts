// The faults of the cloud (docs/faults.md): subnet-exhaustion, eip-quota,
// nat-saturation, cloud-latency. On, the effect seen through the cloud API and
// kubectl (node conditions, pod events), off, the effect gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/nodeless.js';
import { startHarness, until as untilShown, type Harness } from './harness.js';

let h: Harness;
const LONG = 120_000;
const json = async (args: string[]) => JSON.parse(await h.kc([...args, '-o', 'json']));
const cond = (n: any, type: string) => n.status?.conditions?.find((c: any) => c.type === type);
const until = (what: string, path: string, ready: (o: any) => unknown, shown?: () => Promise<unknown>) => untilShown(h, what, path, ready, shown, LONG);
const eventsOf = (name: string) => `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`;

before(async () => { h = await startHarness({ simulation: { timeScale: 0 } }); });
after(async () => { await h?.close(); });

test('subnet-exhaustion: the subnet shows no free address, its super node NetworkUnavailable; cleared, both back', async () => {
  await until('a Ready node', '/api/v1/nodes', (l) => l.items.some((n: any) => cond(n, 'Ready')?.status === 'True'));
  const node = (await json(['get', 'nodes'])).items.find((n: any) => cond(n, 'Ready')?.status === 'True');
  const subnet = node.metadata.labels['eks.tke.cloud.tencent.com/subnet-id'];
  const free = (await h.fetch('GET', `/cloud/v1/subnets/${subnet}`)).body.availableIpCount;
  assert.ok(free > 0);
  assert.equal((await h.nodeless(['fault', 'inject', 'subnet-exhaustion', '--target', subnet, '--name', 'full'])).code, 0);
  assert.equal((await h.fetch('GET', `/cloud/v1/subnets/${subnet}`)).body.availableIpCount, 0);
  await until('NetworkUnavailable', `/api/v1/nodes/${node.metadata.name}`, (x) => cond(x, 'NetworkUnavailable')?.status === 'True');
  const c = cond(await json(['get', 'node', node.metadata.name]), 'NetworkUnavailable');
  assert.equal(c.status, 'True');
  assert.equal(c.reason, 'EKLetHasInsufficientSubnetIP');
  assert.equal(c.message, `eklet node has insufficient IP available of subnet ${subnet}`);
  assert.equal((await h.nodeless(['fault', 'clear', 'full'])).code, 0);
  assert.equal((await h.fetch('GET', `/cloud/v1/subnets/${subnet}`)).body.availableIpCount, free);
  await until('network available', `/api/v1/nodes/${node.metadata.name}`, (x) => cond(x, 'NetworkUnavailable')?.status === 'False',
    async () => cond(await json(['get', 'node', node.metadata.name]), 'NetworkUnavailable')?.status === 'False');
});

test('eip-quota: allocating an EIP fails with QuotaExceeded; cleared, it succeeds', async () => {
  assert.equal((await h.nodeless(['fault', 'inject', 'eip-quota', '--name', 'eips'])).code, 0);
  const refused = await h.fetch('POST', '/cloud/v1/eips', {});
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'QuotaExceeded');
  assert.match(refused.body.message, /quota eips-per-region \(\d+\) for region \S+ is exhausted/);
  const bad = await h.nodeless(['fault', 'inject', 'eip-quota', '--target', 'x']);
  assert.match(bad.stderr, /spec\.target: Forbidden: eip-quota takes no target/);
  assert.equal((await h.nodeless(['fault', 'clear', 'eips'])).code, 0);
  assert.equal((await h.fetch('POST', '/cloud/v1/eips', {})).status, 201);
});

test('nat-saturation: pods behind the NAT get EgressTimeout and the NAT shows saturated; cleared, EgressRecovered', async () => {
  const rtb = (await h.fetch('GET', '/cloud/v1/routetables')).body.items.find((t: any) => t.isDefault);
  const nat = (await h.fetch('POST', '/cloud/v1/natgateways', { vpcId: rtb.vpcId, name: 'out' })).body;
  assert.equal((await h.fetch('POST', `/cloud/v1/routetables/${rtb.id}/routes`, { destinationCidr: '0.0.0.0/0', nextHopType: 'nat', nextHopId: nat.id })).status, 201);
  await h.kc(['run', 'egress', '--image=nginx:1.25']);
  await until('running', '/api/v1/namespaces/default/pods/egress', (p) => p.status?.phase === 'Running');
  assert.equal((await h.nodeless(['fault', 'inject', 'nat-saturation', '--target', nat.id, '--name', 'nat'])).code, 0);
  const load = (await h.fetch('GET', `/cloud/v1/natload`)).body.items.find((l: any) => l.natId === nat.id);
  assert.equal(load.saturated, true);
  const msg = `NAT gateway ${nat.id} is saturated (200/200 Mbps, 100%): connections to the internet time out`;
  await until('EgressTimeout', eventsOf('egress'), (l) => l.items.some((e: any) => e.reason === 'EgressTimeout' && e.message === msg), async () => (await h.kc(['get', 'events', '--field-selector', 'involvedObject.name=egress,reason=EgressTimeout', '-o', 'jsonpath={.items[*].message}'])).includes(msg));
  assert.equal((await h.nodeless(['fault', 'clear', 'nat'])).code, 0);
  assert.equal((await h.fetch('GET', `/cloud/v1/natload`)).body.items.find((l: any) => l.natId === nat.id).saturated, false);
  await until('EgressRecovered', eventsOf('egress'), (l) => l.items.some((e: any) => e.reason === 'EgressRecovered'),
    async () => /EgressRecovered/.test(await h.kc(['get', 'events', '--field-selector', 'involvedObject.name=egress'])));
});

test('cloud-latency: a call waits while the fault lasts, other resources answer; cleared, it is answered', async () => {
  assert.equal((await h.nodeless(['fault', 'inject', 'cloud-latency', '--target', 'vpcs', 'delay=1h', '--name', 'slow'])).code, 0);
  let answered: number | undefined;
  const pending = h.fetch('GET', '/cloud/v1/vpcs').then((r) => (answered = r.status));
  assert.equal((await h.fetch('GET', '/cloud/v1/subnets')).status, 200);
  assert.equal(answered, undefined, 'the vpcs call still waits');
  assert.equal((await h.nodeless(['fault', 'clear', 'slow'])).code, 0);
  assert.equal(await pending, 200);
});

test('cloud-throttle: a pod\'s ENI allocation is throttled (FailedCreatePodSandBox) until cleared; an AWS cluster answers with EC2\'s code', async () => {
  assert.equal((await h.nodeless(['fault', 'inject', 'cloud-throttle', '--target', 'enis', '--name', 'enis'])).code, 0);
  await h.kc(['run', 'throttled', '--image=nginx:1.25']);
  await until('FailedCreatePodSandBox', eventsOf('throttled'), (l) => l.items.some((e: any) => e.reason === 'FailedCreatePodSandBox'), async () => /FailedCreatePodSandBox.*The number of requests exceeds the frequency limit\./.test(await h.kc(['get', 'events', '--field-selector', 'involvedObject.name=throttled'])));
  assert.equal((await h.nodeless(['fault', 'clear', 'enis'])).code, 0);
  await until('running once the sandbox is retried', '/api/v1/namespaces/default/pods/throttled', (p) => p.status?.phase === 'Running');

  assert.equal((await h.fetch('POST', '/cloud/v1/clusters', { name: 'eks', cloud: 'aws' })).status, 201);
  await waitFor('the eks cluster served', async () => (await h.fetch('GET', '/clusters/eks/apis/nodeless.dev/v1alpha1/faults')).status === 200, LONG);
  const inj = await h.nodeless(['fault', 'inject', 'cloud-throttle', '--cluster', 'eks', '--target', 'vpcs', '--name', 'ec2']);
  assert.equal(inj.code, 0, inj.stderr);
  const res = await h.fetch('GET', '/cloud/v1/vpcs');
  assert.equal(res.status, 503);
  assert.deepEqual([res.body.code, res.body.message], ['RequestLimitExceeded', 'Request limit exceeded.']);
  assert.doesNotMatch((await h.nodeless(['fault', 'list'])).stdout, /\bec2\b/, 'the default cluster\'s faults are its own');
  assert.match((await h.nodeless(['fault', 'list', '--cluster', 'eks'])).stdout, /ec2\s+cloud-throttle\s+vpcs\s+Active/);
  assert.equal((await h.nodeless(['fault', 'clear', 'ec2', '--cluster', 'eks'])).code, 0);
  assert.equal((await h.fetch('GET', '/cloud/v1/vpcs')).status, 200);
});
