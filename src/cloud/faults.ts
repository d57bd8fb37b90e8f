// The cloud's fault injection points (docs/faults.md): rules the fault
// controller sets and the cloud consults where the effect happens: each API
// call (cloud-throttle, cloud-latency: the REST API and the ENI allocation
// the super nodes make for every pod). The error of a throttled call is the
// one the cluster's cloud answers with.
import type { CloudName } from './storage.js';
import { CloudError } from './errors.js';

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

  setCall(id: string, rule: CallRule): void {
    this.calls.set(id, rule);
  }

  /** Removes fault `id` from every injection point. */
  delete(id: string): void {
    this.calls.delete(id);
  }

  /** Before a call to `resource` is served: waits the injected latency, throws the injected throttling error. */
  async call(resource: string): Promise<void> {
    if (this.calls.size === 0) return;
    const hits = [...this.calls.values()].filter((r) => r.resource === undefined || r.resource === resource);
    const delay = Math.max(0, ...hits.map((r) => r.delayMs ?? 0));
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const throttled = hits.find((r) => r.throttle);
    if (throttled?.throttle) throw throttleError(throttled.throttle);
  }
}
