// IP addresses and CIDRs as Go's net package (through k8s.io/utils/net's
// "sloppy" parsers) reads them in validation: used by NetworkPolicy ipBlocks and
// Ingress status/host checks.
import { isIP as nodeIsIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** ParseIPSloppy != nil: an IPv4 (leading zeros allowed, as Go's sloppy parser) or IPv6 address. */
export function isIP(s: string): boolean {
  if (nodeIsIP(s)) return true;
  // Go's sloppy parser reads 010.1.1.1 as 10.1.1.1; Node refuses leading zeros.
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) && s.split('.').every((p) => Number(p) <= 255);
}

export interface CIDR {
  family: 4 | 6;
  bits: number;
  /** The network address (the address with the host bits cleared). */
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  contains(a: ipaddr.IPv4 | ipaddr.IPv6): boolean;
}

/** net.ParseCIDR (sloppy): undefined when it is not one. */
export function parseCIDR(s: string): CIDR | undefined {
  const m = /^(.*)\/(\d{1,3})$/.exec(s);
  if (!m || !isIP(m[1])) return undefined;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = m[1].includes(':') ? ipaddr.IPv6.parse(m[1]) : ipaddr.IPv4.parse(m[1].split('.').map(Number).join('.'));
  } catch {
    return undefined;
  }
  const family = ip.kind() === 'ipv6' ? 6 : 4;
  const bits = Number(m[2]);
  if (bits > (family === 4 ? 32 : 128)) return undefined;
  const bytes = ip.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  const addr = ipaddr.fromByteArray(bytes) as ipaddr.IPv4 | ipaddr.IPv6;
  return {
    family, bits, addr,
    contains: (a) => a.kind() === addr.kind() && (a as ipaddr.IPv4).match(addr as ipaddr.IPv4, bits),
  };
}
