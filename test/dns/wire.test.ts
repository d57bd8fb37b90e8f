// The cluster DNS's wire format and answers (docs/dns.md), through a real UDP
// and TCP server on 127.0.0.1 and a port of the system's choosing, with node's
// own resolver (dns.Resolver) as the client; hostile messages get no crash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { ClusterDns, reply, type DnsSource } from '../../src/runtime/dns.js';

const svc = (ns: string, name: string, spec: any) => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec });
const objects = new Map<string, any>([
  ['default/web', svc('default', 'web', { clusterIP: '10.96.12.7', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] })],
  ['default/db', svc('default', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] })],
  ['default/ext', svc('default', 'ext', { type: 'ExternalName', externalName: 'example.com' })],
]);
const endpoints = new Map<string, any>([['default/db', { subsets: [{ addresses: [{ ip: '10.0.1.4' }, { ip: '10.0.1.5' }], notReadyAddresses: [{ ip: '10.0.1.6' }] }] }]]);
const src: DnsSource = { service: (ns, n) => objects.get(`${ns}/${n}`), endpoints: (ns, n) => endpoints.get(`${ns}/${n}`) };

const server = new ClusterDns(src);
// One try each (a retry would be another query for `percent`); generous timeouts where an answer is expected.
const r = new Resolver({ timeout: 10_000, tries: 1 });
const short = new Resolver({ timeout: 300, tries: 1 });
const mid = new Resolver({ timeout: 3000, tries: 1 });
before(async () => {
  assert.ok(await server.start('127.0.0.1', 0), server.reason);
  for (const x of [r, short, mid]) x.setServers([`127.0.0.1:${server.port}`]);
});
after(() => server.stop());

test('A for Services (ClusterIP, headless ready endpoints), pods, SRV; NXDOMAIN otherwise, nothing forwarded', async () => {
  assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), ['10.96.12.7']);
  assert.deepEqual((await r.resolve4('db.default.svc.cluster.local')).sort(), ['10.0.1.4', '10.0.1.5']);
  assert.deepEqual(await r.resolve4('10-0-1-9.default.pod.cluster.local'), ['10.0.1.9']);
  assert.deepEqual(await r.resolveSrv('_http._tcp.web.default.svc.cluster.local'), [{ name: 'web.default.svc.cluster.local', port: 8080, priority: 0, weight: 100 }]);
  // The name exists, no AAAA: NODATA.
  await assert.rejects(r.resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
  for (const name of ['nope.default.svc.cluster.local', 'ext.default.svc.cluster.local', 'example.com', '_x._tcp.web.default.svc.cluster.local', 'a.b.c.default.svc.cluster.local']) {
    await assert.rejects(r.resolve4(name), { code: 'ENOTFOUND' }, name);
  }
});

test('dns-timeout: all queries dropped, or a share of them (percent), then answered again', async () => {
  server.setTimeout('f');
  await assert.rejects(short.resolve4('web.default.svc.cluster.local'), { code: 'ETIMEOUT' });
  server.delete('f');
  assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), ['10.96.12.7']);
  server.setTimeout('half', 50);
  const results = await Promise.allSettled([1, 2, 3, 4].map(() => mid.resolve4('web.default.svc.cluster.local')));
  assert.equal(results.filter((x) => x.status === 'fulfilled').length, 2);
  server.delete('half');
});

test('over TCP, and hostile messages: no crash, the server still answers', async () => {
  const q = query('web.default.svc.cluster.local', 1);
  const tcpAnswer = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect(server.port!, '127.0.0.1');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    let buf = Buffer.alloc(0);
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) { s.end(); resolve(buf.subarray(2)); } });
    s.on('error', reject);
    s.write(Buffer.concat([len, q]));
  });
  assert.equal(tcpAnswer.readUInt16BE(6), 1);
  assert.deepEqual([...tcpAnswer.subarray(tcpAnswer.length - 4)], [10, 96, 12, 7]);
  // Truncated, a response, a compression pointer in the question, an over-long label, no question: dropped.
  for (const bad of [Buffer.alloc(3), Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]),
    Buffer.concat([q.subarray(0, 12), Buffer.from([64]), Buffer.alloc(64, 97), Buffer.from([0, 0, 1, 0, 1])]), Buffer.from([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])]) {
    assert.equal(reply(src, bad), undefined);
  }
  // Another class: FORMERR; another opcode: NOTIMP.
  const chaos = Buffer.from(q); chaos.writeUInt16BE(3, chaos.length - 2);
  assert.equal(reply(src, chaos)!.readUInt16BE(2) & 0xf, 1);
  const status = Buffer.from(q); status.writeUInt16BE(0x1100, 2);
  assert.equal(reply(src, status)!.readUInt16BE(2) & 0xf, 4);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.send(Buffer.from('garbage'), server.port!, '127.0.0.1', () => resolve()));
  sock.close();
  assert.deepEqual(await r.resolve4('WEB.default.svc.cluster.local'), ['10.96.12.7']);
});

function query(name: string, type: number): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, type, 0, 1])]);
}
