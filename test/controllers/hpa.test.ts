// The HorizontalPodAutoscaler controller's sync on an in-process cluster with a
// FakeClock (src/controllers/hpa, docs/autoscaling.md): the pods' usage comes
// through the real metrics.k8s.io storage from a source the test sets, and each
// test calls sync(key) itself, stepping the clock through stabilization windows
// and policy periods instead of waiting for them.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { HorizontalController } from '../../src/controllers/hpa/controller.js';
import { DEFAULT_CALC, groupPods, podMetricsOf, rawResourceReplicas, resourceReplicas } from '../../src/controllers/hpa/replicas.js';
import { Normalizer, type Condition } from '../../src/controllers/hpa/normalize.js';
import { inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: HorizontalController | undefined;
let clock: FakeClock;
/** Each pod's CPU (millicores) and memory (bytes), as the metrics source reports them. */
const usage = new Map<string, { cpu: number; memory?: number }>();
const MIN = 60_000;

before(async () => {
  t = await inProcess();
  t.cluster.registry.metricsSource = {
    pods: (pods) => pods.map((p) => {
      const u = usage.get(p.metadata.name!);
      return u && { timestamp: clock.now(), windowMs: 15_000, containers: [{ name: 'app', cpuNanoCores: u.cpu * 1e6, memoryBytes: u.memory ?? 50 * 2 ** 20 }] };
    }),
    nodes: (nodes) => nodes.map(() => undefined),
  };
});
after(() => { ctl?.stop(); t.close(); });

beforeEach(async () => {
  ctl?.stop();
  clock = new FakeClock(Date.now());
  ctl = new HorizontalController(t.client, { informers: t.informers, clock, log: () => {} });
  await ctl.start(0);
});

const rfc = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function deployment(name: string, replicas: number): Promise<void> {
  await t.cluster.client.create(refs.deployments, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '200m', memory: '100Mi' } } }] } },
    },
  });
}

/** A Running, Ready pod of `app` that started ten minutes ago (past the CPU initialization period). */
async function pod(app: string, name: string, cpu: number | undefined, opts: { ready?: boolean; request?: boolean; startedAgoMs?: number } = {}): Promise<void> {
  const p = await t.cluster.client.create(refs.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app } },
    spec: { containers: [{ name: 'app', image: 'nginx', resources: opts.request === false ? {} : { requests: { cpu: '200m', memory: '100Mi' } } }] },
  });
  const started = rfc(clock.now() - (opts.startedAgoMs ?? 10 * MIN));
  const ready = opts.ready ?? true;
  await t.cluster.client.updateStatus(refs.pods, {
    ...p, status: {
      phase: 'Running', startTime: started,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: started }],
      containerStatuses: [{ name: 'app', ready, restartCount: 0, image: 'nginx', imageID: '', state: { running: { startedAt: started } } }],
    },
  });
  if (cpu !== undefined) usage.set(name, { cpu });
}

async function hpa(name: string, spec: any, kind = 'Deployment', apiVersion = 'apps/v1'): Promise<void> {
  await t.cluster.client.create(refs.horizontalpodautoscalers, {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion, kind, name }, minReplicas: 1, maxReplicas: 10, ...spec },
  });
}

const cpuAt = (pct: number) => [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: pct } } }];

/** Syncs once the controller's caches have what the API has. */
async function sync(name: string): Promise<KubeObject> {
  const h = await t.cluster.client.get(refs.horizontalpodautoscalers, 'default', name);
  const pods = (await t.cluster.client.list(refs.pods, { namespace: 'default' })).items;
  await waitFor('caches', () => t.informers.informer(refs.horizontalpodautoscalers).get('default', name)?.metadata.resourceVersion === h.metadata.resourceVersion
    && pods.every((p) => t.informers.informer(refs.pods).get('default', p.metadata.name!)?.metadata.resourceVersion === p.metadata.resourceVersion));
  await ctl!.sync(`default/${name}`);
  return t.cluster.client.get(refs.horizontalpodautoscalers, 'default', name);
}

const replicas = async (name: string) => (await t.cluster.client.get(refs.deployments, 'default', name)).spec.replicas;
const cond = (h: KubeObject, type: string) => h.status.conditions.find((c: any) => c.type === type);
const events = async (name: string, reason: string) =>
  (await t.cluster.client.list(refs.events, { namespace: 'default', fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items;
const event = (name: string, reason: string) => waitFor(`${reason} on ${name}`, async () => (await events(name, reason))[0]);

describe('HorizontalPodAutoscaler', () => {
  it('scales up on CPU utilization above target: SuccessfulRescale, status and conditions as kube writes them', async () => {
    await deployment('up', 2);
    await pod('up', 'up-a', 180); // 90% of 200m
    await pod('up', 'up-b', 180);
    await hpa('up', { metrics: cpuAt(50) });
    const h = await sync('up');
    // 90% / 50% × 2 ready pods = 3.6 → 4.
    assert.equal(await replicas('up'), 4);
    assert.equal(h.status.currentReplicas, 2);
    assert.equal(h.status.desiredReplicas, 4);
    assert.ok(h.status.lastScaleTime);
    assert.deepEqual(h.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '180m' } } }]);
    assert.deepEqual(h.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
      ['AbleToScale', 'True', 'SucceededRescale', 'the HPA controller was able to update the target scale to 4'],
      ['ScalingActive', 'True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)'],
      ['ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range'],
    ]);
    const ev = await event('up', 'SuccessfulRescale');
    assert.equal(ev.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
    assert.equal(ev.source.component, 'horizontal-pod-autoscaler');
  });

  it('within the 10% tolerance nothing changes', async () => {
    await deployment('tol', 2);
    await pod('tol', 'tol-a', 108); // 54% of 200m: ratio 1.08
    await pod('tol', 'tol-b', 108);
    await hpa('tol', { metrics: cpuAt(50) });
    const h = await sync('tol');
    assert.equal(await replicas('tol'), 2);
    assert.equal(h.status.desiredReplicas, 2);
    assert.equal(h.status.lastScaleTime, undefined);
    assert.equal(cond(h, 'AbleToScale').reason, 'ReadyForNewScale');
  });

  it('scales down only after the 5-minute downscale stabilization window', async () => {
    await deployment('down', 4);
    for (const n of ['a', 'b', 'c', 'd']) await pod('down', `down-${n}`, 20); // 10%
    await hpa('down', { metrics: cpuAt(50) });
    let h = await sync('down');
    // The first recommendation is the current count: held at 4.
    assert.equal(await replicas('down'), 4);
    assert.equal(cond(h, 'AbleToScale').reason, 'ScaleDownStabilized');
    assert.equal(cond(h, 'AbleToScale').message, 'recent recommendations were higher than current one, applying the highest recent recommendation');
    clock.step(4 * MIN);
    h = await sync('down');
    assert.equal(await replicas('down'), 4);
    clock.step(MIN + 1000);
    h = await sync('down');
    // 10% / 50% × 4 = 0.8 → 1.
    assert.equal(await replicas('down'), 1);
    assert.equal((await event('down', 'SuccessfulRescale')).message, 'New size: 1; reason: All metrics below target');
  });

  it('behavior: a scale-up policy limits the rate (ScaleUpLimit), stabilization windows and selectPolicy Disabled', async () => {
    await deployment('pol', 1);
    await pod('pol', 'pol-a', 400); // 200%
    await hpa('pol', {
      metrics: cpuAt(50),
      behavior: { scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }, scaleDown: { selectPolicy: 'Disabled' } },
    });
    let h = await sync('pol');
    assert.equal(await replicas('pol'), 2);
    assert.deepEqual([cond(h, 'ScalingLimited').status, cond(h, 'ScalingLimited').reason], ['True', 'ScaleUpLimit']);
    assert.equal(cond(h, 'ScalingLimited').message, 'the desired replica count is increasing faster than the maximum scale rate');
    // Within the policy's period no more pods may be added.
    clock.step(30_000);
    await pod('pol', 'pol-b', 400);
    h = await sync('pol');
    assert.equal(await replicas('pol'), 2);
    clock.step(31_000);
    h = await sync('pol');
    assert.equal(await replicas('pol'), 3);
    // Scale-down disabled: idle pods keep the count.
    usage.set('pol-a', { cpu: 1 });
    usage.set('pol-b', { cpu: 1 });
    clock.step(10 * MIN);
    h = await sync('pol');
    assert.equal(await replicas('pol'), 3);
    assert.equal(cond(h, 'ScalingLimited').reason, 'ScaleDownLimit');
  });

  it('min and max bound the count (TooManyReplicas) and a count outside them is brought back', async () => {
    await deployment('max', 2);
    await pod('max', 'max-a', 200);
    await pod('max', 'max-b', 200);
    await hpa('max', { metrics: cpuAt(10), maxReplicas: 3 });
    let h = await sync('max');
    assert.equal(await replicas('max'), 3);
    assert.deepEqual([cond(h, 'ScalingLimited').status, cond(h, 'ScalingLimited').reason], ['True', 'TooManyReplicas']);
    await t.cluster.client.patch(refs.deployments, 'default', 'max', 'merge', { spec: { replicas: 7 } });
    h = await sync('max');
    assert.equal(await replicas('max'), 3);
    assert.equal((await events('max', 'SuccessfulRescale')).map((e) => e.message).includes('New size: 3; reason: Current number of replicas above Spec.MaxReplicas'), true);
  });

  it('a target scaled to zero disables autoscaling (ScalingDisabled)', async () => {
    await deployment('zero', 0);
    await hpa('zero', { metrics: cpuAt(50) });
    const h = await sync('zero');
    assert.deepEqual([cond(h, 'ScalingActive').status, cond(h, 'ScalingActive').reason, cond(h, 'ScalingActive').message],
      ['False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero']);
    assert.equal(await replicas('zero'), 0);
  });

  it('memory AverageValue targets; the legacy scale-up limit', async () => {
    await deployment('mem', 2);
    await pod('mem', 'mem-a', 10);
    await pod('mem', 'mem-b', 10);
    usage.set('mem-a', { cpu: 10, memory: 300 * 2 ** 20 });
    usage.set('mem-b', { cpu: 10, memory: 300 * 2 ** 20 });
    await hpa('mem', { metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }] });
    const h = await sync('mem');
    // 300Mi / 100Mi × 2 = 6, but without behavior one sync at most doubles (at least 4): ScaleUpLimit.
    assert.equal(await replicas('mem'), 4);
    assert.deepEqual([cond(h, 'ScalingLimited').status, cond(h, 'ScalingLimited').reason], ['True', 'ScaleUpLimit']);
    assert.deepEqual(h.status.currentMetrics[0].resource.current, { averageValue: String(300 * 2 ** 20) });
    assert.equal((await event('mem', 'SuccessfulRescale')).message, 'New size: 4; reason: memory resource above target');
  });

  it('a container without a CPU request: FailedGetResourceMetric, ScalingActive False', async () => {
    await deployment('noreq', 1);
    await pod('noreq', 'noreq-a', 100, { request: false });
    await hpa('noreq', { metrics: cpuAt(50) });
    const h = await sync('noreq');
    const sa = cond(h, 'ScalingActive');
    assert.deepEqual([sa.status, sa.reason], ['False', 'FailedGetResourceMetric']);
    assert.equal(sa.message, 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod noreq-a');
    assert.equal((await event('noreq', 'FailedGetResourceMetric')).message, 'failed to get cpu utilization: missing request for cpu in container app of Pod noreq-a');
    assert.equal((await event('noreq', 'FailedComputeMetricsReplicas')).message,
      'invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod noreq-a');
  });

  it('no metrics yet: the metrics API\'s error on the condition', async () => {
    await deployment('nomet', 1);
    await pod('nomet', 'nomet-a', undefined);
    await hpa('nomet', { metrics: cpuAt(50) });
    const h = await sync('nomet');
    assert.equal(cond(h, 'ScalingActive').message,
      'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API');
  });

  it('FailedGetScale: a kind without scale, a missing target, an unknown kind', async () => {
    await t.cluster.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } });
    await hpa('cm', { metrics: cpuAt(50) }, 'ConfigMap', 'v1');
    let h = await sync('cm');
    const ats = cond(h, 'AbleToScale');
    assert.deepEqual([ats.status, ats.reason], ['False', 'FailedGetScale']);
    assert.equal(ats.message, "the HPA controller was unable to get the target's current scale: the server could not find the requested resource (configmaps/scale)");
    assert.equal((await event('cm', 'FailedGetScale')).message, 'the server could not find the requested resource (configmaps/scale)');
    await hpa('gone', { metrics: cpuAt(50) });
    h = await sync('gone');
    assert.equal(cond(h, 'AbleToScale').message, 'the HPA controller was unable to get the target\'s current scale: deployments/scale.apps "gone" not found');
    await hpa('odd', { metrics: cpuAt(50) }, 'Widget', 'example.com/v1');
    h = await sync('odd');
    assert.equal(cond(h, 'AbleToScale').message, 'the HPA controller was unable to get the target\'s current scale: no matches for kind "Widget" in group "example.com"');
  });

  it('two HPAs over the same pods: AmbiguousSelector on both, nothing scaled', async () => {
    await deployment('twin', 1);
    await pod('twin', 'twin-a', 200);
    await hpa('twin', { metrics: cpuAt(50) });
    await sync('twin');
    assert.equal(await replicas('twin'), 2);
    await t.cluster.client.create(refs.horizontalpodautoscalers, {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'twin-2', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'twin' }, maxReplicas: 10, metrics: cpuAt(50) },
    });
    const h = await sync('twin-2');
    const sa = cond(h, 'ScalingActive');
    assert.deepEqual([sa.status, sa.reason, sa.message], ['False', 'AmbiguousSelector', 'pods by selector app=twin are controlled by multiple HPAs: [default/twin default/twin-2]']);
    assert.equal((await event('twin-2', 'AmbiguousSelector')).message, sa.message);
    assert.equal(await replicas('twin'), 2);
    // Once the second is gone, the first scales again.
    await t.cluster.client.delete(refs.horizontalpodautoscalers, 'default', 'twin-2');
    await waitFor('twin-2 gone from the cache', () => !t.informers.informer(refs.horizontalpodautoscalers).get('default', 'twin-2'));
    await ctl!.sync('default/twin-2');
    await sync('twin');
    assert.equal(cond(await t.cluster.client.get(refs.horizontalpodautoscalers, 'default', 'twin'), 'ScalingActive').reason, 'ValidMetricFound');
  });

  it('scales a custom resource through its scale subresource', async () => {
    await t.cluster.client.create(refs.crds, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'workers.example.com' },
      spec: {
        group: 'example.com', scope: 'Namespaced', names: { plural: 'workers', singular: 'worker', kind: 'Worker' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } }, status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } } } } },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
        }],
      },
    });
    const workers = { apiVersion: 'example.com/v1', resource: 'workers' };
    const w = await waitFor('CRD served', () => t.cluster.client.create(workers, { apiVersion: 'example.com/v1', kind: 'Worker', metadata: { name: 'wk', namespace: 'default' }, spec: { replicas: 1 } }).catch(() => undefined));
    await t.cluster.client.updateStatus(workers, { ...w, status: { replicas: 1, selector: 'app=wk' } });
    await waitFor('CRD cached', () => t.informers.informer(refs.crds).get(undefined, 'workers.example.com'));
    await pod('wk', 'wk-a', 200); // 100%
    await hpa('wk', { metrics: cpuAt(50) }, 'Worker', 'example.com/v1');
    await sync('wk');
    assert.equal((await t.cluster.client.get(workers, 'default', 'wk')).spec.replicas, 2);
  });
});

describe('replica calculation (replica_calculator.go)', () => {
  const o = { ...DEFAULT_CALC, now: Date.parse('2025-01-01T01:00:00Z') };
  const at = (ago: number) => new Date(o.now - ago).toISOString();
  const p = (name: string, opts: { phase?: string; ready?: boolean; startedAgo?: number; readyAgo?: number; request?: string } = {}): KubeObject => ({
    metadata: { name, labels: {} },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: opts.request ?? '100m' } } }] },
    status: { phase: opts.phase ?? 'Running', startTime: at(opts.startedAgo ?? 3_600_000), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: at(opts.readyAgo ?? 3_600_000) }] },
  });
  const m = (vals: Record<string, number>) => new Map(Object.entries(vals).map(([k, v]) => [k, { value: v, timestamp: o.now, windowMs: 15_000 }]));

  it('groups pods: pending and failed ignored, no metric missing, unready CPU pods apart', () => {
    const pods = [p('a'), p('b', { phase: 'Pending' }), p('c', { phase: 'Failed' }), p('d'), p('e', { ready: false, startedAgo: 60_000, readyAgo: 60_000 }),
      // Ready, but its 15 s metric window began before it became ready (within the 5 min initialization period).
      p('f', { startedAgo: 60_000, readyAgo: 10_000 })];
    const g = groupPods(pods, m({ a: 1, d: 1, e: 1, f: 1 }), 'cpu', o);
    assert.equal(g.ready, 2);
    assert.deepEqual([...g.ignored].sort(), ['b', 'c']);
    assert.deepEqual([...g.missing], []);
    assert.deepEqual([...g.unready].sort(), ['e', 'f']);
    assert.deepEqual([...groupPods([p('x')], m({}), 'cpu', o).missing], ['x']);
  });

  it('missing pods count at their request when scaling down, at zero when scaling up', () => {
    // Two pods at 10% of 100m, one missing; target 50%: ratio .2 → with the missing one at 100%: (10+10+100)/300 = 40% → ratio .8 → ceil(.8×3) = 3.
    const down = resourceReplicas(3, 50, 'cpu', [p('a'), p('b'), p('c')], m({ a: 10, b: 10 }), o);
    assert.deepEqual(typeof down === 'string' ? down : down.replicas, 3);
    // Two pods at 200%, one missing; target 50%: ratio 4 → missing at 0: 400/300 = 133% → 2.66 → ceil(2.66×3) = 8.
    const up = resourceReplicas(3, 50, 'cpu', [p('a'), p('b'), p('c')], m({ a: 200, b: 200 }), o);
    assert.equal(typeof up === 'string' ? up : up.replicas, 8);
  });

  it('unready pods count at zero when scaling up, and a second ratio crossing 1 keeps the count', () => {
    const pods = [p('a'), p('u', { ready: false, startedAgo: 60_000, readyAgo: 60_000 })];
    // a at 60% (ratio 1.2); u unready at 0 → 30%: ratio .6 crosses 1: keep 2.
    const r = resourceReplicas(2, 50, 'cpu', pods, m({ a: 60, u: 500 }), o);
    assert.equal(typeof r === 'string' ? r : r.replicas, 2);
  });

  it('AverageValue: integer average over the target; missing pods at the target when scaling down', () => {
    const r = rawResourceReplicas(2, 100_000, 'memory', [p('a'), p('b')], m({ a: 300_000, b: 300_000 }), o);
    assert.equal(typeof r === 'string' ? r : r.replicas, 6);
    const d = rawResourceReplicas(3, 100_000, 'memory', [p('a'), p('b'), p('c')], m({ a: 10_000, b: 10_000 }), o);
    // (10k + 10k + 100k) / 3 = 40k → ratio .4 → ceil(.4×3) = 2.
    assert.equal(typeof d === 'string' ? d : d.replicas, 2);
  });

  it('the metrics client sums containers and drops a pod missing the resource', () => {
    const items = [
      { metadata: { name: 'a' }, timestamp: '2025-01-01T00:00:00Z', window: '15s', containers: [{ name: 'x', usage: { cpu: '100m' } }, { name: 'y', usage: { cpu: '50m' } }] },
      { metadata: { name: 'b' }, timestamp: '2025-01-01T00:00:00Z', window: '15s', containers: [{ name: 'x', usage: { memory: '1Mi' } }] },
    ] as any[];
    const pm = podMetricsOf(items, 'cpu');
    assert.deepEqual([...pm.keys()], ['a']);
    assert.equal(pm.get('a')!.value, 150);
    assert.equal(pm.get('a')!.windowMs, 15_000);
    assert.equal(podMetricsOf(items, 'cpu', 'y').get('a')!.value, 50);
  });
});

describe('behavior (horizontal.go normalizeDesiredReplicasWithBehaviors)', () => {
  const run = (n: Normalizer, key: string, b: any, current: number, desired: number, now: number, min = 1, max = 100) => {
    const conds: Condition[] = [];
    const out = n.normalizeWithBehavior(key, b, current, desired, min, max, now, (c) => conds.push(c));
    return { out, able: conds.find((c) => c.type === 'AbleToScale')!, limited: conds.find((c) => c.type === 'ScalingLimited')! };
  };
  const policies = (type: string, value: number, periodSeconds = 60) => [{ type, value, periodSeconds }];

  it('Percent policies round up on the way up and truncate on the way down; Min picks the smaller change', () => {
    const n = new Normalizer();
    const up = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: policies('Percent', 50) }, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: policies('Percent', 50) } };
    // 3 × 1.5 = 4.5 → 5.
    assert.equal(run(n, 'a', up, 3, 20, 0).out, 5);
    // 9 × 0.5 = 4.5 → 4.
    assert.equal(run(n, 'b', up, 9, 1, 0).out, 4);
    const min = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Min', policies: [...policies('Pods', 1), ...policies('Percent', 100)] }, scaleDown: up.scaleDown };
    const r = run(n, 'c', min, 4, 20, 0);
    assert.deepEqual([r.out, r.limited.status, r.limited.reason], [5, 'True', 'ScaleUpLimit']);
  });

  it('a scale-up stabilization window applies the lowest recent recommendation', () => {
    const n = new Normalizer();
    const b = { scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: policies('Pods', 100) }, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: policies('Percent', 100) } };
    n.recordInitial('k', 2, 0);
    const first = run(n, 'k', b, 2, 6, 1000);
    assert.deepEqual([first.out, first.able.reason], [2, 'ScaleUpStabilized']);
    assert.equal(first.able.message, 'recent recommendations were lower than current one, applying the lowest recent recommendation');
    // 60.5 s later the initial 2 has left the window; the 6 from t=1 s is still in it.
    const later = run(n, 'k', b, 2, 8, 60_500);
    assert.deepEqual([later.out, later.able.reason], [6, 'ScaleUpStabilized']);
  });

  it('scale events in a policy period count against it; a scale-down in the period gives room back', () => {
    const n = new Normalizer();
    const b: any = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: policies('Pods', 2) }, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: policies('Pods', 2) } };
    assert.equal(run(n, 'e', b, 2, 10, 0).out, 4);
    n.storeScaleEvent('e', b, 2, 4, 0);
    assert.equal(run(n, 'e', b, 4, 10, 30_000).out, 4);
    n.storeScaleEvent('e', b, 4, 3, 30_000);
    // Start of period: 3 − 2 added + 1 removed = 2; + 2 = 4.
    assert.equal(run(n, 'e', b, 3, 10, 40_000).out, 4);
  });
});
