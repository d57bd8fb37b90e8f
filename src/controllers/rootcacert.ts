// The root CA certificate publisher of kube-controller-manager
// (pkg/controller/certificates/rootcacertpublisher): every namespace has a
// ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA, so in-cluster
// clients can verify the API server (the projected kube-api-access volume
// mounts it). One deleted or edited is put back. docs/auth.md.
import type { KubeObject } from '../api/types.js';
import { ApiError, refs } from '../client/types.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, isNamespaceTerminating, isNotFound } from './util/context.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** DescriptionAnnotation and Description: what the publisher writes on the ConfigMap. */
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
  + 'No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCACertPublisher {
  private queue = new WorkQueue({ name: 'root_ca_cert_publisher' });
  private nsInf: Informer;
  private cmInf: Informer;

  constructor(private ctx: ControllerContext, private rootCA: string) {
    this.nsInf = ctx.informer(refs.namespaces);
    this.cmInf = ctx.informer(refs.configmaps);
    const ns = (n: KubeObject) => this.queue.add(n.metadata.name!);
    this.nsInf.on({ add: ns, update: (_o, n) => ns(n) });
    // Only its own ConfigMap's changes matter: an edit or a deletion is undone.
    const cm = (c: KubeObject) => { if (c.metadata.name === ROOT_CA_CONFIGMAP) this.queue.add(c.metadata.namespace!); };
    this.cmInf.on({ update: (_o, c) => cm(c), delete: cm });
  }

  async run(): Promise<void> {
    await Promise.all([this.nsInf.hasSynced(), this.cmInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 1);
  }

  stop(): void { this.queue.stop(); }

  async sync(ns: string): Promise<void> {
    const data = { 'ca.crt': this.rootCA };
    const cm = this.cmInf.get(ns, ROOT_CA_CONFIGMAP);
    if (!cm) {
      if (!this.nsInf.get(undefined, ns)) return;
      try {
        await this.ctx.client.create(refs.configmaps, {
          apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data,
        });
      } catch (e) {
        // Not retried when the namespace is gone or terminating; already there means the cache lags.
        if (isNotFound(e) || isNamespaceTerminating(e) || (e instanceof ApiError && e.code === 409)) return;
        throw e;
      }
      return;
    }
    const same = Object.keys(cm.data ?? {}).length === 1 && cm.data?.['ca.crt'] === this.rootCA;
    if (same && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
    try {
      await this.ctx.client.update(refs.configmaps, {
        ...cm, data, metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
      });
    } catch (e) {
      // A newer version is on its way to the cache (which queues the namespace again), or it is gone.
      if (isNotFound(e) || (e instanceof ApiError && e.code === 409)) return;
      throw e;
    }
  }
}
