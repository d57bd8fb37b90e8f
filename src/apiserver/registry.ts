// The generic store (kube-apiserver's registry/generic/registry.Store): the
// Kubernetes object semantics over the store, the same for every kind — names,
// uids, resourceVersions, optimistic concurrency, dry-run, deletion with
// finalizers, the admission chain. What differs by kind (status on create,
// graceful deletion, name rules, hooks after a write…) is the kind's strategy
// (./strategies); this file names no kind. The HTTP handlers and the
// in-process client both call it, so they can never disagree. The order of a
// write is in docs/apiserver.md.
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../api/catalog.js';
import type { FieldError, KubeObject, ResourceType } from '../api/types.js';
import { apiVersionOf } from '../api/types.js';
import type { Change, ListResult, Store, StoredItem } from '../store/types.js';
import { StoreError } from '../store/types.js';
import { sameValue } from '../util/equal.js';
import { DecodeError, errors, StatusError, typeMetaError } from './status.js';
import { validateObject } from '../api/openapi/index.js';
import type { Validation } from '../api/openapi/validate.js';
import { parseFieldSelector, parseLabelSelector, validateAnnotations, validateLabels } from '../api/selectors.js';
import { jsonPatch, mergePatch, strategicMergePatch, serverSideApply, recordUpdate, PatchError, ApplyConflictError } from './patch/index.js';
import { deepCopy } from '../api/deepcopy.js';
import { formatRFC3339 } from '../api/duration.js';
import { hasOwn } from '../util/own.js';
import { AdmissionChain } from './admission/chain.js';
import type { Attributes, Operation } from './admission/types.js';
import { ADMIN_USER, type UserInfo } from './auth/user.js';
import { DecisionCache, forbiddenError, PrivilegedGroupAuthorizer, UnionAuthorizer, type AuthorizationAttributes, type AuthorizationResult, type Authorizer } from './auth/authorizer.js';
import { RbacAuthorizer, type RbacObjects } from './auth/rbac.js';
import { NodeAuthorizer } from './auth/node.js';
import { NodePods } from './auth/nodepods.js';
import type { TokenAuthenticator } from './auth/authenticator.js';
import type { TokenIssuer } from './auth/serviceaccount.js';
import type { Finish, ResourceMetricsSource, ResourceStrategy, StrategyOptions, WriteContext } from './strategies/index.js';
import { Strategies } from './strategies/index.js';
import { bindPod } from './binding.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  force?: boolean;
  subresource?: string;
  /** Filled with `unknown field` warnings when fieldValidation is Warn. */
  warnings?: string[];
  /** Set when a PUT created the object (its strategy allows create on update): the answer is a 201. */
  created?: boolean;
  /** Who asks (the request's authenticated user); the in-process client's controllers are the administrator until issue 17. */
  user?: UserInfo;
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  user?: UserInfo;
  /** Filled with the admission webhooks' and policies' warnings (Warning headers). */
  warnings?: string[];
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** As kube-apiserver reads them (docs/watch-semantics.md): unset or "0" is now, N at least N (or exactly N). */
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** A watch-list (sendInitialEvents): refused on a list, as kube-apiserver does. */
  sendInitialEvents?: boolean;
}

export interface WatchQuery extends ListQuery {
  allowWatchBookmarks?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface ListOutcome {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

/** How long a read waits for a resourceVersion the store has not reached, as the watch cache's blockTimeout. */
const BLOCK_TIMEOUT_MS = 3000;

/** The bookmark annotation that ends a watch-list's initial events (metav1.InitialEventsAnnotationKey). */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/** Conflicts from a write that raced another: a patch retries those, never one its own resourceVersion asked for. */
const racedWrites = new WeakSet<StatusError>();

/**
 * ValidateListOptions of kube-apiserver (apimachinery meta/internalversion/validation): a 422 on
 * ListOptions.meta.k8s.io, before anything is read.
 */
function validateListOptions(q: ListQuery, watch: boolean): void {
  const errs: FieldError[] = [];
  const forbid = (field: string, message: string) => errs.push({ field, type: 'FieldValueForbidden', message });
  const unsupported = (v: string, allowed: string[]) => errs.push({ field: 'resourceVersionMatch', type: 'FieldValueNotSupported', message: `${JSON.stringify(v)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}` });
  const match = q.resourceVersionMatch ?? '';
  if (watch) {
    if (q.sendInitialEvents !== undefined && match !== 'NotOlderThan') forbid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (match) {
      if (q.sendInitialEvents === undefined) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (match !== 'NotOlderThan') unsupported(match, ['NotOlderThan']);
      if (q.continue) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    }
  } else {
    if (match) {
      if (!q.resourceVersion) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (q.continue) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan') unsupported(match, ['Exact', 'NotOlderThan', '']);
      if (match === 'Exact' && q.resourceVersion === '0') forbid('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (q.sendInitialEvents !== undefined) forbid('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (errs.length) throw errors.invalid({ kind: 'ListOptions', group: 'meta.k8s.io' }, '', errs);
}

/** A resourceVersion parameter: 0 when unset or "0"; a 400 unless a whole number, as the etcd3 versioner parses it. */
function parseResourceVersion(rv: string | undefined): number {
  if (!rv || rv === '0') return 0;
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`);
  if (BigInt(rv) >= 2n ** 64n) throw errors.badRequest(`invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: value out of range`);
  return Number(rv);
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** A generated name's five random characters (names.SimpleNameGenerator: rand.String of the SafeEncodeString alphabet). */
export const generateSuffix = () => Array.from({ length: 5 }, () => GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)]).join('');

/** The kind and resource of a type, as admission attributes carry them (made once per type). */
const gvkr = new WeakMap<ResourceType, Pick<Attributes, 'kind' | 'resource'>>();

/** A cluster's storage settings, as kube-apiserver's flags give them (--event-ttl). */
export type RegistryOptions = StrategyOptions;

export class Registry {
  /** The cluster's admission chain: plugins register into their slots (./admission/chain.ts). */
  readonly admission = new AdmissionChain();
  /** Each type's strategy (./strategies). */
  private readonly strategies: Strategies;
  /** Whether a type's DELETE answers the object rather than a Status (its strategy's returnDeletedObject): the OpenAPI documents say which. */
  readonly deleteReturnsObject = (rt: ResourceType): boolean => this.strategy(rt).returnDeletedObject;
  /** The cluster's roles and bindings, read from its store and kept until one changes (./auth/rbac.ts). */
  readonly rbac = new RbacAuthorizer(() => this.rbacObjects());
  /**
   * Who may do what (./auth/authorizer.ts): kube-apiserver's chain, the privileged group, then
   * --authorization-mode=Node,RBAC. Every request is authorized by it (`authorize`), and the
   * access reviews ask it.
   */
  readonly authorizer: Authorizer = new UnionAuthorizer([
    new PrivilegedGroupAuthorizer(),
    new NodeAuthorizer((node, ns) => this.nodePods.on(node, ns)),
    this.rbac,
  ]);
  /** The authorizer's decisions per user, forgotten when an RBAC object changes. */
  private readonly decisions = new DecisionCache(this.authorizer);
  /**
   * Who a bearer token is in this cluster (the administrator's token, this cluster's ServiceAccount
   * tokens): what the server and a TokenReview ask (src/nodeless.ts sets it). Without one, a
   * TokenReview answers unauthenticated.
   */
  authenticator: TokenAuthenticator | undefined;
  /** What issues this cluster's ServiceAccount tokens (serviceaccounts/token, ./tokenrequest.ts); without one the subresource is not served. */
  tokenIssuer: TokenIssuer | undefined;
  /** The pods' usage behind metrics.k8s.io (./strategies/metrics.ts): the assembly sets it where a pod runtime runs. */
  metricsSource: ResourceMetricsSource | undefined;
  /**
   * A CRD's conversion webhook (./crdconversion.ts): `objects` as `desiredAPIVersion`. Set by the
   * cluster; without it a Webhook-strategy CRD's objects of another version cannot be served.
   */
  conversionWebhook: ((rt: ResourceType, objects: KubeObject[], desiredAPIVersion: string, list?: boolean) => Promise<KubeObject[]>) | undefined;

  constructor(
    readonly cluster: string,
    readonly store: Store,
    readonly catalog: Catalog,
    opts: RegistryOptions = {},
  ) {
    this.strategies = new Strategies(opts);
  }

  /** POST pods/NAME/binding and namespaces/NS/bindings. */
  bindPod(namespace: string, name: string, node: string, dryRun = false): Promise<void> {
    return bindPod(this, namespace, name, node, dryRun);
  }

  /**
   * Authorizes a request (kube-apiserver's WithAuthorization filter): resolves when allowed,
   * throws the 403 kube-apiserver answers otherwise. Decisions are cached per user until the
   * roles or bindings change.
   */
  async authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const r = await this.decisions.authorize(a);
    if (r.decision !== 'Allow') throw forbiddenError(a, r.reason);
    return r;
  }

  /** A role or binding changed (the RBAC strategy says so after each write): decisions are made again. */
  rbacChanged(): void {
    this.rbac.invalidate();
    this.decisions.clear();
  }

  private async rbacObjects(): Promise<RbacObjects> {
    const all = async (plural: string) => (await this.list(this.catalog.lookup('rbac.authorization.k8s.io', 'v1', plural)!, undefined)).items;
    const [roles, clusterRoles, roleBindings, clusterRoleBindings] = await Promise.all(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].map(all));
    return { roles, clusterRoles, roleBindings, clusterRoleBindings };
  }

  /** The pods bound to each node and what they refer to: what the Node authorizer lets a kubelet read (started when first asked). */
  private get nodePods(): NodePods {
    const pods = this.catalog.lookup('', 'v1', 'pods')!;
    this.nodePodIndex ??= new NodePods(this.store, this.prefix(pods), () => this.list(pods, undefined));
    return this.nodePodIndex;
  }
  private nodePodIndex: NodePods | undefined;

  /** The strategy of a type: what is particular about it. */
  strategy(rt: ResourceType): ResourceStrategy {
    return this.strategies.for(rt);
  }

  // ---- keys -------------------------------------------------------------

  /** Where a type's objects live: its own group-resource, or the one whose storage it shares (rt.storedAs). */
  prefix(rt: ResourceType, namespace?: string): string {
    const at = rt.storedAs ?? rt;
    const base = `/${this.cluster}/${at.group || 'core'}/${at.plural}/`;
    return rt.namespaced && namespace ? `${base}${namespace}/` : base;
  }

  key(rt: ResourceType, namespace: string | undefined, name: string): string {
    return rt.namespaced ? `${this.prefix(rt)}${namespace}/${name}` : `${this.prefix(rt)}${name}`;
  }

  // ---- reads ------------------------------------------------------------

  /** The stored JSON text as is: the fast path for GET. */
  async getRaw(rt: ResourceType, namespace: string | undefined, name: string): Promise<string> {
    const s = this.strategy(rt);
    if (s.restGet) return JSON.stringify(await s.restGet(namespace, name, this));
    const item = await this.store.get(this.key(rt, namespace, name));
    if (!item) throw errors.notFound(rt, name);
    if (rt.crdConversion) {
      const o = JSON.parse(item.json) as KubeObject;
      return o.apiVersion === apiVersionOf(rt) ? item.json : JSON.stringify((await this.fromStoredCRD(rt, [o]))[0]);
    }
    return rt.convert ? JSON.stringify(rt.convert.fromStorage(JSON.parse(item.json))) : item.json;
  }

  async get(rt: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    return JSON.parse(await this.getRaw(rt, namespace, name));
  }

  async tryGet(rt: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const item = await this.store.get(this.key(rt, namespace, name));
    if (!item) return undefined;
    const o = this.decode(rt, item.json);
    return rt.crdConversion ? (await this.fromStoredCRD(rt, [o]))[0] : o;
  }

  /**
   * Custom resources stored at their CRD's storage version, as `rt`'s version: apiVersion
   * rewritten (strategy None), or converted by the CRD's webhook in one ConversionReview
   * (Webhook). Objects already at `rt`'s version are left as they are.
   */
  private async fromStoredCRD(served: ResourceType, objs: KubeObject[], list = false): Promise<KubeObject[]> {
    // The CRD as it is now: a watch (or a long request) started before a change of its conversion uses the new one.
    const rt = this.catalog.lookup(served.group, served.version, served.plural) ?? served;
    const av = apiVersionOf(rt);
    const other = objs.filter((o) => o.apiVersion !== av);
    if (other.length === 0) return objs;
    if (rt.crdConversion?.strategy !== 'Webhook') return objs.map((o) => (o.apiVersion === av ? o : { ...o, apiVersion: av }));
    const converted = await this.convertByWebhook(rt, other, av, list);
    let i = 0;
    return objs.map((o) => (o.apiVersion === av ? o : converted[i++]));
  }

  /**
   * An object of `from`'s version as `to`'s, two versions of one stored resource (what an
   * admission webhook or policy that matched an equivalent version is shown): a built-in view's
   * conversion, or a custom resource's (its CRD's strategy: the conversion webhook, maybe).
   */
  async convertVersion(o: KubeObject, from: ResourceType, to: ResourceType): Promise<KubeObject> {
    if (from === to) return o;
    if (to.crdConversion) return (await this.fromStoredCRD(to, [{ ...o, apiVersion: apiVersionOf(from) }]))[0];
    let x = from.convert ? from.convert.toStorage(o) : o;
    if (to.convert) x = to.convert.fromStorage(x);
    return { ...x, apiVersion: apiVersionOf(to) };
  }

  /** A custom resource in the form it is stored: its CRD's storage version (undefined when it already is). */
  private async toStoredCRD(rt: ResourceType, obj: KubeObject): Promise<KubeObject | undefined> {
    const c = rt.crdConversion;
    if (!c || c.storageVersion === rt.version) return undefined;
    const av = `${rt.group}/${c.storageVersion}`;
    if (c.strategy !== 'Webhook') return { ...obj, apiVersion: av };
    return (await this.convertByWebhook(rt, [obj], av))[0];
  }

  private async convertByWebhook(rt: ResourceType, objs: KubeObject[], desired: string, list = false): Promise<KubeObject[]> {
    if (!this.conversionWebhook) throw errors.internal(`conversion webhook for ${objs[0].apiVersion}, Kind=${rt.kind} failed: no conversion webhook client`);
    return this.conversionWebhook(rt, objs, desired, list);
  }

  /** A stored object as this type's version (rt.convert: a view of another version's storage). */
  private decode(rt: ResourceType, json: string): KubeObject {
    const o = JSON.parse(json) as KubeObject;
    return rt.convert ? rt.convert.fromStorage(o) : o;
  }

  /** Builds a predicate for label and field selectors; throws 400 on bad syntax or unknown fields. */
  matcher(rt: ResourceType, q: Pick<ListQuery, 'labelSelector' | 'fieldSelector'>): ((o: KubeObject) => boolean) | undefined {
    let labels: ReturnType<typeof parseLabelSelector> | undefined;
    let fields: ReturnType<typeof parseFieldSelector> | undefined;
    try {
      if (q.labelSelector) labels = parseLabelSelector(q.labelSelector);
      if (q.fieldSelector) fields = parseFieldSelector(q.fieldSelector);
    } catch (e) {
      throw errors.badRequest((e as Error).message);
    }
    if (labels?.empty) labels = undefined;
    if (fields) {
      // Field names come from the query: only the kind's own getters (`constructor` is not a field).
      for (const f of fields.fields()) {
        if (!hasOwn(rt.fields, f)) throw errors.badRequest(`field label not supported: ${f}`);
      }
    }
    if (!labels && !fields) return undefined;
    const getters = rt.fields ?? {};
    return (o) => (!labels || labels.matches(o.metadata?.labels)) && (!fields || fields.matches((f) => getters[f]?.(o)));
  }

  /**
   * Waits until the store reaches revision `rv` (a client may hold a version from a list whose
   * commit is still being acknowledged), at most the watch cache's 3 s; false if it never came.
   */
  private waitForRevision(rv: number): Promise<boolean> {
    if (this.store.revision() >= rv) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        w.stop();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), BLOCK_TIMEOUT_MS);
      const w = this.store.watch('', this.store.revision(), (c) => { if (c.rv >= rv) done(true); });
    });
  }

  /**
   * Waits for `rv` to arrive, else kube-apiserver's "Too large resource version" (504 Timeout),
   * naming the version as the client wrote it (a uint64 past 2^53 is not exact as a number).
   */
  private async notOlderThan(rv: number, asGiven = String(rv)): Promise<void> {
    if (rv > 0 && !(await this.waitForRevision(rv))) throw errors.tooLargeResourceVersion(/^\d+$/.test(asGiven) ? BigInt(asGiven).toString() : asGiven, this.store.revision());
  }

  async list(rt: ResourceType, namespace: string | undefined, q: ListQuery = {}): Promise<ListOutcome> {
    validateListOptions(q, false);
    const match = this.matcher(rt, q);
    const s = this.strategy(rt);
    if (s.restList) {
      const items = (await s.restList(namespace, this)).filter((o) => !match || match(o));
      return { items, resourceVersion: '' };
    }
    const prefix = this.prefix(rt, namespace);
    let after: string | undefined;
    let listRv: number | undefined;
    /** The revision an exact list (or the next page of one) is read at. */
    let atRv: number | undefined;
    if (q.continue) {
      try {
        const c = JSON.parse(Buffer.from(q.continue, 'base64url').toString('utf8'));
        after = String(c.k);
        listRv = Number(c.rv);
        if (!after.startsWith(prefix) || !Number.isSafeInteger(listRv)) throw new Error('malformed');
        if (c.x === 1) atRv = listRv;
      } catch {
        throw errors.badRequest('continue key is not valid: the provided continue parameter is too old or malformed, restart the list without it');
      }
    } else {
      const rv = parseResourceVersion(q.resourceVersion);
      await this.notOlderThan(rv, q.resourceVersion);
      if (q.resourceVersionMatch === 'Exact') atRv = rv;
    }
    let snapshot: StoredItem[] | undefined;
    if (atRv !== undefined) {
      try {
        snapshot = (await this.store.list(prefix, { atRv })).items;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === 'Expired')) throw e;
        throw errors.expired(q.continue ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.' : 'The resourceVersion for the provided list is too old.');
      }
    }
    /** One page after `from`: from the store, or from the snapshot an exact list was rebuilt into. */
    const page = async (from: string | undefined, n: number | undefined): Promise<ListResult> => {
      if (!snapshot) return this.store.list(prefix, { limit: n, after: from });
      const i = from === undefined ? 0 : lowerBoundAfter(snapshot, from);
      const items = snapshot.slice(i, n ? i + n : undefined);
      const left = snapshot.length - i - items.length;
      return { items, rv: atRv!, ...(left > 0 ? { continueAfter: items[items.length - 1].key, remaining: left } : {}) };
    };
    const limit = q.limit && q.limit > 0 ? q.limit : undefined;
    const items: KubeObject[] = [];
    let cursor = after;
    let rv = 0;
    let cont: string | undefined;
    let remaining: number | undefined;
    // With a selector, keep reading pages until `limit` matches are found (as the API server does).
    for (;;) {
      const p = await page(cursor, limit ? Math.max(limit, 100) : undefined);
      rv = rv || p.rv;
      for (const it of p.items) {
        if (limit && items.length === limit) { cont = cursor; break; }
        cursor = it.key;
        const o = this.decode(rt, it.json);
        if (!match || match(o)) items.push(o);
      }
      if (cont || !p.continueAfter) break;
      if (limit && items.length === limit) { cont = cursor; break; }
      cursor = p.continueAfter;
    }
    // Selectors read metadata, the same in every version: custom resources are converted once, all together.
    if (rt.crdConversion) items.splice(0, items.length, ...(await this.fromStoredCRD(rt, items, true)));
    if (cont && !match) remaining = snapshot ? snapshot.length - lowerBoundAfter(snapshot, cont) : await this.store.count(prefix, cont);
    const resourceVersion = String(listRv ?? atRv ?? rv);
    const token = cont && { k: cont, rv: resourceVersion, ...(atRv !== undefined ? { x: 1 } : {}) };
    return {
      items, resourceVersion,
      ...(token ? { continue: Buffer.from(JSON.stringify(token)).toString('base64url') } : {}),
      ...(cont && remaining !== undefined ? { remainingItemCount: remaining } : {}),
    };
  }

  /**
   * A watch, as kube-apiserver serves one (docs/watch-semantics.md). Without a resourceVersion
   * (or "0") the current objects come first as ADDED; from N, the changes after N. With
   * sendInitialEvents the current objects come first whatever the version, then, when bookmarks
   * are allowed, a BOOKMARK marked k8s.io/initial-events-end. With a selector, an object that
   * starts to match is ADDED and one that stops is DELETED. Returns a stop function; 410 when N
   * is older than the retained history, 504 when a watch-list's N never arrives.
   */
  async watch(rt: ResourceType, namespace: string | undefined, q: WatchQuery,
    onEvent: (type: WatchEventType, json: string, obj: KubeObject | undefined, rv: number) => void,
    onFail?: (e: unknown) => void): Promise<() => void> {
    validateListOptions(q, true);
    const match = this.matcher(rt, q);
    const rv = parseResourceVersion(q.resourceVersion);
    const initialEvents = async () => {
      const initial = await this.list(rt, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
      const at = Number(initial.resourceVersion);
      for (const o of initial.items) onEvent('ADDED', JSON.stringify(o), o, Number(o.metadata.resourceVersion));
      return at;
    };
    let from: number;
    if (q.sendInitialEvents === true) {
      await this.notOlderThan(rv, q.resourceVersion);
      from = await initialEvents();
      if (q.allowWatchBookmarks) {
        const bookmark = { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(from), annotations: { [INITIAL_EVENTS_END]: 'true' } } };
        onEvent('BOOKMARK', JSON.stringify(bookmark), bookmark as KubeObject, from);
      }
    } else if (q.sendInitialEvents === false) from = rv || this.store.revision();
    else if (rv === 0) from = await initialEvents();
    else from = rv;
    const deliver = (stored: Change) => {
      // A view of another version's storage sees every change converted.
      const c = rt.convert ? { ...stored, json: JSON.stringify(this.decode(rt, stored.json)), prevJson: stored.prevJson === undefined ? undefined : JSON.stringify(this.decode(rt, stored.prevJson)) } : stored;
      if (!match) return onEvent(c.type, c.json, undefined, c.rv);
      const prev = c.prevJson === undefined ? undefined : (JSON.parse(c.prevJson) as KubeObject);
      if (c.type === 'DELETED') {
        // Whether the watcher saw it is a question about the version the delete removed.
        return match(prev ?? JSON.parse(c.json)) ? onEvent('DELETED', c.json, undefined, c.rv) : undefined;
      }
      const o = JSON.parse(c.json) as KubeObject;
      const now = match(o);
      // Whether the watcher saw the version before (when history lost it, from a file an earlier
      // nodeless wrote, assume it did).
      const was = c.type === 'MODIFIED' && (prev === undefined || match(prev));
      if (now) return onEvent(was ? 'MODIFIED' : 'ADDED', c.json, o, c.rv);
      if (was) {
        // It left the watcher's view: the version it last saw, at the revision it left (cacheWatcher does the same).
        const gone = prev ?? o;
        gone.metadata.resourceVersion = String(c.rv);
        onEvent('DELETED', JSON.stringify(gone), gone, c.rv);
      }
    };
    // A custom resource of another version is converted first (by its webhook, maybe): the changes
    // are converted in turn, so the watcher hears them in order. A conversion that fails ends the
    // watch, as kube-apiserver's watch handler stops at an event it cannot encode; the client's
    // next list reports the error.
    let turn = Promise.resolve();
    let failed = false;
    const onChange = !rt.crdConversion ? deliver : (stored: Change) => {
      turn = turn.then(async () => {
        if (failed) return;
        const convert = async (json: string) => {
          const o = JSON.parse(json) as KubeObject;
          return o.apiVersion === apiVersionOf(rt) ? json : JSON.stringify((await this.fromStoredCRD(rt, [o]))[0]);
        };
        let c: Change;
        try {
          c = { ...stored, json: await convert(stored.json), ...(stored.prevJson === undefined ? {} : { prevJson: await convert(stored.prevJson) }) };
        } catch (e) {
          failed = true;
          onFail?.(e);
          return;
        }
        deliver(c);
      });
    };
    try {
      const w = this.store.watch(this.prefix(rt, namespace), from, onChange);
      return () => w.stop();
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Expired') throw errors.expired(e.message);
      throw e;
    }
  }

  // ---- writes -----------------------------------------------------------

  private checkTypeMeta(rt: ResourceType, obj: KubeObject): void {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest(`the body of the request must be a ${rt.kind} object`);
    const typeMeta = typeMetaError(rt, obj as unknown as Record<string, unknown>);
    if (typeMeta) throw typeMeta;
    if (obj.kind === null) delete obj.kind;
    if (obj.apiVersion === null) delete obj.apiVersion;
    const av = apiVersionOf(rt);
    if (obj.kind !== undefined && obj.kind !== rt.kind) throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${rt.kind})`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== av) throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${av})`);
    obj.apiVersion = av;
    obj.kind = rt.kind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw errors.badRequest('metadata must be an object');
  }

  /** Schema check: unknown fields per fieldValidation, wrong types always. */
  private checkSchema(rt: ResourceType, obj: KubeObject, opts: WriteOptions): void {
    const checked = validateObject(rt, obj);
    const { errors: typeErrors, decodeError } = checked;
    // A body Go cannot decode is refused before unknown fields are considered, as kube-apiserver does.
    if (decodeError !== undefined) throw new DecodeError(rt, decodeError, obj);
    dropUnknownFields(obj, checked, opts);
    if (typeErrors.length) throw errors.invalid(rt, obj.metadata?.name ?? '', typeErrors);
  }

  private validateMeta(s: ResourceStrategy, obj: KubeObject, namespace: string | undefined): FieldError[] {
    const errs: FieldError[] = [];
    const m = obj.metadata;
    const name = m.name;
    if (!name) errs.push({ field: 'metadata.name', type: 'FieldValueRequired', message: 'name or generateName is required' });
    else {
      const msg = s.validateName(name);
      if (msg.length) errs.push({ field: 'metadata.name', type: 'FieldValueInvalid', message: `${JSON.stringify(name)}: ${msg.join('; ')}` });
    }
    if (s.namespaced && !m.namespace) errs.push({ field: 'metadata.namespace', type: 'FieldValueRequired', message: '' });
    else if (s.namespaced && m.namespace !== namespace) errs.push({ field: 'metadata.namespace', type: 'FieldValueInvalid', message: `${JSON.stringify(m.namespace ?? '')}: does not match the namespace of the request` });
    if (m.labels !== undefined) errs.push(...validateLabels(m.labels, 'metadata.labels'));
    if (m.annotations !== undefined) errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
    return errs;
  }

  /**
   * The store's render for `obj`: stamps the revision and serializes (in the storage's version when
   * `rt` is a view; `stored` is a custom resource already converted to its storage version).
   */
  render(obj: KubeObject, rt?: ResourceType, stored?: KubeObject) {
    return (rv: number) => {
      obj.metadata.resourceVersion = String(rv);
      if (stored) {
        stored.metadata = { ...stored.metadata, resourceVersion: String(rv) };
        return JSON.stringify(stored);
      }
      return JSON.stringify(rt?.convert ? rt.convert.toStorage(obj) : obj);
    };
  }

  /** admission.Attributes of one request. */
  private attributes(operation: Operation, rt: ResourceType, namespace: string | undefined, name: string,
    object: KubeObject | undefined, oldObject: KubeObject | undefined, opts: { dryRun?: boolean; subresource?: string; user?: UserInfo; warnings?: string[] }): Attributes {
    let t = gvkr.get(rt);
    if (!t) gvkr.set(rt, (t = { kind: Object.freeze({ group: rt.group, version: rt.version, kind: rt.kind }), resource: Object.freeze({ group: rt.group, version: rt.version, resource: rt.plural }) }));
    return {
      operation, kind: t.kind, resource: t.resource, subresource: opts.subresource ?? '', namespace: (rt.namespaced && namespace) || '', name,
      object, oldObject, dryRun: !!opts.dryRun, userInfo: opts.user ?? ADMIN_USER, resourceType: rt,
      warnings: opts.warnings ?? [], auditAnnotations: new Map(),
    };
  }

  private writeContext(opts: { dryRun?: boolean; subresource?: string; user?: UserInfo }): WriteContext {
    return { store: this, dryRun: !!opts.dryRun, subresource: opts.subresource ?? '', user: opts.user ?? ADMIN_USER };
  }

  /**
   * POST, in kube-apiserver's order: decode (type, schema, defaults), the mutating admission
   * plugins, the strategy's PrepareForCreate, the generated name, validation (metadata and
   * the strategy's), the strategy's BeginCreate, the validating admission plugins, the store,
   * the strategy's AfterCreate.
   */
  async create(rt: ResourceType, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const s = this.strategy(rt);
    this.checkTypeMeta(rt, body);
    // Decoded before anything reads it (a Binding's name, the namespace compared), as kube-apiserver's create handler does.
    this.checkSchema(rt, body, opts);
    if (s.restCreate) return s.restCreate(namespace, body, this.writeContext(opts));
    const obj = body;
    const m = obj.metadata;
    if (s.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else delete m.namespace;
    if (s.review) return this.review(s, rt, namespace, obj, opts);
    m.uid = randomUUID();
    m.creationTimestamp = formatRFC3339();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.resourceVersion;
    if (rt.hasGeneration) m.generation = 1;
    else delete m.generation;
    s.defaults(obj);
    if (s.checkWrite) await s.checkWrite(obj, undefined, this.writeContext(opts));
    const attrs = this.attributes('CREATE', rt, namespace, m.name ?? '', obj, undefined, opts);
    await this.admission.admit(attrs);
    s.prepareForCreate(obj, this.writeContext(opts));
    const generated = !m.name && !!m.generateName;
    if (generated) m.name = `${m.generateName}${generateSuffix()}`;
    attrs.name = m.name ?? '';
    const errs = [...this.validateMeta(s, obj, namespace), ...s.validate(obj)];
    if (errs.length) throw errors.invalid(rt, m.name ?? '', errs);
    const finish = s.beginCreate ? await s.beginCreate(obj, this.writeContext(opts)) : undefined;
    let stored = false;
    try {
      await this.admission.validate(attrs);
      if (opts.fieldManager) recordUpdate(undefined, obj, opts.fieldManager, obj.apiVersion!, formatRFC3339());
      if (opts.dryRun) return obj;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.store.create(this.key(rt, namespace, m.name!), this.render(obj, rt, await this.toStoredCRD(rt, obj)), { readSoon: s.readSoon, ttlSeconds: s.ttlSeconds });
          break;
        } catch (e) {
          // A generated name that collides gets another suffix (27^5 names: collisions do happen at scale).
          if (e instanceof StoreError && e.code === 'AlreadyExists' && generated && attempt < 8) {
            m.name = `${m.generateName}${generateSuffix()}`;
            continue;
          }
          if (e instanceof StoreError && e.code === 'AlreadyExists') throw errors.alreadyExists(rt, m.name!);
          throw e;
        }
      }
      stored = true;
    } finally {
      finish?.(stored);
    }
    s.afterCreate(obj, this);
    return obj;
  }

  /**
   * POST of a type nothing is stored for (the token and access reviews: in kube-apiserver a
   * rest.Creater of its own, not the generic store): decoded and defaulted as any create, the
   * mutating admission plugins, the strategy's validation (a 422 names the object ""), the
   * validating plugins, and the strategy's answer. No name, uid or version is given; the
   * answer's creationTimestamp is null, as Go encodes a zero time (the strategy may set one).
   */
  private async review(s: ResourceStrategy, rt: ResourceType, namespace: string | undefined, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    s.defaults(obj);
    const attrs = this.attributes('CREATE', rt, namespace, obj.metadata.name ?? '', obj, undefined, opts);
    await this.admission.admit(attrs);
    const errs = s.validate(obj);
    if (errs.length) throw errors.invalid(rt, '', errs);
    await this.admission.validate(attrs);
    const out = await s.review!(obj, this.writeContext(opts));
    if (out.metadata.creationTimestamp === undefined) (out.metadata as Record<string, unknown>).creationTimestamp = null;
    return out;
  }

  /**
   * PUT: replace the object (or, with subresource 'status', only its status). A missing object is
   * created when its strategy allows create on update (Events, Endpoints, Leases); a body without
   * metadata.resourceVersion is refused when it does not allow unconditional updates (custom resources).
   */
  async update(rt: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    this.checkTypeMeta(rt, body);
    // Decoded before its name, namespace and version are read, as kube-apiserver's update handler
    // does: a name that is not a string is a decode error (and never reaches a message as an object).
    this.checkSchema(rt, body, opts);
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${shown(body.metadata.name)}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && body.metadata.namespace && body.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const expected = body.metadata.resourceVersion ? Number(body.metadata.resourceVersion) : undefined;
    if (body.metadata.resourceVersion && !Number.isFinite(expected)) throw errors.badRequest(`invalid resourceVersion ${JSON.stringify(body.metadata.resourceVersion)}`);
    const s = this.strategy(rt);
    const cur = await this.tryGet(rt, namespace, name);
    if (!cur) {
      if (!s.allowCreateOnUpdate || opts.subresource) throw errors.notFound(rt, name);
      body.metadata.name = name;
      const created = await this.create(rt, namespace, body, opts);
      opts.created = true;
      return created;
    }
    if (expected === undefined && !s.allowUnconditionalUpdate) {
      // As the generic store words it: the resource, not the kind, names the object.
      throw errors.invalid({ kind: rt.plural, group: rt.group }, name, [{ field: 'metadata.resourceVersion', type: 'FieldValueInvalid', message: '0x0: must be specified for an update' }]);
    }
    return this.modify(rt, namespace, name, expected, { ...opts, decoded: true }, () => body, cur);
  }

  /** PATCH in any of the four content types; `apply` creates when absent. */
  async patch(rt: ResourceType, namespace: string | undefined, name: string, kind: PatchKind, patch: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    if (kind === 'apply') {
      if (!opts.fieldManager) throw errors.badRequest('PATCH with apply-patch+yaml requires a non-empty fieldManager query parameter');
      const applied = patch as KubeObject;
      if (!applied || typeof applied !== 'object' || Array.isArray(applied)) throw errors.badRequest('apply patch must be an object');
      // The field manager first compares the configuration's apiVersion with the resource's, reading it
      // as an unstructured object does (anything but a string is ""), as kube-apiserver's structured
      // merge manager does: a configuration for another version (or none) is refused, never applied.
      const given = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
      if (given !== apiVersionOf(rt)) throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${given}, expected: ${apiVersionOf(rt)}`);
      const existing = await this.tryGet(rt, namespace, name);
      if (!existing) {
        if (opts.subresource) throw errors.notFound(rt, name);
        this.checkTypeMeta(rt, applied);
        if (applied.metadata.name !== undefined && applied.metadata.name !== name) throw errors.badRequest(`the name of the object (${shown(applied.metadata.name)}) does not match the name on the URL (${name})`);
        let object: KubeObject;
        try {
          object = this.applyPatch(rt, undefined, applied, opts).object;
        } catch (e) {
          throw patchFailure(e);
        }
        object.metadata.name = name;
        return this.create(rt, namespace, object, { ...opts, fieldManager: undefined });
      }
    }
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(rt, namespace, name);
      try {
        return await this.modify(rt, namespace, name, Number(cur.metadata.resourceVersion), { ...opts, patched: true } as WriteOptions, (live) => {
          const old = deepCopy(live); // the patch functions may edit what they are given
          try {
            switch (kind) {
              case 'json': return jsonPatch(old, patch as any) as KubeObject;
              case 'merge': return mergePatch(old, patch) as KubeObject;
              case 'strategic':
                if (rt.custom) throw errors.unsupportedMedia('application/strategic-merge-patch+json is not supported for custom resources');
                return strategicMergePatch(old, patch, rt.kind) as KubeObject;
              case 'apply': {
                const applied = this.applyPatch(rt, old, patch as KubeObject, opts).object;
                // No one owns metadata.resourceVersion, but an applied configuration that names one makes it a precondition too.
                const named = (patch as KubeObject).metadata?.resourceVersion;
                if (named !== undefined && applied.metadata && typeof applied.metadata === 'object') applied.metadata.resourceVersion = named;
                return applied;
              }
            }
          } catch (e) {
            throw patchFailure(e);
          }
        }, cur);
      } catch (e) {
        // A patched object Go cannot decode: kube-apiserver's patch handler reports it on the field `patch`.
        if (e instanceof DecodeError && kind !== 'apply') throw e.forPatch(kind, patch);
        // A patch is not conditional on the version the client read, unless it names one: retry a
        // write that raced another, never a resourceVersion the patch itself asked for.
        if (e instanceof StatusError && racedWrites.has(e) && attempt < 5) continue;
        throw e;
      }
    }
  }

  private applyPatch(rt: ResourceType, live: KubeObject | undefined, applied: KubeObject, opts: WriteOptions) {
    // An apply to the status subresource applies (and records ownership of) status only; the main resource's leaves status to it.
    return serverSideApply(live, applied, { manager: opts.fieldManager!, force: !!opts.force, apiVersion: apiVersionOf(rt), now: formatRFC3339(), kind: rt.kind, subresource: opts.subresource, hasStatus: !!rt.hasStatus });
  }

  /**
   * The one update path, in kube-apiserver's order: read, compute the new object (PUT body or
   * patch), carry over what only the server sets, decode (schema, defaults), the mutating
   * admission plugins, the strategy's PrepareForUpdate (status or spec kept per subresource,
   * generation), validation, the strategy's BeginUpdate, the validating admission plugins, and
   * a store write conditional on the version read — or the removal of an object whose last
   * finalizer went (ShouldDeleteDuringUpdate).
   */
  private async modify(rt: ResourceType, namespace: string | undefined, name: string, expectedRv: number | undefined,
    opts: WriteOptions & { patched?: boolean; decoded?: boolean }, compute: (old: KubeObject) => KubeObject, current?: KubeObject): Promise<KubeObject> {
    const s = this.strategy(rt);
    const old = current ?? (await this.get(rt, namespace, name));
    if (expectedRv !== undefined && String(expectedRv) !== old.metadata.resourceVersion) throw errors.conflict(rt, name);
    // `compute` must not edit `old` (a patch copies it; an update ignores it).
    const next = compute(old);
    if (opts.patched) this.checkTypeMeta(rt, next);
    if (!next.metadata || typeof next.metadata !== 'object') throw errors.badRequest('metadata must be an object');
    const sub = opts.subresource ?? '';
    // Decoded before the name is compared, as kube-apiserver's patch handler decodes the patched object first.
    if (!opts.decoded) this.checkSchema(rt, next, opts);
    if (next.metadata.name !== undefined && next.metadata.name !== name) throw errors.badRequest(`the name of the object (${shown(next.metadata.name)}) does not match the name on the URL (${name})`);
    const m = next.metadata;
    const om = old.metadata;
    // A patch that carries metadata.resourceVersion is a precondition, as a PUT's is (the
    // registry's Update compares the patched object's version with the stored one): this is
    // what controller-runtime's MergeFromWithOptimisticLock relies on.
    if (opts.patched && m.resourceVersion !== undefined && m.resourceVersion !== '' && m.resourceVersion !== om.resourceVersion) {
      if (typeof m.resourceVersion !== 'string' || !/^\d+$/.test(m.resourceVersion)) throw errors.badRequest(`invalid resourceVersion ${JSON.stringify(m.resourceVersion)}`);
      throw errors.conflict(rt, name);
    }
    // Fields only the server sets.
    m.name = name;
    if (rt.namespaced) m.namespace = namespace;
    m.uid = om.uid;
    m.creationTimestamp = om.creationTimestamp;
    m.deletionTimestamp = om.deletionTimestamp;
    m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
    if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
    m.generation = om.generation;
    if (m.generation === undefined) delete m.generation;
    s.defaults(next);
    if (s.checkWrite) await s.checkWrite(next, old, this.writeContext(opts));
    const attrs = this.attributes('UPDATE', rt, namespace, name, next, old, opts);
    await this.admission.admit(attrs);
    s.prepareForUpdate(next, old, sub);
    if (om.deletionTimestamp) {
      const added = (next.metadata.finalizers ?? []).filter((f: string) => !(om.finalizers ?? []).includes(f));
      if (added.length) throw errors.forbidden(rt, name, `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`);
    }
    const errs = [...this.validateMeta(s, next, namespace), ...s.validateUpdate(next, old, sub)];
    if (errs.length) throw errors.invalid(rt, name, errs);
    const finish: Finish | undefined = s.beginUpdate ? await s.beginUpdate(next, old, this.writeContext(opts)) : undefined;
    let stored = false;
    try {
      await this.admission.validate(attrs);
      // A write that changes nothing is not stored and does not bump the resourceVersion, as kube-apiserver
      // (etcd3's GuaranteedUpdate) does: watchers hear nothing, and a controller re-writing what is there cannot loop.
      if (!(next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) && sameObject(old, next)) return old;
      if (opts.fieldManager && !opts.patched) recordUpdate(old, next, opts.fieldManager, next.apiVersion!, formatRFC3339(), opts.subresource);
      else if (opts.fieldManager && opts.patched && !(next.metadata.managedFields && old.metadata.managedFields !== next.metadata.managedFields)) {
        recordUpdate(old, next, opts.fieldManager, next.apiVersion!, formatRFC3339(), opts.subresource);
      }
      if (opts.dryRun) return next;
      const key = this.key(rt, namespace, name);
      // The last finalizer gone from an object being deleted: it goes now.
      if (s.shouldDeleteDuringUpdate(next)) {
        const gone = await this.remove(s, key, name, Number(om.resourceVersion), next);
        stored = true;
        return gone;
      }
      if (next.metadata.finalizers && next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
      try {
        await this.store.update(key, this.render(next, rt, await this.toStoredCRD(rt, next)), Number(om.resourceVersion), { ttlSeconds: s.ttlSeconds });
      } catch (e) {
        if (e instanceof StoreError && e.code === 'Conflict') throw raced(errors.conflict(rt, name));
        if (e instanceof StoreError && e.code === 'NotFound') throw errors.notFound(rt, name);
        throw e;
      }
      stored = true;
    } finally {
      finish?.(stored);
    }
    s.afterUpdate(next, this);
    return next;
  }

  /**
   * Removes the object; `finalObj` is it as deleted. The change (and what DELETE answers) carries
   * the delete's revision, as etcd3's store decodes the deleted object at the delete's revision:
   * a watcher's resourceVersions never go backwards, and resuming from a DELETED event replays nothing.
   */
  private async remove(s: ResourceStrategy, key: string, name: string, expectedRv: number, finalObj: KubeObject): Promise<KubeObject> {
    try {
      await this.store.delete(key, expectedRv, this.render(finalObj, s.type, await this.toStoredCRD(s.type, finalObj)));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Conflict') throw raced(errors.conflict(s.type, name));
      if (e instanceof StoreError && e.code === 'NotFound') throw errors.notFound(s.type, name);
      throw e;
    }
    s.afterDelete(finalObj, this);
    return finalObj;
  }

  /**
   * DELETE: the admission plugins, then: objects with finalizers, objects whose strategy
   * gives them a grace period (a pod on a node) and objects deleted in phases (a namespace)
   * get a deletionTimestamp and go once nothing holds them (answered as such); others go at once,
   * answered as the strategy's deletedResult says.
   */
  async delete(rt: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    const s = this.strategy(rt);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(rt, namespace, name);
      const m = cur.metadata;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== m.uid) throw errors.conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid}`);
      if (pre?.resourceVersion && pre.resourceVersion !== m.resourceVersion) throw errors.conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`);
      s.beforeDelete?.(cur);
      const attrs = this.attributes('DELETE', rt, namespace, name, undefined, cur, opts);
      await this.admission.admit(attrs);
      await this.admission.validate(attrs);
      // A dry run goes the whole way and writes nothing: it answers the object as the delete would
      // leave it (a graceful one with its deletionTimestamp), as the generic store's dry run does.
      const dry = !!opts.dryRun;
      const finalizers = [...(m.finalizers ?? [])];
      const policy = opts.propagationPolicy;
      if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      const graceful = s.checkGracefulDelete !== undefined;
      const grace = s.checkGracefulDelete?.(cur, opts) ?? 0;
      const key = this.key(rt, namespace, name);
      try {
        if (finalizers.length === 0 && grace === 0 && !s.deleteMarksFirst) return s.deletedResult(dry ? cur : await this.remove(s, key, name, Number(m.resourceVersion), cur));
        if (m.deletionTimestamp) {
          // Already terminating: a shorter grace period may still cut it short (kubectl delete --force).
          if (graceful && grace === 0 && finalizers.length === 0) return s.deletedResult(dry ? cur : await this.remove(s, key, name, Number(m.resourceVersion), cur));
          if (graceful && grace < (m.deletionGracePeriodSeconds ?? 0)) {
            m.deletionGracePeriodSeconds = grace;
            if (!dry) await this.store.update(key, this.render(cur, rt, await this.toStoredCRD(rt, cur)), Number(m.resourceVersion));
          }
          return cur;
        }
        // A grace period is an int64 of seconds; past what a Go Duration holds (~292 years) the timestamp stops there rather than failing.
        m.deletionTimestamp = formatRFC3339(Date.now() + Math.min(grace, MAX_DURATION_SECONDS) * 1000);
        m.deletionGracePeriodSeconds = grace;
        if (finalizers.length) m.finalizers = finalizers;
        s.prepareForDelete(cur);
        if (rt.hasGeneration) m.generation = (m.generation ?? 0) + 1;
        if (!dry) await this.store.update(key, this.render(cur, rt, await this.toStoredCRD(rt, cur)), Number(m.resourceVersion));
        return cur;
      } catch (e) {
        if (e instanceof StatusError && e.reason === 'Conflict' && attempt < 5 && !pre) continue;
        if (e instanceof StoreError && e.code === 'Conflict' && attempt < 5 && !pre?.resourceVersion) continue;
        if (e instanceof StoreError && e.code === 'Conflict') throw errors.conflict(rt, name);
        if (e instanceof StoreError && e.code === 'NotFound') throw errors.notFound(rt, name);
        throw e;
      }
    }
  }

  async deleteCollection(rt: ResourceType, namespace: string | undefined, q: ListQuery, opts: DeleteOptions = {}): Promise<KubeObject[]> {
    const { items } = await this.list(rt, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        await this.delete(rt, o.metadata.namespace, o.metadata.name!, opts);
        // The items as listed, as the generic store's DeleteCollection answers (not each DELETE's answer, a Status for most kinds).
        out.push(o);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return out;
  }
}

/** Marks a conflict as one a concurrent write caused (retryable by a patch). */
function raced(e: StatusError): StatusError {
  racedWrites.add(e);
  return e;
}

/** The index of the first item whose key is after `key` (items in key order). */
function lowerBoundAfter(items: StoredItem[], key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].key <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A patch function's failure as the Status it answers (others pass through). */
function patchFailure(e: unknown): unknown {
  if (e instanceof PatchError) return e.code === 413 ? new StatusError(413, 'RequestEntityTooLarge', e.message) : errors.badRequest(e.message);
  // The manager is printed already (quoted, with "using <apiVersion>" for an Update), as in the message.
  if (e instanceof ApplyConflictError) return new StatusError(409, 'Conflict', e.message, { causes: e.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.field })) });
  return e;
}

/** A value from a request in a message: a string as it is, anything else as JSON (never through its own toString, which a body can replace). */
function shown(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
}

/** The longest time.Duration, in whole seconds. */
const MAX_DURATION_SECONDS = 9_223_372_036;

/**
 * Unknown fields, as `fieldValidation` says: a 400 naming them all (Strict), a warning each (Warn,
 * the default) or nothing (Ignore); then they go, Go's decoder having nowhere to put them.
 */
export function dropUnknownFields(obj: unknown, checked: Pick<Validation, 'unknownFields' | 'unknownPaths'>, opts: { fieldValidation?: 'Strict' | 'Warn' | 'Ignore'; warnings?: string[] }): void {
  if (!checked.unknownFields.length) return;
  const unknown = checked.unknownFields.map((f) => `unknown field "${f}"`);
  const mode = opts.fieldValidation ?? 'Warn';
  if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${unknown.join(', ')}`);
  if (mode === 'Warn') opts.warnings?.push(...unknown);
  for (const p of checked.unknownPaths) removePath(obj, p);
}

/** Removes a field given as its keys and indexes (an unknown field, as validateObject reports it): a key may be empty or hold dots. */
function removePath(obj: any, path: readonly (string | number)[]): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    cur = cur?.[path[i]!];
    if (cur === undefined || cur === null) return;
  }
  const last = path[path.length - 1];
  if (last !== undefined && cur && typeof cur === 'object' && Object.hasOwn(cur, last)) delete cur[last];
}

/** Deep equality of the stored object and the next, key order aside; the resourceVersion a client sent back does not count. */
function sameObject(a: KubeObject, b: KubeObject): boolean {
  // A body without managedFields keeps the stored ones (kubectl hides them when it prints what it then sends back).
  const bm = { ...b.metadata, resourceVersion: undefined, managedFields: b.metadata.managedFields ?? a.metadata.managedFields };
  return sameValue({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } }, { ...b, metadata: bm });
}
