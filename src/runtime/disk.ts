// Each pod's 20 GiB system disk (see docs/tencent/system-disk.md), wired into
// the node agent: image pulls go through the pod's PodDisk
// (src/clouds/tencent/disk.ts), which may be a
// reused disk from the image cache (no Pulling, "already present on machine"),
// in both runtimes (the process runtime's images are an account kept as the
// simulated one's, the programs it runs being this machine's);
// simulated containers write to it (`nodeless.dev/simulate: write=15Gi
// write-after=5s`), process-runtime pods are measured (the bytes of their
// containers' writable layers, or of their root directory without namespaces, and files
// their processes deleted but hold open); a periodic check runs image and container GC and the
// pod-eviction-threshold restart, with the documented events. Settings are the
// pod's eks.tke.cloud.tencent.com/* annotations over kube-system/eks-config.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../api/types.js';
import { formatGoDuration } from '../api/duration.js';
import type { Client } from '../client/types.js';
import { refs } from '../client/types.js';
import type { EksSettings } from '../clouds/tencent/annotations.js';
import type { EksConfig } from '../clouds/tencent/eks-config.js';
import { GiB, PodDisk, type DiskEvent } from '../clouds/tencent/disk.js';
import type { PullBlock } from '../clouds/aws/registry.js';
import { datedDiskSettings, lackingFeatures, lackingMessage } from '../clouds/tencent/feature-dates.js';
import { intern } from '../client/cache/compact.js';
import { ImageCache, reuseKeyOf } from './imagecache.js';
import { markCollected } from './logs.js';
import { deletedOpenBytes } from './openfiles.js';
import { behaviourOf, containerImage, type SimulationOptions } from './simulate.js';
import type { ContainerState, PodState, Runtime } from './types.js';
import { podDirs } from './volumes.js';
import { timerDelay } from '../util/timers.js';

export const PULL_BACKOFF_START_MS = 10_000;
export const PULL_BACKOFF_MAX_MS = 300_000;
/** How often process-runtime pods' directories are measured. */
export const MEASURE_EVERY_MS = 3_000;
/** The stand-in image and container that hold a process-runtime pod's measured bytes. */
const PROCESS_ROOTFS = 'rootfs';

export interface DiskHost {
  client: Client;
  /** The cluster's eks-config defaults, one resolver for every node of the cluster (and its admission). */
  eksConfig: EksConfig;
  zone: string;
  simulation: SimulationOptions;
  /** Where process pods' directories and the image cache file live. */
  stateDir?: string;
  event(ps: PodState, type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerState): void;
  podOf(ps: PodState): KubeObject | undefined;
  runtimeOf(ps: PodState): Runtime;
  dirty(ps: PodState): void;
  sync(ps: PodState): void;
  /** Whether the node reaches an image's registry; undefined: it does (the default). */
  registry?: (image: string) => PullBlock | undefined;
  /** Extra time a pull of the image takes (an injected slow pull, docs/faults.md). */
  pullDelayMs?: (image: string) => number;
  /** Whether an injected disk-full holds the pod's disk (docs/faults.md). */
  diskFull?: (ps: PodState) => boolean;
}

export type { PullBlock };

interface PodRecord {
  disk: PodDisk;
  /** Pool key of the image cache (cbs-reuse-key or workload); undefined: not reused. */
  key?: string;
  /** Next periodic GC round while the pod is "hot" (above a threshold, or a process pod); 0 = not hot. */
  nextGcAt: number;
  nextMeasureAt: number;
  /** Process runtime: bytes under the pod's root when last measured. */
  measured: number;
  /** A pod-eviction-threshold restart is under way: the process pod's root is emptied once its containers stopped. */
  wipe: boolean;
  /** Pending modelled writes (made on first use: most pods never write). */
  timers?: Set<NodeJS.Timeout>;
  /** What an injected disk-full wrote to fill the disk (docs/faults.md). */
  filled?: { layer: string; bytes: number };
}

interface PullState {
  /** When the current attempt's download ends, or the back-off after a failure. */
  until: number;
  phase: 'pulling' | 'backoff';
  ok: boolean;
  events: DiskEvent[];
  tookMs: number;
  bytes: number;
  failures: number;
  /** A registry that did not answer (PullBlock): the container shows ErrImagePull until the kubelet's next look. */
  unreachable?: boolean;
  /** When that next look turns ErrImagePull into ImagePullBackOff. */
  backOffShownAt?: number;
}

/** How long a failed pull shows ErrImagePull before the kubelet's next sync reports ImagePullBackOff. */
const ERR_IMAGE_PULL_SHOWN_MS = 2_000;

/** A container instance's name on the disk ("app#0"): the same few strings for every pod, so one instance each. */
const instance = (c: ContainerState) => intern(`${c.init ? 'init:' : ''}${c.name}#${c.restarts}`);

/**
 * Exited instances the disk dropped (container GC, or the pod's in-place
 * restart) are gone for `kubectl logs --previous` too, as on a kubelet.
 */
function collected(ps: PodState, names: string[]): void {
  for (const n of names) {
    const m = /^(init:)?(.*)#(\d+)$/.exec(n);
    const c = m && ps.containers.find((x) => x.name === m[2] && x.init === !!m[1]);
    if (c) markCollected(c, Number(m[3]));
  }
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** kube-apiserver's default (SetDefaults_Container): Always for `:latest` or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): PullPolicy {
  const tag = image.includes('@') ? 'digest' : image.split('/').pop()!.split(':')[1];
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** A container's pull policy, as defaulted by the API. */
export const pullPolicyOf = (spec: any, image: string): PullPolicy =>
  (['Always', 'IfNotPresent', 'Never'].includes(spec?.imagePullPolicy) ? spec.imagePullPolicy : defaultPullPolicy(image));

/** How soon a Never image that is not there is looked for again (the pod worker's next sync). */
const NEVER_PULL_RETRY_MS = 10_000;
/** An Always pull of an image the disk has: a manifest round trip to the registry. */
const PRESENT_PULL_MS = 300;

export class PodDisks {
  private records = new Map<PodState, PodRecord>();
  private pulls = new WeakMap<ContainerState, PullState>();
  private hot = new Set<PodState>();
  private ticker?: NodeJS.Timeout;
  readonly cache: ImageCache;

  constructor(private host: DiskHost) {
    this.cache = ImageCache.for(host.stateDir ? path.join(host.stateDir, 'image-cache.json') : undefined);
  }

  /** The pod's settings, without what a pod created before a feature went live lacks (docs/tencent/feature-dates.md). */
  private settings(pod: KubeObject): EksSettings {
    return datedDiskSettings(this.host.eksConfig.settings(pod), pod);
  }

  /** The pod's disk, made on first use: a reused one from the cache when the pod's zone and key match. */
  private record(ps: PodState, pod: KubeObject): PodRecord {
    let rec = this.records.get(ps);
    if (rec) return rec;
    const reuseKey = reuseKeyOf(pod, this.host.eksConfig.effective(pod));
    const key = reuseKey === undefined ? undefined : intern(reuseKey); // one per workload, held by each of its pods
    // Both runtimes keep the same account of the images on a pod's disk (a process pod runs this machine's
    // programs, but pulls, reuse and imagePullPolicy are the kubelet's all the same: docs/lifecycle-hooks.md).
    const reused = key ? this.cache.take(this.host.zone, key) : undefined;
    const disk = new PodDisk({ capacityBytes: this.settings(pod).rootDiskGiB * GiB, images: reused?.images });
    // Images on the disk before the pod starts (`nodeless.dev/simulate: pre-pulled`): a node image, pulled by nobody here.
    for (const c of ps.containers) {
      if (!behaviourOf(pod, c.name, c.init, this.host.eksConfig.defaults()).prePulled) continue;
      const image = this.imageOf(pod, c);
      if (image && !disk.hasImage(image)) disk.pull(image, containerImage(pod, c.name, image, this.host.simulation).bytes);
    }
    rec = { disk, key, nextGcAt: 0, nextMeasureAt: 0, measured: 0, wipe: false };
    this.records.set(ps, rec);
    for (const f of lackingFeatures(pod)) this.host.event(ps, 'Warning', 'FeatureNotAvailable', lackingMessage(pod, f));
    if (ps.runtime === 'process') {
      disk.pull(PROCESS_ROOTFS, 0);
      disk.startContainer(PROCESS_ROOTFS, PROCESS_ROOTFS);
      this.heat(ps, rec, pod, Date.now(), true);
    }
    // A pod adopted after a nodeless restart: its images are on the disk already.
    for (const c of ps.containers) {
      if (!c.pulled) continue;
      const image = this.imageOf(pod, c);
      if (!disk.hasImage(image)) disk.pull(image, containerImage(pod, c.name, image, this.host.simulation).bytes);
      if (c.state === 'running' && disk.hasImage(image) && ps.runtime !== 'process') disk.startContainer(instance(c), image);
    }
    return rec;
  }

  private imageOf(pod: KubeObject, c: ContainerState): string {
    const spec = (c.ephemeral ? pod.spec?.ephemeralContainers : c.init ? pod.spec?.initContainers : pod.spec?.containers)?.find((x: any) => x?.name === c.name);
    return String(spec?.image ?? '');
  }

  /**
   * One step of pulling `c`'s image; undefined once it is on the disk (the
   * container may start), else when to look again. Sets c.waitUntil for the
   * lifecycle. Events: Pulling/Pulled, or "already present on machine" on a
   * reused disk; no space: Failed, FreeDiskSpaceFailed, then a retry after the
   * kubelet's image pull back-off (10s doubling to 5m).
   */
  pull(ps: PodState, pod: KubeObject, c: ContainerState, image: string, now: number, policy: PullPolicy = defaultPullPolicy(image)): number | undefined {
    const rec = this.record(ps, pod);
    let st = this.pulls.get(c);
    if (st?.backOffShownAt !== undefined && st.backOffShownAt <= now) {
      // The kubelet's next sync: the pull is in its back-off now.
      st.backOffShownAt = undefined;
      this.backOff(ps, c, image, String(c.message ?? ''));
    }
    if (st?.backOffShownAt !== undefined && st.until > now) return (c.waitUntil = Math.min(st.until, st.backOffShownAt));
    if (st && st.until > now) return (c.waitUntil = st.until);
    if (!st && policy === 'Never' && !rec.disk.hasImage(image)) {
      // The kubelet's image manager (shouldPullImage): Never and not on the disk is an error, tried again at the next sync.
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      c.reason = 'ErrImageNeverPull';
      c.message = msg;
      this.host.event(ps, 'Warning', 'ErrImageNeverPull', msg, c);
      this.host.dirty(ps);
      return (c.waitUntil = now + NEVER_PULL_RETRY_MS * (this.host.simulation.timeScale ?? 1));
    }
    if (!st && policy === 'Always' && rec.disk.hasImage(image)) {
      // Always pulls, even an image the disk has: the registry is asked, the layers are there (a short pull).
      const bytes = rec.disk.images().find((i) => i.name === image)?.bytes ?? 0;
      rec.disk.pull(image, bytes);
      this.host.event(ps, 'Normal', 'Pulling', `Pulling image "${image}"`, c);
      const took = Math.round(PRESENT_PULL_MS * (this.host.simulation.timeScale ?? 1));
      st = { until: now + took, phase: 'pulling', ok: true, events: [], tookMs: took, bytes, failures: 0 };
      this.pulls.set(c, st);
      if (st.until > now) return (c.waitUntil = st.until);
    }
    if (!st || st.phase === 'backoff') {
      const blocked = this.host.registry?.(image);
      if (blocked) {
        // The registry does not answer: Pulling, then Failed with containerd's error once the dial gives up.
        this.host.event(ps, 'Normal', 'Pulling', `Pulling image "${image}"`, c);
        const events: DiskEvent[] = [
          { type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${blocked.cause}` },
          { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
        ];
        st = { until: now + blocked.afterMs, phase: 'pulling', ok: false, events, tookMs: blocked.afterMs, bytes: 0, failures: st?.failures ?? 0, unreachable: true };
        this.pulls.set(c, st);
        return (c.waitUntil = st.until);
      }
      const { bytes, pullMs } = containerImage(pod, c.name, image, this.host.simulation);
      const free = rec.disk.freeBytes();
      const r = rec.disk.pull(image, bytes);
      if (r.reused) {
        this.pulls.delete(c);
        for (const e of r.events) this.host.event(ps, e.type, e.reason, e.message, c);
        return undefined;
      }
      this.host.event(ps, r.events[0].type, r.events[0].reason, r.events[0].message, c);
      // A pull that does not fit fails once the disk is full: after the share of the download that fitted.
      const took = (r.ok ? pullMs : Math.round(pullMs * Math.min(1, free / Math.max(1, bytes)))) + (this.host.pullDelayMs?.(image) ?? 0);
      st = { until: now + took, phase: 'pulling', ok: r.ok, events: r.events.slice(1), tookMs: took, bytes, failures: st?.failures ?? 0 };
      this.pulls.set(c, st);
      if (r.ok) this.heat(ps, rec, pod, now);
      if (st.until > now) return (c.waitUntil = st.until);
    }
    // The download ended.
    if (st.ok) {
      this.pulls.delete(c);
      const t = formatGoDuration(Math.round(st.tookMs));
      this.host.event(ps, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${t} (${t} including waiting). Image size: ${st.bytes} bytes.`, c);
      return undefined;
    }
    for (const e of st.events) this.host.event(ps, e.type, e.reason, e.message, c);
    const scale = this.host.simulation.timeScale ?? 1;
    const backoff = Math.min(PULL_BACKOFF_START_MS * 2 ** st.failures, PULL_BACKOFF_MAX_MS) * scale;
    st.failures++;
    st.phase = 'backoff';
    st.until = now + Math.max(backoff, 500);
    const cause = st.events.find((e) => e.reason === 'Failed')?.message.replace(/^Failed to pull image "[^"]*": /, '') ?? 'no space left on device: unknown';
    if (st.unreachable) {
      // The kubelet's first answer to the failed pull: ErrImagePull with the runtime's error; its next sync finds the back-off.
      c.reason = 'ErrImagePull';
      c.message = cause;
      st.backOffShownAt = Math.min(st.until, now + ERR_IMAGE_PULL_SHOWN_MS * scale);
      this.host.dirty(ps);
      return (c.waitUntil = st.backOffShownAt);
    }
    this.backOff(ps, c, image, cause);
    return (c.waitUntil = st.until);
  }

  /** The container waits out the image pull back-off: ImagePullBackOff, with the BackOff events. */
  private backOff(ps: PodState, c: ContainerState, image: string, cause: string): void {
    c.reason = 'ImagePullBackOff';
    c.message = `Back-off pulling image "${image}": ErrImagePull: ${cause}`;
    this.host.event(ps, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, c);
    this.host.event(ps, 'Warning', 'Failed', 'Error: ImagePullBackOff', c);
    this.host.dirty(ps);
  }

  /** An instance of `c` started: it gets a writable layer; a simulated `write=` is scheduled. */
  started(ps: PodState, c: ContainerState, pod: KubeObject, now: number): void {
    if (ps.runtime === 'process') { this.record(ps, pod); return; }
    const rec = this.records.get(ps) ?? this.record(ps, pod);
    const image = this.imageOf(pod, c);
    // Collected while it waited (or never recorded): on the disk again before the container uses it.
    if (!rec.disk.hasImage(image) && !rec.disk.pull(image, containerImage(pod, c.name, image, this.host.simulation).bytes).ok) return;
    const name = instance(c);
    rec.disk.startContainer(name, image);
    // A disk-full fault fills the disk again after a restart emptied the writable layers.
    if (this.host.diskFull?.(ps)) {
      rec.filled = undefined;
      this.setFull(ps, pod, true);
    }
    const b = behaviourOf(pod, c.name, c.init, this.host.eksConfig.defaults());
    if (!b.writeBytes) return;
    const restarts = c.restarts;
    const t = setTimeout(() => {
      rec.timers?.delete(t);
      if (this.records.get(ps) !== rec || c.state !== 'running' || c.restarts !== restarts) return;
      const w = rec.disk.write(name, b.writeBytes!);
      if (!w.ok) this.host.event(ps, 'Warning', 'Failed', `container ${c.name}: ${w.error}`, c);
      this.heat(ps, rec, pod, Date.now());
    }, timerDelay((b.writeAfterMs ?? 0) - (Date.now() - now)));
    t.unref();
    (rec.timers ??= new Set()).add(t);
  }

  /**
   * disk-full (docs/faults.md): a file written by the pod's first running container takes every free
   * byte of the pod's disk, so its writes fail with ENOSPC and the disk's checks (image GC, the
   * pod-eviction-threshold restart) run on a full disk; `full` false deletes that file.
   */
  setFull(ps: PodState, pod: KubeObject, full: boolean): void {
    const rec = this.records.get(ps);
    if (!full) {
      if (rec?.filled) {
        try { rec.disk.write(rec.filled.layer, -rec.filled.bytes); } catch { /* the layer was collected */ }
        rec.filled = undefined;
      }
      return;
    }
    const c = ps.containers.find((x) => x.state === 'running' && !x.init && !x.ephemeral);
    if (!c || !rec || rec.filled) return;
    const layer = ps.runtime === 'process' ? PROCESS_ROOTFS : instance(c);
    const bytes = rec.disk.freeBytes();
    try { rec.disk.write(layer, bytes); } catch { return; }
    rec.filled = { layer, bytes };
    this.host.event(ps, 'Warning', 'Failed', `container ${c.name}: write: no space left on device`, c);
    this.heat(ps, rec, pod, Date.now(), true);
  }

  /** An instance of `c` ended: its writable layer stays (exited container) until container GC. */
  exited(ps: PodState, c: ContainerState): void {
    const rec = this.records.get(ps);
    if (!rec) return;
    if (ps.runtime === 'process') {
      if (rec.wipe && !ps.containers.some((x) => x !== c && x.state === 'running')) {
        rec.wipe = false;
        const pod = this.host.podOf(ps);
        if (pod) for (const d of this.writable(ps, pod)) wipeWritable(d);
      }
      return;
    }
    try { rec.disk.exitContainer(instance(c)); } catch { /* never had a writable layer here */ }
  }

  /** The pod is gone: its disk, with its images, joins the image cache for the next pod of its workload. */
  release(ps: PodState, pod?: KubeObject): void {
    // A pod adopted after a nodeless restart has no record yet: its pulled images are on its disk all the same.
    const rec = this.records.get(ps) ?? (pod && ps.containers.some((c) => c.pulled) ? this.record(ps, pod) : undefined);
    if (!rec) return;
    this.records.delete(ps);
    this.hot.delete(ps);
    for (const t of rec.timers ?? []) clearTimeout(t);
    if (!rec.key) return;
    const images = rec.disk.images().filter((i) => i.name !== PROCESS_ROOTFS).map(({ name, bytes }) => ({ name, bytes }));
    this.cache.release({ zone: this.host.zone, key: rec.key, images, releasedAt: Date.now(), from: `${ps.namespace}/${ps.name}` });
  }

  /** A process pod's writable layers: its containers' overlay upper directories (or, without namespaces, its root/). */
  private writable(ps: PodState, pod: KubeObject): string[] {
    const rt = this.host.runtimeOf(ps);
    return rt.writableDirs?.(ps, pod) ?? (this.host.stateDir ? [podDirs(this.host.stateDir, pod).root] : []);
  }

  /** The pod's disk as the kubelet's stats summary reports its ephemeral storage. */
  stats(ps: PodState): { capacityBytes: number; usedBytes: number } | undefined {
    const d = this.records.get(ps)?.disk;
    return d && { capacityBytes: d.capacityBytes, usedBytes: d.usedBytes() };
  }

  /** Usage in percent, for tests and `describe`-like output. */
  usage(ps: PodState): number | undefined {
    return this.records.get(ps)?.disk.usagePercent();
  }

  /** Looks at the pod's usage: above the lowest threshold it gets periodic GC rounds (every image-gc-period). */
  private heat(ps: PodState, rec: PodRecord, pod: KubeObject, now: number, always = false): void {
    if (rec.nextGcAt) return;
    const s = this.settings(pod);
    const lowest = Math.min(s.imageGcHigh, s.containerGcThreshold, s.podEvictionThreshold ?? 100);
    if (!always && rec.disk.usagePercent() < lowest) return;
    // At least a second apart: a 0 period must not spin the ticker.
    rec.nextGcAt = now + Math.max(1, s.imageGcPeriodSec) * 1000;
    this.hot.add(ps);
    if (!this.ticker) {
      this.ticker = setInterval(() => this.tick(), 1000);
      this.ticker.unref();
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const ps of this.hot) {
      const rec = this.records.get(ps);
      const pod = this.host.podOf(ps);
      if (!rec || !pod || ps.deleting) { this.hot.delete(ps); continue; }
      if (ps.runtime === 'process' && now >= rec.nextMeasureAt) {
        rec.nextMeasureAt = now + MEASURE_EVERY_MS;
        if (this.host.stateDir) {
          // Its writable layers, and the files its processes deleted but still hold open (the FAQ's lsof cause).
          const size = this.writable(ps, pod).reduce((n, d) => n + dirSize(d), 0) + deletedOpenBytes(this.host.runtimeOf(ps).pids?.(ps) ?? []);
          rec.disk.write(PROCESS_ROOTFS, size - rec.measured);
          rec.measured = size;
        }
      }
      if (now < rec.nextGcAt) continue;
      rec.nextGcAt = 0;
      this.hot.delete(ps);
      this.gc(ps, rec, pod, now);
      this.heat(ps, rec, pod, now, ps.runtime === 'process');
    }
    if (!this.hot.size && this.ticker) { clearInterval(this.ticker); this.ticker = undefined; }
  }

  /** One periodic round: container GC, image GC, then pod-eviction-threshold → restart the pod in place. */
  private gc(ps: PodState, rec: PodRecord, pod: KubeObject, now: number): void {
    const r = rec.disk.gc(this.settings(pod));
    for (const e of r.events) this.host.event(ps, e.type, e.reason, e.message);
    collected(ps, r.removedContainers);
    if (r.action !== 'restart-pod') return;
    collected(ps, rec.disk.containers().filter((x) => x.state === 'exited').map((x) => x.name));
    rec.disk.restartPod();
    if (ps.runtime === 'process') { rec.wipe = true; rec.measured = 0; }
    const rt = this.host.runtimeOf(ps);
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    for (const c of ps.containers) {
      if (c.state !== 'running' || c.stopping) continue;
      // Stopped with the grace period, then started again at once (restartCount + 1): a restart the
      // platform asked for, not a crash, so no CrashLoopBackOff.
      c.stopping = true;
      c.restartOnStop = true;
      c.backoff = 0;
      this.host.event(ps, 'Normal', 'Killing', `Stopping container ${c.name}`, c);
      rt.stop(ps, c, grace, now);
    }
    this.host.sync(ps);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    for (const rec of this.records.values()) for (const t of rec.timers ?? []) clearTimeout(t);
    this.cache.flush();
  }
}

/** Bytes of regular files under `dir` (symlinks, i.e. the fallback's volume mounts, not followed); bounded so a huge tree stays cheap. */
export function dirSize(dir: string, limit = 100_000): number {
  let total = 0;
  let seen = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (++seen > limit) return;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) { try { total += fs.lstatSync(p).size; } catch { /* gone meanwhile */ } }
    }
  };
  walk(dir);
  return total;
}

/** A restarted container starts with an empty writable layer: the files under the layer (or the fallback's root) go, volume links stay. */
function wipeWritable(dir: string): void {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) wipeWritable(p);
    else if (e.isFile()) fs.rmSync(p, { force: true });
  }
}
