// The simulated usage of docs/metrics-api.md: the cpu=/memory= words, their
// schedules (value and exact integral), limits, and the process sampler's windows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { integral, parseLoad, scheduleOf, valueAt } from '../../src/runtime/load.js';
import { clip, ProcessSampler, simulatedUsage } from '../../src/runtime/usage.js';
import { parseSimulate } from '../../src/runtime/simulate.js';
import { metricsSource } from '../../src/runtime/metricsserver.js';
import { FakeClock } from '../../src/util/clock.js';

describe('load words', () => {
  it('parses constants, ranges and steps, and names a bad word', () => {
    assert.deepEqual(parseLoad('cpu', '300m'), { kind: 'constant', value: 0.3 });
    assert.deepEqual(parseLoad('memory', '200Mi'), { kind: 'constant', value: 200 * 2 ** 20 });
    assert.deepEqual(parseLoad('cpu', '100m..900m'), { kind: 'range', low: 0.1, high: 0.9 });
    assert.deepEqual(parseLoad('cpu', '200m,800m@1m'), { kind: 'steps', steps: [{ atMs: 0, value: 0.2 }, { atMs: 60_000, value: 0.8 }] });
    assert.match(parseLoad('cpu', 'lots') as string, /^"cpu=lots": want a quantity/);
    assert.match(parseLoad('cpu', '200m@5s,1@1m') as string, /first step starts at 0s/);
    assert.match(parseLoad('cpu', '200m,1@1m,2@30s') as string, /step times must increase/);
    assert.deepEqual(parseSimulate('cpu=1 period=1m').errors, ['"period=1m": there is no range (100m..900m) or step list (200m@0s,800m@1m) in this clause for it to apply to']);
    assert.match(parseSimulate('cpu=1,2@2m period=1m').errors[0], /period must be longer than the last step/);
    assert.deepEqual(parseSimulate('cpu=-1').errors.length, 1);
  });

  it('a triangle wave: its value and exact integral over a period', () => {
    const s = scheduleOf({ ...(parseLoad('cpu', '100m..900m') as any), periodMs: 120_000 });
    assert.equal(valueAt(s, 0), 0.1);
    assert.ok(Math.abs(valueAt(s, 60_000) - 0.9) < 1e-12);
    assert.ok(Math.abs(valueAt(s, 150_000) - 0.5) < 1e-12);
    // One period averages 500m: 0.5 cores for 120 s.
    assert.ok(Math.abs(integral(s, 120_000) - 0.5 * 120_000) < 1e-6);
    assert.ok(Math.abs(integral(s, 360_000) - 3 * 0.5 * 120_000) < 1e-6);
  });

  it('steps hold from their time; with a period they repeat', () => {
    const once = scheduleOf(parseLoad('cpu', '200m,800m@1m') as any);
    assert.equal(valueAt(once, 59_999), 0.2);
    assert.equal(valueAt(once, 60_000), 0.8);
    assert.equal(valueAt(once, 1e9), 0.8);
    assert.ok(Math.abs(integral(once, 90_000) - (0.2 * 60_000 + 0.8 * 30_000)) < 1e-6);
    const rep = scheduleOf({ ...(parseLoad('cpu', '200m,800m@1m') as any), periodMs: 90_000 });
    assert.equal(valueAt(rep, 90_000 + 10_000), 0.2);
  });

  it('a limit clips the schedule, the integral staying exact', () => {
    const s = clip(scheduleOf({ kind: 'range', low: 0, high: 1, periodMs: 100 }), 0.5);
    assert.equal(valueAt(s, 50), 0.5);
    // Triangle 0→1→0 over 100 ms clipped at 0.5: 25 (two ramps of 25 ms at average .25) + .5*50 = 37.5.
    assert.ok(Math.abs(integral(s, 100) - 37.5) < 1e-9);
  });

  it('a pod\'s usage follows its annotation, per container, limits applied', () => {
    const pod = {
      metadata: { uid: 'u1', annotations: { 'nodeless.dev/simulate': 'cpu=2 memory=1Gi; container=side:cpu=50m' } },
      spec: { containers: [{ name: 'app', resources: { limits: { cpu: '500m', memory: '512Mi' } } }, { name: 'side' }] },
    } as any;
    const app = simulatedUsage(pod, 'app', 0, 10_000);
    assert.equal(app.cpuCores, 0.5);
    assert.equal(app.memoryBytes, 512 * 2 ** 20);
    assert.equal(simulatedUsage(pod, 'side', 0, 10_000).cpuCores, 0.05);
  });
});

describe('metrics-server windows', () => {
  const pod = (annotation: string, startedAt: number) => ({
    metadata: { uid: 'p', name: 'p', namespace: 'default', annotations: { 'nodeless.dev/simulate': annotation } },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', state: { running: { startedAt: new Date(startedAt).toISOString() } } }] },
  }) as any;

  it('a simulated container: the rate over the last 15 s (its age when younger), none in its first second', () => {
    const clock = new FakeClock();
    const src = metricsSource(() => [], { clock });
    const p = pod('cpu=100m,900m@1m', clock.now());
    assert.equal(src.pods([p])[0], undefined);
    clock.step(10_000);
    const young = src.pods([p])[0]!;
    assert.equal(young.windowMs, 10_000);
    assert.ok(Math.abs(young.containers[0].cpuNanoCores - 100e6) < 1);
    // 5 s into the 900m step: (10 s × 100m + 5 s × 900m) / 15 s.
    clock.step(55_000);
    const later = src.pods([p])[0]!;
    assert.equal(later.windowMs, 15_000);
    assert.ok(Math.abs(later.containers[0].cpuNanoCores - (1 + 4.5) / 15 * 1e9) < 1);
    assert.equal(later.timestamp, clock.now());
  });

  it('the process sampler: against the newest sample a window old, else the start', () => {
    const s = new ProcessSampler(15_000);
    assert.deepEqual(s.sample('c', 0, 5_000, 5), { cores: 1, windowMs: 5_000 });
    assert.deepEqual(s.sample('c', 0, 10_000, 6), { cores: 0.6, windowMs: 10_000 });
    // 25 s: the 10 s sample is the newest at least 15 s old.
    assert.deepEqual(s.sample('c', 0, 25_000, 9), { cores: 0.2, windowMs: 15_000 });
    assert.equal(s.sample('d', 0, 500, 0), undefined);
  });
});
