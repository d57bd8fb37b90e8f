// NetworkPolicy in `nodeless net egress` through the real CLI and kubectl (docs/services.md): a NAT
// path is blocked once a policy selects the pod for Egress and allows nothing, and open again for
// the port a rule allows. The policy rules themselves: test/unit/netpolicy.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessJson, nodelessOk, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

test('net egress: a NAT path, blocked by a default-deny egress policy, allowed again for port 443', async () => {
  kc(n, ['run', 'web', '--image=nginx:1.25', '--labels=app=web']);
  await waitFor('web has an IP', () => JSON.parse(kc(n, ['get', 'pod', 'web', '-o', 'json'])).status?.podIP, 90_000);
  const view = JSON.parse(nodeless(n, ['net', 'egress', 'web', '-o', 'json']).stdout);
  const rtb = nodelessJson(n, ['cloud', 'rtb', 'get', view.routeTableId]);
  const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', rtb.vpcId, '--name', 'egress']);
  nodelessOk(n, ['cloud', 'rtb', 'add-route', view.routeTableId, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat.id]);
  assert.match(nodelessOk(n, ['net', 'egress', 'web']), /→ NAT nat-/);

  kc(n, ['apply', '-f', '-'], `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Egress]}
`);
  const blocked = nodeless(n, ['net', 'egress', 'web']);
  assert.equal(blocked.code, 1);
  assert.match(blocked.stdout, /^blocked: NetworkPolicy default\/deny-egress selects the pod and allows no egress to 0\.0\.0\.0 port 443\/TCP \(pod IP .* → NAT nat-/m);

  kc(n, ['apply', '-f', '-'], `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: https-out}
spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]}
`);
  assert.match(nodelessOk(n, ['net', 'egress', 'web']), /→ NAT nat-/);
  const port80 = nodeless(n, ['net', 'egress', 'web', '--port', '80']);
  assert.equal(port80.code, 1);
  assert.match(port80.stdout, /allows no egress to 0\.0\.0\.0 port 80\/TCP/);
});
