// /etc/exports of a self-managed NFS server: parsing lines like
// `/data 10.0.0.0/16(rw,insecure)` (the tencent-tke-serverless-faq example)
// and answering a mount request from a client address the way the kernel
// NFS server would. Super-node pods mount from unprivileged source ports
// (>= 1024), so an export without `insecure` refuses them (FAQ10).
import { InvalidParameterValue } from '../errors.js';
import { cidrContainsIp, formatIp, parseCidr, parseIp } from '../ipv4.js';
import type { NfsClient, NfsExport } from '../types.js';

/** Flags exports(5) knows; anything else is a typo that exportfs would refuse. */
const FLAGS = new Set([
  'rw', 'ro', 'sync', 'async', 'secure', 'insecure', 'root_squash', 'no_root_squash', 'all_squash', 'no_all_squash',
  'subtree_check', 'no_subtree_check', 'wdelay', 'no_wdelay', 'hide', 'nohide', 'crossmnt', 'acl', 'no_acl',
  'secure_locks', 'insecure_locks', 'auth_nlm', 'no_auth_nlm', 'mountpoint', 'mp', 'pnfs', 'no_pnfs',
]);
const VALUED = /^(fsid|anonuid|anongid|sec|refer|replicas|mountpoint|mp|xprtsec)=[^\s,()]+$/;

function checkHost(host: string, line: string): string {
  if (host === '*') return host;
  if (parseIp(host) !== undefined) return host;
  const slash = host.indexOf('/');
  if (slash > 0 && parseIp(host.slice(0, slash)) !== undefined) {
    const mask = host.slice(slash + 1);
    // 10.0.0.0/255.255.0.0 is the same as /16 (exports(5) allows both).
    const m = parseIp(mask);
    const prefix = m !== undefined ? 32 - Math.log2(2 ** 32 - m) : /^\d{1,2}$/.test(mask) ? Number(mask) : NaN;
    if (Number.isInteger(prefix) && prefix >= 0 && prefix <= 32) {
      const ip = parseIp(host.slice(0, slash))!;
      const size = 2 ** (32 - prefix);
      return parseCidr(`${formatIp(ip - (ip % size))}/${prefix}`).text;
    }
  }
  throw new InvalidParameterValue(`export "${line}": client "${host}" is not supported; use *, an IPv4 address or a CIDR such as 10.0.0.0/16`);
}

function checkOptions(raw: string, line: string): string[] {
  const opts = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of opts) {
    if (!FLAGS.has(o) && !VALUED.test(o)) throw new InvalidParameterValue(`export "${line}": unknown option "${o}" (exportfs would refuse it); e.g. rw,insecure`);
  }
  return opts;
}

/** One /etc/exports line: a path, then clients `host(options)`; `(options)` alone means every host, as exportfs reads it. */
export function parseExportLine(input: unknown): NfsExport {
  if (typeof input !== 'string') throw new InvalidParameterValue('an export must be a string like "/data 10.0.0.0/16(rw,insecure)"');
  const line = input.trim();
  const [first, ...rest] = line.split(/\s+/);
  if (!first || !first.startsWith('/')) throw new InvalidParameterValue(`export "${line}" must start with an absolute path, e.g. "/data 10.0.0.0/16(rw,insecure)"`);
  const path = normalizePath(first);
  const clients: NfsClient[] = [];
  for (const tok of rest) {
    const m = /^([^()]*)(?:\(([^()]*)\))?$/.exec(tok);
    if (!m) throw new InvalidParameterValue(`export "${line}": cannot read client "${tok}"; expected host(options), e.g. 10.0.0.0/16(rw,insecure)`);
    clients.push({ host: checkHost(m[1] || '*', line), options: checkOptions(m[2] ?? '', line) });
  }
  // A path with no client is exported to the world with the defaults.
  if (!clients.length) clients.push({ host: '*', options: [] });
  return { path, clients };
}

/** Exports from a list of lines; a path given twice is refused (exportfs would merge them confusingly). */
export function parseExports(lines: unknown): NfsExport[] {
  if (lines === undefined) return [];
  if (!Array.isArray(lines)) throw new InvalidParameterValue('exports must be a list of /etc/exports lines');
  const out = lines.map(parseExportLine);
  const seen = new Set<string>();
  for (const e of out) {
    if (seen.has(e.path)) throw new InvalidParameterValue(`path ${e.path} is exported twice; put all its clients on one line`);
    seen.add(e.path);
  }
  return out;
}

export function formatExport(e: NfsExport): string {
  return `${e.path} ${e.clients.map((c) => `${c.host}(${c.options.join(',')})`).join(' ')}`;
}

/** `/data/` and `/data` are one path; `..` cannot climb out. */
export function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

export type MountAnswer =
  | { ok: true; export: NfsExport; readOnly: boolean }
  | { ok: false; reason: 'denied' | 'insecure' };

const specificity = (host: string) => (host === '*' ? -1 : host.includes('/') ? Number(host.split('/')[1]) : 33);

function matches(host: string, ip: number): boolean {
  if (host === '*') return true;
  if (!host.includes('/')) return parseIp(host) === ip;
  return cidrContainsIp(parseCidr(host), ip);
}

/**
 * What the server says to a mount of `path` from `clientIp` on an
 * unprivileged port: the export is the longest exported path containing it
 * (a subdirectory of an export mounts too), the client entry the most
 * specific one matching the address.
 */
export function answerMount(exports: NfsExport[], path: string, clientIp: string): MountAnswer {
  const p = normalizePath(path);
  const ip = parseIp(clientIp);
  const exp = exports
    .filter((e) => e.path === '/' || p === e.path || p.startsWith(`${e.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!exp || ip === undefined) return { ok: false, reason: 'denied' };
  const client = exp.clients.filter((c) => matches(c.host, ip)).sort((a, b) => specificity(b.host) - specificity(a.host))[0];
  if (!client) return { ok: false, reason: 'denied' };
  // `secure` is the default: requests must come from a port below 1024.
  const lastOf = (a: string, b: string) => client.options.lastIndexOf(a) > client.options.lastIndexOf(b);
  if (!lastOf('insecure', 'secure')) return { ok: false, reason: 'insecure' };
  return { ok: true, export: exp, readOnly: !lastOf('rw', 'ro') };
}
