// `nodeless net egress POD` (docs/tencent/egress.md) against a running nodeless: no route to
// 0.0.0.0/0 → the reason and exit 1; a NAT gateway route in the subnet's route
// table → the NAT path; a NAT with several EIPs → one per flow at random
// (NODELESS_RANDOM_SEED makes the draw repeatable); an EIP bound to the pod's ENI → the EIP path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessJson, nodelessOk, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, [], { NODELESS_RANDOM_SEED: '7' });
  await waitForReadyNode(n);
  kc(n, ['run', 'web', '--image=nginx:1.25']);
  await waitFor('web Running', () => JSON.parse(kc(n, ['get', 'pod', 'web', '-o', 'json'])).status?.phase === 'Running');
});
after(async () => { await n?.stop(); });

describe('nodeless net egress', () => {
  let view: any;

  it('reports no egress and exits 1 when the route table has no 0.0.0.0/0 route', async () => {
    // The pod's ENI is created by the super node controller; its address is the pod's IP.
    await waitFor('the pod ENI', () => JSON.parse(kc(n, ['get', 'pod', 'web', '-o', 'json'])).status?.podIP);
    const res = nodeless(n, ['net', 'egress', 'web']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stdout, /^no route 0\.0\.0\.0\/0 in route table rtb-\S+ associated with subnet subnet-\S+: the pod cannot reach the internet; add a NAT gateway route or bind an EIP$/m);
    view = JSON.parse(nodeless(n, ['net', 'egress', 'web', '-n', 'default', '-o', 'json']).stdout);
    assert.equal(view.via, 'none');
    assert.match(view.pod.ip, /^\d+\.\d+\.\d+\.\d+$/);
  });

  it('prints the NAT path once 0.0.0.0/0 goes to a NAT gateway', () => {
    const rtb = nodelessJson(n, ['cloud', 'rtb', 'get', view.routeTableId]);
    const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', rtb.vpcId, '--name', 'egress']);
    nodelessOk(n, ['cloud', 'rtb', 'add-route', view.routeTableId, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat.id]);
    const out = nodelessOk(n, ['net', 'egress', 'web']);
    const ip = view.pod.ip.replace(/\./g, '\\.');
    assert.match(out, new RegExp(`^pod IP ${ip} \\(${view.pod.eniId}, ${view.pod.subnetId}\\) → route table ${view.routeTableId} 0\\.0\\.0\\.0/0 → NAT ${nat.id} → public IP \\d+\\.\\d+\\.\\d+\\.\\d+$`));
  });

  it('a NAT gateway with several EIPs: each flow leaves from one of them, at random', () => {
    const route = nodelessJson(n, ['cloud', 'rtb', 'get', view.routeTableId]).routes.find((r: any) => r.destinationCidr === '0.0.0.0/0');
    const second = nodelessJson(n, ['cloud', 'eip', 'allocate']);
    nodelessOk(n, ['cloud', 'eip', 'associate', second.id, '--nat', route.nextHopId]);
    const nat = nodelessJson(n, ['cloud', 'nat', 'get', route.nextHopId]);
    const ips = nat.eipIds.map((id: string) => nodelessJson(n, ['cloud', 'eip', 'get', id]).address).sort();
    assert.equal(ips.length, 2);
    const json = JSON.parse(nodelessOk(n, ['net', 'egress', 'web', '--flows', '20', '-o', 'json']));
    assert.equal(json.flows.length, 20);
    const used = [...new Set(json.flows.map((f: any) => f.publicIp))].sort();
    assert.deepEqual(used, ips, 'two flows of one pod may leave from different addresses');
    for (const f of json.flows) {
      assert.equal(f.protocol, 'tcp');
      const [ip, port] = f.source.split(':');
      assert.equal(ip, view.pod.ip);
      assert.ok(Number(port) >= 32768 && Number(port) <= 60999, f.source);
    }
    // Each look is new connections: the text names the path, then each flow and the address it got.
    const out = nodelessOk(n, ['net', 'egress', 'web']).split('\n');
    assert.match(out[0], new RegExp(`→ NAT ${nat.id} → public IP ${ips.map((x: string) => x.replace(/\./g, '\\.')).join('|')}.* \\(one per flow, at random\\)$`));
    assert.equal(out.length, 2);
    assert.match(out[1], new RegExp(`^flow 1: tcp ${view.pod.ip.replace(/\./g, '\\.')}:\\d+ → public IP (${ips.map((x: string) => x.replace(/\./g, '\\.')).join('|')})$`));
    const bad = nodeless(n, ['net', 'egress', 'web', '--flows', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^InvalidParameterValue: flows "0" must be an integer from 1 to 1000/);
  });

  it('prefers an EIP bound to the pod ENI', () => {
    const eip = nodelessJson(n, ['cloud', 'eip', 'allocate']);
    const id = Array.isArray(eip) ? eip[0].id : eip.id;
    nodelessOk(n, ['cloud', 'eip', 'associate', id, '--eni', view.pod.eniId]);
    const out = nodelessOk(n, ['net', 'egress', 'web']);
    assert.match(out, new RegExp(`→ EIP ${id} \\d+\\.\\d+\\.\\d+\\.\\d+$`));
  });

  it('fails clearly for a pod without an ENI', () => {
    const res = nodeless(n, ['net', 'egress', 'nope']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /ResourceNotFound/);
  });
});
