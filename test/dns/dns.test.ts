// The cluster DNS of process pods and the dns-timeout fault (docs/dns.md,
// docs/faults.md): a process pod resolves a Service, a headless Service and
// kubernetes.default through its resolv.conf with glibc's resolver (getent, as
// a program in the pod would); with dns-timeout on, the lookup times out
// (EAI_AGAIN: getent exits 2 after the resolver's own timeout, shortened with
// RES_OPTIONS as a client's flags would); cleared, it answers again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { kc, kubectl, nodeless, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
let dnsAddr = '';

before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  dnsAddr = (await waitFor('the cluster DNS address in the log', () => n.output().match(/cluster DNS on (127\.[\d.]+):53/)?.[1], 60_000, 100))!;
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

/**
 * The resolver's options: glibc's defaults (5 s, 2 tries: a loaded machine still answers in time), or, where a
 * timeout is expected, one try of 1 s (the client's own flags; the kubelet writes none).
 */
const opts = (short: boolean) => `RES_OPTIONS=${short ? 'timeout:1 attempts:1' : 'timeout:5 attempts:3'}`;
/** glibc's lookup in the pod (getent hosts). */
const lookup = (name: string, short = false) => kubectl(n, ['exec', 'dns', '--', 'env', opts(short), 'getent', 'hosts', name]);
/** getaddrinfo's answer or error code in the pod (node's dns.lookup): EAI_AGAIN for a timeout, ENOTFOUND for NXDOMAIN. */
const failure = (name: string, short = false) => kc(n, ['exec', 'dns', '--', 'env', opts(short), 'node', '-e',
  `require('dns').lookup(${JSON.stringify(name)}, {family: 4}, (e, a) => console.log(e ? e.code : a))`]).trim();

test('a process pod resolves Services through the cluster DNS; dns-timeout makes lookups time out; cleared, they answer', async () => {
  kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: peers}
spec: {clusterIP: None, selector: {app: dns}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: dns, labels: {app: dns}, annotations: {nodeless.dev/runtime: process}}
spec:
  containers:
  - {name: main, image: busybox, command: [sh, -c, 'cat /etc/resolv.conf; exec sleep 3600']}
`);
  const pod = await waitFor('dns running', () => {
    const p = JSON.parse(kc(n, ['get', 'pod', 'dns', '-o', 'json']));
    return p.status?.phase === 'Running' && p.status.podIP && p;
  }, 90_000, 200);
  // The kubelet's ClusterFirst resolv.conf, with the address the DNS is reachable at.
  assert.match(kc(n, ['logs', 'dns']), new RegExp(`^search default\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local.*\\nnameserver ${dnsAddr.replace(/\./g, '\\.')}\\noptions ndots:5\\n$`));
  const web = kc(n, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
  const api = kc(n, ['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
  // A short name goes through the search list (ndots:5), as in a real pod.
  assert.deepEqual(lookup('web').stdout.trim().split(/\s+/), [web, 'web.default.svc.cluster.local']);
  assert.equal(lookup('kubernetes.default.svc.cluster.local').stdout.trim().split(/\s+/)[0], api);
  // A headless Service: its ready endpoints' pod IPs.
  await waitFor('peers resolves to the pod', () => lookup('peers.default.svc.cluster.local').stdout.includes(pod.status.podIP), 60_000, 500);
  // Unknown names: NXDOMAIN at once (exit 2), nothing forwarded off the machine.
  assert.equal(lookup('nothing.default.svc.cluster.local.').code, 2);
  assert.equal(failure('nothing.default.svc.cluster.local.'), 'ENOTFOUND');
  assert.equal(failure('web.default.svc.cluster.local.'), web);

  // An SRV query straight to the server over UDP: _http._tcp.web.default.svc.cluster.local.
  const srv = await query(dnsAddr, '_http._tcp.web.default.svc.cluster.local', 33);
  assert.equal(srv.readUInt16BE(6), 1, 'one SRV answer');

  const on = nodeless(n, ['fault', 'inject', 'dns-timeout', '--name', 'dns']);
  assert.equal(on.code, 0, on.stderr);
  // Lookups time out (the resolver gets no answer): getent exits 2, as for EAI_AGAIN.
  const timedOut = lookup('web.default.svc.cluster.local.', true);
  assert.equal(timedOut.code, 2);
  assert.equal(timedOut.stdout, '');
  assert.equal(failure('web.default.svc.cluster.local.', true), 'EAI_AGAIN');
  assert.match(kc(n, ['get', '--raw', '/metrics']), /nodeless_faults_active\{fault="dns",kind="dns-timeout",target=""\} 1/);

  const off = nodeless(n, ['fault', 'clear', 'dns']);
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual(lookup('web.default.svc.cluster.local.').stdout.trim().split(/\s+/), [web, 'web.default.svc.cluster.local']);
});

/** One query over UDP, its response (the test's own small client: no resolver in between). */
function query(server: string, name: string, type: number): Promise<Buffer> {
  const head = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const qname = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const tail = Buffer.from([0, type, 0, 1]);
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sock.close(); reject(new Error(`no answer from ${server}`)); }, 30_000);
    sock.on('error', (e) => { clearTimeout(timer); sock.close(); reject(e); });
    sock.on('message', (m) => { clearTimeout(timer); sock.close(); resolve(m); });
    sock.send(Buffer.concat([head, qname, tail]), 53, server);
  });
}
