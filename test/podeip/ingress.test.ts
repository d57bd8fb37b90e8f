// Reachability of a pod's port on its EIP (docs/alibaba/pod-eip.md) through the real CLI:
// `nodeless net ingress EIP:PORT` follows EIP → ENI → security groups → the
// pod's listener and exits 1 with the reason when blocked; `net egress` of a
// pod with an EIP shows the EIP even when a NAT route exists.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessJson as json, nodelessOk, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
let sg: string;
let web: { address: string; id: string };
const SG_KEY = 'eks.tke.cloud.tencent.com/security-group-id';

const pod = (name: string, annotations: Record<string, string>, ports: number[] = []) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', ...annotations } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25', ports: ports.map((p) => ({ containerPort: p })) }] },
});
const eipOf = (name: string) => waitFor(`${name} EIP`, () => {
  const p = JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
  const address = p.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'];
  return address && p.status?.phase === 'Running' && { address, id: (json(n, ['cloud', 'eip', 'list']) as any[]).find((e) => e.address === address).id as string };
}, 60_000);
const ingress = (target: string, ...args: string[]) => nodeless(n, ['net', 'ingress', target, ...args]);

before(async () => {
  n = await startCli();
  sg = json(n, ['cloud', 'sg', 'create', '--name', 'web']).id;
  kc(n, ['apply', '-f', '-'], pod('web', { [SG_KEY]: sg }, [80]));
  web = await eipOf('web');
});
after(async () => { await n?.stop(); });

describe('nodeless net ingress', () => {
  it('is blocked while the pod\'s security group has no rule for the port', () => {
    const r = ingress(`${web.address}:80`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^blocked: security group ${sg} has no ingress rule allowing tcp/80 from 0\\.0\\.0\\.0/0 \\(EIP ${web.address.replace(/\./g, '\\.')} → eni-\\S+, pod default/web\\)$`, 'm'));
  });

  it('reaches the container once a rule allows the port, and names what is missing on other ports', () => {
    nodelessOk(n, ['cloud', 'sg', 'add-rule', sg, '--direction', 'ingress', '--protocol', 'tcp', '--port', '80', '--cidr', '0.0.0.0/0']);
    const ok = ingress(`${web.address}:80`);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`^internet 0\\.0\\.0\\.0/0 → EIP ${web.id} ${web.address.replace(/\./g, '\\.')}:80 → eni-\\S+ 10\\.\\S+ \\(pod default/web\\) → security group ${sg} ingress rule #0 \\(ACCEPT tcp 80 from 0\\.0\\.0\\.0/0\\) → container app listening on 80/TCP: reachable$`, 'm'));
    const view = JSON.parse(ingress(`${web.id}:80`, '-o', 'json').stdout);
    assert.equal(view.reachable, true);
    assert.deepEqual(view.listener, { by: 'app', port: 80, protocol: 'TCP' });
    assert.deepEqual(view.securityGroupIds, [sg]);

    const other = ingress(`${web.address}:8080`);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /^blocked: security group \S+ has no ingress rule allowing tcp\/8080 from 0\.0\.0\.0\/0/);
    nodelessOk(n, ['cloud', 'sg', 'add-rule', sg, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0']);
    const refused = ingress(`${web.address}:8080`);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^refused: no container of pod default\/web declares containerPort 8080\/TCP/);
    // The pod VM's metrics agent listens on 9100 (docs/tencent/metrics-port.md); the group does not let it out.
    assert.match(ingress(`${web.address}:9100`).stdout, /^blocked: .*tcp\/9100/);
  });

  it('applies rules in order: a DROP for a source range before the ACCEPT blocks only that range', () => {
    nodelessOk(n, ['cloud', 'sg', 'add-rule', sg, '--protocol', 'tcp', '--port', '80', '--cidr', '100.64.0.0/10', '--action', 'DROP', '--index', '0']);
    const dropped = ingress(`${web.address}:80`, '--from', '100.64.1.1');
    assert.equal(dropped.code, 1);
    assert.match(dropped.stdout, new RegExp(`^blocked: ingress rule #0 of security group ${sg} \\(DROP tcp 80 from 100\\.64\\.0\\.0/10\\) drops tcp/80 from 100\\.64\\.1\\.1`));
    assert.equal(ingress(`${web.address}:80`).code, 0);
  });

  it('a pod in the default security group is not reachable from the internet', async () => {
    kc(n, ['apply', '-f', '-'], pod('plain', {}, [80]));
    const plain = await eipOf('plain');
    const r = ingress(`${plain.address}:80`);
    assert.equal(r.code, 1);
    const def = (json(n, ['cloud', 'sg', 'list']) as any[]).find((g) => g.isDefault).id;
    assert.match(r.stdout, new RegExp(`^blocked: security group ${def} has no ingress rule allowing tcp/80 from 0\\.0\\.0\\.0/0`));
  });

  it('refuses bad targets and unknown EIPs clearly', () => {
    const unknown = ingress('192.0.2.77:80');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ResourceNotFound: EIP 192\.0\.2\.77 does not exist/);
    const bad = ingress('nonsense');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /want EIP:PORT/);
    const badFrom = ingress(`${web.address}:80`, '--from', 'somewhere');
    assert.match(badFrom.stderr, /^InvalidParameterValue: from "somewhere" is not an IPv4 address/);
    const unbound = nodelessOk(n, ['cloud', 'eip', 'allocate']).split(/\s+/).pop()!;
    const r = ingress(`${unbound}:80`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^blocked: EIP eip-\S+ \(\S+\) is not associated with anything/);
  });

  it('egress of a pod with an EIP goes out through the EIP, not the NAT gateway', async () => {
    const rtb = JSON.parse(nodeless(n, ['net', 'egress', 'web', '-o', 'json']).stdout).routeTableId;
    const vpc = json(n, ['cloud', 'rtb', 'get', rtb]).vpcId;
    const nat = json(n, ['cloud', 'nat', 'create', '--vpc', vpc, '--name', 'shared']);
    nodelessOk(n, ['cloud', 'rtb', 'add-route', rtb, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat.id]);
    const out = nodelessOk(n, ['net', 'egress', 'web']);
    assert.match(out, new RegExp(`→ EIP ${web.id} ${web.address.replace(/\./g, '\\.')}$`));
    assert.doesNotMatch(out, /NAT/);
    kc(n, ['run', 'nat-only', '--image=nginx:1.25']);
    // Its ENI, then its path: a pod without an EIP egresses through the NAT.
    await waitFor('nat-only\'s ENI', () => JSON.parse(kc(n, ['get', 'pod', 'nat-only', '-o', 'json'])).status?.podIP, 60_000);
    assert.ok(nodelessOk(n, ['net', 'egress', 'nat-only']).includes(`NAT ${nat.id}`));
  });
});
