// What a pod's containers use, as the kubelet measures it and metrics-server
// serves it (docs/metrics-api.md): CPU as cumulative core-seconds and its rate
// over a window, memory as the working set now.
//
// - A simulated container uses what its nodeless.dev/simulate annotation asks
//   (`cpu=`, `memory=`: ./load.ts), else a small idle usage stable per
//   container; CPU never above the container's CPU limit (the CFS quota
//   throttles it), memory never above its memory limit (the OOM killer is not
//   modelled: it reports its limit).
// - A process pod's container uses what its processes use: utime+stime (and
//   the reaped children's cutime+cstime) of its process tree from
//   /proc/PID/stat, and the sum of their VmRSS (/proc/PID/status).
import fs from 'node:fs';
import type { KubeObject } from '../api/types.js';
import { bytes, milliCpu } from '../api/resource.js';
import { integral, scheduleOf, valueAt, type Schedule } from './load.js';
import { podHash } from './metrics.js';
import { parseSimulate, SIMULATE_ANNOTATION } from './simulate.js';
import { processTable, treeOf, type ProcEntry } from './portguard.js';

/** One container's usage at a moment: cumulative CPU since it started, CPU now, memory now. */
export interface ContainerUsage {
  name: string;
  /** When the running instance started (ms since the epoch). */
  startedAt: number;
  cpuCoreSeconds: number;
  /** Its CPU rate (cores) at this moment, as /stats/summary's usageNanoCores. */
  cpuCores: number;
  memoryBytes: number;
}

/** The running containers of a pod (app containers and running sidecars), with the start of their running instance. */
export function runningContainers(pod: KubeObject): { name: string; startedAt: number; init: boolean }[] {
  const out: { name: string; startedAt: number; init: boolean }[] = [];
  const add = (statuses: unknown, init: boolean) => {
    for (const s of Array.isArray(statuses) ? statuses : []) {
      const at = Date.parse(s?.state?.running?.startedAt ?? '');
      if (typeof s?.name === 'string' && Number.isFinite(at)) out.push({ name: s.name, startedAt: at, init });
    }
  };
  add(pod.status?.initContainerStatuses, true);
  add(pod.status?.containerStatuses, false);
  return out;
}

/** What an idle container uses: 1–5 millicores and 8–32 MiB, stable per pod and container. */
const idleCpu = (pod: KubeObject, c: string) => (1 + Math.floor(4 * podHash(pod, `${c}/idle-cpu`))) / 1000;
const idleMemory = (pod: KubeObject, c: string) => (8 + Math.floor(24 * podHash(pod, `${c}/idle-mem`))) * 2 ** 20;

/** A schedule clipped to at most `cap` (the points where it crosses the cap added), so its integral stays exact. */
export function clip(s: Schedule, cap: number): Schedule {
  if (!(cap >= 0) || s.points.every(([, v]) => v <= cap)) return s;
  const out: [number, number][] = [];
  s.points.forEach(([t, v], i) => {
    if (i > 0) {
      const [t0, v0] = s.points[i - 1];
      // A segment crossing the cap gains the point where it does.
      if ((v0 - cap) * (v - cap) < 0 && t > t0) out.push([t0 + ((cap - v0) * (t - t0)) / (v - v0), cap]);
    }
    out.push([t, Math.min(v, cap)]);
  });
  return { points: out, periodMs: s.periodMs };
}

/** The container's spec (app, init or ephemeral), for its limits. */
function containerSpec(pod: KubeObject, name: string): any {
  const spec = pod.spec ?? {};
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((c: any) => c?.name === name) ?? {};
}

/** The CPU (cores) and memory (bytes) schedules of a simulated container, its limits applied. */
export function simulatedSchedules(pod: KubeObject, container: string): { cpu: Schedule; memory: Schedule } {
  const p = parseSimulate(pod.metadata?.annotations?.[SIMULATE_ANNOTATION]);
  const b = { ...p.all, ...(p.byContainer.get(container) ?? {}) };
  let cpu = b.cpu ? scheduleOf(b.cpu) : { points: [[0, idleCpu(pod, container)]] as [number, number][] };
  let memory = b.memory ? scheduleOf(b.memory) : { points: [[0, idleMemory(pod, container)]] as [number, number][] };
  const limits = containerSpec(pod, container).resources?.limits ?? {};
  if (limits.cpu !== undefined && Number.isFinite(milliCpu(limits.cpu))) cpu = clip(cpu, milliCpu(limits.cpu) / 1000);
  if (limits.memory !== undefined && Number.isFinite(bytes(limits.memory))) memory = clip(memory, bytes(limits.memory));
  return { cpu, memory };
}

/** A simulated container's usage at `now` (ms since the epoch), its instance having started at `startedAt`. */
export function simulatedUsage(pod: KubeObject, container: string, startedAt: number, now: number): ContainerUsage {
  const { cpu, memory } = simulatedSchedules(pod, container);
  const t = Math.max(0, now - startedAt);
  return {
    name: container, startedAt,
    cpuCoreSeconds: integral(cpu, t) / 1000,
    cpuCores: valueAt(cpu, t),
    memoryBytes: Math.round(valueAt(memory, t)),
  };
}

// ---- process pods

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on every architecture Linux ships for. */
const CLK_TCK = 100;

/** CPU seconds (utime+stime+cutime+cstime) and resident bytes of a process tree; zeros where /proc is missing. */
export function processTreeUsage(root: number, table?: ProcEntry[]): { cpuSeconds: number; rssBytes: number } {
  let ticks = 0;
  let rss = 0;
  const procs = table ?? processTable();
  for (const pid of treeOf(root, procs)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) rss += Number(m[1]) * 1024;
    } catch { /* gone since the table was read */ }
  }
  return { cpuSeconds: ticks / CLK_TCK, rssBytes: rss };
}

/**
 * Samples process containers when asked, and keeps what a rate needs: for each
 * container instance, the samples of the last `keepMs`. The rate at a sample is
 * taken against the newest earlier sample at least `windowMs` old, else against
 * the instance's start (nothing used yet), as metrics-server does for a
 * container younger than its resolution.
 */
export class ProcessSampler {
  private samples = new Map<string, { at: number; cpuSeconds: number }[]>();

  constructor(private windowMs: number) {}

  /** Records a sample of instance `id` (pod uid/container/start) and returns the CPU rate over its window. */
  sample(id: string, startedAt: number, at: number, cpuSeconds: number): { cores: number; windowMs: number } | undefined {
    let list = this.samples.get(id);
    if (!list) this.samples.set(id, (list = []));
    // The newest sample at least a window old (they are in time order); none yet: the start.
    let i = list.length - 1;
    while (i >= 0 && list[i].at > at - this.windowMs) i--;
    const ref = i >= 0 ? list[i] : { at: startedAt, cpuSeconds: 0 };
    // Only what a later sample may still need: that one and everything after it.
    if (i > 0) list.splice(0, i);
    if (list.length === 0 || at - list[list.length - 1].at >= 1000) list.push({ at, cpuSeconds });
    const windowMs = at - ref.at;
    if (windowMs < 1000) return undefined;
    return { cores: Math.max(0, cpuSeconds - ref.cpuSeconds) / (windowMs / 1000), windowMs };
  }

  /** Forgets instances not sampled for several windows (pods gone, containers restarted, nobody asking). */
  prune(now: number): void {
    for (const [id, list] of this.samples) if (!list.length || list[list.length - 1].at < now - 4 * this.windowMs) this.samples.delete(id);
  }
}
