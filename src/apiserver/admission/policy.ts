// ValidatingAdmissionPolicy, as kube-apiserver's plugin of that name runs it
// (k8s.io/apiserver/pkg/admission/plugin/policy/validating: dispatcher.go,
// validator.go; policy/generic CollectParams; policy/matching): every binding of
// every policy, in name order; the request matched by the policy's
// matchConstraints and the binding's matchResources; the params the binding
// names; the policy's matchConditions, variables and validations in CEL with a
// cost budget; each failed validation denied, warned about or audited per the
// binding's validationActions. docs/admission.md tells the rules.
import type { KubeObject, ResourceType } from '../../api/types.js';
import { celTypeName, compile, RUNTIME_COST_BUDGET, toCel } from '../../api/cel/index.js';
import { policyCelVariables } from '../../api/resources/admissionregistration.js';
import { selectorFromLabelSelector } from '../../api/selectors.js';
import type { CelInput } from '@bufbuild/cel';
import type { Registry } from '../registry.js';
import { qualifiedResource, StatusError } from '../status.js';
import { equivalentTargets, namespaceSelectorMatches, objectSelectorMatches, requestNamespace, requestTarget, ruleMatches, type MatchTarget, type Rule } from './matching.js';
import { admissionRequest, convertObject } from './request.js';
import type { Attributes, ValidationInterface } from './types.js';
import { WatchedObjects } from './watched.js';
import { typeCheck, type Schema } from '../../api/cel/typecheck.js';
import { crdDefinitions, definitions, kindDefinition } from '../../api/openapi/defs.js';
import { logger } from '../../util/log.js';

const log = logger('validatingadmissionpolicy-status-controller');

const OUT_OF_BUDGET = 'validation failed due to running out of cost budget, no further validation rules will be run';

/** A policy's expressions, compiled once per version of the policy. */
interface CompiledPolicy {
  generation: string;
  conditions: { name: string; c: ReturnType<typeof compile> }[];
  variables: { name: string; c: ReturnType<typeof compile> }[];
  validations: { v: any; c: ReturnType<typeof compile>; message?: ReturnType<typeof compile> }[];
  /** spec.auditAnnotations: `key` and its valueExpression. */
  audits: { key: string; c: ReturnType<typeof compile> }[];
}

interface Decision {
  deny: boolean;
  message: string;
  reason?: string;
  /** The validation's index in the policy (the audit record's expressionIndex). */
  index?: number;
}

/** The audit annotation kube-apiserver records for a binding's Audit action (a JSON list of the failures). */
const VALIDATION_FAILURE_ANNOTATION = 'validation.policy.admission.k8s.io/validation_failure';

/** The request's object and old object as the version a policy matched. */
interface Versioned { object?: KubeObject; oldObject?: KubeObject }

const REASON_CODE: Record<string, number> = { Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };

/** matching.Matcher: namespace and object selectors, excluded rules, then the rules (with resourceNames), exact or equivalent. */
async function matchResources(registry: Registry, m: any, a: Attributes): Promise<MatchTarget | undefined> {
  if (!m || typeof m !== 'object') return requestTarget(a);
  if (!(await namespaceSelectorMatches(registry, m.namespaceSelector, a))) return undefined;
  if (!objectSelectorMatches(m.objectSelector, a)) return undefined;
  const named = (r: Rule) => !r.resourceNames?.length || r.resourceNames.includes(a.name);
  const exact = requestTarget(a);
  const excluded: Rule[] = Array.isArray(m.excludeResourceRules) ? m.excludeResourceRules : [];
  if (excluded.some((r) => named(r) && ruleMatches(r, a, exact))) return undefined;
  const rules: Rule[] = Array.isArray(m.resourceRules) ? m.resourceRules : [];
  // A binding's matchResources without resourceRules takes every resource its policy matches.
  if (rules.length === 0) return exact;
  if (rules.some((r) => named(r) && ruleMatches(r, a, exact))) return exact;
  if (m.matchPolicy === 'Exact') return undefined;
  for (const t of equivalentTargets(registry, a)) if (rules.some((r) => named(r) && ruleMatches(r, a, t))) return t;
  return undefined;
}

/** What kube-controller-manager's status controller is called: its field manager. */
const STATUS_CONTROLLER = 'validatingadmissionpolicy-status-controller';
/** typechecking.go's maxTypesToCheck. */
const MAX_TYPES_TO_CHECK = 10;

/**
 * The kinds a policy's expressions are type checked against (TypeChecker.typesToCheck): every
 * group × version × resource of its matchConstraints' rules, a rule with a wildcard skipped,
 * subresources left out, at most 10, sorted by group, version and kind.
 */
function typesToCheck(registry: Registry, policy: KubeObject): ResourceType[] {
  const out = new Map<string, ResourceType>();
  const noWildcard = (xs: unknown) => (Array.isArray(xs) && xs.every((x) => typeof x === 'string' && !x.includes('*')) ? (xs as string[]) : []);
  for (const r of Array.isArray(policy.spec?.matchConstraints?.resourceRules) ? policy.spec.matchConstraints.resourceRules : []) {
    const groups = noWildcard(r?.apiGroups);
    const versions = noWildcard(r?.apiVersions);
    const resources = noWildcard(r?.resources).filter((x) => !x.includes('/'));
    for (const g of groups) for (const v of versions) for (const res of resources) {
      const rt = registry.catalog.lookup(g, v, res);
      if (rt && out.size < MAX_TYPES_TO_CHECK) out.set(`${rt.group}/${rt.version}/${rt.kind}`, rt);
    }
  }
  const key = (rt: ResourceType) => [rt.group, rt.version, rt.kind];
  return [...out.values()].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
}

/** The OpenAPI schema of a kind (a CRD's published one for a custom resource). */
function kindSchema(rt: ResourceType | undefined): Schema | undefined {
  if (!rt) return undefined;
  const name = kindDefinition(rt);
  if (!name) return undefined;
  return rt.custom || rt.crdSchema ? crdDefinitions(rt)[name] : definitions()[name];
}

/**
 * status.typeChecking.expressionWarnings (TypeChecker.CheckContext): each validation's expression
 * and messageExpression checked with `object`/`oldObject` of each matched kind and `params` of
 * the paramKind; a warning lists the kinds it fails for, `<gvk>: <cel-go's issues>`.
 */
function expressionWarnings(registry: Registry, policy: KubeObject): { fieldRef: string; warning: string }[] {
  const kinds = typesToCheck(registry, policy);
  if (kinds.length === 0) return [];
  const pk = policy.spec?.paramKind;
  const params = pk ? kindSchema(registry.catalog.byKind(String(pk.apiVersion), String(pk.kind))) : undefined;
  const resolve = (ref: string) => definitions()[ref];
  const check = (expr: string): string | undefined => {
    const results = kinds.flatMap((rt) => {
      const object = kindSchema(rt);
      const issues = typeCheck(expr, { object, oldObject: object, params }, resolve);
      return issues ? [`${rt.group}/${rt.version}, Kind=${rt.kind}: ${issues}\n`] : [];
    });
    return results.length ? results.join('\n') : undefined;
  };
  const out: { fieldRef: string; warning: string }[] = [];
  (Array.isArray(policy.spec?.validations) ? policy.spec.validations : []).forEach((v: any, i: number) => {
    const e = typeof v?.expression === 'string' ? check(v.expression) : undefined;
    if (e) out.push({ fieldRef: `spec.validations[${i}].expression`, warning: e });
    const m = typeof v?.messageExpression === 'string' && v.messageExpression ? check(v.messageExpression) : undefined;
    if (m) out.push({ fieldRef: `spec.validations[${i}].messageExpression`, warning: m });
  });
  return out;
}

export function validatingAdmissionPolicy(registry: Registry): ValidationInterface & { name: 'ValidatingAdmissionPolicy'; start(): Promise<void>; close(): void } {
  const rt = (plural: string) => registry.catalog.lookup('admissionregistration.k8s.io', 'v1', plural)!;
  const policies = new WatchedObjects(registry, rt('validatingadmissionpolicies'));
  const bindings = new WatchedObjects(registry, rt('validatingadmissionpolicybindings'));
  const compiled = new Map<string, CompiledPolicy>();

  const compiledFor = (p: KubeObject): CompiledPolicy => {
    const key = `${p.metadata.uid}/${p.metadata.resourceVersion}`;
    const hit = compiled.get(p.metadata.name!);
    if (hit?.generation === key) return hit;
    const s = p.spec ?? {};
    const vars = policyCelVariables(s);
    const names: string[] = (Array.isArray(s.variables) ? s.variables : []).map((v: any) => String(v?.name ?? ''));
    const out: CompiledPolicy = {
      generation: key,
      conditions: (Array.isArray(s.matchConditions) ? s.matchConditions : []).map((c: any) => ({ name: String(c?.name), c: compile(String(c?.expression ?? ''), { variables: vars, variableNames: names }) })),
      variables: (Array.isArray(s.variables) ? s.variables : []).map((v: any, i: number) => ({ name: String(v?.name), c: compile(String(v?.expression ?? ''), { variables: vars, variableNames: names.slice(0, i) }) })),
      validations: (Array.isArray(s.validations) ? s.validations : []).map((v: any) => ({
        v, c: compile(String(v?.expression ?? ''), { variables: vars, variableNames: names }),
        ...(typeof v?.messageExpression === 'string' && v.messageExpression.trim() ? { message: compile(v.messageExpression, { variables: vars, variableNames: names }) } : {}),
      })),
      audits: (Array.isArray(s.auditAnnotations) ? s.auditAnnotations : []).map((x: any) => ({ key: String(x?.key ?? ''), c: compile(String(x?.valueExpression ?? ''), { variables: vars, variableNames: names }) })),
    };
    compiled.set(p.metadata.name!, out);
    return out;
  };

  /**
   * CollectParams: the binding's paramRef (a name, or a selector) read in the policy's paramKind,
   * in the request's namespace unless it names one. Undefined params (no paramKind) evaluate once.
   */
  const collectParams = async (policy: KubeObject, binding: KubeObject, a: Attributes): Promise<(KubeObject | null)[]> => {
    const kind = policy.spec?.paramKind;
    if (!kind) return [null];
    const ref = binding.spec?.paramRef;
    if (!ref) throw new Error(`failed to configure binding: paramRef is required when paramKind is set`);
    const prt: ResourceType | undefined = registry.catalog.byKind(String(kind.apiVersion), String(kind.kind));
    if (!prt) throw new Error(`paramKind kind \`${kind.apiVersion}, Kind=${kind.kind}\` not known`);
    let ns: string | undefined;
    if (prt.namespaced) {
      ns = ref.namespace || a.namespace;
      if (!ns) throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    }
    let params: KubeObject[] = [];
    if (ref.name) {
      const p = await registry.tryGet(prt, ns, ref.name);
      if (p) params = [p];
    } else if (ref.selector) {
      const sel = selectorFromLabelSelector(ref.selector);
      params = (await registry.list(prt, ns)).items.filter((o) => sel.matches(o.metadata.labels ?? {}));
    }
    if (params.length === 0 && ref.parameterNotFoundAction === 'Deny') throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
    return params;
  };

  /** One policy with one binding and one params object: the decisions of its validations (validator.Validate). */
  const evaluate = (policy: KubeObject, cp: CompiledPolicy, a: Attributes, t: MatchTarget, objects: Versioned, params: KubeObject | null, ns: KubeObject | undefined): Decision[] => {
    const fail = policy.spec?.failurePolicy !== 'Ignore';
    const onError = (message: string): Decision[] => (fail ? [{ deny: true, message }] : []);
    let budget = RUNTIME_COST_BUDGET;
    const bindings: Record<string, CelInput> = {
      object: toCel(objects.object ?? null),
      oldObject: toCel(objects.oldObject ?? null),
      request: toCel(admissionRequest(a, t, '')),
      params: toCel(params),
      // CreateNamespaceObject: the namespace's metadata, spec and status.
      namespaceObject: toCel(ns ? { metadata: ns.metadata, spec: ns.spec, status: ns.status } : null),
      authorizer: toCel({}),
    };
    const vars = new Map<string, CelInput>();
    const varErrors = new Map<string, string>();
    bindings.variables = toCel({});
    /** Runs one compiled expression: its value, or the error text kube reports for it. */
    const run = (c: ReturnType<typeof compile>, source: string, needs?: ReadonlySet<string>): { value?: unknown; error?: string; budget?: true } => {
      if (!c.ok) return { error: c.error };
      for (const v of needs ?? []) if (varErrors.has(v)) return { error: `expression '${source}' resulted in error: ${varErrors.get(v)}` };
      const r = c.program.run({ ...bindings, variables: new Map(vars) as unknown as CelInput });
      budget -= r.cost;
      if (budget < 0) return { budget: true };
      if (!r.ok) return { error: `expression '${source}' resulted in error: ${r.error}` };
      return { value: r.value };
    };
    // matchConditions: any false skips the policy; an error is the failure policy's.
    const condErrors: string[] = [];
    for (const m of cp.conditions) {
      const src = m.c.ok ? m.c.program.source : '';
      const r = run(m.c, src, m.c.ok ? m.c.program.usesVariables : undefined);
      if (r.budget) return onError(OUT_OF_BUDGET);
      if (r.error) condErrors.push(r.error);
      else if (r.value === false) return [];
      else if (r.value !== true) condErrors.push(`expression '${src}' resulted in error: no such overload`);
    }
    if (condErrors.length) return onError(condErrors.length === 1 ? condErrors[0] : `[${condErrors.join(', ')}]`);
    for (const v of cp.variables) {
      const r = run(v.c, v.c.ok ? v.c.program.source : '', v.c.ok ? v.c.program.usesVariables : undefined);
      if (r.budget) return onError(OUT_OF_BUDGET);
      if (r.error) varErrors.set(v.name, r.error);
      else vars.set(v.name, r.value as CelInput);
    }
    const out: Decision[] = [];
    for (const [index, { v, c, message }] of cp.validations.entries()) {
      const source = String(v?.expression ?? '');
      const r = run(c, source, c.ok ? c.program.usesVariables : undefined);
      if (r.budget) return [...out, ...onError(OUT_OF_BUDGET)];
      if (r.error) { out.push(...onError(r.error)); continue; }
      if (r.value === true) continue;
      // The failure message: messageExpression's string, else message, else the expression.
      let text = '';
      if (message) {
        const m = run(message, String(v.messageExpression), message.ok ? message.program.usesVariables : undefined);
        if (m.budget) return [...out, ...onError(`failed messageExpression: ${OUT_OF_BUDGET}`)];
        const s = typeof m.value === 'string' ? m.value.trim() : '';
        if (s && !s.includes('\n') && s.length <= 5 * 1024) text = s;
      }
      if (!text && typeof v?.message === 'string' && v.message.trim()) text = v.message.trim();
      if (!text) text = `failed expression: ${source.trim()}`;
      out.push({ deny: true, message: text, reason: typeof v?.reason === 'string' && v.reason ? v.reason : 'Invalid', index });
    }
    // auditAnnotations: a string value is recorded as "<policy>/<key>" (the first one written wins);
    // null or "" records nothing; an error or another type is the failure policy's.
    for (const { key, c } of cp.audits) {
      const source = c.ok ? c.program.source : '';
      const r = run(c, source, c.ok ? c.program.usesVariables : undefined);
      if (r.budget) return [...out, ...onError(OUT_OF_BUDGET)];
      if (r.error) { out.push(...onError(r.error)); continue; }
      if (r.value === null || r.value === '') continue;
      if (typeof r.value !== 'string') {
        out.push(...onError(`valueExpression '${source}' resulted in unsupported return type: ${celTypeName(r.value)}. Return type must be either string or null.`));
        continue;
      }
      const k = `${policy.metadata.name}/${key}`;
      if (!a.auditAnnotations.has(k)) a.auditAnnotations.set(k, r.value);
    }
    return out;
  };

  return {
    name: 'ValidatingAdmissionPolicy',
    handles: (op) => op === 'CREATE' || op === 'UPDATE' || op === 'DELETE' || op === 'CONNECT',
    async validate(a) {
      const all = bindings.all();
      if (all.length === 0) return;
      let denied: { policy: string; binding: string; d: Decision } | undefined;
      const audited: Record<string, unknown>[] = [];
      let ns: KubeObject | undefined | null = null;
      for (const policy of policies.all()) {
        const mine = all.filter((b) => b.spec?.policyName === policy.metadata.name);
        if (mine.length === 0) continue;
        const t = await matchResources(registry, policy.spec?.matchConstraints, a);
        if (!t) continue;
        const cp = compiledFor(policy);
        for (const binding of mine) {
          const bt = binding.spec?.matchResources ? await matchResources(registry, binding.spec.matchResources, a) : t;
          if (!bt) continue;
          const actions: string[] = Array.isArray(binding.spec?.validationActions) ? binding.spec.validationActions : [];
          let decisions: Decision[];
          try {
            if (ns === null) ns = await requestNamespace(registry, a);
            const params = await collectParams(policy, binding, a);
            // The objects as the version the policy matched (a custom resource's maybe by its conversion webhook).
            const objects: Versioned = { object: await convertObject(registry, a.object, a.resourceType, t.rt), oldObject: await convertObject(registry, a.oldObject, a.resourceType, t.rt) };
            decisions = params.flatMap((p) => evaluate(policy, cp, a, t, objects, p, ns ?? undefined));
          } catch (e) {
            // A binding that cannot be configured (its params): the failure policy decides.
            decisions = policy.spec?.failurePolicy === 'Ignore' ? [] : [{ deny: true, message: (e as Error).message }];
          }
          for (const d of decisions) {
            if (!d.deny) continue;
            if (actions.includes('Deny') && !denied) denied = { policy: policy.metadata.name!, binding: binding.metadata.name!, d };
            if (actions.includes('Warn')) a.warnings?.push(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${d.message}`);
            // Audit: one entry of the request's validation_failure annotation (the chain logs it as the audit record).
            if (actions.includes('Audit')) audited.push({ expressionIndex: d.index ?? 0, message: d.message, validationActions: actions, binding: binding.metadata.name, policy: policy.metadata.name });
          }
        }
      }
      if (audited.length && !a.auditAnnotations.has(VALIDATION_FAILURE_ANNOTATION)) a.auditAnnotations.set(VALIDATION_FAILURE_ANNOTATION, JSON.stringify(audited));
      if (!denied) return;
      const message = `ValidatingAdmissionPolicy '${denied.policy}' with binding '${denied.binding}' denied request: ${denied.d.message}`;
      const reason = denied.d.reason ?? 'Invalid';
      const name = a.name || a.object?.metadata?.generateName || 'Unknown';
      throw new StatusError(REASON_CODE[reason] ?? 422, reason, `${qualifiedResource(a.resourceType)} "${name}" is forbidden: ${message}`, {
        name, group: a.resource.group, kind: a.resource.resource, causes: [{ message }],
      });
    },
    async start() {
      // kube-controller-manager's ValidatingAdmissionPolicy status controller, run beside the plugin
      // that follows the policies: a policy whose generation is newer than status.observedGeneration
      // gets its type checking written (server-side apply of status, forced), one write at a time.
      let writes = Promise.resolve();
      policies.onChange = (name, p) => {
        if (!p || !(Number(p.metadata.generation ?? 0) > Number(p.status?.observedGeneration ?? 0))) return;
        writes = writes.then(async () => {
          const cur = policies.get(name);
          if (!cur || cur.metadata.uid !== p.metadata.uid || !(Number(cur.metadata.generation ?? 0) > Number(cur.status?.observedGeneration ?? 0))) return;
          const warnings = expressionWarnings(registry, cur);
          const status = { observedGeneration: cur.metadata.generation, typeChecking: warnings.length ? { expressionWarnings: warnings } : {} };
          await registry.patch(rt('validatingadmissionpolicies'), undefined, name, 'apply',
            { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, status },
            { fieldManager: STATUS_CONTROLLER, force: true, subresource: 'status' });
        }).catch((e) => {
          // A policy deleted or changed meanwhile: its next change (or none) says what to do.
          if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) log.warn({ err: e, policy: name }, 'writing the policy\'s status failed');
        });
      };
      await policies.start();
      await bindings.start();
    },
    close() {
      policies.close();
      bindings.close();
    },
  };
}
