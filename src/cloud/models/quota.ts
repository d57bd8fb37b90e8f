// Quotas: the documented defaults (200 pods per cluster, 2000 instances per
// security group — docs/tencent/quotas.md) and typical VPC limits;
// raising one is the emulated "support ticket" (setQuota / PUT /quotas/{name}).
import { InvalidParameterValue, QuotaExceeded } from '../errors.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { QuotaName, QuotaOverride, QuotaView } from '../types.js';
import { checkInt } from './common.js';

export const QUOTAS: Record<QuotaName, { default: number; scope: QuotaView['scope'] }> = {
  'pods-per-cluster': { default: 200, scope: 'cluster' },
  'instances-per-security-group': { default: 2000, scope: 'security-group' },
  'eips-per-region': { default: 20, scope: 'region' },
  'nat-gateways-per-vpc': { default: 3, scope: 'vpc' },
  'subnets-per-vpc': { default: 100, scope: 'vpc' },
  'vpcs-per-region': { default: 20, scope: 'region' },
  // Cloud disks (docs/storage.md): nodeless' default, not a published number.
  'disks-per-region': { default: 500, scope: 'region' },
  // Load balancers of Services (docs/services.md): nodeless' default, not a published number.
  'load-balancers-per-region': { default: 20, scope: 'region' },
};

export const isQuotaName = (n: unknown): n is QuotaName => typeof n === 'string' && Object.hasOwn(QUOTAS, n);

const overrideId = (name: QuotaName, cluster?: string) => (cluster ? `${name}:${cluster}` : name);

export class QuotaModel {
  /** The disks in the region (the disk model keeps its own table and tells it here). */
  diskCount?: () => number;
  /** The load balancers in the region (kept by the load balancer model). */
  loadBalancerCount?: () => number;

  constructor(private readonly s: CloudState) {}

  /** The limit in force: a cluster's own value, else the region-wide value, else the default. */
  limit(name: QuotaName, cluster?: string): number {
    if (cluster) {
      const own = this.s.quotas.get(overrideId(name, cluster));
      if (own) return own.value;
    }
    return this.s.quotas.get(name)?.value ?? QUOTAS[name].default;
  }

  /** Throws QuotaExceeded when adding `adding` to `used` would pass the limit. `scope` reads "cluster default", "VPC vpc-…". */
  check(name: QuotaName, used: number, scope: string, opts: { cluster?: string; adding?: number } = {}): void {
    const limit = this.limit(name, opts.cluster);
    if (used + (opts.adding ?? 1) > limit) throw new QuotaExceeded(name, limit, scope);
    // An injected quota exhaustion (eip-quota, docs/faults.md): the quota is what is used now.
    if (this.s.faults.quotaExhausted(name)) throw new QuotaExceeded(name, used, scope);
  }

  /** Cluster-scoped usage check for callers (the Kubernetes side) that want to refuse early. */
  checkPods(cluster: string, adding = 1): void {
    this.check('pods-per-cluster', this.s.podsByCluster.get(cluster) ?? 0, `cluster ${cluster}`, { cluster, adding });
  }

  async set(name: unknown, value: unknown, opts: { cluster?: string } = {}): Promise<QuotaView> {
    if (!isQuotaName(name)) {
      throw new InvalidParameterValue(`unknown quota ${JSON.stringify(name)} (quotas: ${Object.keys(QUOTAS).join(', ')})`);
    }
    const v = checkInt(value, `quota ${name}`, 0, 10_000_000);
    const cluster = opts.cluster || undefined;
    if (cluster !== undefined) {
      if (QUOTAS[name].scope !== 'cluster') throw new InvalidParameterValue(`quota ${name} is not per cluster; omit the cluster`);
      if (!this.s.clusterByName.has(cluster)) throw new InvalidParameterValue(`cluster ${cluster} does not exist`);
    }
    const id = overrideId(name, cluster);
    const existing = this.s.quotas.get(id);
    let rec: QuotaOverride;
    if (existing) {
      rec = await this.s.quotas.update(existing, (r) => { r.value = v; });
      this.s.emit({ kind: 'quota', type: 'updated', id, object: this.view(name, cluster) });
    } else {
      rec = { id, name, value: v, createdTime: now(), ...(cluster ? { cluster } : {}) };
      await this.s.quotas.insert(rec);
      this.s.emit({ kind: 'quota', type: 'created', id, object: this.view(name, cluster) });
    }
    return this.view(name, rec.cluster);
  }

  /** Forgets a cluster's own quotas (when the cluster is deleted). */
  removeCluster(cluster: string): Promise<void>[] {
    return [...this.s.quotas.rows.values()].filter((q) => q.cluster === cluster).map((q) => this.s.quotas.remove(q));
  }

  list(opts: { cluster?: string } = {}): QuotaView[] {
    return (Object.keys(QUOTAS) as QuotaName[]).map((name) =>
      this.view(name, QUOTAS[name].scope === 'cluster' ? opts.cluster : undefined));
  }

  view(name: QuotaName, cluster?: string): QuotaView {
    const q: QuotaView = { name, scope: QUOTAS[name].scope, limit: this.limit(name, cluster), default: QUOTAS[name].default };
    if (cluster) q.cluster = cluster;
    if (name === 'pods-per-cluster' && cluster) q.used = this.s.podsByCluster.get(cluster) ?? 0;
    if (name === 'eips-per-region') q.used = this.s.eips.size;
    if (name === 'vpcs-per-region') q.used = this.s.vpcs.size;
    if (name === 'disks-per-region') q.used = this.diskCount?.();
    if (name === 'load-balancers-per-region') q.used = this.loadBalancerCount?.();
    return q;
  }
}
