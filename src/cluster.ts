// One Kubernetes cluster inside nodeless: its catalog, registry, subresources
// and the in-process client its controllers use. Objects of every cluster
// live in the one store, under the key prefix /<cluster>/.
import { Catalog } from './api/catalog.js';
import { Registry, type RegistryOptions } from './apiserver/registry.js';
import { KUBERNETES_SERVICE_IP } from './apiserver/serviceips.js';
import { namespaceLifecycle } from './apiserver/admission/namespace-lifecycle.js';
import { limitRanger } from './apiserver/admission/limit-ranger.js';
import { priority } from './apiserver/admission/priority.js';
import { defaultStorageClass } from './apiserver/admission/default-storage-class.js';
import { persistentVolumeClaimResize, storageObjectInUseProtection } from './apiserver/admission/storage-protection.js';
import { certificateSubjectRestriction } from './apiserver/admission/certificates.js';
import { resourceQuota } from './apiserver/admission/resource-quota.js';
import { podSecurity } from './apiserver/admission/pod-security/admission.js';
import { Subresources } from './apiserver/subresources.js';
import { ApiMetrics, groupResource } from './apiserver/metrics.js';
import type { ClusterApi } from './apiserver/server.js';
import type { Store } from './store/types.js';
import { InProcessClient } from './client/inprocess.js';
import { SYSTEM_PRIORITY_CLASSES } from './api/resources/cluster.js';
import { UnionTokenAuthenticator, type TokenAuthenticator } from './apiserver/auth/authenticator.js';
import { ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetter, type TokenIssuer } from './apiserver/auth/serviceaccount.js';
import { startAPIServiceRegistration } from './apiserver/bootstrap/apiservices.js';
import { startFlowControlConfig } from './apiserver/bootstrap/flowcontrol.js';
import { webhookAdmission } from './apiserver/admission/webhook/plugin.js';
import { serviceResolver } from './apiserver/admission/webhook/services.js';
import { validatingAdmissionPolicy } from './apiserver/admission/policy.js';
import { conversionWebhook } from './apiserver/crdconversion.js';
import { reconcileBootstrapPolicy } from './apiserver/bootstrap/rbac.js';
import { ApiFaults } from './apiserver/faults.js';
import { DelayedStore } from './store/delay.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface Cluster extends ClusterApi {
  client: InProcessClient;
  /** Where faults slow the cluster's store (store-slow; docs/faults.md). */
  storeFaults: DelayedStore;
  apiFaults: ApiFaults;
  /** Stops what the API server keeps up by itself (APIService registration, FlowSchema status). */
  stop(): void;
}

export interface ClusterOptions extends RegistryOptions {
  /** The tokens every cluster knows (the administrator's): asked first, as kube-apiserver's token file is. */
  authenticator?: TokenAuthenticator;
  /** The install's ServiceAccount token issuer: each cluster issues, and checks, its own accounts' tokens with it. */
  tokenIssuer?: TokenIssuer;
}

/**
 * ServiceAccountTokenGetter over a cluster's registry: each authentication reads the objects a token
 * names from the store (a local read), so a deletion invalidates the token at once.
 */
function registryGetter(registry: Registry, catalog: Catalog): ServiceAccountTokenGetter {
  const type = (plural: string) => catalog.lookup('', 'v1', plural)!;
  return {
    serviceAccount: (ns, name) => registry.get(type('serviceaccounts'), ns, name),
    pod: (ns, name) => registry.get(type('pods'), ns, name),
    secret: (ns, name) => registry.get(type('secrets'), ns, name),
    node: (name) => registry.get(type('nodes'), undefined, name),
    markLegacyTokenUsed: async (secret, day) => {
      await registry.patch(type('secrets'), secret.metadata.namespace, secret.metadata.name!, 'merge', { metadata: { labels: { 'kubernetes.io/legacy-token-last-used': day } } });
    },
  };
}

export async function openCluster(name: string, store: Store, opts: ClusterOptions = {}): Promise<Cluster> {
  const catalog = new Catalog();
  // The cluster's API server metrics: its store calls timed, its stored objects counted per resource at each scrape.
  const metrics = new ApiMetrics(async () => {
    const counts = new Map<string, number>();
    for (const rt of catalog.all()) counts.set(groupResource(rt.group, rt.plural), await store.count(registry.prefix(rt)));
    return counts;
  });
  // Faults slow the store's writes inside what the metrics time (docs/faults.md).
  const storeFaults = new DelayedStore(store);
  const registry = new Registry(name, metrics.instrumentStore(storeFaults.store), catalog, opts);
  // The cluster's token authenticators, in kube-apiserver's order: the static token, then ServiceAccount tokens.
  registry.tokenIssuer = opts.tokenIssuer;
  registry.authenticator = opts.tokenIssuer
    ? new UnionTokenAuthenticator([
      ...(opts.authenticator ? [opts.authenticator] : []),
      new ServiceAccountTokenAuthenticator({
        keys: opts.tokenIssuer.keys, issuers: [opts.tokenIssuer.issuer], audiences: opts.tokenIssuer.audiences, now: opts.tokenIssuer.now, getter: registryGetter(registry, catalog),
      }),
    ])
    : opts.authenticator;
  // The cluster's own admission plugins (the clouds add theirs: src/nodeless.ts); the order is admission/chain.ts's.
  // Those reading objects per request follow them in memory (admission/watched.ts), as kube's read informers.
  const watching = [limitRanger(registry), priority(registry), defaultStorageClass(registry), resourceQuota(registry)];
  const [limits, priorities, storageClasses, quotas] = watching;
  for (const plugin of [
    namespaceLifecycle(registry), limits, podSecurity(registry), priorities, storageClasses, storageObjectInUseProtection(), persistentVolumeClaimResize(registry), certificateSubjectRestriction(), quotas,
  ]) registry.admission.register(plugin);
  await Promise.all(watching.map((p) => p.start()));
  const subresources = new Subresources();
  // Admission webhooks (docs/admission.md): a Service's webhook is reached through the pods the runtime serves (the pod proxy's mapping).
  const webhookServices = serviceResolver(registry, () => subresources.backends?.proxyTarget?.bind(subresources.backends));
  const webhooks = webhookAdmission(registry, webhookServices);
  // CRD conversion webhooks reach their Service the same way.
  registry.conversionWebhook = conversionWebhook(webhookServices);
  registry.admission.register(webhooks.mutating);
  registry.admission.register(webhooks.validating);
  const policies = validatingAdmissionPolicy(registry);
  registry.admission.register(policies);
  // CRDs stored earlier are served again before anything else reads the catalog.
  const crds = catalog.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const crd of (await registry.list(crds, undefined)).items) catalog.setCRD(crd, crd.metadata.name!);
  const namespaces = catalog.lookup('', 'v1', 'namespaces')!;
  for (const ns of SYSTEM_NAMESPACES) {
    if (!(await registry.tryGet(namespaces, undefined, ns))) {
      await registry.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  }
  // The bootstrap roles and bindings (kube-apiserver's rbac/bootstrap-roles post-start hook).
  await reconcileBootstrapPolicy(registry);
  // The Service every cluster has, at the first address of the service range (no selector: it is the API server itself).
  const services = catalog.lookup('', 'v1', 'services')!;
  if (!(await registry.tryGet(services, 'default', 'kubernetes'))) {
    await registry.create(services, 'default', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: KUBERNETES_SERVICE_IP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    });
  }
  // The PriorityClasses every cluster has (kube-apiserver's scheduling post-start hook makes them).
  const priorityclasses = catalog.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!;
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    if (!(await registry.tryGet(priorityclasses, undefined, pc.name))) {
      await registry.create(priorityclasses, undefined, {
        apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc.name }, value: pc.value, description: pc.description,
      });
    }
  }
  // What kube-apiserver's post-start hooks keep: the APIServices of what it serves, the mandatory flow control configuration.
  await webhooks.start();
  await policies.start();
  const stops = [await startAPIServiceRegistration(registry), await startFlowControlConfig(registry), () => webhooks.close(), () => policies.close(), ...watching.map((p) => () => p.close())];
  return { name, catalog, registry, subresources, client: new InProcessClient(registry), metrics, storeFaults, apiFaults: new ApiFaults(), stop: () => stops.forEach((s) => s()) };
}
