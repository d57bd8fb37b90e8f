// Pod size of a serverless (super node) pod: Tencent EKS does not run a pod at
// its requests/limits, it picks one supported CPU/memory (and GPU) spec from
// them and bills that. The rules and tables, from Tencent's "CPU Pod 规格计算方法"
// and "GPU Pod 规格计算方法": docs/tencent/pod-sizing.md.
// Pure code, no I/O: the eklet controller and `nodeless explain-size` share it.

import type { KubeObject } from '../../api/types.js';

export const CPU_ANNOTATION = 'eks.tke.cloud.tencent.com/cpu';
export const MEM_ANNOTATION = 'eks.tke.cloud.tencent.com/mem';
export const GPU_TYPE_ANNOTATION = 'eks.tke.cloud.tencent.com/gpu-type';
export const GPU_COUNT_ANNOTATION = 'eks.tke.cloud.tencent.com/gpu-count';
export const GPU_RESOURCE = 'nvidia.com/gpu';

export interface PodSize {
  /** Cores. */
  cpu: number;
  memoryGiB: number;
  gpu?: { type?: string; count: number };
  source: 'annotation' | 'requests';
  /** Human explanation of every step (for `nodeless explain-size`). */
  steps: string[];
}

/** The pod cannot be given a supported size; `steps` holds the reasoning so far. */
export class PodSizeError extends Error {
  constructor(message: string, readonly steps: string[] = []) {
    super(message);
    this.name = 'PodSizeError';
  }
}

export class QuantityError extends Error {
  constructor(readonly quantity: string) {
    super(`invalid quantity "${quantity}": expected a Kubernetes quantity such as 500m, 2, 1.5, 512Mi or 1Gi`);
    this.name = 'QuantityError';
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Supported pay-as-you-go CPU specs: cores → allowed memory (GiB), ascending. */
export const CPU_SPECS: ReadonlyArray<{ cpu: number; memGiB: readonly number[] }> = [
  { cpu: 0.25, memGiB: [0.5, 1, 2] },
  { cpu: 0.5, memGiB: [1, 2, 3, 4] },
  { cpu: 1, memGiB: range(1, 8) },
  { cpu: 2, memGiB: range(4, 16) },
  { cpu: 4, memGiB: range(8, 32) },
  { cpu: 8, memGiB: range(16, 32) },
  { cpu: 12, memGiB: range(24, 48) },
  { cpu: 16, memGiB: range(32, 64) },
  { cpu: 32, memGiB: [64, 128, 256] },
  { cpu: 64, memGiB: [128, 192, 256, 512] },
];

export interface GpuSpec { count: number; cpu: number; memGiB: number }

/**
 * GPU specs per card type, ascending. V100 1/2/4 cards are documented (docs/tencent/pod-sizing.md);
 * 8 cards (72 cores / 320 GiB) completes the same CVM family (GN10X) so that
 * the documented supported count 8 has a row.
 */
export const GPU_SPECS: Readonly<Record<string, readonly GpuSpec[]>> = {
  V100: [
    { count: 1, cpu: 8, memGiB: 40 },
    { count: 2, cpu: 18, memGiB: 80 },
    { count: 4, cpu: 36, memGiB: 160 },
    { count: 8, cpu: 72, memGiB: 320 },
  ],
};
export const SUPPORTED_GPU_COUNTS = [1, 2, 4, 8] as const;

const EPS = 1e-9;
const GiB = 2 ** 30;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/**
 * Parses a Kubernetes quantity ("500m", "2", "1.5", "512Mi", "1G", "1e3", "100k")
 * into a plain number: cores for CPU, bytes for memory. Numbers pass through.
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new QuantityError(String(q));
    return q;
  }
  const m = QUANTITY.exec(String(q).trim());
  if (!m) throw new QuantityError(String(q));
  const [, sign, digits, suffix = ''] = m;
  let mult: number;
  if (suffix in BINARY) mult = BINARY[suffix];
  else if (suffix in DECIMAL) mult = DECIMAL[suffix];
  else mult = 10 ** Number(suffix.slice(1)); // exponent form 1e3
  const v = Number(digits) * mult;
  return sign === '-' ? -v : v;
}

// ---------- formatting ----------

const num = (n: number): string => String(Math.round(n * 1000) / 1000);
const cores = (n: number): string => `${num(n)} ${n === 1 ? 'core' : 'cores'}`;
const gib = (n: number): string => `${num(n)}Gi`;

/** "4C8G" (default) or "4 cores / 8 GiB" (`long`); GPU appended as "1*V100". */
export function formatPodSize(size: Pick<PodSize, 'cpu' | 'memoryGiB' | 'gpu'>, style: 'short' | 'long' = 'short'): string {
  const gpu = size.gpu ? `${size.gpu.count}*${size.gpu.type ?? 'GPU'}` : '';
  if (style === 'long') {
    return `${cores(size.cpu)} / ${num(size.memoryGiB)} GiB${gpu ? ` / ${size.gpu!.count} × ${size.gpu!.type ?? 'GPU'}` : ''}`;
  }
  return `${num(size.cpu)}C${num(size.memoryGiB)}G${gpu ? ` ${gpu}` : ''}`;
}

// ---------- totals from containers ----------

interface Totals { milliCpu: number; memBytes: number; gpu: number }

type Container = { name?: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } };

function quantityOf(c: Container, kind: 'requests' | 'limits', res: string, steps: string[]): number {
  const raw = c.resources?.[kind]?.[res];
  if (raw === undefined || raw === null || raw === '') return 0;
  try {
    return parseQuantity(raw as string | number);
  } catch {
    throw new PodSizeError(`container "${c.name ?? '?'}": invalid resources.${kind}.${res} "${String(raw)}"`, steps);
  }
}

/**
 * One group (init or regular containers): max(sum of requests, largest single
 * limit) per resource. A missing request falls back to the limit, as Kubernetes
 * defaulting does; a container with neither counts 0.
 */
function groupTotals(label: string, containers: Container[], steps: string[]): Totals {
  if (containers.length === 0) {
    steps.push(`${label}: none`);
    return { milliCpu: 0, memBytes: 0, gpu: 0 };
  }
  const line = (res: 'cpu' | 'memory', fmt: (v: number) => string, toUnit: (v: number) => number): number => {
    const reqs: number[] = [];
    let maxLimit = 0;
    for (const c of containers) {
      const limit = toUnit(quantityOf(c, 'limits', res, steps));
      const req = c.resources?.requests?.[res] !== undefined ? toUnit(quantityOf(c, 'requests', res, steps)) : limit;
      reqs.push(req);
      maxLimit = Math.max(maxLimit, limit);
    }
    const sum = reqs.reduce((a, b) => a + b, 0);
    const total = Math.max(sum, maxLimit);
    steps.push(`${label}: ${res === 'cpu' ? 'cpu (cores)' : res} requests ${reqs.map(fmt).join(' + ')} = ${fmt(sum)}, largest limit ${fmt(maxLimit)} → ${fmt(total)}`);
    return total;
  };
  const milliCpu = line('cpu', (v) => `${num(v / 1000)}`, (v) => Math.ceil(v * 1000 - EPS));
  const memBytes = line('memory', (v) => gib(v / GiB), (v) => Math.ceil(v - EPS));
  let gpu = 0;
  for (const c of containers) {
    const req = c.resources?.requests?.[GPU_RESOURCE] !== undefined
      ? quantityOf(c, 'requests', GPU_RESOURCE, steps)
      : quantityOf(c, 'limits', GPU_RESOURCE, steps);
    gpu += req;
  }
  if (gpu > 0) steps.push(`${label}: ${GPU_RESOURCE} requests total ${num(gpu)}`);
  return { milliCpu, memBytes, gpu };
}

// ---------- CPU spec matching ----------

const largest = CPU_SPECS[CPU_SPECS.length - 1];
const largestText = `${cores(largest.cpu)} / ${gib(largest.memGiB[largest.memGiB.length - 1])}`;

/** Smallest allowed memory ≥ mem in a spec, or undefined. */
const memAtLeast = (spec: { memGiB: readonly number[] }, mem: number): number | undefined =>
  spec.memGiB.find((m) => m >= mem - EPS);

/** Matches CPU/memory totals to the supported-spec table (Tencent step 2). */
export function matchCpuSpec(cpu: number, memGiB: number, steps: string[] = []): { cpu: number; memoryGiB: number } {
  const tooBig = (): never => {
    throw new PodSizeError(`no supported pod spec fits ${cores(cpu)} / ${gib(memGiB)}: the largest is ${largestText}`, steps);
  };
  if (cpu <= EPS && memGiB <= EPS) {
    steps.push('CPU and memory totals are both 0 → default 1 core / 2Gi');
    return { cpu: 1, memoryGiB: 2 };
  }
  if (cpu <= EPS) {
    // Smallest CPU among the specs that allow this much memory.
    for (const spec of CPU_SPECS) {
      const m = memAtLeast(spec, memGiB);
      if (m !== undefined) {
        steps.push(`CPU total is 0 → smallest spec with at least ${gib(memGiB)}: ${cores(spec.cpu)} / ${gib(m)}`);
        return { cpu: spec.cpu, memoryGiB: m };
      }
    }
    return tooBig();
  }
  const a = CPU_SPECS.find((s) => s.cpu >= cpu - EPS);
  if (!a) return tooBig();
  const aMin = a.memGiB[0];
  const aMax = a.memGiB[a.memGiB.length - 1];
  steps.push(`spec A: ${cores(a.cpu)} (CPU equal or next above ${num(cpu)}), memory ${gib(aMin)}–${gib(aMax)}`);
  if (memGiB <= EPS) {
    steps.push(`memory total is 0 → A's minimum ${gib(aMin)}`);
    return { cpu: a.cpu, memoryGiB: aMin };
  }
  if (memGiB < aMin - EPS) {
    steps.push(`${gib(memGiB)} is below A's range → A's minimum ${gib(aMin)}`);
    return { cpu: a.cpu, memoryGiB: aMin };
  }
  if (memGiB > aMax + EPS) {
    const b = CPU_SPECS.find((s) => s.cpu > a.cpu && memAtLeast(s, memGiB) !== undefined);
    if (!b) return tooBig();
    const m = memAtLeast(b, memGiB)!;
    steps.push(`${gib(memGiB)} is above A's range → move up to spec B ${cores(b.cpu)} (memory ${gib(b.memGiB[0])}–${gib(b.memGiB[b.memGiB.length - 1])}) → ${gib(m)}`);
    return { cpu: b.cpu, memoryGiB: m };
  }
  const m = memAtLeast(a, memGiB)!;
  steps.push(Math.abs(m - memGiB) < EPS
    ? `${gib(memGiB)} is an allowed memory of A`
    : `${gib(memGiB)} is inside A's range → rounded up to ${gib(m)}`);
  return { cpu: a.cpu, memoryGiB: m };
}

// ---------- annotations ----------

const GI_VALUE = /^(\d+(?:\.\d+)?)Gi$/;

/** Parses the cpu annotation (cores: "0.25", "8", also "500m"). */
export function parseCpuAnnotation(v: string): number | undefined {
  if (!/^(\d+(?:\.\d+)?|\d+m)$/.test(v.trim())) return undefined;
  return parseQuantity(v.trim());
}

/** Parses the mem annotation; only the Gi unit is accepted ("G" is a parameter error on EKS). */
export function parseMemAnnotation(v: string): number | undefined {
  const m = GI_VALUE.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}

/** A problem with the cpu/mem(/gpu-count) annotations: which annotation, and why. */
export interface AnnotationSpecProblem { annotation: string; missing: boolean; message: string }

/**
 * Checks a cpu/mem annotation pair against the spec tables; shared with
 * annotation validation so both report the same text.
 */
export function checkAnnotationSpec(cpuText: string | undefined, memText: string | undefined, gpuType?: string, gpuCount?: number): AnnotationSpecProblem | undefined {
  if (cpuText === undefined && memText === undefined) return undefined;
  if (cpuText === undefined || memText === undefined) {
    return { annotation: cpuText === undefined ? CPU_ANNOTATION : MEM_ANNOTATION, missing: true,
      message: `annotations ${CPU_ANNOTATION} and ${MEM_ANNOTATION} must be set together (only ${cpuText === undefined ? 'mem' : 'cpu'} is set)` };
  }
  const bad = (annotation: string, message: string): AnnotationSpecProblem => ({ annotation, missing: false, message });
  const cpu = parseCpuAnnotation(cpuText);
  if (cpu === undefined) return bad(CPU_ANNOTATION, `annotation ${CPU_ANNOTATION} must be a number of cores such as 0.25, 1 or 8 (got "${cpuText}")`);
  const mem = parseMemAnnotation(memText);
  if (mem === undefined) return bad(MEM_ANNOTATION, `annotation ${MEM_ANNOTATION} must use the Gi unit (got "${memText}")`);
  if (gpuCount !== undefined && gpuType !== undefined && GPU_SPECS[gpuType]) {
    const rows = GPU_SPECS[gpuType];
    if (!rows.some((r) => r.count === gpuCount && Math.abs(r.cpu - cpu) < EPS && Math.abs(r.memGiB - mem) < EPS)) {
      return bad(CPU_ANNOTATION, `annotations cpu=${cpuText} / mem=${memText} / gpu-count=${gpuCount} do not match a ${gpuType} spec (supported: ${rows.map((r) => `${r.count} card(s) ${r.cpu}C${r.memGiB}G`).join(', ')})`);
    }
    return undefined;
  }
  if (gpuCount !== undefined) return undefined; // GPU type without a table: nothing to check against
  const spec = CPU_SPECS.find((s) => Math.abs(s.cpu - cpu) < EPS);
  if (!spec) return bad(CPU_ANNOTATION, `annotation ${CPU_ANNOTATION}: ${cores(cpu)} is not a supported pod spec (supported: ${CPU_SPECS.map((s) => num(s.cpu)).join(', ')})`);
  if (!spec.memGiB.some((m) => Math.abs(m - mem) < EPS)) {
    return bad(MEM_ANNOTATION, `annotation ${MEM_ANNOTATION}: ${gib(mem)} is not supported with ${cores(cpu)} (allowed: ${describeMem(spec.memGiB)})`);
  }
  return undefined;
}

function describeMem(list: readonly number[]): string {
  const stepOne = list.every((m, i) => i === 0 || m - list[i - 1] === 1);
  return stepOne && list.length > 2 ? `${gib(list[0])}–${gib(list[list.length - 1])}` : list.map(gib).join(', ');
}

/** gpu-type value → ordered list ("T4,V100" → ["T4","V100"]). */
export const parseGpuTypes = (v: string | undefined): string[] =>
  (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

// ---------- GPU matching ----------

function matchGpu(gpuTotal: number, cpu: number, memGiB: number, types: string[], steps: string[]): PodSize {
  if (!SUPPORTED_GPU_COUNTS.includes(gpuTotal as 1)) {
    throw new PodSizeError(`GPU total ${num(gpuTotal)} is not a supported GPU count (${SUPPORTED_GPU_COUNTS.join(', ')})`, steps);
  }
  const type = types.find((t) => GPU_SPECS[t]) ?? types[0] ?? 'V100';
  if (types.length === 0) steps.push(`no ${GPU_TYPE_ANNOTATION} annotation → assuming V100`);
  else steps.push(`GPU type: ${type}${types.length > 1 ? ` (first of "${types.join(',')}" with a spec table)` : ''}`);
  let b: { cpu: number; memoryGiB: number };
  try {
    b = matchCpuSpec(cpu, memGiB, steps);
    steps.push(`spec B (CPU rules): ${formatPodSize(b)}`);
  } catch (e) {
    if (!(e instanceof PodSizeError)) throw e;
    b = { cpu, memoryGiB: memGiB }; // larger than any CPU-only spec: compare raw totals
    steps.push(`CPU totals exceed the CPU-only table; comparing the raw totals ${cores(cpu)} / ${gib(memGiB)}`);
  }
  const rows = GPU_SPECS[type];
  if (!rows) {
    // vGPU shares (1/4*V100) and types without a table: CPU/memory follow the CPU rules.
    steps.push(`nodeless has no spec table for ${type}; CPU and memory follow the CPU rules`);
    steps.push(`result: ${formatPodSize({ ...b, gpu: { type, count: gpuTotal } }, 'long')}`);
    return { cpu: b.cpu, memoryGiB: b.memoryGiB, gpu: { type, count: gpuTotal }, source: 'requests', steps };
  }
  const aIdx = rows.findIndex((r) => r.count >= gpuTotal);
  if (aIdx < 0) throw new PodSizeError(`no ${type} spec has ${num(gpuTotal)} cards`, steps);
  const a = rows[aIdx];
  steps.push(`GPU spec A: ${a.count} × ${type} = ${cores(a.cpu)} / ${gib(a.memGiB)}`);
  let chosen = a;
  if (a.cpu < b.cpu - EPS || a.memGiB < b.memoryGiB - EPS) {
    const c = rows.slice(aIdx + 1).find((r) => r.cpu >= b.cpu - EPS && r.memGiB >= b.memoryGiB - EPS);
    if (!c) {
      const top = rows[rows.length - 1];
      throw new PodSizeError(`no ${type} spec covers ${cores(b.cpu)} / ${gib(b.memoryGiB)}: the largest is ${top.count} cards, ${cores(top.cpu)} / ${gib(top.memGiB)}`, steps);
    }
    steps.push(`A is smaller than B → move up to spec C: ${c.count} × ${type} = ${cores(c.cpu)} / ${gib(c.memGiB)} (${c.count - gpuTotal} extra card(s))`);
    chosen = c;
  }
  const size: PodSize = { cpu: chosen.cpu, memoryGiB: chosen.memGiB, gpu: { type, count: chosen.count }, source: 'requests', steps };
  steps.push(`result: ${formatPodSize(size, 'long')}`);
  return size;
}

// ---------- entry points ----------

/**
 * Computes the spec a pod runs (and is billed) at. `annotations` are the
 * effective ones (cluster defaults merged with the pod's). Throws PodSizeError.
 */
export function computePodSize(pod: KubeObject, annotations: Record<string, string>): PodSize {
  const steps: string[] = [];
  const cpuA = annotations[CPU_ANNOTATION];
  const memA = annotations[MEM_ANNOTATION];
  const types = parseGpuTypes(annotations[GPU_TYPE_ANNOTATION]);
  const gpuCountText = annotations[GPU_COUNT_ANNOTATION];
  let gpuCountA: number | undefined;
  if (gpuCountText !== undefined) {
    if (!/^\d+$/.test(gpuCountText.trim()) || Number(gpuCountText) === 0) {
      throw new PodSizeError(`annotation ${GPU_COUNT_ANNOTATION} must be a positive number of cards (got "${gpuCountText}")`, steps);
    }
    gpuCountA = Number(gpuCountText);
  }

  if (cpuA !== undefined || memA !== undefined) {
    const gpuType = gpuCountA !== undefined ? (types.find((t) => GPU_SPECS[t]) ?? types[0] ?? 'V100') : undefined;
    const err = checkAnnotationSpec(cpuA, memA, gpuType, gpuCountA);
    if (err) throw new PodSizeError(err.message, steps);
    const size: PodSize = { cpu: parseCpuAnnotation(cpuA!)!, memoryGiB: parseMemAnnotation(memA!)!, source: 'annotation', steps };
    if (gpuCountA !== undefined) size.gpu = { type: gpuType, count: gpuCountA };
    steps.push(`annotations ${CPU_ANNOTATION}="${cpuA}" and ${MEM_ANNOTATION}="${memA}" set → requests and limits are not used`);
    steps.push(`result: ${formatPodSize(size, 'long')}`);
    return size;
  }

  const spec = pod.spec ?? {};
  const init = groupTotals('init containers', (spec.initContainers ?? []) as Container[], steps);
  const main = groupTotals('containers', (spec.containers ?? []) as Container[], steps);
  const milliCpu = Math.max(init.milliCpu, main.milliCpu);
  const memBytes = Math.max(init.memBytes, main.memBytes);
  const cpu = milliCpu / 1000;
  const memGiB = memBytes / GiB;
  if (init.milliCpu > 0 || init.memBytes > 0) {
    steps.push(`larger of init containers and containers: ${cores(cpu)} / ${gib(memGiB)}`);
  } else {
    steps.push(`totals: ${cores(cpu)} / ${gib(memGiB)}`);
  }

  const gpuTotal = gpuCountA ?? Math.max(init.gpu, main.gpu);
  if (gpuCountA !== undefined) steps.push(`annotation ${GPU_COUNT_ANNOTATION}="${gpuCountText}" → ${gpuCountA} card(s)`);
  if (gpuTotal > 0) return matchGpu(gpuTotal, cpu, memGiB, types, steps);

  const m = matchCpuSpec(cpu, memGiB, steps);
  const size: PodSize = { cpu: m.cpu, memoryGiB: m.memoryGiB, source: 'requests', steps };
  steps.push(`result: ${formatPodSize(size, 'long')}`);
  return size;
}

/** Multi-line, step-by-step account of computePodSize (never throws). */
export function explainPodSize(pod: KubeObject, annotations: Record<string, string>): string {
  const name = pod.metadata?.name ? `pod ${pod.metadata.namespace ? `${pod.metadata.namespace}/` : ''}${pod.metadata.name}` : 'pod';
  try {
    const size = computePodSize(pod, annotations);
    return [`${name}: ${formatPodSize(size)} (${formatPodSize(size, 'long')}, from ${size.source === 'annotation' ? 'annotations' : 'requests and limits'})`,
      ...size.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
  } catch (e) {
    if (!(e instanceof PodSizeError)) throw e;
    return [`${name}: cannot be sized`, ...e.steps.map((s, i) => `  ${i + 1}. ${s}`), `  error: ${e.message}`].join('\n');
  }
}
