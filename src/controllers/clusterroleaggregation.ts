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
import { aggregatedRules, isAggregated } from '../apiserver/auth/rbac.js';

export interface ClusterRoleAggregationOptions extends ControllerOptions {
  informers?: SharedInformers;
}

export class ClusterRoleAggregationController extends Controller {
  private readonly roles: InformerView;

  constructor(private readonly client: Client, opts: ClusterRoleAggregationOptions = {}) {
    super('clusterrole-aggregation-controller', opts);
    const shared = opts.informers ?? new SharedInformers(client);
    this.roles = new InformerView(shared.informer(refs.clusterroles));
    const all = () => { for (const cr of this.roles.list()) if (isAggregated(cr)) this.queue.add(cr.metadata.name!); };
    this.roles.on({ add: all, update: all, delete: all });
  }

  async start(workers = 1): Promise<void> {
    await this.roles.hasSynced();
    if (this.queue.shuttingDown) return;
    this.runWorkers(workers);
  }

  async sync(name: string): Promise<void> {
    const role = this.roles.get(undefined, name);
    if (!role || !isAggregated(role)) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (!rules) return;
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
