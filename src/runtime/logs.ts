// Container log lines and the `kubectl logs` options over them (--tail,
// --since, --timestamps, --limit-bytes), shared by both runtimes. A line is
// kept as the CRI log format has it: a nanosecond timestamp, the stream, the text.
import type { LogOptions } from '../apiserver/subresources.js';
import { errors } from '../apiserver/status.js';
import type { ContainerState, PodState } from './types.js';

export interface LogLine {
  /** ms since the epoch */
  time: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** RFC 3339 with nanoseconds, as `kubectl logs --timestamps` prints. */
export const nanoTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/** One line in the on-disk CRI format: `2024-01-01T00:00:00.000000000Z stdout F text`. */
export const criLine = (l: LogLine) => `${nanoTime(l.time)} ${l.stream} F ${l.text}\n`;

export function parseCriLine(s: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) [FP] (.*)$/.exec(s);
  if (!m) return undefined;
  return { time: Date.parse(m[1]), stream: m[2] as 'stdout', text: m[3] };
}

/** Applies sinceSeconds (or sinceTime), tailLines, timestamps and limitBytes, as the kubelet does (in that order). */
export function renderLog(lines: LogLine[], opts: LogOptions, now = Date.now()): string {
  let sel = lines;
  if (opts.sinceSeconds !== undefined && opts.sinceSeconds >= 0) sel = sel.filter((l) => l.time >= now - opts.sinceSeconds! * 1000);
  else if (opts.sinceTime !== undefined) sel = sel.filter((l) => l.time >= opts.sinceTime!);
  if (opts.tailLines !== undefined && opts.tailLines >= 0) sel = opts.tailLines === 0 ? [] : sel.slice(-opts.tailLines);
  let out = sel.map((l) => (opts.timestamps ? `${nanoTime(l.time)} ${l.text}\n` : `${l.text}\n`)).join('');
  if (opts.limitBytes !== undefined && opts.limitBytes >= 0) out = Buffer.from(out).subarray(0, opts.limitBytes).toString('utf8');
  return out;
}

/**
 * Exited instances removed by container GC (container-gc-threshold, docs/tencent/system-disk.md),
 * per container: every instance up to this index is gone, its logs with it,
 * as the kubelet's container GC removes a dead container's log files. Kept
 * beside the state (not in it) so a pod that was never collected costs nothing.
 */
const collected = new WeakMap<ContainerState, number>();

/** Container GC removed instance `index` of `c` (and every earlier one). */
export function markCollected(c: ContainerState, index: number): void {
  if (index > (collected.get(c) ?? -1)) collected.set(c, index);
}

/** Has container GC removed instance `index` of `c`? */
export const isCollected = (c: ContainerState, index: number): boolean => index <= (collected.get(c) ?? -1);

/**
 * Which instance `kubectl logs` (or `--previous`) means, or a 400 the way the
 * kubelet words it when there is none (never was, or garbage-collected).
 */
export function pickInstance(ps: Pick<PodState, 'name'>, c: ContainerState, previous: boolean | undefined): number {
  if (previous) {
    // While a crashed container waits out its back-off, the dead instance is still the current one.
    if (c.restarts < 1 || isCollected(c, c.restarts - 1)) throw errors.badRequest(`previous terminated container "${c.name}" in pod "${ps.name}" not found`);
    return c.restarts - 1;
  }
  if (!c.created) {
    throw errors.badRequest(`container "${c.name}" in pod "${ps.name}" is waiting to start: ${c.reason ?? 'ContainerCreating'}`);
  }
  return c.restarts;
}

/** The last 80 lines / 2048 bytes of a log: the message FallbackToLogsOnError keeps. */
export function fallbackMessage(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let out = lines.slice(-80).join('\n');
  if (Buffer.byteLength(out) > 2048) out = Buffer.from(out).subarray(-2048).toString('utf8');
  return out;
}
