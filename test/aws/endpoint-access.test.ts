// EKS endpoint access (issue 20 item 5, docs/aws/endpoint-access.md), through the nodeless CLI and kubectl:
// public, private or both, publicAccessCidrs, enforced on the connection; the private endpoint reached from
// a `nodeless vpc shell` and from a process-runtime pod, refused to anyone else; its name resolving inside
// the VPC only with enableDnsSupport and enableDnsHostnames; the cluster's ENIs; EKS's refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { applyProcessPod, cloudList, kc, kubectl, nodeless, nodelessOk, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let n: Running;

before(async () => {
  n = await startCli(undefined, ['--cloud', 'aws', '--allow-process-runtime']);
});
after(async () => { await n?.stop(); });

/** `nodeless vpc shell --subnet S -- CMD…` (its --home through the environment: after `--` it would be CMD's). */
function shell(subnet: string, cmd: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nodeless.js'), 'vpc', 'shell', '--subnet', subnet, '--', ...cmd], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODELESS_HOME: n.home },
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
const fails = (args: string[]) => {
  const r = nodeless(n, args);
  assert.equal(r.code, 1, `${args.join(' ')} should fail: ${r.stdout}`);
  return r.stderr.trim();
};
/** kubectl from outside the VPC, with the home's kubeconfig. */
const outside = (args: string[]) => kubectl(n, args);
/** A kubectl GET from outside that must be refused: one raw request, bounded (client-go retries a dropped connection until then). */
const refusedOutside = () => kubectl(n, ['get', '--raw', '/api/v1/namespaces/default', '--request-timeout=3s']);
/** One HTTPS GET /version from a chosen local source address: resolves to the status, or the socket error's code. */
function from(localAddress: string, url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = https.get(url + '/version', { ca: n.ca, localAddress, servername: 'localhost', agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  });
}
/** Reads go straight to the cloud API (the CLI's own output is tested where it matters). */
const cluster = async (name = 'default') => JSON.parse((await raw(n, 'GET', `/cloud/v1/clusters/${name}`)).body);
const clusterEnis = async (name = 'default') => (await cloudList(n, `/enis?cluster=${name}`)).filter((e: any) => e.attachedTo.type === 'cluster');
/** Waits for the server's log line (stderr arrives after the client's answer). */
const logged = (re: RegExp) => waitFor(`the server to log ${re}`, () => re.test(n.output()), 60_000);

describe('EKS endpoint access', () => {
  it('refuses bad input with EKS\'s words, never a crash', async () => {
    assert.equal(fails(['cluster', 'update-config', 'default', '--public-access-cidrs', '10.0.0.0/33,abc']),
      'InvalidParameterException: The following CIDRs are invalid in publicAccessCidrs: [10.0.0.0/33,abc]');
    assert.equal(fails(['cluster', 'update-config', 'default', '--endpoint-public-access', 'false']),
      'InvalidParameterException: Both private and public endpoint access cannot be false');
    assert.equal(fails(['cluster', 'update-config', 'default', '--endpoint-public-access', 'true']),
      'InvalidParameterException: Cluster is already at the desired configuration with endpointPrivateAccess: false , endpointPublicAccess: true, and Public Endpoint Restrictions: [0.0.0.0/0]');
    assert.match(fails(['cluster', 'update-config', 'default', '--endpoint-private-access', 'yes']), /--endpoint-private-access must be true or false, got "yes"/);
    assert.match(fails(['cluster', 'create', 'both-off', '--cloud', 'aws', '--endpoint-public-access', 'false']), /Both private and public endpoint access cannot be false/);
    const bad = shell('subnet-0000000000000000f', ['true']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim(), 'InvalidSubnetID.NotFound: The subnet ID \'subnet-0000000000000000f\' does not exist');
    // Set at creation: a private cluster limited to this machine, its two ENIs made with it.
    assert.match(nodelessOk(n, ['cluster', 'create', 'p2', '--cloud', 'aws', '--endpoint-private-access', 'true', '--public-access-cidrs', '127.0.0.1/32']),
      /cluster p2 \(\S+\) created on aws[^]*endpoint https:\/\/[0-9A-F]{32}\.gr7\.us-east-1\.eks\.amazonaws\.com: public on \(127\.0\.0\.1\/32\), private on/);
    assert.deepEqual((await clusterEnis('p2')).map((e: any) => e.description), ['Amazon EKS p2', 'Amazon EKS p2']);
    const c = await cluster();
    assert.deepEqual(c.endpointAccess, { public: true, private: false, publicAccessCidrs: ['0.0.0.0/0'] });
    assert.match(c.endpointHost, /^[0-9A-F]{32}\.gr7\.us-east-1\.eks\.amazonaws\.com$/);
    assert.equal((await clusterEnis()).length, 0);
  });

  it('publicAccessCidrs admit a source address and drop the others', async () => {
    assert.equal(outside(['get', 'ns', 'default', '-o', 'name']).stdout.trim(), 'namespace/default');
    nodelessOk(n, ['cluster', 'update-config', 'default', '--public-access-cidrs', '203.0.113.0/24,127.0.0.9/32']);
    const refused = refusedOutside();
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /EOF|connection reset|timeout/i);
    await logged(/source address 127\.0\.0\.1 is not in cluster default's publicAccessCidrs \[203\.0\.113\.0\/24,127\.0\.0\.9\/32\]/);
    // A client whose connection leaves from 127.0.0.9 is in the list; one from 127.0.0.1 is not.
    assert.equal(await from('127.0.0.9', n.url), 200);
    assert.notEqual(await from('127.0.0.1', n.url), 200);
    nodelessOk(n, ['cluster', 'update-config', 'default', '--public-access-cidrs', '0.0.0.0/0']);
    assert.equal(outside(['get', 'ns', 'default', '-o', 'name']).stdout.trim(), 'namespace/default');
  });

  it('private access: two "Amazon EKS" ENIs in the cluster\'s subnets, and the endpoint reached from a vpc shell only', async () => {
    const before = new Map((await cloudList(n, '/subnets')).map((s: any) => [s.id, s.availableIpCount]));
    const out = nodelessOk(n, ['cluster', 'update-config', 'default', '--endpoint-private-access', 'true']);
    assert.match(out, /private on/);
    const c = await cluster();
    const enis = (await clusterEnis());
    assert.equal(enis.length, 2);
    assert.equal(new Set(enis.map((e: any) => e.zone)).size, 2, 'in two zones');
    for (const e of enis) {
      assert.equal(e.description, 'Amazon EKS default');
      assert.ok(c.subnetIds.includes(e.subnetId));
      assert.equal(JSON.parse((await raw(n, 'GET', `/cloud/v1/subnets/${e.subnetId}`)).body).availableIpCount, (before.get(e.subnetId) as number) - 1, 'the ENI takes a subnet address');
    }
    assert.match(nodelessOk(n, ['cloud', 'eni', 'list']), /cluster default\s+Amazon EKS default/);
    // The bastion: kubectl inside the VPC, on the private endpoint by its EKS name.
    const subnet = c.subnetIds[0];
    const cfg = await waitFor('the private endpoint in the shell\'s kubeconfig', () => {
      const r = shell(subnet, ['sh', '-c', 'cat "$KUBECONFIG"']);
      return /server: https:\/\/\S+:\d+/.test(r.stdout) && r.stdout;
    });
    const server = /server: (https:\/\/(\S+):(\d+))/.exec(cfg)!;
    assert.match(server[1], new RegExp(`^https://(${c.endpointHost}|127\\.\\d+\\.\\d+\\.\\d+):\\d+$`));
    const inside = shell(subnet, ['kubectl', 'get', 'ns', 'default', '-o', 'name']);
    assert.equal(inside.stdout.trim(), 'namespace/default', inside.stderr);
    // The private endpoint answers at 127.B.C.D for its ENI A.B.C.D; a process outside the VPC is dropped there.
    const address = `127.${enis[0].primaryIp.split('.').slice(1).join('.')}`;
    const res = await from('127.0.0.1', `https://${address}:${server[3]}`);
    assert.notEqual(res, 200);
    await logged(/to cluster default's private endpoint refused: process \d+ is outside VPC vpc-/);
  });

  it('private access needs the VPC\'s enableDnsSupport and enableDnsHostnames to resolve the endpoint', async () => {
    const c = await cluster();
    nodelessOk(n, ['cloud', 'vpc', 'modify-attribute', c.vpcId, '--enable-dns-hostnames', 'false']);
    const r = shell(c.subnetIds[1], ['kubectl', '--request-timeout=5s', 'get', 'ns', 'default', '-o', 'name']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no such host|server misbehaving|lookup/);
    assert.match(r.stderr, new RegExp(c.endpointHost.replace(/\./g, '\\.')));
    nodelessOk(n, ['cloud', 'vpc', 'modify-attribute', c.vpcId, '--enable-dns-hostnames', 'true']);
    assert.equal(shell(c.subnetIds[1], ['kubectl', 'get', 'ns', 'default', '-o', 'name']).stdout.trim(), 'namespace/default');
  });

  it('a process-runtime pod reaches the private endpoint from inside the VPC', async () => {
    const ng = (await cluster()).subnetIds.join(',');
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'ng', '--instance-type', 't3.medium', '--subnets', ng, '--desired', '1']);
    applyProcessPod(n, 'inside', `
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'echo "$KUBERNETES_SERVICE_HOST"; curl -s -o /dev/null -w "%{http_code}\\n" --cacert "$NODELESS_ROOT/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/version"']
`);
    await waitFor('the pod to finish', () => /Completed|Error/.test(kc(n, ['get', 'pod', 'inside', '--no-headers'])), 120_000);
    const [host, code] = kc(n, ['logs', 'inside']).trim().split('\n');
    assert.match(host, /^127\.31\.\d+\.\d+$/, 'KUBERNETES_SERVICE_HOST is the private endpoint');
    assert.equal(code, '200');
  });

  it('public access off: kubectl from outside fails, doctor says why; inside the VPC it still works', async () => {
    nodelessOk(n, ['cluster', 'update-config', 'default', '--endpoint-public-access', 'false']);
    const r = refusedOutside();
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /EOF|connection reset|deadline|timeout/i);
    await logged(/public access to cluster default's endpoint is off \(endpointPublicAccess=false\)/);
    const doc = nodeless(n, ['doctor', '-o', 'json']);
    const f = JSON.parse(doc.stdout).findings.filter((x: any) => x.check === 'endpoint-access');
    assert.equal(f.length, 1, doc.stdout);
    assert.equal(f[0].severity, 'info');
    assert.match(f[0].message, /public access is off: kubectl from outside vpc-\S+ cannot connect/);
    assert.match(f[0].fix, /nodeless vpc shell --subnet subnet-/);
    const c = await cluster();
    assert.equal(shell(c.subnetIds[0], ['kubectl', 'get', 'ns', 'default', '-o', 'name']).stdout.trim(), 'namespace/default');
    // DNS off with public off: nothing reaches the API server, a critical finding (exit 1).
    nodelessOk(n, ['cloud', 'vpc', 'modify-attribute', c.vpcId, '--enable-dns-support', 'false']);
    const bad = nodeless(n, ['doctor']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /CRITICAL {2}endpoint-access[^]*enableDnsSupport off[^]*fix: nodeless cloud vpc modify-attribute/);
    nodelessOk(n, ['cloud', 'vpc', 'modify-attribute', c.vpcId, '--enable-dns-support', 'true']);
    nodelessOk(n, ['cluster', 'update-config', 'default', '--endpoint-public-access', 'true', '--endpoint-private-access', 'false']);
    assert.equal(outside(['get', 'ns', 'default', '-o', 'name']).stdout.trim(), 'namespace/default');
    assert.equal((await clusterEnis()).length, 0, 'private off frees the ENIs');
  });
});
