// IPv4 arithmetic on unsigned 32-bit integers: parsing CIDRs, containment and
// overlap. Hand-rolled because the hot path (IP allocation) wants plain numbers.
import { InvalidParameterValue } from './errors.js';

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  /** Number of addresses in the block (2^(32-prefix)). */
  size: number;
  text: string;
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIp(s: string): number | undefined {
  const m = IP_RE.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses `a.b.c.d/p`; the address must be the network address of the block. */
export function parseCidr(s: unknown, what = 'CIDR'): Cidr {
  if (typeof s !== 'string') throw new InvalidParameterValue(`${what} must be a string like 10.0.1.0/24`);
  const slash = s.indexOf('/');
  const ip = slash > 0 ? parseIp(s.slice(0, slash)) : undefined;
  const prefixText = slash > 0 ? s.slice(slash + 1) : '';
  const prefix = /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new InvalidParameterValue(`${what} ${s} is not a valid IPv4 CIDR (expected e.g. 10.0.1.0/24)`);
  }
  const size = 2 ** (32 - prefix);
  const base = ip - (ip % size);
  if (base !== ip) {
    throw new InvalidParameterValue(`${what} ${s} has host bits set; did you mean ${formatIp(base)}/${prefix}?`);
  }
  return { base, prefix, size, text: `${formatIp(base)}/${prefix}` };
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrContainsIp(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** RFC 1918 private ranges: the only ones a VPC may use (Tencent allows these three). */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c));
