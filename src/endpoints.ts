// EKS endpoint access on this machine (docs/aws/endpoint-access.md): who stands "inside the VPC".
// The kernel says which process holds the other end of a TCP connection (/proc/net/tcp gives the
// socket's inode, /proc/PID/fd who holds it); that process is inside a VPC when it descends from a
// process nodeless put there: a process-runtime pod of a cluster in the VPC, or a `nodeless vpc shell`
// (the bastion), which registered itself over the authenticated cloud API. Nothing a client says
// (a header, a flag, an address it binds) makes it inside.
import fs from 'node:fs';
import type net from 'node:net';
import type http from 'node:http';
import type { Cloud } from './cloud/index.js';
import type { Cluster } from './cloud/types.js';
import type { EndpointAccessPolicy, ExtraRoute } from './apiserver/server.js';
import { SYSTEM_MASTERS } from './apiserver/auth/user.js';
import { sendJson } from './apiserver/http.js';
import { processTable, type ProcEntry } from './runtime/portguard.js';
import { servingCertificate } from './apiserver/pki.js';

/** A vpc shell: its process, as /proc knew it when it registered (the start time tells a reused pid apart). */
interface Shell { pid: number; start: string; vpcId: string; subnetId: string }

export const VPC_SHELL_PATH = '/cloud/v1/vpcshells';

/** /proc/net/tcp's spelling of an IPv4 address and port: the address's bytes in host (little-endian) order. */
function procAddress(address: string | undefined, port: number | undefined): string | undefined {
  const m = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address ?? '');
  if (!m || port === undefined) return undefined;
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  return `${[4, 3, 2, 1].map((i) => hex(Number(m[i]), 2)).join('')}:${hex(port, 4)}`;
}

/** The pid of the process on this machine holding the other end of `socket`, if it can be found. */
export function peerProcess(socket: net.Socket): number | undefined {
  const peer = procAddress(socket.remoteAddress, socket.remotePort);
  const local = procAddress(socket.localAddress, socket.localPort);
  if (!peer || !local) return undefined;
  let inode: string | undefined;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st … inode: the peer's own socket has our end as its remote.
      if (cols.length >= 10 && cols[1].endsWith(peer) && cols[2].endsWith(local) && cols[9] !== '0') { inode = cols[9]; break; }
    }
    if (inode) break;
  }
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  let names: string[];
  try { names = fs.readdirSync('/proc'); } catch { return undefined; }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${name}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (fs.readlinkSync(`/proc/${name}/fd/${fd}`) === target) return Number(name); } catch { /* closed meanwhile */ }
    }
  }
  return undefined;
}

/** The start time of a process (field 22 of /proc/PID/stat), which a reused pid does not share. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** `pid` and its ancestors, each with its process group. */
function lineage(pid: number, table: ProcEntry[]): ProcEntry[] {
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const out: ProcEntry[] = [];
  for (let p = byPid.get(pid); p && out.length < 512; p = byPid.get(p.ppid)) {
    out.push(p);
    if (p.ppid === p.pid || p.ppid === 0) break;
  }
  return out;
}

export interface EndpointGuardOptions {
  /** The main processes of cluster NAME's process-runtime containers (each its own process group). */
  podPids(cluster: string): Promise<number[]>;
  /** Where cluster NAME's private endpoint listens, once it does. */
  privateEndpoint(cluster: string): { host: string; port: number } | undefined;
  /** The cluster CA, which signs each private endpoint's serving certificate. */
  ca: { cert: string; key: string };
}

export class EndpointGuard implements EndpointAccessPolicy {
  private readonly shells = new Map<number, Shell>();

  constructor(private readonly cloud: Cloud, private readonly opts: EndpointGuardOptions) {}

  private cluster(name: string): Cluster | undefined {
    try { return this.cloud.clusters.find(name); } catch { return undefined; }
  }

  /** Asked for every request to the public endpoint: two map lookups, no scan. */
  access(name: string): ReturnType<EndpointAccessPolicy['access']> {
    const c = this.cluster(name);
    if (!c || c.cloud !== 'aws') return undefined;
    return { public: c.endpointAccess.public, private: c.endpointAccess.private, publicAccessCidrs: c.endpointAccess.publicAccessCidrs ?? ['0.0.0.0/0'] };
  }

  /** The private endpoint stands for the cluster's first ENI A.B.C.D and listens on 127.B.C.D. */
  privateAddress(name: string): string | undefined {
    const c = this.cluster(name);
    const eni = c && this.cloud.clusters.endpointEnis(c)[0];
    return eni ? `127.${eni.primaryIp.split('.').slice(1).join('.')}` : undefined;
  }

  /** Valid for the endpoint's EKS name, its loopback address, its ENIs' addresses and the in-cluster names. */
  certificate(name: string, address: string): Promise<{ cert: string; key: string }> {
    const c = this.cluster(name);
    const enis = c ? this.cloud.clusters.endpointEnis(c).map((e) => e.primaryIp) : [];
    return servingCertificate(this.opts.ca, [...(c?.endpointHost ? [c.endpointHost] : []), 'kubernetes', 'kubernetes.default.svc'], [address, ...enis]);
  }

  async inside(name: string, socket: net.Socket): Promise<string | undefined> {
    const c = this.cluster(name);
    if (!c) return `cluster ${name} does not exist`;
    const pid = peerProcess(socket);
    if (pid === undefined) return `no process on this machine holds ${socket.remoteAddress}:${socket.remotePort}, so it cannot be inside VPC ${c.vpcId}`;
    const chain = lineage(pid, processTable());
    for (const p of chain) {
      const shell = this.shells.get(p.pid);
      if (shell && shell.vpcId === c.vpcId && startTime(p.pid) === shell.start) return undefined;
    }
    const roots = new Set<number>();
    for (const other of this.cloud.clusters.list()) {
      if (other.vpcId === c.vpcId) for (const r of await this.opts.podPids(other.name)) roots.add(r);
    }
    if (chain.some((p) => roots.has(p.pid) || roots.has(p.pgrp))) return undefined;
    return `process ${pid} is outside VPC ${c.vpcId}: neither a pod of a cluster in it nor a nodeless vpc shell`;
  }

  /** Forgets shells that have exited (or whose pid was reused). */
  private prune(): void {
    for (const [pid, s] of this.shells) if (startTime(pid) !== s.start) this.shells.delete(pid);
  }

  /**
   * POST /cloud/v1/vpcshells {subnetId}: the calling process (the one holding this connection) becomes a
   * shell standing in the subnet; the answer lists the private endpoints it may reach and whether the VPC's
   * resolver answers their names (enableDnsSupport and enableDnsHostnames).
   */
  route(): ExtraRoute {
    return async (req: http.IncomingMessage, res: http.ServerResponse, url, body, user) => {
      if (url.pathname !== VPC_SHELL_PATH) return false;
      const fail = (status: number, code: string, message: string) => { sendJson(res, status, { code, message }); return true; };
      if (!user.groups.includes(SYSTEM_MASTERS)) return fail(403, 'UnauthorizedOperation', `user ${JSON.stringify(user.username)} is not allowed to use the cloud API: it requires the group ${SYSTEM_MASTERS}`);
      if (req.method !== 'POST') return fail(405, 'InvalidAction', `${req.method} is not supported on ${VPC_SHELL_PATH}`);
      let input: unknown;
      try { input = JSON.parse((await body()).toString('utf8') || '{}'); } catch { return fail(400, 'InvalidParameter', 'the request body must be a JSON object'); }
      const subnetId = (input as { subnetId?: unknown } | null)?.subnetId;
      if (typeof subnetId !== 'string' || !subnetId) return fail(400, 'MissingParameter', 'The request must contain the parameter subnetId');
      let subnet;
      try { subnet = this.cloud.subnets.get(subnetId); } catch { return fail(400, 'InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`); }
      const pid = peerProcess(req.socket);
      const start = pid === undefined ? undefined : startTime(pid);
      if (pid === undefined || start === undefined) return fail(400, 'InvalidParameter', 'the calling process cannot be found on this machine: a vpc shell must run here');
      this.prune();
      this.shells.set(pid, { pid, start, vpcId: subnet.vpcId, subnetId });
      const vpc = this.cloud.vpcs.get(subnet.vpcId);
      const endpoints = this.cloud.clusters.list().filter((c) => c.vpcId === subnet.vpcId && c.cloud === 'aws' && c.endpointAccess.private).flatMap((c) => {
        const at = this.opts.privateEndpoint(c.name);
        return at && c.endpointHost ? [{ cluster: c.name, host: c.endpointHost, address: at.host, port: at.port }] : [];
      });
      sendJson(res, 201, {
        pid, vpcId: subnet.vpcId, subnetId, zone: subnet.zone,
        enableDnsSupport: vpc.enableDnsSupport, enableDnsHostnames: vpc.enableDnsHostnames,
        endpoints,
      });
      return true;
    };
  }
}
