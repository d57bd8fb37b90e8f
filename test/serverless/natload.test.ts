// NAT gateway load (docs/alibaba/nat-bandwidth.md: a 200 Mbps NAT at its cap →
// request timeouts). Pods' modelled traffic (nodeless.dev/egress-mbps) adds up
// per NAT; `nodeless net load` shows utilisation, pods behind a saturated NAT
// get `net egress` timeouts and an EgressTimeout event; a bigger cap or fewer
// pods clear it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudList, deploymentYaml, kc, kubectl, nodeless, nodelessJson, nodelessOk, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
let natId: string;
const load = () => (nodelessJson(n, ['net', 'load']) as any[]).find((l) => l.natId === natId);
/** The same, read from the REST API `net load` prints: for polling (no CLI process per look). */
const loadNow = async () => (await cloudList(n, '/natload')).find((l) => l.natId === natId);
const runningPods = (app: string) => JSON.parse(kc(n, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items
  .filter((p: any) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);

before(async () => {
  n = await startCli();
  await waitForReadyNode(n, 60_000);
  const rtb = (nodelessJson(n, ['cloud', 'rtb', 'list']) as any[]).find((t) => t.isDefault);
  const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', rtb.vpcId, '--name', 'shared']);
  natId = nat.id;
  nodelessOk(n, ['cloud', 'rtb', 'add-route', rtb.id, '--destination', '0.0.0.0/0', '--next-hop', natId]);
});
after(async () => { await n?.stop(); });

describe('NAT gateway load', () => {
  it('gives a NAT the documented 200 Mbps cap by default, shown by nat list/get', () => {
    assert.equal(nodelessJson(n, ['cloud', 'nat', 'get', natId]).bandwidthMbps, 200);
    assert.match(nodelessOk(n, ['cloud', 'nat', 'list']), new RegExp(`${natId}\\s+shared\\s+.*200Mbps`));
  });

  it('sums the pods\' traffic below the cap: not saturated, egress works', async () => {
    kc(n, ['apply', '-f', '-'], deploymentYaml('fetch', 2, '"nodeless.dev/egress-mbps": "50"'));
    await waitFor('2 fetch pods counted', async () => (await loadNow())?.podCount === 2, 90_000, 300);
    const l = load();
    assert.deepEqual([l.bandwidthMbps, l.demandMbps, l.utilisationPercent, l.saturated], [200, 100, 50, false]);
    assert.match(nodelessOk(n, ['net', 'load']), new RegExp(`^${natId}\\s+shared\\s+\\S+\\s+200Mbps\\s+100Mbps\\s+50%\\s+2\\s+OK$`, 'm'));
    const pod = runningPods('fetch')[0].metadata.name;
    const res = nodeless(n, ['net', 'egress', pod]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`→ NAT ${natId} →`));
    assert.doesNotMatch(res.stdout, /saturated/);
  });

  it('scaling up saturates the NAT: SATURATED in net load, timeouts in net egress, an EgressTimeout event', async () => {
    kc(n, ['scale', 'deploy/fetch', '--replicas=5']);
    await waitFor('the NAT saturated', async () => (await loadNow())?.saturated, 90_000, 300);
    const l = load();
    assert.deepEqual([l.demandMbps, l.utilisationPercent, l.podCount], [250, 125, 5]);
    assert.match(nodelessOk(n, ['net', 'load']), new RegExp(`^${natId}\\s+shared\\s+\\S+\\s+200Mbps\\s+250Mbps\\s+125%\\s+5\\s+SATURATED$`, 'm'));
    assert.match(nodelessOk(n, ['net', 'load', '--pods']), /default\/default\/fetch-\S+\s+50Mbps/);

    const pod = runningPods('fetch')[0].metadata.name;
    const res = nodeless(n, ['net', 'egress', pod]);
    assert.equal(res.code, 1);
    const msg = `NAT gateway ${natId} is saturated (250/200 Mbps, 125%): connections to the internet time out`;
    assert.ok(res.stdout.includes(msg), res.stdout);
    const json = JSON.parse(nodeless(n, ['net', 'egress', pod, '-o', 'json']).stdout);
    assert.equal(json.saturated, true);
    assert.equal(json.timeout, msg);

    const events = await waitFor('EgressTimeout events', () => {
      const out = kc(n, ['get', 'events', '--field-selector', 'reason=EgressTimeout', '-o', 'json']);
      const items = JSON.parse(out).items;
      return items.length >= 5 && items;
    }, 30_000, 300);
    // Each event carries the load when its pod's NAT saturated (pods come up one by one: 200/200 or 250/200).
    const evMsg = new RegExp(`^NAT gateway ${natId} is saturated \\((200|250)/200 Mbps, (100|125)%\\): connections to the internet time out$`);
    assert.ok(events.every((e: any) => e.type === 'Warning' && evMsg.test(e.message)), JSON.stringify(events));
    assert.match(kc(n, ['describe', 'pod', pod]), new RegExp(`Warning\\s+EgressTimeout\\s+.*NAT gateway ${natId} is saturated`));
  });

  it('raising the NAT bandwidth clears the saturation', async () => {
    assert.match(nodelessOk(n, ['cloud', 'nat', 'set-bandwidth', natId, '500']), new RegExp(`${natId} bandwidth 500Mbps`));
    assert.equal(load().saturated, false);
    assert.equal(load().utilisationPercent, 50);
    const pod = runningPods('fetch')[0].metadata.name;
    assert.equal(nodeless(n, ['net', 'egress', pod]).code, 0);
    await waitFor('an EgressRecovered event', () => /Normal\s+EgressRecovered\s+.*no longer saturated \(250\/500 Mbps, 50%\)/.test(kc(n, ['describe', 'pod', pod])), 30_000, 300);
  });

  it('scaling down clears it too', async () => {
    nodelessOk(n, ['cloud', 'nat', 'set-bandwidth', natId, '200']);
    assert.equal(load().saturated, true);
    kc(n, ['scale', 'deploy/fetch', '--replicas=3']);
    await waitFor('3 pods behind the NAT', async () => (await loadNow())?.podCount === 3, 60_000, 300);
    assert.deepEqual([load().demandMbps, load().saturated], [150, false]);
    const pod = runningPods('fetch')[0].metadata.name;
    assert.equal(nodeless(n, ['net', 'egress', pod]).code, 0);
  });

  it('takes the traffic of an unannotated pod from kube-system/eks-config', async () => {
    kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system', '--from-literal=pod.annotations=nodeless.dev/egress-mbps: "30"']);
    kc(n, ['run', 'plain', '--image=nginx:1.25']);
    await waitFor('plain counted', async () => (await loadNow())?.pods.some((p: any) => p.name === 'plain' && p.mbps === 30), 60_000, 300);
    assert.equal(load().demandMbps, 180);
  });

  it('leaves out a pod with its own EIP (it does not use the NAT)', async () => {
    const eni = (nodelessJson(n, ['cloud', 'eni', 'list', '--namespace', 'default']) as any[]).find((e) => e.attachedTo?.pod === 'plain');
    const eip = nodelessJson(n, ['cloud', 'eip', 'allocate']);
    nodelessOk(n, ['cloud', 'eip', 'associate', Array.isArray(eip) ? eip[0].id : eip.id, '--eni', eni.id]);
    assert.equal(load().demandMbps, 150);
    assert.ok(!load().pods.some((p: any) => p.name === 'plain'));
  });

  it('refuses bad input with clear errors', () => {
    const bad = kubectl(n, ['run', 'hog', '--image=nginx:1.25', '--annotations=nodeless.dev/egress-mbps=lots']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /annotation nodeless\.dev\/egress-mbps: invalid value "lots": expected .*Mbit\/s/);
    const notInt = nodeless(n, ['cloud', 'nat', 'set-bandwidth', natId, 'fast']);
    assert.equal(notInt.code, 1);
    assert.match(notInt.stderr, /^InvalidParameter: fast is not an integer/);
    const zero = nodeless(n, ['cloud', 'nat', 'set-bandwidth', natId, '0']);
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /^Invalid\S*: .*bandwidthMbps/);
    const missing = nodeless(n, ['cloud', 'nat', 'set-bandwidth', 'nat-00000000', '300']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ResourceNotFound/);
    const loadMissing = nodeless(n, ['net', 'load', '--vpc', 'vpc-nope', '-o', 'json']);
    assert.equal(loadMissing.code, 0);
    assert.deepEqual(JSON.parse(loadMissing.stdout), []);
  });
});
