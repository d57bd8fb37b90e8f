// The namespace controller: a namespace being deleted is emptied of every
// namespaced object of every resource type given, then released by dropping
// the `kubernetes` finalizer from spec.finalizers; the API server removes it
// once no finalizer is left.
import type { KubeObject } from '../api/types.js';
import type { ResourceRef } from '../client/types.js';
import { refs } from '../client/types.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, ignoreNotFound, isNotFound } from './util/context.js';

export class NamespaceController {
  private queue = new WorkQueue({ name: 'namespace-controller' });
  private nsInf: Informer;

  constructor(private ctx: ControllerContext, private namespacedRefs: () => ResourceRef[]) {
    this.nsInf = ctx.informer(refs.namespaces);
    const on = (ns: KubeObject) => { if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name!); };
    this.nsInf.on({ add: on, update: (_o, n) => on(n) });
  }

  async run(): Promise<void> {
    await this.nsInf.hasSynced();
    this.queue.run((k) => this.sync(k), 2);
  }

  stop(): void { this.queue.stop(); }

  private async sync(name: string): Promise<void> {
    const ns = this.nsInf.get(undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    const fin: string[] = ns.spec?.finalizers ?? [];
    if (!fin.includes('kubernetes')) return;
    let remaining = 0;
    for (const ref of this.namespacedRefs()) {
      let items: KubeObject[];
      try {
        items = (await this.ctx.client.list(ref, { namespace: name })).items;
      } catch (e) {
        if (isNotFound(e)) continue; // a type no longer served (a CRD just removed)
        throw e;
      }
      remaining += items.length;
      await Promise.all(items.filter((o) => !o.metadata.deletionTimestamp).map((o) =>
        ignoreNotFound(this.ctx.client.delete(ref, name, o.metadata.name!, { propagationPolicy: 'Background' }))));
    }
    if (remaining > 0) {
      // Pods in their grace period and objects with finalizers take a while: look again soon.
      this.queue.addAfter(name, 500);
      return;
    }
    // Through the finalize subresource, as kube's namespace controller does (its role may update nothing else).
    await ignoreNotFound(this.ctx.client.update(refs.namespaces, { ...ns, spec: { ...(ns.spec ?? {}), finalizers: fin.filter((f) => f !== 'kubernetes') } }, { subresource: 'finalize' }));
  }
}
