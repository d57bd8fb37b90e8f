// Gives memory back after a burst. A burst (a 10k-replica Deployment going
// Running) fills V8's old space with short-lived garbage interleaved with
// what stays: the pods' cached objects and kubelet state. Once the garbage is
// swept the survivors sit thinly spread over pages V8 keeps, and V8 moves
// objects off such pages only when memory runs short: the process would hold
// tens of MB more than it uses until it ends. Go's runtime returns such memory
// by itself (its scavenger); here, once the process has been idle for a few
// seconds after its heap grew, one compacting full GC packs the survivors
// and frees the emptied pages. It runs at most once per growth, never while
// busy: the pause (about 0.1 s per 10k pods held: 1.1 s at 100k, measured by
// bench/pods) lands where nobody waits.

import v8 from 'node:v8';
import vm from 'node:vm';
import { performance } from 'node:perf_hooks';

export interface IdleCompactionOptions {
  /** How often to look (ms). */
  intervalMs?: number;
  /** Looks in a row with the event loop busy less than `maxUtilization` before compacting. */
  idleLooks?: number;
  /** Event-loop utilization (0..1) under which a look counts as idle. */
  maxUtilization?: number;
  /** Heap growth since the last compaction (or the start) that makes one worth it: the larger of this and a quarter of the heap. */
  minGrowthBytes?: number;
  /** Told after each compaction: the JS heap V8 held before and after (bytes), and the pause (ms). */
  onCompact?: (r: { beforeBytes: number; afterBytes: number; ms: number }) => void;
}

export interface IdleCompaction {
  /** Compactions run so far. */
  readonly runs: number;
  /** Looks taken so far: the watcher's progress (a test waits for more looks, not for time). */
  readonly looks: number;
  /** How long the last one paused the process (ms; 0 before the first). */
  readonly lastMs: number;
  stop(): void;
}

let gcFn: (() => void) | undefined;

/** V8's gc(): the one `node --expose-gc` gives, else one from a fresh context after turning the flag on. */
function gcFunction(): () => void {
  if (gcFn) return gcFn;
  const own = (globalThis as { gc?: () => void }).gc;
  if (own) return (gcFn = own);
  // --expose-gc installs gc() in contexts made after it is set.
  v8.setFlagsFromString('--expose-gc');
  return (gcFn = vm.runInNewContext('gc') as () => void);
}

/** One full GC (V8's default: objects move only off pages V8 judges worth it). */
export function collectGarbage(): void {
  gcFunction()();
}

/** One full GC that moves every surviving object it can onto as few pages as possible; returns the pause in ms. */
export function compactHeap(): number {
  const gc = gcFunction();
  const t0 = performance.now();
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
  return performance.now() - t0;
}

/**
 * Starts watching for idle time after growth. One watcher per process (the
 * heap is the process's): a second caller (tests start several nodeless in
 * one process) shares it, with the first caller's options and onCompact, and
 * it stops when the last caller stops it.
 */
export function startIdleCompaction(opts: IdleCompactionOptions = {}): IdleCompaction {
  const w = (shared ??= watch(opts));
  w.users++;
  let stopped = false;
  return {
    get runs() { return w.runs; },
    get looks() { return w.looks; },
    get lastMs() { return w.lastMs; },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (--w.users > 0) return;
      clearInterval(w.timer);
      if (shared === w) shared = undefined;
    },
  };
}

interface Watcher { runs: number; looks: number; lastMs: number; users: number; timer: NodeJS.Timeout }
let shared: Watcher | undefined;

function watch(opts: IdleCompactionOptions): Watcher {
  const intervalMs = opts.intervalMs ?? 1000;
  const idleLooks = opts.idleLooks ?? 3;
  const maxUtilization = opts.maxUtilization ?? 0.1;
  const minGrowth = opts.minGrowthBytes ?? 32 * 2 ** 20;
  const heap = () => v8.getHeapStatistics().total_heap_size;
  let baseline = heap();
  let idle = 0;
  let elu = performance.eventLoopUtilization();
  const w: Watcher = { runs: 0, looks: 0, lastMs: 0, users: 0, timer: setInterval(look, intervalMs) };
  w.timer.unref();
  function look() {
    w.looks++;
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    idle = busy < maxUtilization ? idle + 1 : 0;
    const size = heap();
    // Memory given back by V8 on its own lowers the mark: growth is counted from the smallest heap since.
    if (size < baseline) baseline = size;
    if (idle < idleLooks || size - baseline < Math.max(minGrowth, baseline / 4)) return;
    w.lastMs = compactHeap();
    w.runs++;
    idle = 0;
    baseline = heap();
    opts.onCompact?.({ beforeBytes: size, afterBytes: baseline, ms: w.lastMs });
    // What the GC itself took is not the application's load.
    elu = performance.eventLoopUtilization();
  }
  return w;
}
