// The cloud's fault injection points (docs/faults.md): rules the fault
// controller sets and the cloud consults where the effect happens: each API
// call (cloud-throttle, cloud-latency: the REST API and the ENI allocation
// the super nodes make for every pod; the error of a throttled call is the
// one the cluster's cloud answers with), a subnet's free addresses
// (subnet-exhaustion), the EIP quota (eip-quota), a NAT gateway's load
// (nat-saturation). Kept in the cloud's state, so every model reads it.
import type { CloudName } from './storage.js';
import { CloudError } from './errors.js';
import { timerDelay } from '../util/timers.js';

export interface CallRule {
  /** The API resource called (the first path segment: eips, enis, subnets…); undefined: every call. */
  resource?: string;
  /** Refuse the call with the cloud's throttling error. */
  throttle?: CloudName;
  /** Wait this long before the call is served. */
  delayMs?: number;
}

/**
 * Each cloud's answer to a caller over its API rate limit: Tencent Cloud API 3.0's common error
 * RequestLimitExceeded, Alibaba Cloud's Throttling (HTTP 400), EC2's RequestLimitExceeded (HTTP 503).
 */
export function throttleError(cloud: CloudName): CloudError {
  switch (cloud) {
    case 'alibaba': return new CloudError('Throttling', 'Request was denied due to request throttling.', 400);
    case 'aws': return new CloudError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    default: return new CloudError('RequestLimitExceeded', 'The number of requests exceeds the frequency limit.', 429);
  }
}

export class CloudFaults {
  private readonly calls = new Map<string, CallRule>();
  /** Subnets whose every address a fault holds, by fault. */
  private readonly subnets = new Map<string, string[]>();
  /** Quotas a fault exhausts, by fault. */
  private readonly quotas = new Map<string, string>();
  /** NAT gateways a fault saturates, by fault. */
  private readonly nats = new Map<string, string[]>();
  /** Calls waiting out a latency, by fault: released when the fault goes. */
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Told the subnets whose free addresses a fault changed (the cloud reports them as subnet changes). */
  subnetsChanged?: (ids: string[]) => void;

  setCall(id: string, rule: CallRule): void {
    this.calls.set(id, rule);
  }

  setExhaustedSubnets(id: string, subnetIds: string[]): void {
    this.subnets.set(id, subnetIds);
    this.subnetsChanged?.(subnetIds);
  }

  setExhaustedQuota(id: string, quota: string): void {
    this.quotas.set(id, quota);
  }

  setSaturatedNats(id: string, natIds: string[]): void {
    this.nats.set(id, natIds);
  }

  /** Removes fault `id` from every injection point. */
  delete(id: string): void {
    this.calls.delete(id);
    for (const release of this.waiting.get(id) ?? []) release();
    this.waiting.delete(id);
    this.quotas.delete(id);
    this.nats.delete(id);
    const subnets = this.subnets.get(id);
    if (subnets && this.subnets.delete(id)) this.subnetsChanged?.(subnets);
  }

  /** A fault holds every free address of the subnet: none is handed out. */
  subnetExhausted(subnetId: string): boolean {
    if (!this.subnets.size) return false;
    for (const ids of this.subnets.values()) if (ids.includes(subnetId)) return true;
    return false;
  }

  quotaExhausted(quota: string): boolean {
    if (!this.quotas.size) return false;
    for (const q of this.quotas.values()) if (q === quota) return true;
    return false;
  }

  natSaturated(natId: string): boolean {
    if (!this.nats.size) return false;
    for (const ids of this.nats.values()) if (ids.includes(natId)) return true;
    return false;
  }

  /** Before a call to `resource` is served: waits the injected latency, throws the injected throttling error. */
  async call(resource: string): Promise<void> {
    if (this.calls.size === 0) return;
    const hits = [...this.calls].filter(([, r]) => r.resource === undefined || r.resource === resource);
    const slowest = hits.reduce<[string, CallRule] | undefined>((m, h) => ((h[1].delayMs ?? 0) > (m?.[1].delayMs ?? 0) ? h : m), undefined);
    if (slowest) await this.wait(slowest[0], slowest[1].delayMs!);
    const throttled = hits.find(([, r]) => r.throttle)?.[1];
    if (throttled?.throttle) throw throttleError(throttled.throttle);
  }

  /** Waits `ms`, or until fault `id` is cleared. */
  private wait(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(id) ?? new Set();
      this.waiting.set(id, set);
      const release = () => { clearTimeout(t); set.delete(release); resolve(); };
      const t = setTimeout(release, timerDelay(ms));
      t.unref();
      set.add(release);
    });
  }
}
