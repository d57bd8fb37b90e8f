// The APIServices kube-apiserver keeps for what it serves itself (kube-aggregator's
// autoregister controller; docs/api-resources.md): one Local APIService per built-in
// group-version, `v1.` for the core group, registered at start with the label
// `kube-aggregator.kubernetes.io/automanaged: onstart` and the priorities of
// pkg/controlplane/apiserver (DefaultGenericAPIServicePriorities) and
// pkg/controlplane (apiVersionPriorities); and one per served version of every
// CustomResourceDefinition, kept while the CRD is (the crdRegistrationController:
// priority 1000/100, label `automanaged: true`). An automanaged APIService nothing
// serves any more is deleted. Their status is the Local availability the APIService
// strategy gives (../strategies/control.ts).
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../registry.js';
import { StatusError } from '../status.js';
import { resyncer } from './resync.js';

export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';

/** [groupPriorityMinimum, versionPriority] of each built-in group-version kube-apiserver registers. */
const PRIORITIES: Record<string, [number, number]> = {
  '/v1': [18000, 1],
  'events.k8s.io/v1': [17750, 15],
  'authentication.k8s.io/v1': [17700, 15],
  'authorization.k8s.io/v1': [17600, 15],
  'certificates.k8s.io/v1': [17300, 15],
  'rbac.authorization.k8s.io/v1': [17000, 15],
  'apiextensions.k8s.io/v1': [16700, 15],
  'admissionregistration.k8s.io/v1': [16700, 15],
  'coordination.k8s.io/v1': [16500, 15],
  'discovery.k8s.io/v1': [16200, 15],
  'flowcontrol.apiserver.k8s.io/v1': [16100, 21],
  'apps/v1': [17800, 15],
  'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30],
  'batch/v1': [17400, 15],
  'networking.k8s.io/v1': [17200, 15],
  'policy/v1': [17100, 15],
  'storage.k8s.io/v1': [16800, 15],
  'scheduling.k8s.io/v1': [16600, 15],
  'node.k8s.io/v1': [16300, 15],
  // metrics-server's own APIService (its manifests: groupPriorityMinimum 100, versionPriority 100); served
  // here by the API server itself, so Local (docs/metrics-api.md).
  'metrics.k8s.io/v1beta1': [100, 100],
};

/** A CRD's group-versions sort below every built-in one (crdregistration_controller.go). */
const CRD_PRIORITY: [number, number] = [1000, 100];

interface Desired {
  group: string;
  version: string;
  priority: [number, number];
  managed: 'onstart' | 'true';
}

const nameOf = (d: { group: string; version: string }) => `${d.version}.${d.group}`;

function apiService(d: Desired): KubeObject {
  return {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService',
    metadata: { name: nameOf(d), labels: { [AUTOMANAGED_LABEL]: d.managed } },
    spec: { group: d.group, version: d.version, groupPriorityMinimum: d.priority[0], versionPriority: d.priority[1] },
  };
}

/**
 * Registers the cluster's APIServices now, then keeps the CRDs' in step with the stored CRDs.
 * Returns a stop function.
 */
export async function startAPIServiceRegistration(reg: Registry): Promise<() => void> {
  const apiservices = reg.catalog.lookup('apiregistration.k8s.io', 'v1', 'apiservices')!;
  const crds = reg.catalog.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  const builtin = new Map<string, Desired>();
  for (const rt of reg.catalog.all()) {
    const p = PRIORITIES[`${rt.group}/${rt.version}`];
    if (!rt.custom && p) builtin.set(nameOf(rt), { group: rt.group, version: rt.version, priority: p, managed: 'onstart' });
  }
  const desiredNow = async (): Promise<Map<string, Desired>> => {
    const out = new Map(builtin);
    for (const crd of (await reg.list(crds, undefined)).items) {
      if (crd.metadata.deletionTimestamp || !crd.spec?.group) continue;
      for (const v of Array.isArray(crd.spec.versions) ? crd.spec.versions : []) {
        const d: Desired = { group: crd.spec.group, version: v?.name, priority: CRD_PRIORITY, managed: 'true' };
        if (v?.served && typeof v.name === 'string' && !out.has(nameOf(d))) out.set(nameOf(d), d);
      }
    }
    return out;
  };
  const sync = async (first: boolean) => {
    const want = await desiredNow();
    const have = new Map((await reg.list(apiservices, undefined)).items.map((o) => [o.metadata.name!, o]));
    for (const [name, d] of want) {
      const cur = have.get(name);
      if (!cur) await reg.create(apiservices, undefined, apiService(d)).catch(ignore(409));
      else if (cur.metadata.labels?.[AUTOMANAGED_LABEL] && (cur.spec?.groupPriorityMinimum !== d.priority[0] || cur.spec?.versionPriority !== d.priority[1] || cur.spec?.service)) {
        await reg.update(apiservices, undefined, name, { ...cur, spec: apiService(d).spec }).catch(ignore(404, 409));
      }
    }
    for (const [name, cur] of have) {
      const managed = cur.metadata.labels?.[AUTOMANAGED_LABEL];
      // `onstart` ones are checked at start only; `true` ones whenever the CRDs change.
      if (want.has(name) || !(managed === 'true' || (first && managed === 'onstart'))) continue;
      await reg.delete(apiservices, undefined, name).catch(ignore(404, 409));
    }
  };
  await sync(true);
  // The CRDs' changes queue a sync; one runs at a time, and one more after it if more changes came.
  const kick = resyncer('APIService registration', () => sync(false));
  const rv = (await reg.list(crds, undefined)).resourceVersion;
  return reg.watch(crds, undefined, { resourceVersion: rv }, () => kick());
}

const ignore = (...codes: number[]) => (e: unknown) => {
  if (!(e instanceof StatusError && codes.includes(e.code))) throw e;
};

