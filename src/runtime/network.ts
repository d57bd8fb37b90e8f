// The default pod network: IPs from one CIDR (10.244.0.0/16, the usual
// flannel range), handed out round-robin, never two live pods on one IP.
// It is restart-safe without a store of its own: a pod that already carries
// status.podIP gets that IP back (unless another pod holds it).
import type { KubeObject } from '../api/types.js';
import type { PodNetwork } from './types.js';

const toInt = (ip: string): number | undefined => {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
};
const toIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export class NetworkExhaustedError extends Error {}

export class PodCidrNetwork implements PodNetwork {
  readonly cidr: string;
  private base: number;
  private size: number;
  private byUid = new Map<string, number>();
  private used = new Set<number>();
  private cursor = 0;

  constructor(cidr = '10.244.0.0/16') {
    const [addr, bits] = cidr.split('/');
    const prefix = Number(bits);
    const base = toInt(addr);
    if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`invalid pod CIDR ${cidr}: expected an IPv4 CIDR between /8 and /30`);
    this.size = 2 ** (32 - prefix);
    this.base = base - (base % this.size);
    this.cidr = `${toIp(this.base)}/${prefix}`;
  }

  /** Usable offsets skip the network address, the gateway (.1) and the broadcast address. */
  private usable(off: number) {
    return off >= 2 && off < this.size - 1;
  }

  private range() {
    return `${toIp(this.base + 2)}-${toIp(this.base + this.size - 2)}`;
  }

  async allocate(pod: KubeObject): Promise<{ ip: string }> {
    const uid = pod.metadata.uid!;
    const mine = this.byUid.get(uid);
    if (mine !== undefined) return { ip: toIp(this.base + mine) };
    const prev = typeof pod.status?.podIP === 'string' ? toInt(pod.status.podIP) : undefined;
    if (prev !== undefined && prev - this.base >= 0 && this.usable(prev - this.base) && !this.used.has(prev - this.base)) {
      return { ip: this.take(uid, prev - this.base) };
    }
    for (let i = 0; i < this.size; i++) {
      const off = (this.cursor + i) % this.size;
      if (!this.usable(off) || this.used.has(off)) continue;
      this.cursor = off + 1;
      return { ip: this.take(uid, off) };
    }
    // The message a host-local CNI plugin gives, so the FailedCreatePodSandBox event looks familiar.
    throw new NetworkExhaustedError(`failed to allocate for range 0: no IP addresses available in range set: ${this.range()}`);
  }

  private take(uid: string, off: number): string {
    this.used.add(off);
    this.byUid.set(uid, off);
    return toIp(this.base + off);
  }

  async release(pod: KubeObject): Promise<void> {
    const off = this.byUid.get(pod.metadata.uid!);
    if (off === undefined) return;
    this.byUid.delete(pod.metadata.uid!);
    this.used.delete(off);
  }

  /** Addresses in use (for tests and diagnostics). */
  get allocated(): number {
    return this.used.size;
  }
}

const shared = new WeakMap<object, PodCidrNetwork>();

/** One default network per API client, so every agent of a cluster draws from the same range. */
export function defaultNetwork(client: object): PodCidrNetwork {
  let n = shared.get(client);
  if (!n) shared.set(client, (n = new PodCidrNetwork()));
  return n;
}
