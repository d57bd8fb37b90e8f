// The service account controller: every namespace that is not being deleted
// has a ServiceAccount named `default`.
import type { KubeObject } from '../api/types.js';
import { ApiError, refs } from '../client/types.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext } from './util/context.js';

export class ServiceAccountController {
  private queue = new WorkQueue({ name: 'serviceaccount-controller' });
  private nsInf: Informer;
  private saInf: Informer;

  constructor(private ctx: ControllerContext) {
    this.nsInf = ctx.informer(refs.namespaces);
    this.saInf = ctx.informer(refs.serviceaccounts);
    this.nsInf.on({ add: (ns) => this.queue.add(ns.metadata.name!), update: (_o, ns) => this.queue.add(ns.metadata.name!) });
    this.saInf.on({ delete: (sa: KubeObject) => { if (sa.metadata.name === 'default') this.queue.add(sa.metadata.namespace!); } });
  }

  async run(): Promise<void> {
    await Promise.all([this.nsInf.hasSynced(), this.saInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 1);
  }

  stop(): void { this.queue.stop(); }

  private async sync(ns: string): Promise<void> {
    const n = this.nsInf.get(undefined, ns);
    if (!n || n.metadata.deletionTimestamp || this.saInf.get(ns, 'default')) return;
    try {
      await this.ctx.client.create(refs.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
    } catch (e) {
      // Already there, or the namespace went away / started terminating meanwhile.
      if (e instanceof ApiError && [403, 404, 409].includes(e.code)) return;
      throw e;
    }
  }
}
