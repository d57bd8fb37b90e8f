// The HorizontalPodAutoscaler controller, as kube-controller-manager's
// podautoscaler/horizontal.go (docs/autoscaling.md): every sync period (15 s)
// each HPA reads its target's scale subresource (any kind that has one, custom
// resources included, found by group and kind as the RESTMapper finds them),
// the resource metrics of the target's pods from metrics.k8s.io, computes the
// replica count each metric wants (./replicas.ts), normalizes the highest one
// (./normalize.ts: min/max, stabilization windows, behavior policies), writes
// the scale when it changed, and records the status, conditions and events
// kube's controller records. Time is the injected clock's, so a test steps
// through syncs and stabilization windows without waiting.
import type { KubeObject } from '../../api/types.js';
import type { Client, ResourceRef } from '../../client/types.js';
import { refs } from '../../client/types.js';
import { deepCopy } from '../../api/deepcopy.js';
import { deepEqual } from '../util/hash.js';
import { formatQuantity, parseQuantity, quantityMilli } from '../../api/quantity.js';
import { parseLabelSelector, type LabelMatcher } from '../../api/selectors.js';
import { builtinResources } from '../../api/resources/index.js';
import { EventRecorder } from '../../client/record/events.js';
import { InformerView, SharedInformers } from '../../client/cache/shared.js';
import { keyOf } from '../../client/cache/informer.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { DEFAULT_CALC, podMetricsOf, rawResourceReplicas, resourceReplicas, type CalcOptions, type Proposal } from './replicas.js';
import { Normalizer, type Behavior, type Condition } from './normalize.js';

export const HPA_REF: ResourceRef = refs.horizontalpodautoscalers;
export const POD_METRICS_REF: ResourceRef = { apiVersion: 'metrics.k8s.io/v1beta1', resource: 'pods' };

/** --horizontal-pod-autoscaler-sync-period. */
export const HPA_SYNC_PERIOD_MS = 15_000;

export interface HPAControllerOptions extends ControllerOptions {
  informers?: SharedInformers;
  /** --horizontal-pod-autoscaler-sync-period (15s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5m). */
  downscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance, --…-cpu-initialization-period, --…-initial-readiness-delay. */
  calc?: Partial<typeof DEFAULT_CALC>;
}

/** What a sync produced that the caller (kube's reconcileAutoscaler) returns as its error: logged only. */
class SyncError extends Error {}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** metav1.Now() as it serializes. */
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** An error the metric computation carries up, with the condition it sets when every metric fails. */
interface MetricError { message: string; condition: Condition }

export class HorizontalController extends Controller {
  private readonly shared: SharedInformers;
  private readonly hpas: InformerView;
  private readonly pods: InformerView;
  private readonly crds: InformerView;
  readonly recorder: EventRecorder;
  private readonly normalizer: Normalizer;
  private readonly syncPeriodMs: number;
  private readonly calc: typeof DEFAULT_CALC;
  /** Each HPA's target selector as last seen (hpaSelectors): what finds pods two HPAs would both scale. */
  private readonly selectors = new Map<string, LabelMatcher>();

  constructor(private client: Client, private opts: HPAControllerOptions = {}) {
    super('horizontal-pod-autoscaler', opts);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.hpas = new InformerView(this.shared.informer(HPA_REF));
    this.pods = new InformerView(this.shared.informer(refs.pods));
    this.crds = new InformerView(this.shared.informer(refs.crds));
    this.recorder = new EventRecorder(client, { component: 'horizontal-pod-autoscaler' }, undefined, this.clock);
    this.normalizer = new Normalizer(opts.downscaleStabilizationMs);
    this.syncPeriodMs = opts.syncPeriodMs ?? HPA_SYNC_PERIOD_MS;
    this.calc = { ...DEFAULT_CALC, ...(opts.calc ?? {}) };
    // enqueueHPA is AddRateLimited on a fixed-interval limiter: a new or changed HPA is looked at one sync period later.
    this.hpas.on({
      add: (h) => this.queue.addAfter(keyOf(h), this.syncPeriodMs),
      update: (old, h) => { if (old.metadata.resourceVersion !== h.metadata.resourceVersion) this.queue.addAfter(keyOf(h), this.syncPeriodMs); },
      delete: (h) => this.queue.add(keyOf(h)),
    });
  }

  /** --concurrent-horizontal-pod-autoscaler-syncs: 5. */
  async start(workers = 5): Promise<void> {
    await Promise.all([this.hpas.hasSynced(), this.pods.hasSynced(), this.crds.hasSynced()]);
    this.runWorkers(workers);
  }

  run(): Promise<void> {
    return this.start();
  }

  override stop(): void {
    super.stop();
    this.hpas.close();
    this.pods.close();
    this.crds.close();
    this.recorder.stop();
    if (!this.opts.informers) this.shared.stop();
  }

  /** reconcileKey: a gone HPA's history is dropped; any other is reconciled and looked at again after a sync period. */
  async sync(key: string): Promise<void> {
    const i = key.indexOf('/');
    const hpa = this.hpas.get(key.slice(0, i), key.slice(i + 1));
    if (!hpa) {
      this.normalizer.forget(key);
      this.selectors.delete(key);
      return;
    }
    try {
      await this.reconcile(hpa, key);
    } catch (e) {
      // kube logs the error (utilruntime.HandleError) and requeues at the fixed interval, not with back-off.
      this.log.info(`${key}: ${errText(e)}`);
    }
    this.queue.addAfter(key, this.syncPeriodMs);
  }

  /** RESTMapper.RESTMappings for a group and kind: the built-in types, then the custom resources' served versions. */
  mappings(apiVersion: string, kind: string): ResourceRef[] {
    const parts = apiVersion.split('/');
    if (parts.length > 2) throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
    const group = parts.length === 2 ? parts[0] : '';
    const out: ResourceRef[] = [];
    for (const rt of builtinResources) {
      if (rt.group === group && rt.kind === kind) out.push({ apiVersion: group ? `${group}/${rt.version}` : rt.version, resource: rt.plural });
    }
    for (const crd of this.crds.list()) {
      if (crd.spec?.group !== group || crd.spec?.names?.kind !== kind) continue;
      const versions: any[] = Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
      // The storage version first, as discovery prefers it.
      for (const v of [...versions].sort((a, b) => Number(!!b?.storage) - Number(!!a?.storage))) {
        if (v?.served) out.push({ apiVersion: `${group}/${v.name}`, resource: crd.spec.names.plural });
      }
    }
    if (!out.length) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    return out;
  }

  /** scaleForResourceMappings: the first mapping whose scale answers; else the first error. */
  private async scaleOf(ns: string, name: string, mappings: ResourceRef[]): Promise<{ scale: KubeObject; ref: ResourceRef }> {
    let first: unknown;
    for (const [i, ref] of mappings.entries()) {
      try {
        return { scale: await this.client.getScale(ref, ns, name), ref };
      } catch (e) {
        if (i === 0) first = e;
      }
    }
    throw first ?? new Error('unrecognized resource');
  }

  private async reconcile(cached: KubeObject, key: string): Promise<void> {
    const hpa = deepCopy(cached);
    const original = deepCopy(hpa.status ?? {});
    hpa.status ??= {};
    const spec = hpa.spec ?? {};
    const now = this.clock.now();
    const ns = hpa.metadata.namespace!;
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind}/${ns}/${ref.name}`;
    const set = (c: Condition) => setCondition(hpa, c, now);

    let target: { scale: KubeObject; ref: ResourceRef };
    try {
      target = await this.scaleOf(ns, ref.name, this.mappings(String(ref.apiVersion ?? ''), ref.kind));
    } catch (e) {
      this.recorder.record(hpa, 'Warning', 'FailedGetScale', errText(e));
      set({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${errText(e)}` });
      await this.updateStatusIfNeeded(original, hpa);
      throw new SyncError(`failed to query scale subresource for ${reference}: ${errText(e)}`);
    }
    set({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
    const scale = target.scale;
    const current: number = scale.spec?.replicas ?? 0;
    this.normalizer.recordInitial(key, current, now);

    const min: number = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
    const max: number = spec.maxReplicas;
    let desired = 0;
    let reason = '';
    let rescale = true;
    let statuses: any[] | undefined;
    let retErr: string | undefined;

    if (current === 0 && min !== 0) {
      desired = 0;
      rescale = false;
      set({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    } else if (current > max) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = max;
    } else if (current < min) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = min;
    } else {
      const r = await this.computeReplicasForMetrics(hpa, scale, Array.isArray(spec.metrics) ? spec.metrics : [], now, set);
      statuses = r.statuses;
      if (r.error && r.replicas === -1) {
        setStatus(hpa, current, hpa.status.desiredReplicas ?? 0, statuses, false, now);
        await this.updateStatusIfNeeded(original, hpa);
        this.recorder.record(hpa, 'Warning', 'FailedComputeMetricsReplicas', r.error);
        throw new SyncError(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${r.error}`);
      }
      retErr = r.error;
      let metric = '';
      if (r.replicas > desired) {
        desired = r.replicas;
        metric = r.metric;
      }
      if (desired > current) reason = `${metric} above target`;
      if (desired < current) reason = 'All metrics below target';
      desired = spec.behavior
        ? this.normalizer.normalizeWithBehavior(key, spec.behavior as Behavior, current, desired, min, max, now, set)
        : this.normalizer.normalize(key, current, desired, min, max, now, set);
      rescale = desired !== current;
    }

    if (rescale) {
      try {
        await this.client.updateScale(target.ref, ns, ref.name, { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (e) {
        this.recorder.record(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${errText(e)}`);
        set({ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${errText(e)}` });
        setStatus(hpa, current, hpa.status.desiredReplicas ?? 0, statuses, false, now);
        await this.updateStatusIfNeeded(original, hpa);
        throw new SyncError(`failed to rescale ${reference}: ${errText(e)}`);
      }
      set({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` });
      this.recorder.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.normalizer.storeScaleEvent(key, spec.behavior, current, desired, now);
      this.log.info(`Successfully rescaled ${key} from ${current} to ${desired}: ${reason}`);
    } else {
      desired = current;
    }
    setStatus(hpa, current, desired, statuses, rescale, now);
    await this.updateStatusIfNeeded(original, hpa);
    if (retErr) throw new SyncError(retErr);
  }

  /** computeReplicasForMetrics: the highest proposal of the valid metrics; an error when all fail, or some fail and the rest would scale down. */
  private async computeReplicasForMetrics(hpa: KubeObject, scale: KubeObject, specs: any[], now: number, set: (c: Condition) => void):
    Promise<{ replicas: number; metric: string; statuses?: any[]; error?: string }> {
    const selector = this.selector(hpa, scale, set);
    if (typeof selector === 'string') return { replicas: -1, metric: '', error: selector };
    const specReplicas: number = scale.spec?.replicas ?? 0;
    // A metric that failed keeps an empty status (MetricStatus{}), as kube writes it.
    const statuses: any[] = specs.map(() => ({ type: '' }));
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstErr: MetricError | undefined;
    for (const [i, m] of specs.entries()) {
      const r = await this.computeReplicasForMetric(hpa, m, specReplicas, selector, now);
      if ('message' in r) {
        if (invalid === 0) firstErr = r;
        invalid++;
        continue;
      }
      statuses[i] = r.status;
      if (replicas === 0 || r.replicas > replicas) {
        replicas = r.replicas;
        metric = r.metric;
      }
    }
    const error = firstErr ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstErr.message}` : undefined;
    if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
      if (firstErr) set(firstErr.condition);
      return { replicas: -1, metric: '', statuses, error: error ?? 'no metrics' };
    }
    set({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metric}` });
    return { replicas, metric, statuses, error };
  }

  /** validateAndParseSelector: the scale's status.selector, required and parseable. */
  private selector(hpa: KubeObject, scale: KubeObject, set: (c: Condition) => void): LabelMatcher | string {
    const s = scale.status?.selector;
    if (!s) {
      this.recorder.record(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      set({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
      return 'selector is required';
    }
    let parsed: LabelMatcher;
    try {
      parsed = parseLabelSelector(s);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${errText(e)}`;
      this.recorder.record(hpa, 'Warning', 'InvalidSelector', msg);
      set({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: msg });
      return msg;
    }
    // Pods that another HPA's selector also matches are not this HPA's to scale alone (hpaSelectors).
    const ns = hpa.metadata.namespace!;
    this.selectors.set(keyOf(hpa), parsed);
    const pods = this.pods.list(ns).filter((p) => parsed.matches(p.metadata.labels ?? {}));
    const selecting = new Set<string>();
    for (const [key, sel] of this.selectors) {
      if (key.startsWith(`${ns}/`) && pods.some((p) => sel.matches(p.metadata.labels ?? {}))) selecting.add(key);
    }
    if (selecting.size > 1) {
      const msg = `pods by selector ${parsed.toString()} are controlled by multiple HPAs: [${[...selecting].sort().join(' ')}]`;
      this.recorder.record(hpa, 'Warning', 'AmbiguousSelector', msg);
      set({ type: 'ScalingActive', status: 'False', reason: 'AmbiguousSelector', message: msg });
      return msg;
    }
    return parsed;
  }

  /** computeReplicasForMetric for Resource and ContainerResource metrics; the other types need adapters nodeless does not serve. */
  private async computeReplicasForMetric(hpa: KubeObject, m: any, specReplicas: number, selector: LabelMatcher, now: number):
    Promise<{ replicas: number; metric: string; status: any } | MetricError> {
    const unable = (reason: string, message: string): MetricError => {
      this.recorder.record(hpa, 'Warning', reason, message);
      return { message, condition: { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${message}` } };
    };
    const wrap = (e: MetricError, outer: string): MetricError => ({ ...e, message: `${outer}: ${e.message}` });
    if (m?.type === 'Resource' || m?.type === 'ContainerResource') {
      const src = m.type === 'Resource' ? m.resource : m.containerResource;
      const name: string = src?.name;
      const container: string | undefined = m.type === 'ContainerResource' ? src?.container : undefined;
      const r = await this.resourceMetric(hpa, specReplicas, src?.target ?? {}, name, container, selector, now, m.type, unable);
      if ('message' in r) return wrap(r, `failed to get ${name} ${m.type === 'Resource' ? 'resource' : 'container resource'} metric value`);
      const status = m.type === 'Resource'
        ? { type: 'Resource', resource: { name, current: r.current } }
        : { type: 'ContainerResource', containerResource: { name, container, current: r.current } };
      return { replicas: r.replicas, metric: r.metric, status };
    }
    // Pods, Object and External metrics come from the custom and external metrics APIs, which nothing here serves.
    const what = m?.type === 'Pods' ? 'pods' : m?.type === 'Object' ? 'object' : m?.type === 'External' ? 'external' : undefined;
    if (what) {
      const api = m.type === 'External' ? 'external.metrics.k8s.io' : 'custom.metrics.k8s.io';
      const e = unable(`FailedGet${m.type === 'Pods' ? 'Pods' : m.type}Metric`, `unable to get metric ${m?.[what]?.metric?.name ?? ''}: unable to fetch metrics from ${m.type === 'External' ? 'external' : 'custom'} metrics API: the server could not find the requested resource (get ${api})`);
      return wrap(e, `failed to get ${what} metric value`);
    }
    return unable('InvalidMetricSourceType', `unknown metric source type "${m?.type ?? ''}"`);
  }

  /** computeStatusForResourceMetricGeneric: AverageValue, else Utilization. */
  private async resourceMetric(hpa: KubeObject, current: number, target: any, resource: string, container: string | undefined, selector: LabelMatcher, now: number,
    type: string, unable: (reason: string, message: string) => MetricError): Promise<{ replicas: number; metric: string; current: any } | MetricError> {
    const ns = hpa.metadata.namespace!;
    const reason = type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
    const pods = this.pods.list(ns).filter((p) => selector.matches(p.metadata.labels ?? {}));
    const o: CalcOptions = { ...this.calc, now };
    const avg = parseQuantity(target.averageValue);
    let fetched: ReturnType<typeof podMetricsOf> | string;
    try {
      const list = await this.client.list(POD_METRICS_REF, { namespace: ns, labelSelector: selector.toString() });
      fetched = list.items.length ? podMetricsOf(list.items, resource, container) : 'no metrics returned from resource metrics API';
    } catch (e) {
      fetched = `unable to fetch metrics from resource metrics API: ${errText(e)}`;
    }
    if (avg) {
      const targetMilli = Number(quantityMilli(avg));
      const p: Proposal | string = typeof fetched === 'string' ? `unable to get metrics for resource ${resource}: ${fetched}` : rawResourceReplicas(current, targetMilli, resource, pods, fetched, o);
      if (typeof p === 'string') return unable(reason, `failed to get ${resource} usage: ${p}`);
      return { replicas: p.replicas, metric: `${resource} resource`, current: { averageValue: milliQuantity(p.raw) } };
    }
    if (typeof target.averageUtilization !== 'number') {
      return unable(reason, 'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    const p: Proposal | string = typeof fetched === 'string' ? `unable to get metrics for resource ${resource}: ${fetched}` : resourceReplicas(current, target.averageUtilization, resource, pods, fetched, o, container);
    if (typeof p === 'string') return unable(reason, `failed to get ${resource} utilization: ${p}`);
    const metric = type === 'Resource' ? `${resource} resource utilization (percentage of request)` : `${resource} container resource utilization (percentage of request)`;
    return { replicas: p.replicas, metric, current: { averageUtilization: p.utilization, averageValue: milliQuantity(p.raw) } };
  }

  /** updateStatusIfNeeded: a write only when the status changed; a failed write is a FailedUpdateStatus event. */
  private async updateStatusIfNeeded(original: any, hpa: KubeObject): Promise<void> {
    if (deepEqual(original, hpa.status)) return;
    try {
      await this.client.updateStatus(HPA_REF, hpa);
    } catch (e) {
      this.recorder.record(hpa, 'Warning', 'FailedUpdateStatus', errText(e));
      throw new SyncError(`failed to update status for ${hpa.metadata.name}: ${errText(e)}`);
    }
  }
}

/** resource.NewMilliQuantity(v, DecimalSI).String(). */
const milliQuantity = (v: number) => formatQuantity({ nano: BigInt(Math.trunc(v)) * 1_000_000n, format: 'DecimalSI' });

/** setCondition: the condition's fields, its lastTransitionTime moved only when its status changes; new ones appended. */
function setCondition(hpa: KubeObject, c: Condition, now: number): void {
  const list: any[] = Array.isArray(hpa.status.conditions) ? hpa.status.conditions : (hpa.status.conditions = []);
  let cur = list.find((x) => x?.type === c.type);
  if (!cur) list.push((cur = { type: c.type }));
  if (cur.status !== c.status) cur.lastTransitionTime = rfc3339(now);
  cur.status = c.status;
  cur.reason = c.reason;
  cur.message = c.message;
}

/** setStatus: current and desired replicas, the metrics, lastScaleTime when it rescaled; the conditions kept. */
function setStatus(hpa: KubeObject, current: number, desired: number, metrics: any[] | undefined, rescale: boolean, now: number): void {
  const s = hpa.status;
  hpa.status = {
    ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
    currentReplicas: current, desiredReplicas: desired,
    ...(rescale ? { lastScaleTime: rfc3339(now) } : s.lastScaleTime ? { lastScaleTime: s.lastScaleTime } : {}),
    ...(metrics && metrics.length ? { currentMetrics: metrics } : {}),
    ...(s.conditions ? { conditions: s.conditions } : {}),
  };
}

