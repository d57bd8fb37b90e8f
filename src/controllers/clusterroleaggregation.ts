// The clusterrole-aggregation controller of kube-controller-manager
// (pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go):
// a ClusterRole with an aggregationRule gets as its rules the rules of every
// ClusterRole its selectors match (itself excepted), the roles in name order,
// each rule once. `admin`, `edit` and `view` are such roles: a CRD author labels
// a role `rbac.authorization.k8s.io/aggregate-to-view: "true"` and viewers can
// read the new kind. Keyed by ClusterRole name; any ClusterRole change queues
// every aggregated role, as kube's does. docs/auth.md, docs/controllers.md.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { selectorFromLabelSelector, SelectorError } from '../api/selectors.js';

export interface ClusterRoleAggregationOptions extends ControllerOptions {
  informers?: SharedInformers;
}

/** A rule as data (JSON), for kube's "rule already present" comparison (DeepEqual). */
const ruleKey = (r: unknown) => JSON.stringify(r, Object.keys(r as object).sort());

const aggregated = (cr: KubeObject) => Array.isArray((cr as any).aggregationRule?.clusterRoleSelectors);

export class ClusterRoleAggregationController extends Controller {
  private readonly roles: InformerView;

  constructor(private readonly client: Client, opts: ClusterRoleAggregationOptions = {}) {
    super('clusterrole-aggregation-controller', opts);
    const shared = opts.informers ?? new SharedInformers(client);
    this.roles = new InformerView(shared.informer(refs.clusterroles));
    const all = () => { for (const cr of this.roles.list()) if (aggregated(cr)) this.queue.add(cr.metadata.name!); };
    this.roles.on({ add: all, update: all, delete: all });
  }

  async start(workers = 1): Promise<void> {
    await this.roles.hasSynced();
    if (this.queue.shuttingDown) return;
    this.runWorkers(workers);
  }

  async sync(name: string): Promise<void> {
    const role = this.roles.get(undefined, name);
    if (!role || !aggregated(role)) return;
    const rules: unknown[] = [];
    const seen = new Set<string>();
    for (const sel of (role as any).aggregationRule.clusterRoleSelectors as unknown[]) {
      let matcher;
      try {
        matcher = selectorFromLabelSelector(sel as any);
      } catch (e) {
        // A selector validation let through cannot match anything: nothing is gathered by it.
        if (e instanceof SelectorError) continue;
        throw e;
      }
      const matched = this.roles.list().filter((cr) => cr.metadata.name !== name && matcher.matches(cr.metadata.labels))
        .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
      for (const cr of matched) {
        for (const rule of Array.isArray((cr as any).rules) ? (cr as any).rules : []) {
          const k = ruleKey(rule);
          if (seen.has(k)) continue;
          seen.add(k);
          rules.push(rule);
        }
      }
    }
    const current: unknown[] = Array.isArray((role as any).rules) ? (role as any).rules : [];
    if (current.length === rules.length && current.every((r, i) => ruleKey(r) === ruleKey(rules[i]))) return;
    try {
      await this.client.patch(refs.clusterroles, undefined, name, 'merge', { rules }, { fieldManager: 'clusterrole-aggregation-controller' });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  }
}

export function startClusterRoleAggregation(client: Client, opts: ClusterRoleAggregationOptions = {}): { stop(): void } {
  const c = new ClusterRoleAggregationController(client, opts);
  void c.start();
  return { stop: () => c.stop() };
}
