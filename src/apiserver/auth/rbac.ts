// The RBAC authorizer (kubernetes/plugin/pkg/auth/authorizer/rbac/rbac.go) and its
// rule resolver (pkg/registry/rbac/validation/rule.go): a user may do what some
// rule of a role bound to them allows — ClusterRoleBindings everywhere,
// RoleBindings in their namespace. Deny is never said: without a matching rule
// RBAC has no opinion, with the errors it met (a binding to a missing role) as
// the reason. The roles and bindings are read from the cluster's store once and
// kept until an RBAC object changes (the RBAC strategy tells, ../strategies/rbac.ts);
// bindings are indexed by subject, so a decision looks at the user's own
// bindings only. docs/auth.md.
import type { KubeObject } from '../../api/types.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer, NonResourceRule, ResourceRule, Rules } from './authorizer.js';
import { serviceAccountUsername, type UserInfo } from './user.js';
import { selectorFromLabelSelector, SelectorError } from '../../api/selectors.js';

/** rbacv1.PolicyRule. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding {
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
}

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** A stored role's rules as plain data (anything malformed is left out: validation kept it out already). */
export function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = (role as any)?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.filter((r) => r && typeof r === 'object').map((r) => ({
    verbs: strs(r.verbs), apiGroups: strs(r.apiGroups), resources: strs(r.resources), resourceNames: strs(r.resourceNames), nonResourceURLs: strs(r.nonResourceURLs),
  }));
}

// ---- rule matching (pkg/apis/rbac/v1/evaluation_helpers.go) ------------------------------

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

export const verbMatches = (r: PolicyRule, verb: string) => has(r.verbs, verb);
export const apiGroupMatches = (r: PolicyRule, group: string) => has(r.apiGroups, group);

/** ResourceMatches: `*`, the exact `resource/subresource`, or `*​/subresource` for a subresource. */
export function resourceMatches(r: PolicyRule, combined: string, subresource: string): boolean {
  for (const res of r.resources ?? []) {
    if (res === '*' || res === combined) return true;
    if (subresource && res.length === subresource.length + 2 && res.startsWith('*/') && res.endsWith(subresource)) return true;
  }
  return false;
}

/** ResourceNameMatches: no names means every name. */
export const resourceNameMatches = (r: PolicyRule, name: string) => !r.resourceNames?.length || r.resourceNames.includes(name);

/** NonResourceURLMatches: `*`, the exact path, or a prefix ending in `*`. */
export function nonResourceURLMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** RuleAllows. */
export function ruleAllows(a: AuthorizationAttributes, r: PolicyRule): boolean {
  if (a.resourceRequest) {
    const sub = a.subresource ?? '';
    const combined = sub ? `${a.resource ?? ''}/${sub}` : a.resource ?? '';
    return verbMatches(r, a.verb) && apiGroupMatches(r, a.apiGroup ?? '') && resourceMatches(r, combined, sub) && resourceNameMatches(r, a.name ?? '');
  }
  return verbMatches(r, a.verb) && nonResourceURLMatches(r, a.path ?? '');
}

export const rulesAllow = (a: AuthorizationAttributes, rules: PolicyRule[]) => rules.some((r) => ruleAllows(a, r));

// ---- subjects ---------------------------------------------------------------------------

/** Index keys a subject is filed under; a ServiceAccount without a namespace takes its binding's. */
function subjectKey(s: Subject, bindingNamespace: string): string | undefined {
  switch (s.kind) {
    case 'User': return `u\0${s.name}`;
    case 'Group': return `g\0${s.name}`;
    case 'ServiceAccount': return `u\0${serviceAccountUsername(s.namespace || bindingNamespace, s.name)}`;
  }
  return undefined;
}

/** The keys a user's bindings are filed under: their name and each group. */
function userKeys(u: UserInfo): string[] {
  return [`u\0${u.username}`, ...u.groups.map((g) => `g\0${g}`)];
}

/** describeSubject of rbac.go, for the reason an access review gives. */
function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

function describeBinding(b: Binding, s: Subject): string {
  if (!b.namespace) return `ClusterRoleBinding ${JSON.stringify(b.name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(s, '')}`;
  return `RoleBinding ${JSON.stringify(`${b.name}/${b.namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(s, b.namespace)}`;
}

function toBinding(o: KubeObject): Binding {
  const ref = (o as any).roleRef ?? {};
  const subjects = Array.isArray((o as any).subjects) ? (o as any).subjects : [];
  return {
    name: o.metadata.name ?? '', namespace: o.metadata.namespace ?? '',
    roleRef: { kind: String(ref.kind ?? ''), name: String(ref.name ?? '') },
    subjects: subjects.filter((s: any) => s && typeof s === 'object').map((s: any) => ({ kind: String(s.kind ?? ''), name: String(s.name ?? ''), namespace: typeof s.namespace === 'string' ? s.namespace : undefined })),
  };
}

/** Every RBAC object of a cluster. */
export interface RbacObjects {
  roles: KubeObject[];
  clusterRoles: KubeObject[];
  roleBindings: KubeObject[];
  clusterRoleBindings: KubeObject[];
}

/** The four kinds, read once, indexed: roles by name, bindings by the subjects they name. */
class RbacIndex {
  readonly clusterRoles = new Map<string, PolicyRule[]>();
  /** `namespace/name`. */
  readonly roles = new Map<string, PolicyRule[]>();
  /** Subject key → ClusterRoleBindings naming it (with the subject that matched). */
  readonly cluster = new Map<string, { b: Binding; s: Subject }[]>();
  /** Namespace → subject key → RoleBindings. */
  readonly namespaced = new Map<string, Map<string, { b: Binding; s: Subject }[]>>();

  constructor(o: RbacObjects) {
    for (const r of o.clusterRoles) this.clusterRoles.set(r.metadata.name ?? '', rulesOf(r));
    for (const r of o.roles) this.roles.set(`${r.metadata.namespace}/${r.metadata.name}`, rulesOf(r));
    for (const b of o.clusterRoleBindings.map(toBinding)) this.file(this.cluster, b);
    for (const b of o.roleBindings.map(toBinding)) {
      let m = this.namespaced.get(b.namespace);
      if (!m) this.namespaced.set(b.namespace, (m = new Map()));
      this.file(m, b);
    }
  }

  private file(m: Map<string, { b: Binding; s: Subject }[]>, b: Binding): void {
    const seen = new Set<string>();
    for (const s of b.subjects) {
      const k = subjectKey(s, b.namespace);
      // appliesTo stops at the first subject that matches: a binding is listed once per key.
      if (!k || seen.has(k)) continue;
      seen.add(k);
      let list = m.get(k);
      if (!list) m.set(k, (list = []));
      list.push({ b, s });
    }
  }

  /** The bindings that apply to a user: cluster-wide first, then the namespace's, each in name order. */
  bindingsFor(u: UserInfo, namespace: string): { b: Binding; s: Subject }[] {
    const pick = (m: Map<string, { b: Binding; s: Subject }[]> | undefined) => {
      if (!m) return [];
      const byName = new Map<string, { b: Binding; s: Subject }>();
      for (const k of userKeys(u)) for (const e of m.get(k) ?? []) if (!byName.has(e.b.name)) byName.set(e.b.name, e);
      return [...byName.values()].sort((x, y) => (x.b.name < y.b.name ? -1 : x.b.name > y.b.name ? 1 : 0));
    };
    return [...pick(this.cluster), ...(namespace ? pick(this.namespaced.get(namespace)) : [])];
  }

  /** GetRoleReferenceRules, with kube's errors for a role that is not there. */
  roleRules(ref: Binding['roleRef'], namespace: string): { rules: PolicyRule[] } | { error: string } {
    if (ref.kind === 'ClusterRole') {
      const rules = this.clusterRoles.get(ref.name);
      return rules ? { rules } : { error: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    }
    if (ref.kind === 'Role') {
      const rules = this.roles.get(`${namespace}/${ref.name}`);
      return rules ? { rules } : { error: `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    }
    return { error: `unsupported role reference kind: ${JSON.stringify(ref.kind)}` };
  }
}

/**
 * VisitRulesFor: each rule that applies to the user in the namespace, with where it comes from;
 * `visit` returns false to stop.
 */
function visitRules(ix: RbacIndex, u: UserInfo, namespace: string, visit: (source: string | undefined, rule: PolicyRule | undefined, err: string | undefined) => boolean): void {
  for (const { b, s } of ix.bindingsFor(u, namespace)) {
    const got = ix.roleRules(b.roleRef, b.namespace);
    if ('error' in got) {
      if (!visit(undefined, undefined, got.error)) return;
      continue;
    }
    let source: string | undefined;
    for (const r of got.rules) {
      source ??= describeBinding(b, s);
      if (!visit(source, r, undefined)) return;
    }
  }
}

export class RbacAuthorizer implements Authorizer {
  private index: RbacIndex | undefined;
  private loading: Promise<RbacIndex> | undefined;
  private generation = 0;

  /** `load` reads every RBAC object of the cluster (the store's current state). */
  constructor(private readonly load: () => Promise<RbacObjects>) {}

  /** An RBAC object changed: the next decision reads them again. */
  invalidate(): void {
    this.generation++;
    this.index = undefined;
    this.loading = undefined;
  }

  private async current(): Promise<RbacIndex> {
    if (this.index) return this.index;
    const gen = this.generation;
    const p = (this.loading ??= this.load().then((o) => new RbacIndex(o)));
    try {
      const ix = await p;
      if (gen === this.generation) this.index = ix;
      return ix;
    } finally {
      if (this.loading === p) this.loading = undefined;
    }
  }

  async authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const ix = await this.current();
    let allowed: string | undefined;
    const errs: string[] = [];
    visitRules(ix, a.user, a.namespace ?? '', (source, rule, err) => {
      if (rule && ruleAllows(a, rule)) {
        allowed = `RBAC: allowed by ${source}`;
        return false;
      }
      if (err) errs.push(err);
      return true;
    });
    if (allowed) return { decision: 'Allow', reason: allowed };
    // utilerrors.NewAggregate: one error as it is, several as [a, b].
    const reason = errs.length === 0 ? '' : `RBAC: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`;
    return { decision: 'NoOpinion', reason };
  }

  /** The rules that apply to a user in a namespace (RuleResolver.RulesFor), and the errors met. */
  async policyRulesFor(u: UserInfo, namespace: string): Promise<{ rules: PolicyRule[]; errors: string[] }> {
    const ix = await this.current();
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    visitRules(ix, u, namespace, (_s, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }

  async rulesFor(u: UserInfo, namespace: string): Promise<Rules> {
    const { rules, errors } = await this.policyRulesFor(u, namespace);
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    for (const r of rules) {
      if (r.resources?.length) resourceRules.push({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames });
      if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    }
    return { resourceRules, nonResourceRules, incomplete: false, ...(errors.length ? { error: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` } : {}) };
  }

  /** A ClusterRole's rules as stored (what a binding to it would grant), or undefined when there is none. */
  async clusterRoleRules(name: string): Promise<PolicyRule[] | undefined> {
    return (await this.current()).clusterRoles.get(name);
  }

  /** A Role's rules, or undefined. */
  async roleRules(namespace: string, name: string): Promise<PolicyRule[] | undefined> {
    return (await this.current()).roles.get(`${namespace}/${name}`);
  }
}

// ---- escalation (pkg/registry/rbac/validation: Covers, ConfirmNoEscalation) -------------

/**
 * The parts of `want` no rule of `owner` covers (validation.Covers): each requested rule is
 * broken into one rule per verb, group, resource, name (and URL), and each piece must be allowed
 * by some owner rule on its own.
 */
export function uncovered(owner: PolicyRule[], want: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const r of want) {
    for (const piece of breakdown(r)) if (!owner.some((o) => ruleCovers(o, piece))) missing.push(piece);
  }
  return missing;
}

/** BreakdownRule: one rule per verb × group × resource × name, and per verb × URL. */
function breakdown(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of r.apiGroups ?? []) {
    for (const resource of r.resources ?? []) {
      for (const verb of r.verbs) {
        if (r.resourceNames?.length) for (const name of r.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of r.nonResourceURLs ?? []) for (const verb of r.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

/** ruleCovers: `owner` allows everything `sub` (a broken-down rule) allows. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const ov = owner.verbs;
  const og = owner.apiGroups ?? [];
  const or = owner.resources ?? [];
  const verbs = ov.includes('*') || sub.verbs.every((v) => ov.includes(v));
  const groups = og.includes('*') || (sub.apiGroups ?? []).every((g) => og.includes(g));
  // resourceCoversAll: `*`, the exact resource, or `*/sub` for a subresource.
  const resources = or.includes('*') || (sub.resources ?? []).every((res) => or.includes(res) || (res.includes('/') && or.includes(`*/${res.slice(res.indexOf('/') + 1)}`)));
  // nonResourceURLCovers: the exact path, or a prefix ending in `*`.
  const urls = (sub.nonResourceURLs ?? []).every((u) => (owner.nonResourceURLs ?? []).some((o) => o === u || (o.endsWith('*') && u.startsWith(o.replace(/\*+$/, '')))));
  // A rule without names covers every name; a sub-rule without names needs an owner without names.
  const names = !owner.resourceNames?.length || (!!sub.resourceNames?.length && sub.resourceNames.every((n) => owner.resourceNames!.includes(n)));
  return verbs && groups && resources && names && urls;
}

/**
 * CompactRules: the broken-down rules of one group, one resource and at most one name are merged
 * back, their verbs together, so an escalation error lists each resource once.
 */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = (r.resourceNames?.length ?? 0) <= 1 && !r.nonResourceURLs?.length && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups![0], r.resources![0], r.resourceNames?.[0] ?? null]);
    const had = simple.get(key);
    if (had) had.verbs.push(...r.verbs);
    else simple.set(key, { ...r, verbs: [...r.verbs] });
  }
  return [...out, ...simple.values()];
}

/**
 * ConfirmNoEscalation's refusal: what the user asked to grant that their own rules do not
 * cover, one compacted rule per line in sorted order.
 */
export function escalationMessage(user: UserInfo, missing: PolicyRule[], resolutionErrors: string[] = []): string {
  const lines = [...new Set(compactRules(missing).map(compactRule))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (resolutionErrors.length) msg += `; resolution errors: [${resolutionErrors.join(' ')}]`;
  return msg;
}

/** A rule as kube's PolicyRule String() prints it in an escalation error (rbacv1helpers.CompactString). */
export function compactRule(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:[${r.apiGroups.map((g) => JSON.stringify(g)).join(' ')}]`);
  if (r.resources?.length) parts.push(`Resources:[${r.resources.map((g) => JSON.stringify(g)).join(' ')}]`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:[${r.nonResourceURLs.map((g) => JSON.stringify(g)).join(' ')}]`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:[${r.resourceNames.map((g) => JSON.stringify(g)).join(' ')}]`);
  parts.push(`Verbs:[${r.verbs.map((g) => JSON.stringify(g)).join(' ')}]`);
  return `{${parts.join(', ')}}`;
}

// ---- aggregation (pkg/controller/clusterroleaggregation) --------------------------------

/** A rule as data (JSON), for kube's "rule already present" comparison (DeepEqual). */
const ruleKey = (r: unknown) => JSON.stringify(r, Object.keys(r as object).sort());

/** Whether a ClusterRole is aggregated (has an aggregationRule with selectors). */
export const isAggregated = (cr: KubeObject): boolean => Array.isArray((cr as any).aggregationRule?.clusterRoleSelectors);

/**
 * The rules an aggregated ClusterRole gets: those of every ClusterRole its selectors match (itself
 * excepted), the roles in name order, each rule once; undefined when its rules are already those.
 */
export function aggregatedRules(role: KubeObject, all: KubeObject[]): unknown[] | undefined {
  const name = role.metadata.name;
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
    const matched = all.filter((cr) => cr.metadata.name !== name && matcher.matches(cr.metadata.labels))
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
  if (current.length === rules.length && current.every((r, i) => ruleKey(r) === ruleKey(rules[i]))) return undefined;
  return rules;
}
