// What a simulated container does, as data: the `nodeless.dev/simulate`
// annotation, Job defaults and a model of image sizes and pull times.
// Pure functions, no I/O.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { parseGoDuration } from '../api/duration.js';
import { listenDeniedMessage, metricsPortConflict } from './metrics.js';
import { parseLoad, periodError, type LoadSpec } from './load.js';

export const SIMULATE_ANNOTATION = 'nodeless.dev/simulate';
export const RUNTIME_ANNOTATION = 'nodeless.dev/runtime';

/**
 * `kubectl debug node/NAME` makes a pod named node-debugger-NAME-… bound to
 * the node, in the host's namespaces, with the host's / at /host: on a node
 * that runs processes, that is a shell on this machine.
 */
export function isNodeDebugPod(pod: KubeObject): boolean {
  const spec = pod.spec ?? {};
  return String(pod.metadata?.name ?? '').startsWith('node-debugger-') && !!spec.nodeName && spec.hostPID === true
    && (Array.isArray(spec.volumes) ? spec.volumes : []).some((v: any) => v?.hostPath?.path === '/');
}

/** The pod asks to run as local processes: the annotation, or a node debugger. */
export const wantsProcessRuntime = (pod: KubeObject) => pod.metadata?.annotations?.[RUNTIME_ANNOTATION] === 'process' || isNodeDebugPod(pod);

export interface Behaviour {
  /** Exit with this code… */
  exitCode?: number;
  /** …this long after each start (ms). */
  afterMs?: number;
  /** Exit 1 shortly after each start. */
  crashLoop?: boolean;
  /** false: the container never becomes ready. */
  ready?: boolean;
  /** The bind error it dies of: it declares the pod's metrics port (docs/tencent/metrics-port.md). */
  listenDenied?: string;
  /** `image-size=12Gi`: the size of the container's image on the system disk (docs/tencent/system-disk.md). */
  imageBytes?: number;
  /** `pull=3s`: how long pulling the image takes (default: modelled from its size). */
  pullMs?: number;
  /** `write=15Gi`: bytes the container writes to its writable layer… */
  writeBytes?: number;
  /** …`write-after=5s` this long after each start (default: at once). */
  writeAfterMs?: number;
  /** `cpu=300m`, `cpu=100m..900m`, `cpu=200m@0s,800m@1m`: the CPU it uses (./load.ts, docs/metrics-api.md). */
  cpu?: LoadSpec;
  /** `memory=200Mi` (same shapes): its working set. */
  memory?: LoadSpec;
  /** `pre-pulled`: the image is on the pod's disk before it starts (a node image; docs/lifecycle-hooks.md). */
  prePulled?: boolean;
  /** `post-start=fail`, `pre-stop=fail`: the container's lifecycle hook of that kind fails (docs/lifecycle-hooks.md). */
  failHooks?: Array<'postStart' | 'preStop'>;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Kubernetes-style quantities of bytes: 500Mi, 15Gi, 2G, 1048576. Undefined when unparsable. */
export function parseBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(s);
  return m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2] ?? '']) : undefined;
}

/** A directive's wait as a Go duration (500ms, 5s, 1m30s, 2h) in milliseconds; undefined when Go refuses it or it is negative. */
function waitMs(s: string | undefined): number | undefined {
  const ms = s === undefined ? undefined : parseGoDuration(s);
  return ms === undefined || ms < 0 ? undefined : ms;
}

/**
 * Parses `exit=1 after=5s; container=web:crash-loop; ready=false`. Clauses apply to
 * every container unless prefixed with `container=NAME:`. Unknown words are errors.
 * Disk (docs/tencent/system-disk.md): `image-size=12Gi` (the image's size), `pull=2s` (its pull time), `write=15Gi write-after=5s`
 * (bytes written to the container's writable layer after each start).
 * Usage (docs/metrics-api.md): `cpu=300m memory=200Mi`, `cpu=100m..900m period=2m`, `cpu=200m@0s,800m@1m,100m@3m`.
 * Hooks and images (docs/lifecycle-hooks.md): `post-start=fail`, `pre-stop=fail` (the handler fails as the kubelet
 * reports it), `pre-pulled` (the image is on the pod's disk before it starts).
 */
export function parseSimulate(value: string | undefined): { all: Behaviour; byContainer: Map<string, Behaviour>; errors: string[] } {
  const all: Behaviour = {};
  const byContainer = new Map<string, Behaviour>();
  const errors: string[] = [];
  for (const raw of (value ?? '').split(';')) {
    let clause = raw.trim();
    if (!clause) continue;
    let target = all;
    const m = /^container=([a-z0-9-]+):\s*(.*)$/.exec(clause);
    if (m) {
      target = byContainer.get(m[1]) ?? byContainer.set(m[1], {}).get(m[1])!;
      clause = m[2];
    }
    // `period=2m` shapes the ranges and step lists of its own clause.
    let period: { ms: number; word: string } | undefined;
    const shaped: LoadSpec[] = [];
    for (const word of clause.split(/\s+/).filter(Boolean)) {
      const [k, v] = word.split('=', 2);
      if (k === 'crash-loop' && v === undefined) target.crashLoop = true;
      else if (k === 'pre-pulled' && v === undefined) target.prePulled = true;
      else if (k === 'exit' && v !== undefined && /^\d+$/.test(v) && Number(v) < 256) target.exitCode = Number(v);
      else if (k === 'after' && waitMs(v) !== undefined) target.afterMs = waitMs(v);
      else if (k === 'ready' && (v === 'false' || v === 'true')) target.ready = v === 'true';
      else if (k === 'image-size' && v !== undefined && parseBytes(v) !== undefined) target.imageBytes = parseBytes(v);
      else if (k === 'pull' && waitMs(v) !== undefined) target.pullMs = waitMs(v);
      else if (k === 'write' && v !== undefined && parseBytes(v) !== undefined) target.writeBytes = parseBytes(v);
      else if (k === 'write-after' && waitMs(v) !== undefined) target.writeAfterMs = waitMs(v);
      else if ((k === 'post-start' || k === 'pre-stop') && v === 'fail') {
        const hook = k === 'post-start' ? 'postStart' : 'preStop';
        target.failHooks = [...(target.failHooks ?? []).filter((h) => h !== hook), hook];
      }
      else if ((k === 'cpu' || k === 'memory') && v !== undefined) {
        const spec = parseLoad(k, v);
        if (typeof spec === 'string') errors.push(spec);
        else {
          target[k] = spec;
          if (spec.kind !== 'constant') shaped.push(spec);
        }
      } else if (k === 'period' && v !== undefined && (waitMs(v) ?? 0) > 0) period = { ms: waitMs(v)!, word };
      else errors.push(`unknown simulate directive ${JSON.stringify(word)}`);
    }
    if (period) {
      if (!shaped.length) errors.push(`${JSON.stringify(period.word)}: there is no range (100m..900m) or step list (200m@0s,800m@1m) in this clause for it to apply to`);
      for (const l of shaped) {
        const e = periodError(l, period.ms, period.word);
        if (e) errors.push(e);
        else l.periodMs = period.ms;
      }
    }
  }
  return { all, byContainer, errors };
}

export interface SimulationOptions {
  /** Multiplies modelled durations (image pulls, Job run time, crash-loop run time); 0 makes them instant. Default 1. */
  timeScale?: number;
  /** How long a Job's pod runs before exiting 0 (before scaling). Default 5s. */
  jobDurationMs?: number;
}

/** The behaviour of one container of `pod`, or undefined when it simply runs. */
export function behaviourOf(pod: KubeObject, container: string, isInit: boolean, clusterDefaults: Record<string, string> = {}): Behaviour {
  const parsed = parseSimulate(pod.metadata.annotations?.[SIMULATE_ANNOTATION]);
  void isInit; // one day: defaults that differ for init containers
  const b: Behaviour = { ...parsed.all, ...(parsed.byContainer.get(container) ?? {}) };
  // The pod's VM serves metrics on 9100 (or the metrics-port annotation); a container
  // declaring that port cannot bind it and exits 1 at every start (docs/tencent/metrics-port.md).
  const port = metricsPortConflict(pod, container, clusterDefaults);
  if (port !== undefined) {
    const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c: any) => c?.name === container);
    return { ...b, crashLoop: true, exitCode: 1, listenDenied: listenDeniedMessage(String(spec?.image ?? ''), port) };
  }
  return b;
}

/** When (ms after start) a container exits by itself and with which code; undefined = runs until stopped. */
export function plannedExit(pod: KubeObject, container: string, isInit: boolean, sidecar: boolean, opts: SimulationOptions, clusterDefaults: Record<string, string> = {}): { afterMs: number; code: number } | undefined {
  const scale = opts.timeScale ?? 1;
  const b = behaviourOf(pod, container, isInit, clusterDefaults);
  if (b.crashLoop) return { afterMs: b.afterMs ?? 1000 * scale, code: b.exitCode ?? 1 };
  if (b.exitCode !== undefined) return { afterMs: b.afterMs ?? 1000 * scale, code: b.exitCode };
  if (b.afterMs !== undefined) return { afterMs: b.afterMs, code: 0 };
  // Init containers run to completion, and so do the pods of Jobs.
  if (isInit && !sidecar) return { afterMs: 500 * scale, code: 0 };
  const ownedByJob = (pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'Job');
  if (ownedByJob) return { afterMs: (opts.jobDurationMs ?? 5000) * scale, code: 0 };
  return undefined;
}

/** docker.io/library/nginx:1.25 for nginx:1.25, as containerd reports the image. */
export function normalizeImage(image: string): string {
  let name = image;
  const first = name.split('/')[0];
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) name = name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  const last = name.split('/').pop()!;
  if (!last.includes(':') && !name.includes('@')) name += ':latest';
  return name;
}

const hashHex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A stable fake digest: `docker.io/library/nginx@sha256:…`. */
export function imageID(image: string): string {
  let id = imageIDs.get(image);
  if (id === undefined) {
    const n = normalizeImage(image);
    id = n.includes('@') ? n : `${n.replace(/:[^:/]+$/, '')}@sha256:${hashHex(n)}`;
    // A handful of images per cluster, asked for at every status write of every pod.
    if (imageIDs.size >= 1000) imageIDs.clear();
    imageIDs.set(image, id);
  }
  return id;
}
const imageIDs = new Map<string, string>();

const KNOWN_SIZES_MB: [RegExp, number][] = [
  [/(^|\/)pause[:@]/, 0.3], [/(^|\/)busybox[:@]/, 2.2], [/(^|\/)alpine[:@]/, 3.4], [/(^|\/)nginx[:@]/, 70], [/(^|\/)redis[:@]/, 45],
  [/(^|\/)(python|node|golang|openjdk|ubuntu)[:@]/, 350], [/(^|\/)postgres[:@]/, 150], [/(^|\/)mysql[:@]/, 200],
];

/** A plausible image size in bytes, stable per image name. */
export function imageSize(image: string): number {
  const n = normalizeImage(image);
  const known = KNOWN_SIZES_MB.find(([re]) => re.test(n));
  const mb = known ? known[1] : 10 + (parseInt(hashHex(n).slice(0, 6), 16) % 190);
  return Math.round(mb * 1024 * 1024 + (parseInt(hashHex(n).slice(6, 12), 16) % 100_000));
}

/** The image of one container of `pod` as pulled: its size and pull time (`image-size=`, `pull=` directives, else the model's). */
export function containerImage(pod: KubeObject, container: string, image: string, opts: SimulationOptions): { bytes: number; pullMs: number } {
  const p = parseSimulate(pod.metadata.annotations?.[SIMULATE_ANNOTATION]);
  const b = { ...p.all, ...(p.byContainer.get(container) ?? {}) };
  const bytes = b.imageBytes ?? imageSize(image);
  return { bytes, pullMs: b.pullMs ?? pullMs(image, opts, bytes) };
}

/** Pull time: ~100 ms plus ~2 ms per MB (≈250 ms for nginx), times the scale; `bytes` overrides the modelled size. */
export function pullMs(image: string, opts: SimulationOptions, bytes = imageSize(image)): number {
  return Math.round((100 + bytes / (1024 * 1024) * 2) * (opts.timeScale ?? 1));
}

/** A stable container ID for instance `restart` of a container: `nodeless://<64 hex>`. */
export function containerID(podUid: string, container: string, restart: number): string {
  return `nodeless://${hashHex(`${podUid}/${container}/${restart}`)}`;
}

/** Does the image look like a web server (for "listening on :80" log lines)? */
export const looksLikeWebServer = (image: string) => /(nginx|httpd|caddy|traefik|envoy|haproxy|echoserver|hello)/.test(image);
