// `nodeless net egress POD` (docs/tencent/egress.md) against a running nodeless: no route to
// 0.0.0.0/0 → the reason and exit 1; a NAT gateway route in the subnet's route
// table → the NAT path; an EIP bound to the pod's ENI → the EIP path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessJson, nodelessOk, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli();
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
