// The bootstrap roles and bindings (../auth/bootstrappolicy.ts), reconciled at each
// start as kube-apiserver's `rbac/bootstrap-roles` post-start hook does
// (pkg/registry/rbac/rest/storage_rbac.go, pkg/registry/rbac/reconciliation): a
// missing object is created; an existing one whose
// `rbac.authorization.kubernetes.io/autoupdate` annotation is not "false" gets back
// the rules, subjects, labels and annotations it lacks (nothing is removed: the
// hook reconciles without RemoveExtraPermissions/RemoveExtraSubjects); one
// annotated "false" is left as the administrator made it. docs/auth.md.
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../registry.js';
import { StatusError } from '../status.js';
import {
  AUTOUPDATE_ANNOTATION, BOOTSTRAP_LABEL, CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, CONTROLLER_CLUSTER_ROLES, NAMESPACE_ROLE_BINDINGS, NAMESPACE_ROLES,
  type BootstrapBinding, type BootstrapSubject,
} from '../auth/bootstrappolicy.js';
import { aggregatedRules, isAggregated, rulesOf, uncovered, type PolicyRule } from '../auth/rbac.js';

const GROUP = 'rbac.authorization.k8s.io';
const API_VERSION = `${GROUP}/v1`;

const ignore = (...codes: number[]) => (e: unknown) => {
  if (!(e instanceof StatusError && codes.includes(e.code))) throw e;
};

/** The rules as kube's objects carry them: empty lists left out. */
const ruleJson = (r: PolicyRule) => ({
  ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}), ...(r.resources ? { resources: r.resources } : {}),
  ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}), ...(r.nonResourceURLs ? { nonResourceURLs: r.nonResourceURLs } : {}), verbs: r.verbs,
});

const subjectJson = (s: BootstrapSubject) => (s.kind === 'ServiceAccount' ? { kind: s.kind, name: s.name, namespace: s.namespace } : { apiGroup: GROUP, kind: s.kind, name: s.name });

/** Labels and annotations the object lacks, added; whether anything changed. */
function mergeMeta(o: KubeObject, labels: Record<string, string>): boolean {
  let changed = false;
  const l = (o.metadata.labels ??= {});
  for (const [k, v] of Object.entries(labels)) if (l[k] !== v) { l[k] = v; changed = true; }
  const a = (o.metadata.annotations ??= {});
  if (a[AUTOUPDATE_ANNOTATION] === undefined) { a[AUTOUPDATE_ANNOTATION] = 'true'; changed = true; }
  return changed;
}

const autoupdate = (o: KubeObject) => o.metadata.annotations?.[AUTOUPDATE_ANNOTATION] !== 'false';

async function reconcileRole(reg: Registry, plural: 'clusterroles' | 'roles', kind: string, namespace: string | undefined, name: string, rules: PolicyRule[],
  labels: Record<string, string>, aggregateFrom?: string): Promise<void> {
  const rt = reg.catalog.lookup(GROUP, 'v1', plural)!;
  const aggregationRule = aggregateFrom ? { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${aggregateFrom}`]: 'true' } }] } : undefined;
  const cur = await reg.tryGet(rt, namespace, name);
  if (!cur) {
    await reg.create(rt, namespace, {
      apiVersion: API_VERSION, kind, metadata: { name, ...(namespace ? { namespace } : {}), labels: { ...BOOTSTRAP_LABEL, ...labels }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
      ...(aggregationRule ? { aggregationRule } : {}), rules: rules.map(ruleJson),
    }).catch(ignore(409));
    return;
  }
  if (!autoupdate(cur)) return;
  let changed = mergeMeta(cur, { ...BOOTSTRAP_LABEL, ...labels });
  // An aggregated role's rules are its controller's to fill; only its selectors are reconciled.
  if (aggregationRule) {
    const have = JSON.stringify((cur as any).aggregationRule?.clusterRoleSelectors ?? []);
    const want = aggregationRule.clusterRoleSelectors[0];
    if (!have.includes(JSON.stringify(want))) {
      (cur as any).aggregationRule = { clusterRoleSelectors: [...((cur as any).aggregationRule?.clusterRoleSelectors ?? []), want] };
      changed = true;
    }
  } else {
    const missing = uncovered(rulesOf(cur), rules);
    if (missing.length) {
      (cur as any).rules = [...(Array.isArray((cur as any).rules) ? (cur as any).rules : []), ...missing.map(ruleJson)];
      changed = true;
    }
  }
  if (changed) await reg.update(rt, namespace, name, cur).catch(ignore(404, 409));
}

async function reconcileBinding(reg: Registry, b: BootstrapBinding): Promise<void> {
  const plural = b.namespace ? 'rolebindings' : 'clusterrolebindings';
  const kind = b.namespace ? 'RoleBinding' : 'ClusterRoleBinding';
  const rt = reg.catalog.lookup(GROUP, 'v1', plural)!;
  const cur = await reg.tryGet(rt, b.namespace, b.name);
  if (!cur) {
    await reg.create(rt, b.namespace, {
      apiVersion: API_VERSION, kind,
      metadata: { name: b.name, ...(b.namespace ? { namespace: b.namespace } : {}), labels: { ...BOOTSTRAP_LABEL }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
      roleRef: { apiGroup: GROUP, kind: b.roleRef.kind, name: b.roleRef.name },
      ...(b.subjects.length ? { subjects: b.subjects.map(subjectJson) } : {}),
    }).catch(ignore(409));
    return;
  }
  if (!autoupdate(cur)) return;
  let changed = mergeMeta(cur, BOOTSTRAP_LABEL);
  const subjects: any[] = Array.isArray((cur as any).subjects) ? (cur as any).subjects : [];
  for (const s of b.subjects) {
    if (!subjects.some((x) => x?.kind === s.kind && x?.name === s.name && (s.kind !== 'ServiceAccount' || x?.namespace === s.namespace))) {
      subjects.push(subjectJson(s));
      changed = true;
    }
  }
  if (subjects.length) (cur as any).subjects = subjects;
  if (changed) await reg.update(rt, b.namespace, b.name, cur).catch(ignore(404, 409));
}

/** Creates or tops up every bootstrap role and binding of the cluster (the namespaces exist already). */
export async function reconcileBootstrapPolicy(reg: Registry): Promise<void> {
  for (const c of [...CLUSTER_ROLES, ...CONTROLLER_CLUSTER_ROLES]) await reconcileRole(reg, 'clusterroles', 'ClusterRole', undefined, c.name, c.rules, c.labels ?? {}, c.aggregateFrom);
  for (const b of CLUSTER_ROLE_BINDINGS) await reconcileBinding(reg, b);
  for (const role of NAMESPACE_ROLES) await reconcileRole(reg, 'roles', 'Role', role.namespace, role.name, role.rules, {});
  for (const b of NAMESPACE_ROLE_BINDINGS) await reconcileBinding(reg, b);
  // One pass of the aggregation controller's work before the API is served: `admin`, `edit` and
  // `view` grant what they aggregate from the first request on, and the controller (which keeps
  // them so afterwards) has nothing to write at start.
  // Aggregated roles aggregate one another (view into edit into admin): until nothing changes.
  const rt = reg.catalog.lookup(GROUP, 'v1', 'clusterroles')!;
  const all = (await reg.list(rt, undefined)).items;
  const aggregated = all.filter(isAggregated);
  const changed = new Set<KubeObject>();
  for (let pass = 0, again = true; again && pass <= aggregated.length; pass++) {
    again = false;
    for (const role of aggregated) {
      const rules = aggregatedRules(role, all);
      if (!rules) continue;
      (role as any).rules = rules;
      changed.add(role);
      again = true;
    }
  }
  for (const role of changed) await reg.update(rt, undefined, role.metadata.name!, role).catch(ignore(404, 409));
}
