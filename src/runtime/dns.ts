// The cluster DNS process-runtime pods ask (docs/dns.md): what CoreDNS's
// kubernetes plugin answers for cluster.local, read from the cluster's
// Services and Endpoints, over UDP and TCP on a loopback address of its own at
// port 53 (process pods share this machine's network, so the kube-dns
// ClusterIP 10.96.0.10 is reachable by nothing; their resolv.conf names this
// address instead). Nothing is ever forwarded off the machine: any other name
// is NXDOMAIN. The dns-timeout fault (docs/faults.md) makes it drop queries.
import dgram from 'node:dgram';
import net from 'node:net';
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import type { SharedInformers } from '../client/cache/shared.js';
import { CLUSTER_DOMAIN } from './podfiles.js';

const TYPE_A = 1;
const TYPE_SRV = 33;
const CLASS_IN = 1;
const RCODE_OK = 0;
const RCODE_FORMERR = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
/** CoreDNS's kubernetes plugin default TTL. */
const TTL = 5;

export interface Question { id: number; flags: number; name: string; type: number; klass: number; end: number }

/** The first question of a DNS message (RFC 1035 4.1), or undefined when it is not one we can read. */
export function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) < 1) return undefined; // a response, or no question
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= msg.length) return undefined;
    const len = msg[i];
    if (len === 0) { i++; break; }
    if (len > 63 || i + 1 + len > msg.length) return undefined; // compression pointers are not used in questions
    labels.push(msg.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  if (i + 4 > msg.length) return undefined;
  return { id, flags, name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i), klass: msg.readUInt16BE(i + 2), end: i + 4 };
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => { const b = Buffer.from(l, 'latin1'); return Buffer.concat([Buffer.from([b.length]), b]); });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

export interface Answer { type: number; data: Buffer }

/** A response to `q` (its question copied from `msg`), authoritative, no recursion available. */
export function response(msg: Buffer, q: Question, rcode: number, answers: Answer[]): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  // QR, the query's opcode and RD, AA; RA clear: this server never recurses.
  head.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0400 | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((a) => {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the question's name
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(TTL, 6);
    rr.writeUInt16BE(a.data.length, 10);
    return Buffer.concat([rr, a.data]);
  });
  return Buffer.concat([head, msg.subarray(12, q.end), ...rrs]);
}

const ipv4 = (ip: string): Buffer | undefined => (net.isIPv4(ip) ? Buffer.from(ip.split('.').map(Number)) : undefined);
const isHeadless = (svc: KubeObject) => !svc.spec?.clusterIP || svc.spec.clusterIP === 'None';

/** Where the answers come from: the cluster's Services and Endpoints (what CoreDNS watches). */
export interface DnsSource {
  service(namespace: string, name: string): KubeObject | undefined;
  endpoints(namespace: string, name: string): KubeObject | undefined;
}

export const informerSource = (informers: SharedInformers): DnsSource => {
  const svcs = informers.informer(refs.services);
  const eps = informers.informer(refs.endpoints);
  return { service: (ns, n) => svcs.get(ns, n), endpoints: (ns, n) => eps.get(ns, n) };
};

/** The addresses a Service name stands for: its ClusterIP, or a headless Service's ready endpoints. */
function serviceIps(src: DnsSource, svc: KubeObject): string[] {
  if (!isHeadless(svc)) return [String(svc.spec.clusterIP)];
  const ep = src.endpoints(svc.metadata.namespace!, svc.metadata.name!);
  const ips: string[] = (ep?.subsets ?? []).flatMap((s: any) => (Array.isArray(s?.addresses) ? s.addresses : []).map((a: any) => String(a?.ip ?? '')));
  return [...new Set(ips)];
}

/** The rcode and answers for a question, as CoreDNS's kubernetes plugin gives them (A and SRV; no forwarding). */
export function answer(src: DnsSource, name: string, type: number): { rcode: number; answers: Answer[] } {
  const nx = { rcode: RCODE_NXDOMAIN, answers: [] };
  const zone = `.${CLUSTER_DOMAIN}`;
  if (!name.endsWith(zone)) return nx;
  const labels = name.slice(0, -zone.length).split('.');
  const a = (ips: string[]) => ips.map(ipv4).filter((b): b is Buffer => !!b).map((data) => ({ type: TYPE_A, data }));
  // POD-IP.NS.pod.cluster.local (CoreDNS `pods insecure`): the address in the name, dashes for dots.
  if (labels.length === 2 + 1 && labels[2] === 'pod') {
    const ip = labels[0].replace(/-/g, '.');
    if (!net.isIPv4(ip)) return nx;
    return { rcode: RCODE_OK, answers: type === TYPE_A ? a([ip]) : [] };
  }
  // SVC.NS.svc.cluster.local, and _PORT._PROTO.SVC.NS.svc.cluster.local for SRV.
  if (labels[labels.length - 1] !== 'svc') return nx;
  const rest = labels.slice(0, -1);
  const srv = rest.length === 4 && rest[0].startsWith('_') && rest[1].startsWith('_') ? rest.splice(0, 2) : undefined;
  if (rest.length !== 2) return nx;
  const svc = src.service(rest[1], rest[0]);
  if (!svc || svc.spec?.type === 'ExternalName') return nx;
  if (srv) {
    const [port, proto] = srv.map((l) => l.slice(1));
    const p = (Array.isArray(svc.spec?.ports) ? svc.spec.ports : []).find((x: any) => x?.name === port && String(x?.protocol ?? 'TCP').toLowerCase() === proto);
    if (!p) return nx;
    if (type !== TYPE_SRV) return { rcode: RCODE_OK, answers: [] };
    const target = encodeName(`${rest[0]}.${rest[1]}.svc${zone}`);
    const data = Buffer.concat([Buffer.from([0, 0, 0, 100, (p.port >> 8) & 0xff, p.port & 0xff]), target]);
    return { rcode: RCODE_OK, answers: [{ type: TYPE_SRV, data }] };
  }
  // The name exists: other types (AAAA for an IPv4 cluster) are an empty NOERROR, so resolvers fall back to A.
  return { rcode: RCODE_OK, answers: type === TYPE_A ? a(serviceIps(src, svc)) : [] };
}

/** The reply to one query message, or undefined to drop it (unreadable). */
export function reply(src: DnsSource, msg: Buffer): Buffer | undefined {
  const q = parseQuery(msg);
  if (!q) return undefined;
  if ((q.flags >> 11) & 0xf) return response(msg, q, RCODE_NOTIMP, []); // only standard queries
  if (q.klass !== CLASS_IN) return response(msg, q, RCODE_FORMERR, []);
  const r = answer(src, q.name, q.type);
  return response(msg, q, r.rcode, r.answers);
}

/** The loopback address of cluster `index` (0, 1, …): 127.255.53.N, off the 127.B.C.D of AWS private endpoints (B is a VPC octet; 10.255.53.x is never an ENI here). */
export const dnsAddress = (index: number): string => `127.255.53.${(index % 250) + 1}`;

export class ClusterDns {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  /** dns-timeout faults by id: the percent of queries each drops. */
  private readonly timeouts = new Map<string, number>();
  private queries = 0;
  /** Why the server is not serving, once start failed. */
  reason?: string;
  address?: string;

  constructor(private readonly src: DnsSource, private readonly log: (msg: string) => void = () => {}) {}

  /** Binds UDP and TCP port 53 at `address`; on failure the server stays off and says why in `reason`. */
  async start(address: string, port = 53): Promise<boolean> {
    try {
      const udp = dgram.createSocket('udp4');
      udp.on('message', (msg, rinfo) => { const out = this.handle(msg); if (out) udp.send(out, rinfo.port, rinfo.address); });
      await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, address, () => { udp.off('error', reject); resolve(); }); });
      udp.on('error', (e) => this.log(`cluster DNS on ${address}: ${e.message}`));
      this.udp = udp;
      // TCP on the same port as UDP (the one the system picked, for port 0).
      const tcp = net.createServer((sock) => this.serveTcp(sock));
      await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(udp.address().port, address, () => { tcp.off('error', reject); resolve(); }); });
      this.tcp = tcp;
      this.address = address;
      this.reason = undefined;
      return true;
    } catch (e) {
      this.reason = `cluster DNS could not listen on ${address}:${port}: ${(e as Error).message}`;
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') this.log(this.reason);
      this.stop();
      return false;
    }
  }

  /**
   * Listens on the first free address of 127.255.53.1-250: another cluster, or
   * another nodeless on this machine, may hold one. Other errors (no root for
   * port 53) leave the server off at once, with `reason` saying why.
   */
  async listen(port = 53): Promise<boolean> {
    for (let i = 0; i < 250; i++) {
      if (await this.start(dnsAddress(i), port)) return true;
      if (!/EADDRINUSE/.test(this.reason ?? '')) return false;
    }
    return false;
  }

  /** The UDP port it listens on (53, or the one the system picked for port 0). */
  get port(): number | undefined { return this.udp?.address().port; }

  /** dns-timeout: while any is set, queries go unanswered (the client times out). */
  setTimeout(id: string, percent = 100): void { this.timeouts.set(id, percent); }
  delete(id: string): void { this.timeouts.delete(id); }

  private handle(msg: Buffer): Buffer | undefined {
    if (this.timeouts.size) {
      // percent% of queries, spread evenly (query k is dropped when k*p/100 steps up): no randomness, so a
      // resolver's retry of a dropped query may be answered, as with a lossy path to CoreDNS.
      const p = Math.max(...this.timeouts.values());
      const k = this.queries++;
      if (Math.floor(((k + 1) * p) / 100) > Math.floor((k * p) / 100)) return undefined;
    }
    return reply(this.src, msg);
  }

  /** DNS over TCP (RFC 1035 4.2.2): each message after its two-byte length. */
  private serveTcp(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    sock.on('error', () => sock.destroy());
    sock.setTimeout(30_000, () => sock.destroy());
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 65_537) { sock.destroy(); return; }
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const out = this.handle(msg);
        if (!out) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len, out]));
      }
    });
  }

  stop(): void {
    try { this.udp?.close(); } catch { /* closed */ }
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }
}
