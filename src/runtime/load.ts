// The resource usage a simulated container reports (docs/metrics-api.md, "What
// pods use"): the `cpu=` and `memory=` words of the nodeless.dev/simulate
// annotation, as data and as a function of the time since the container
// started. Three shapes, all piecewise linear so that the CPU a container has
// used up to any moment (the integral the kubelet's cumulative counters carry)
// is exact:
//
//   cpu=300m                        constant
//   cpu=100m..900m period=2m        a triangle wave: 100m at the start, 900m half a period later, back at 100m
//   cpu=200m@0s,800m@1m,100m@3m     steps: each value from its time on; the last holds (or, with period=, the list repeats)
//
// Pure functions, no I/O.
import { parseQuantity } from '../api/quantity.js';
import { parseGoDuration } from '../api/duration.js';

/** A value over time: `points` are [ms since start, value], joined by straight lines (two points at one time: a step). */
export interface Schedule {
  points: [number, number][];
  /** The schedule repeats every `periodMs` (the last point is at periodMs); without it the last value holds. */
  periodMs?: number;
}

/** What a `cpu=`/`memory=` word says, with the `period=` of its clause. */
export type LoadSpec = ({ kind: 'constant'; value: number }
  | { kind: 'range'; low: number; high: number }
  | { kind: 'steps'; steps: { atMs: number; value: number }[] }) & { periodMs?: number };

/** A range's period when the clause gives none. */
export const DEFAULT_PERIOD_MS = 60_000;

/** CPU in cores (250m → 0.25, 1.5 → 1.5), memory in bytes (200Mi → 209715200). */
function amount(text: string, resource: 'cpu' | 'memory'): number | undefined {
  const q = parseQuantity(text);
  if (!q || q.nano < 0n) return undefined;
  const v = Number(q.nano) / 1e9;
  return resource === 'memory' ? Math.ceil(v) : v;
}

const HINT = 'a quantity (such as 250m or 1.5 for cpu, 200Mi for memory), a range (100m..900m) or steps (200m@0s,800m@1m)';

/**
 * Parses the value of a `cpu=` or `memory=` word. Returns the spec, or an error
 * message naming the word as written.
 */
export function parseLoad(resource: 'cpu' | 'memory', text: string): LoadSpec | string {
  const word = `${resource}=${text}`;
  const bad = (why: string) => `${JSON.stringify(word)}: ${why}`;
  if (text.includes('..')) {
    const [a, b, ...more] = text.split('..');
    const low = amount(a, resource);
    const high = amount(b ?? '', resource);
    if (more.length || low === undefined || high === undefined) return bad(`a range is two quantities joined by "..", such as ${resource === 'cpu' ? '100m..900m' : '100Mi..400Mi'}`);
    return { kind: 'range', low, high };
  }
  if (text.includes('@') || text.includes(',')) {
    const steps: { atMs: number; value: number }[] = [];
    for (const [i, part] of text.split(',').entries()) {
      const [v, at, ...more] = part.split('@');
      const value = amount(v, resource);
      if (more.length || value === undefined) return bad(`step ${i + 1} (${JSON.stringify(part)}) is not a quantity@duration such as ${resource === 'cpu' ? '800m@1m' : '300Mi@1m'}`);
      // The first step may leave out its time (it starts at once).
      const atMs = at === undefined ? (i === 0 ? 0 : undefined) : parseGoDuration(at);
      if (atMs === undefined || atMs < 0) return bad(`step ${i + 1} (${JSON.stringify(part)}) needs a time since the container started, a duration such as 30s or 1m30s`);
      if (i === 0 && atMs !== 0) return bad(`the first step starts at 0s (or has no @time), not at ${at}`);
      if (i > 0 && atMs <= steps[i - 1].atMs) return bad(`step times must increase: ${at} does not come after ${JSON.stringify(text.split(',')[i - 1].split('@')[1] ?? '0s')}`);
      steps.push({ atMs, value });
    }
    return steps.length === 1 ? { kind: 'constant', value: steps[0].value } : { kind: 'steps', steps };
  }
  const value = amount(text, resource);
  return value === undefined ? bad(`want ${HINT}`) : { kind: 'constant', value };
}

/** The schedule a spec describes. */
export function scheduleOf(spec: LoadSpec): Schedule {
  const periodMs = spec.periodMs;
  switch (spec.kind) {
    case 'constant': return { points: [[0, spec.value]] };
    case 'range': {
      const p = periodMs ?? DEFAULT_PERIOD_MS;
      return { points: [[0, spec.low], [p / 2, spec.high], [p, spec.low]], periodMs: p };
    }
    case 'steps': {
      const points: [number, number][] = [];
      spec.steps.forEach((s, i) => {
        if (i > 0) points.push([s.atMs, spec.steps[i - 1].value]);
        points.push([s.atMs, s.value]);
      });
      if (periodMs !== undefined) points.push([periodMs, spec.steps[spec.steps.length - 1].value]);
      return { points, periodMs };
    }
  }
}

/** Why `period=` cannot apply to a spec, or undefined when it can. */
export function periodError(spec: LoadSpec, periodMs: number, word: string): string | undefined {
  if (spec.kind === 'steps' && periodMs <= spec.steps[spec.steps.length - 1].atMs) {
    return `${JSON.stringify(word)}: the period must be longer than the last step of the list it repeats`;
  }
  return undefined;
}

/** The value at `t` ms after the start (a step's new value from its time on). */
export function valueAt(s: Schedule, t: number): number {
  const pts = s.points;
  if (s.periodMs) t = ((t % s.periodMs) + s.periodMs) % s.periodMs;
  // The last point at or before t; between it and the next one (later, so no step) the line joins them.
  let i = 0;
  while (i + 1 < pts.length && pts[i + 1][0] <= t) i++;
  if (i + 1 === pts.length || t < pts[i][0]) return pts[i][1];
  const [t0, v0] = pts[i];
  const [t1, v1] = pts[i + 1];
  return v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
}

/** ∫ from the start to `t` (value·ms) of one pass over the points, the last value held after them. */
function integralOnce(pts: [number, number][], t: number): number {
  let sum = 0;
  for (let i = 1; i < pts.length; i++) {
    const [t0, v0] = pts[i - 1];
    const [t1, v1] = pts[i];
    if (t <= t0) return sum;
    const end = Math.min(t, t1);
    if (end > t0) {
      const vEnd = v0 + ((v1 - v0) * (end - t0)) / (t1 - t0);
      sum += ((v0 + vEnd) / 2) * (end - t0);
    }
  }
  const [tl, vl] = pts[pts.length - 1];
  return t > tl ? sum + vl * (t - tl) : sum;
}

/** ∫ from the start (0) to `t` ms of the schedule, in value·ms: cores·ms for cpu. */
export function integral(s: Schedule, t: number): number {
  if (t <= 0) return 0;
  if (!s.periodMs) return integralOnce(s.points, t);
  const cycles = Math.floor(t / s.periodMs);
  return cycles * integralOnce(s.points, s.periodMs) + integralOnce(s.points, t - cycles * s.periodMs);
}
