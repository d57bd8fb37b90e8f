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

test('net ingress from another pod: a policy denying ingress refuses it; one allowing a namespace and pod selector lets it in', async () => {
  kc(n, ['create', 'namespace', 'shop']);
  kc(n, ['label', 'namespace', 'shop', 'team=a']);
  kc(n, ['run', 'api', '--image=nginx:1.25', '--labels=app=api', '--port=80']);
  kc(n, ['run', 'front', '-n', 'shop', '--image=nginx:1.25', '--labels=role=front']);
  kc(n, ['run', 'stranger', '--image=nginx:1.25', '--labels=role=front']);
  kc(n, ['run', 'client', '--image=nginx:1.25', '--labels=role=client']);
  const ipOf = (name: string, ns = 'default') => waitFor(`${ns}/${name} running with an IP`, () => {
    const p = JSON.parse(kc(n, ['get', 'pod', name, '-n', ns, '-o', 'json']));
    return p.status?.phase === 'Running' && p.status.podIP as string;
  }, 90_000, 300);
  const api = await ipOf('api');
  const front = await ipOf('front', 'shop');
  await ipOf('stranger');
  await ipOf('client');
  const from = (pod: string) => nodeless(n, ['net', 'ingress', `${api}:80`, '--from-pod', pod]);

  // No policy: inside the VPC the pod's security group lets the connection in, the container listens.
  const open = from('shop/front');
  assert.equal(open.code, 0, open.stdout + open.stderr);
  assert.match(open.stdout, new RegExp(`^vpc-\\S+ ${front.replace(/\./g, '\\.')} → eni-\\S+ ${api.replace(/\./g, '\\.')}:80 \\(pod default/api\\) → security group \\S+ ingress rule #\\d+ \\(ACCEPT .*\\) → container api listening on 80/TCP: reachable$`, 'm'));

  kc(n, ['apply', '-f', '-'], `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-api}
spec: {podSelector: {matchLabels: {app: api}}, policyTypes: [Ingress]}
`);
  const denied = from('shop/front');
  assert.equal(denied.code, 1);
  assert.match(denied.stdout, new RegExp(`^blocked: NetworkPolicy default/deny-api selects the pod and allows no ingress from pod shop/front \\(${front.replace(/\./g, '\\.')}\\) to port 80/TCP \\(vpc-`, 'm'));
  assert.equal(JSON.parse(nodeless(n, ['net', 'ingress', `${api}:80`, '--from-pod', 'shop/front', '-o', 'json']).stdout).networkPolicy.allowed, false);

  kc(n, ['apply', '-f', '-'], `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-clients}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - {namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {role: front}}}
    - podSelector: {matchLabels: {role: client}}
    ports: [{port: 80}]
`);
  assert.equal(from('shop/front').code, 0, 'the namespace and pod selector of the rule match');
  assert.equal(from('client').code, 0, 'a pod of the policy\'s namespace with the label');
  // Same labels as front, but its namespace is not team=a.
  const stranger = from('stranger');
  assert.equal(stranger.code, 1);
  assert.match(stranger.stdout, /^blocked: NetworkPolicy default\/api-clients, default\/deny-api selects the pod and allows no ingress from pod default\/stranger/m);
  // An address without a pod behind it matches no pod selector.
  assert.equal(nodeless(n, ['net', 'ingress', `${api}:80`, '--from', front]).code, 1);
  const bad = nodeless(n, ['net', 'ingress', `${api}:80`, '--from-pod', 'shop/nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /pod shop\/nope/);
  const malformed = nodeless(n, ['net', 'ingress', `${api}:80`, '--from-pod', 'a/b/c']);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /--from-pod wants \[NAMESPACE\/\]NAME/);
});
