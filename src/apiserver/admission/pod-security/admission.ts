// PodSecurity, as kube-apiserver's plugin of that name
// (plugin/pkg/admission/security/podsecurity, delegating to
// k8s.io/pod-security-admission/admission): a namespace's
// pod-security.kubernetes.io labels choose a level and version of the Pod
// Security Standards (./checks.ts) for each mode. enforce refuses a pod that
// violates it (403); warn answers `Warning:` headers, for pods and for the pod
// templates of workloads (which enforce never refuses: their pods are refused
// when made); audit adds the request's audit annotations. A namespace's labels
// must be valid (422), and moving a namespace to a stricter enforce level warns
// about the pods already in it. Validating only; CREATE and UPDATE.
// nodeless runs kube-apiserver's default configuration: every mode privileged
// at latest, no exempt users, namespaces or runtime classes. docs/admission.md.
import type { KubeObject, ResourceType } from '../../../api/types.js';
import type { Registry } from '../../registry.js';
import { errors } from '../../status.js';
import { admissionForbidden } from '../forbidden.js';
import type { Attributes, ValidationInterface } from '../types.js';
import { handling } from '../types.js';
import { evaluatePod, forbiddenDetail, forbiddenReason, type Violation } from './checks.js';
import { compareLevels, fullyPrivileged, LABEL_PREFIX, lvString, policyToEvaluate, sameLV, type LevelVersion, type Policy } from './policy.js';

/** defaultNamespaceMaxPodsToCheck: a namespace relabelled stricter has at most this many of its pods checked. */
const MAX_PODS_TO_CHECK = 3000;

/** The pod subresources that cannot change a pod's spec (ignoredPodSubresources); any other is evaluated. */
const IGNORED_POD_SUBRESOURCES = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

const obj = (v: unknown): Record<string, any> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : undefined);

/**
 * DefaultPodSpecExtractor: the resources with a pod template, and where it is. A workload
 * without one (a ReplicationController's template is optional) is not evaluated.
 */
const TEMPLATES: ReadonlyMap<string, (o: KubeObject) => unknown> = new Map<string, (o: KubeObject) => unknown>([
  ['/replicationcontrollers', (o) => o.spec?.template],
  ['/podtemplates', (o) => o.template ?? {}],
  ['apps/replicasets', (o) => o.spec?.template ?? {}],
  ['apps/deployments', (o) => o.spec?.template ?? {}],
  ['apps/statefulsets', (o) => o.spec?.template ?? {}],
  ['apps/daemonsets', (o) => o.spec?.template ?? {}],
  ['batch/jobs', (o) => o.spec?.template ?? {}],
  ['batch/cronjobs', (o) => o.spec?.jobTemplate?.spec?.template ?? {}],
]);

/** The audit annotations' keys (api.AuditAnnotationPrefix and the keys of constants.go). */
const ANNOTATION = {
  enforcePolicy: `${LABEL_PREFIX}enforce-policy`,
  auditViolations: `${LABEL_PREFIX}audit-violations`,
  error: `${LABEL_PREFIX}error`,
};

/** field.ErrorList.ToAggregate().Error(): the errors' texts, one as it is, several in brackets. */
function aggregateFieldErrors(errs: { field: string; message: string }[]): string {
  const texts = errs.map((e) => `${e.field}: Invalid value: ${e.message}`);
  return texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
}

const sameErrors = (a: { field: string; message: string }[], b: { field: string; message: string }[]) =>
  a.length === b.length && a.every((e, i) => e.field === b[i].field && e.message === b[i].message);

/** isSignificantPodUpdate: only what an update can change and the checks look at (images, the old seccomp annotations, ephemeral containers). */
function significantPodUpdate(pod: KubeObject, old: KubeObject): boolean {
  const list = (o: KubeObject, k: string): any[] => (Array.isArray(o.spec?.[k]) ? o.spec[k] : []);
  const ann = (o: KubeObject, k: string) => obj(o.metadata?.annotations)?.[k];
  const changed = (c: any, oc: any) => {
    if (c?.image !== oc?.image) return true;
    const key = `container.seccomp.security.alpha.kubernetes.io/${c?.name}`;
    return ann(pod, key) !== ann(old, key);
  };
  for (const k of ['containers', 'initContainers']) {
    const now = list(pod, k), was = list(old, k);
    if (now.length !== was.length || now.some((c, i) => changed(c, was[i]))) return true;
  }
  const oldEphemeral = list(old, 'ephemeralContainers');
  return list(pod, 'ephemeralContainers').some((c) => {
    const oc = oldEphemeral.find((e) => e?.name === c?.name);
    return !oc || changed(c, oc);
  });
}

export function podSecurity(registry: Registry): ValidationInterface & { name: 'PodSecurity' } {
  const namespaces = registry.catalog.lookup('', 'v1', 'namespaces')!;
  const pods = registry.catalog.lookup('', 'v1', 'pods')!;

  /**
   * The policy of a namespace, from its labels; a namespace that is gone has none (NamespaceLifecycle,
   * earlier in the chain, refused the request already). Pods come in bursts in one namespace: the
   * last namespace's policy is kept for as long as its version is the stored one.
   */
  let last: { key: string; rv: number; result: ReturnType<typeof policyToEvaluate> } | undefined;
  const policyOf = async (ns: string): Promise<ReturnType<typeof policyToEvaluate>> => {
    const item = await registry.store.get(registry.key(namespaces, undefined, ns));
    if (!item) return policyToEvaluate(undefined);
    if (last?.key !== item.key || last.rv !== item.rv) last = { key: item.key, rv: item.rv, result: policyToEvaluate(JSON.parse(item.json).metadata?.labels) };
    return last.result;
  };

  /**
   * EvaluatePod: enforce (pods only) refuses, audit annotates, warn warns — the last not when
   * the request is refused anyway. Results are shared between modes at the same level and version.
   */
  function evaluate(a: Attributes, policy: Policy, policyErrors: { field: string; message: string }[], meta: any, spec: any, enforce: boolean): void {
    if (policyErrors.length) a.auditAnnotations.set(ANNOTATION.error, `Failed to parse policy: ${aggregateFieldErrors(policyErrors)}`);
    const cache: { lv: LevelVersion; result: Violation[] }[] = [];
    const run = (lv: LevelVersion) => {
      let hit = cache.find((c) => sameLV(c.lv, lv));
      if (!hit) cache.push((hit = { lv, result: evaluatePod(lv, meta, spec) }));
      return hit.result;
    };
    let refusal: string | undefined;
    if (enforce) {
      a.auditAnnotations.set(ANNOTATION.enforcePolicy, lvString(policy.enforce));
      const r = run(policy.enforce);
      if (r.length) refusal = `violates PodSecurity "${lvString(policy.enforce)}": ${forbiddenDetail(r)}`;
    }
    const audit = run(policy.audit);
    if (audit.length) a.auditAnnotations.set(ANNOTATION.auditViolations, `would violate PodSecurity "${lvString(policy.audit)}": ${forbiddenDetail(audit)}`);
    if (refusal) throw admissionForbidden(a, refusal);
    const warn = run(policy.warn);
    if (warn.length) a.warnings.push(`would violate PodSecurity "${lvString(policy.warn)}": ${forbiddenDetail(warn)}`);
  }

  async function validatePod(a: Attributes): Promise<void> {
    if (IGNORED_POD_SUBRESOURCES.has(a.subresource) || !a.object) return;
    // An update that changes nothing the checks see is allowed whatever the namespace says (kube
    // reads the namespace first; the answer is the same, and most pod updates are these).
    if (a.operation === 'UPDATE' && a.oldObject && !significantPodUpdate(a.object, a.oldObject)) return;
    const { policy, errors: policyErrors } = await policyOf(a.namespace);
    // Every mode privileged: nothing to look at. (kube also annotates such a pod's audit event
    // with enforce-policy privileged:latest; nodeless leaves that out, as it would log a line for
    // every pod of every namespace that never opted in.)
    if (!policyErrors.length && fullyPrivileged(policy)) return;
    evaluate(a, policy, policyErrors, a.object.metadata, a.object.spec, true);
  }

  async function validatePodController(a: Attributes, template: (o: KubeObject) => unknown): Promise<void> {
    if (a.subresource || !a.object) return;
    const { policy, errors: policyErrors } = await policyOf(a.namespace);
    if (!policyErrors.length && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
    const t = obj(template(a.object));
    if (!t) return;
    evaluate(a, policy, policyErrors, obj(t.metadata) ?? {}, obj(t.spec) ?? {}, false);
  }

  /** EvaluatePodsInNamespace: the warnings a stricter enforce level gives about the pods already there. */
  async function evaluatePodsInNamespace(ns: string, enforce: LevelVersion): Promise<string[]> {
    const all = (await registry.list(pods, ns)).items;
    // prioritizePods: one pod per controller first, so the pods checked cover as many workloads as they can.
    const first: KubeObject[] = [];
    const rest: KubeObject[] = [];
    const seen = new Set<string>();
    for (const p of all) {
      const owner = (p.metadata.ownerReferences ?? []).find((r: any) => r?.controller === true);
      if (owner && seen.has(owner.uid)) rest.push(p);
      else {
        if (owner) seen.add(owner.uid);
        first.push(p);
      }
    }
    const checked = [...first, ...rest].slice(0, MAX_PODS_TO_CHECK);
    const byWarning = new Map<string, { name: string; count: number }>();
    for (const p of checked) {
      const r = evaluatePod(enforce, p.metadata, p.spec);
      if (!r.length) continue;
      const w = forbiddenReason(r);
      const c = byWarning.get(w);
      if (!c) byWarning.set(w, { name: p.metadata.name!, count: 1 });
      else {
        c.count++;
        if (p.metadata.name! < c.name) c.name = p.metadata.name!;
      }
    }
    const warnings: string[] = [];
    if (checked.length < all.length) warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${all.length} existing pods`);
    if (byWarning.size) warnings.push(`existing pods in namespace "${ns}" violate the new PodSecurity enforce level "${lvString(enforce)}"`);
    const decorated = [...byWarning].map(([w, c]) => (c.count === 1 ? `${c.name}: ${w}` : c.count === 2 ? `${c.name} (and 1 other pod): ${w}` : `${c.name} (and ${c.count - 1} other pods): ${w}`));
    return [...warnings, ...decorated.sort()];
  }

  /** ValidateNamespace: valid labels (on create; on update if the errors changed), and the existing pods against a stricter enforce level. */
  async function validateNamespace(a: Attributes, rt: ResourceType): Promise<void> {
    if (a.subresource || !a.object) return;
    const now = policyToEvaluate(a.object.metadata.labels);
    if (a.operation === 'CREATE') {
      if (now.errors.length) throw errors.invalid(rt, a.name, now.errors);
      return;
    }
    if (!a.oldObject) return;
    const was = policyToEvaluate(a.oldObject.metadata.labels);
    if (now.errors.length && (!was.errors.length || !sameErrors(now.errors, was.errors))) throw errors.invalid(rt, a.name, now.errors);
    const e = now.policy.enforce, oe = was.policy.enforce;
    if (sameLV(e, oe) || e.level === 'privileged') return;
    if (e.version.text === oe.version.text && compareLevels(e.level, oe.level) < 1) return;
    a.warnings.push(...await evaluatePodsInNamespace(a.object.metadata.name!, e));
  }

  return {
    name: 'PodSecurity',
    handles: handling('CREATE', 'UPDATE'),
    async validate(a) {
      const { group, resource } = a.resource;
      if (group === '' && resource === 'namespaces') return validateNamespace(a, a.resourceType);
      if (group === '' && resource === 'pods') return validatePod(a);
      const template = TEMPLATES.get(`${group}/${resource}`);
      if (template) return validatePodController(a, template);
    },
  };
}
