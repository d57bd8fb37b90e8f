// MutatingAdmissionWebhook and ValidatingAdmissionWebhook, as kube-apiserver
// runs them (k8s.io/apiserver/pkg/admission/plugin/webhook: generic/webhook.go
// ShouldCallHook, mutating/dispatcher.go, validating/dispatcher.go,
// request/admissionreview.go VerifyAdmissionResponse, errors/statuserror.go).
// Webhooks run in configuration-name order, then in their order in the
// configuration; mutating ones one after another (each sees the last one's
// patch), validating ones all at once. docs/admission.md tells the rules.
import { randomUUID } from 'node:crypto';
import { deepCopy } from '../../../api/deepcopy.js';
import type { KubeObject } from '../../../api/types.js';
import { compile, toCel, type Program } from '../../../api/cel/index.js';
import { WEBHOOK_CEL_VARIABLES } from '../../../api/resources/admissionregistration.js';
import { sameValue } from '../../../util/equal.js';
import { jsonPatch } from '../../patch/index.js';
import type { Registry } from '../../registry.js';
import { qualifiedResource, StatusError } from '../../status.js';
import { equivalentTargets, namespaceSelectorMatches, objectSelectorMatches, requestTarget, ruleMatches, type MatchTarget } from '../matching.js';
import { admissionRequest, convertObject } from '../request.js';
import type { Attributes, MutationInterface, Operation, ValidationInterface } from '../types.js';
import { WatchedObjects } from '../watched.js';
import { CallError, callWebhook, gvkString, type ServiceResolver } from './client.js';

/** One webhook of one configuration, with its matchConditions compiled. */
interface Hook {
  configuration: string;
  /** Unique per webhook (kube's accessor UID): the reinvocation bookkeeping's key. */
  uid: string;
  spec: any;
  conditions: { name: string; program?: Program; error?: string }[];
}

const SIDE_EFFECTS_DRY_RUN_SAFE = ['None', 'NoneOnDryRun'];

/** The hooks of every configuration of one kind, in kube's order, rebuilt when a configuration changes. */
class HookSource {
  private hooks: Hook[] = [];
  private generation = -1;
  constructor(readonly objects: WatchedObjects) {}

  list(): Hook[] {
    if (this.generation === this.objects.generation) return this.hooks;
    this.generation = this.objects.generation;
    this.hooks = this.objects.all().flatMap((cfg) => (Array.isArray(cfg.webhooks) ? cfg.webhooks : []).map((spec: any, i: number) => ({
      configuration: cfg.metadata.name!,
      uid: `${cfg.metadata.name}/${spec?.name}/${i}`,
      spec,
      conditions: (Array.isArray(spec?.matchConditions) ? spec.matchConditions : []).map((c: any) => {
        const r = compile(String(c?.expression ?? ''), { variables: WEBHOOK_CEL_VARIABLES });
        return r.ok ? { name: c.name, program: r.program } : { name: c.name, error: r.error };
      }),
    })));
    return this.hooks;
  }
}

/** kube's errors for a failure to call a webhook under failurePolicy Fail: apierrors.NewInternalError(ErrCallingWebhook). */
function callingError(name: string, reason: string): StatusError {
  const msg = `failed calling webhook "${name}": ${reason}`;
  return new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

/** webhookerrors.ToStatusErr: a webhook's refusal, in its own code (400 at least) and words. */
function refusal(name: string, result: any): StatusError {
  const r = result && typeof result === 'object' ? result : {};
  const deniedBy = `admission webhook "${name}" denied the request`;
  const code = typeof r.code === 'number' && r.code >= 400 && r.code < 600 ? r.code : 400;
  const message = typeof r.message === 'string' && r.message ? `${deniedBy}: ${r.message}`
    : typeof r.reason === 'string' && r.reason ? `${deniedBy}: ${r.reason}` : `${deniedBy} without explanation`;
  const d = r.details && typeof r.details === 'object' ? r.details : undefined;
  return new StatusError(code, typeof r.reason === 'string' ? r.reason : '', message, d ? {
    name: typeof d.name === 'string' ? d.name : undefined, group: typeof d.group === 'string' ? d.group : undefined, kind: typeof d.kind === 'string' ? d.kind : undefined,
    causes: Array.isArray(d.causes) ? d.causes.filter((c: any) => c && typeof c === 'object').map((c: any) => ({ reason: String(c.reason ?? ''), message: String(c.message ?? ''), field: String(c.field ?? '') })) : undefined,
  } : undefined);
}

/** Replaces `target`'s content with `source`'s, keeping the identity of every object both hold (the registry keeps references to them). */
function replaceInPlace(target: any, source: any): void {
  for (const k of Object.keys(target)) if (!Object.prototype.hasOwnProperty.call(source, k)) delete target[k];
  for (const k of Object.keys(source)) {
    const s = source[k];
    const t = target[k];
    if (s && t && typeof s === 'object' && typeof t === 'object' && !Array.isArray(s) && !Array.isArray(t)) replaceInPlace(t, s);
    else target[k] = s;
  }
}

/** The reinvocation state of one request (kube's webhookReinvokeContext). */
interface Reinvocation {
  /** Webhooks with reinvocationPolicy IfNeeded that ran in the first round. */
  invoked: Set<string>;
  /** Those to call again: they ran before a later webhook changed the object. */
  again: Set<string>;
}

export interface WebhookPlugins {
  mutating: MutationInterface & { name: 'MutatingAdmissionWebhook' };
  validating: ValidationInterface & { name: 'ValidatingAdmissionWebhook' };
  /** Loads the configurations and follows their changes. */
  start(): Promise<void>;
  close(): void;
}

export function webhookAdmission(registry: Registry, resolve: ServiceResolver): WebhookPlugins {
  const rt = (kind: string) => registry.catalog.lookup('admissionregistration.k8s.io', 'v1', kind)!;
  const mutatingConfigs = new WatchedObjects(registry, rt('mutatingwebhookconfigurations'));
  const validatingConfigs = new WatchedObjects(registry, rt('validatingwebhookconfigurations'));
  const mutatingHooks = new HookSource(mutatingConfigs);
  const validatingHooks = new HookSource(validatingConfigs);

  /** Which version of the request a webhook's rules take (undefined: not this webhook's). */
  const matchRules = (h: Hook, a: Attributes): MatchTarget | undefined => {
    const rules: any[] = Array.isArray(h.spec?.rules) ? h.spec.rules : [];
    const exact = requestTarget(a);
    if (rules.some((r) => ruleMatches(r, a, exact))) return exact;
    if (h.spec?.matchPolicy === 'Exact') return undefined;
    for (const t of equivalentTargets(registry, a)) if (rules.some((r) => ruleMatches(r, a, t))) return t;
    return undefined;
  };

  /**
   * ShouldCallHook: rules, namespaceSelector, objectSelector, then matchConditions. A condition that
   * fails to evaluate refuses the request under failurePolicy Fail and skips the webhook under Ignore.
   */
  const shouldCall = async (h: Hook, a: Attributes): Promise<MatchTarget | undefined> => {
    const t = matchRules(h, a);
    if (!t) return undefined;
    if (!(await namespaceSelectorMatches(registry, h.spec?.namespaceSelector, a))) return undefined;
    if (!objectSelectorMatches(h.spec?.objectSelector, a)) return undefined;
    if (h.conditions.length === 0) return t;
    const bindings = {
      object: toCel((await convertObject(registry, a.object, a.resourceType, t.rt)) ?? null),
      oldObject: toCel((await convertObject(registry, a.oldObject, a.resourceType, t.rt)) ?? null),
      request: toCel(admissionRequest(a, t, '')),
      authorizer: toCel({}),
    };
    const errs: string[] = [];
    for (const c of h.conditions) {
      if (!c.program) { errs.push(c.error ?? 'compilation failed'); continue; }
      const r = c.program.run(bindings);
      if (!r.ok) errs.push(`expression '${c.program.source}' resulted in error: ${r.error}`);
      else if (r.value === false) return undefined;
      else if (r.value !== true) errs.push(`expression '${c.program.source}' resulted in error: no such overload`);
    }
    if (errs.length === 0) return t;
    if (h.spec?.failurePolicy === 'Ignore') return undefined;
    // apierrors.NewForbidden(resource, name, ErrCallingWebhook{Reason: the conditions' errors}).
    const name = a.name;
    const msg = `failed calling webhook "${h.spec?.name}": ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`;
    throw new StatusError(403, 'Forbidden', `${qualifiedResource(a.resourceType)} "${name}" is forbidden: ${msg}`, { name, group: a.resource.group, kind: a.resource.resource });
  };

  /**
   * One call: the AdmissionReview out, the answer verified (VerifyAdmissionResponse), warnings
   * kept, a refusal thrown as the webhook's Status, a mutating webhook's JSONPatch applied.
   * Returns whether the object changed; throws CallError for what failurePolicy decides.
   */
  const call = async (h: Hook, a: Attributes, t: MatchTarget, mutating: boolean): Promise<boolean> => {
    const spec = h.spec;
    const name = String(spec?.name);
    if (a.dryRun && !SIDE_EFFECTS_DRY_RUN_SAFE.includes(spec?.sideEffects)) {
      throw new StatusError(400, 'BadRequest', `admission webhook "${name}" does not support dry run`);
    }
    const versions: string[] = Array.isArray(spec?.admissionReviewVersions) ? spec.admissionReviewVersions : [];
    const version = versions.find((v) => v === 'v1' || v === 'v1beta1');
    if (!version) throw new CallError(`could not create admission objects: webhook does not accept known AdmissionReview versions`);
    const uid = randomUUID();
    const object = await convertObject(registry, a.object, a.resourceType, t.rt);
    const oldObject = await convertObject(registry, a.oldObject, a.resourceType, t.rt);
    const review = {
      apiVersion: `admission.k8s.io/${version}`, kind: 'AdmissionReview',
      request: { ...admissionRequest(a, t, uid), ...(object ? { object } : { object: null }), ...(oldObject ? { oldObject } : { oldObject: null }) },
    };
    const timeout = Number.isInteger(spec?.timeoutSeconds) ? spec.timeoutSeconds : 10;
    const answer: any = await callWebhook(spec?.clientConfig ?? {}, review, timeout, resolve);
    const r = answer.response;
    const invalid = (why: string) => new CallError(`received invalid webhook response: ${why}`);
    if (!r || typeof r !== 'object') throw invalid('webhook response was absent');
    if (version === 'v1') {
      if (r.uid !== uid) throw invalid(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(typeof r.uid === 'string' ? r.uid : '')}`);
      if (answer.apiVersion !== 'admission.k8s.io/v1' || answer.kind !== 'AdmissionReview') throw invalid(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvkString(answer)}`);
    }
    const hasPatch = typeof r.patch === 'string' && r.patch.length > 0;
    const hasType = r.patchType !== undefined && r.patchType !== null;
    if (mutating) {
      if (hasPatch && !hasType) throw invalid('webhook returned response.patch but not response.patchType');
      if (!hasPatch && hasType) throw invalid('webhook returned response.patchType but not response.patch');
      if (hasType && !r.patchType) throw invalid(`webhook returned invalid response.patchType of ""`);
    } else {
      if (hasPatch) throw invalid('validating webhook may not return response.patch');
      if (hasType) throw invalid('validating webhook may not return response.patchType');
    }
    // warning.AddWarning: empty warnings are dropped; kube-apiserver truncates long ones (4 KiB each).
    for (const w of Array.isArray(r.warnings) ? r.warnings : []) {
      if (typeof w === 'string' && w.trim()) a.warnings?.push(w.length > 4096 ? `${w.slice(0, 4093)}...` : w);
    }
    // The webhook's audit annotations, as "<webhook name>/<key>" (Attributes.AddAnnotation: the first value of a key stays).
    if (r.auditAnnotations && typeof r.auditAnnotations === 'object' && !Array.isArray(r.auditAnnotations)) {
      for (const [k, v] of Object.entries(r.auditAnnotations)) {
        if (typeof v === 'string' && !a.auditAnnotations.has(`${name}/${k}`)) a.auditAnnotations.set(`${name}/${k}`, v);
      }
    }
    if (r.allowed !== true) throw refusal(name, r.status);
    if (!mutating || !hasPatch) return false;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(r.patch) || r.patch.length % 4 !== 0) {
      const bad = r.patch.search(/[^A-Za-z0-9+/=]/);
      throw new CallError(`failed to call webhook: illegal base64 data at input byte ${bad < 0 ? r.patch.length : bad}`);
    }
    let ops: unknown;
    try {
      ops = JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8'));
    } catch (e) {
      throw new CallError(`received undecodable patch in webhook response: ${(e as Error).message}`);
    }
    if (!Array.isArray(ops)) throw new CallError('received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    if (ops.length === 0) return false;
    if (r.patchType !== 'JSONPatch') throw new CallError(`unsupported patch type ${JSON.stringify(r.patchType)}`);
    if (!a.object || !object) {
      throw new StatusError(500, 'InternalError', `Internal error occurred: admission webhook "${name}" attempted to modify the object, which is not supported for this operation`);
    }
    let patched: KubeObject;
    try {
      patched = jsonPatch(deepCopy(object), ops) as KubeObject;
    } catch (e) {
      const msg = (e as Error).message;
      throw new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
    }
    if (!patched || typeof patched !== 'object' || Array.isArray(patched) || !patched.metadata || typeof patched.metadata !== 'object') {
      throw new StatusError(500, 'InternalError', `Internal error occurred: admission webhook "${name}" returned a patch that does not leave an object`);
    }
    const back = (await convertObject(registry, patched, t.rt, a.resourceType))!;
    // The patched object is defaulted again (o.GetObjectDefaulter().Default), then it replaces the request's.
    registry.strategy(a.resourceType).defaults(back);
    const changed = !sameValue(a.object, back);
    replaceInPlace(a.object, back);
    return changed;
  };

  /** failurePolicy: a failure to call (not a refusal) is ignored under Ignore and refuses with kube's error under Fail. */
  const callWithPolicy = async (h: Hook, a: Attributes, t: MatchTarget, mutating: boolean): Promise<boolean> => {
    try {
      return await call(h, a, t, mutating);
    } catch (e) {
      if (!(e instanceof CallError)) throw e;
      if (h.spec?.failurePolicy === 'Ignore') return false;
      throw callingError(String(h.spec?.name), e.message);
    }
  };

  /** One round of the mutating webhooks (the second only calls those a later change made stale). */
  const mutateRound = async (a: Attributes, ctx: Reinvocation, again: boolean): Promise<void> => {
    for (const h of mutatingHooks.list()) {
      if (again && !ctx.again.has(h.uid)) continue;
      const t = await shouldCall(h, a);
      if (!t) continue;
      ctx.again.delete(h.uid);
      const changed = await callWithPolicy(h, a, t, true);
      // A change makes every webhook that may be reinvoked and ran before it stale (RequireReinvokingPreviouslyInvokedPlugins).
      if (changed) for (const u of ctx.invoked) ctx.again.add(u);
      if (h.spec?.reinvocationPolicy === 'IfNeeded' && !again) ctx.invoked.add(h.uid);
    }
  };

  const handlesAll = (op: Operation) => op === 'CREATE' || op === 'UPDATE' || op === 'DELETE' || op === 'CONNECT';

  return {
    mutating: {
      name: 'MutatingAdmissionWebhook',
      handles: handlesAll,
      async admit(a) {
        if (mutatingHooks.list().length === 0) return;
        const ctx: Reinvocation = { invoked: new Set(), again: new Set() };
        await mutateRound(a, ctx, false);
        // reinvocationPolicy IfNeeded: one more round for the webhooks a later webhook's change made stale.
        if (ctx.again.size) await mutateRound(a, ctx, true);
      },
    },
    validating: {
      name: 'ValidatingAdmissionWebhook',
      handles: handlesAll,
      async validate(a) {
        const hooks = validatingHooks.list();
        if (hooks.length === 0) return;
        // All at once, as the validating dispatcher does; the first failure in webhook order answers.
        const outcomes = await Promise.allSettled(hooks.map(async (h) => {
          const t = await shouldCall(h, a);
          if (t) await callWithPolicy(h, a, t, false);
        }));
        for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
      },
    },
    async start() {
      await mutatingConfigs.start();
      await validatingConfigs.start();
    },
    close() {
      mutatingConfigs.close();
      validatingConfigs.close();
    },
  };
}
