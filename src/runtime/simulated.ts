// The simulated runtime (the default): no processes, only time. A container
// "runs" from its start until a planned exit (nodeless.dev/simulate, Jobs,
// init containers) or a stop. Its logs are not stored but derived from its
// state when asked, so a simulated pod costs no log memory.
import type { KubeObject } from '../api/types.js';
import type { LogOptions } from '../apiserver/subresources.js';
import { errors } from '../apiserver/status.js';
import { fallbackMessage, pickInstance, renderLog, type LogLine } from './logs.js';
import { SIMULATE_ANNOTATION, behaviourOf, containerImage, looksLikeWebServer, normalizeImage, plannedExit, type SimulationOptions } from './simulate.js';
import type { ContainerState, PodState, Runtime, Terminated } from './types.js';
import { downwardWait, matchingLine, type DownwardWait } from './downwardwait.js';
import { simulatedHookFailure } from './hooks.js';

interface Instance {
  startedAt: number;
  end?: Terminated;
}

const specOf = (pod: KubeObject, c: { name: string; init: boolean; ephemeral?: boolean }) =>
  (c.ephemeral ? pod.spec?.ephemeralContainers : c.init ? pod.spec?.initContainers : pod.spec?.containers)?.find((x: any) => x?.name === c.name) ?? {};

/** The synthetic log of one instance of a container. */
export function simulatedLines(pod: KubeObject, c: { name: string; init: boolean; ephemeral?: boolean }, inst: Instance, index: number, clusterDefaults: Record<string, string> = {}): LogLine[] {
  const spec = specOf(pod, c);
  const image = String(spec.image ?? '');
  const t = inst.startedAt;
  const out = (time: number, text: string, stream: LogLine['stream'] = 'stdout'): LogLine => ({ time, stream, text });
  const lines: LogLine[] = [
    out(t, `[nodeless] image ${normalizeImage(image)} ready (${containerImage(pod, c.name, image, {}).bytes} bytes)`),
    out(t, `[nodeless] container ${c.name} started (simulated${index > 0 ? `, restart ${index}` : ''})`),
  ];
  const port = spec.ports?.[0]?.containerPort;
  const denied = behaviourOf(pod, c.name, c.init, clusterDefaults).listenDenied;
  const wait = c.init ? downwardWait(pod, spec) : undefined;
  if (denied) { /* it dies binding its port: no "listening" line */ } else if (looksLikeWebServer(image) || port) lines.push(out(t, `listening on :${port ?? 80}`));
  else if (wait) { /* the loop's own output below */ } else if ((pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'Job') || c.init) lines.push(out(t, 'working'));
  else lines.push(out(t, 'running'));
  const end = inst.end;
  if (wait) {
    // Each time round the loop: grep finds nothing (prints nothing), the echo, the sleep; the last look prints the line it found.
    const until = end?.finishedAt ?? Date.now();
    if (wait.echo !== undefined) for (let at = t; at < until && lines.length < 10_000; at += Math.max(wait.sleepMs, 1)) lines.push(out(at, wait.echo));
    if (end && !end.stopped && end.exitCode === 0) {
      lines.push(out(end.finishedAt, matchingLine(wait, pod) ?? ''));
      lines.push(out(end.finishedAt, `[nodeless] container ${c.name} exited with code 0`));
      return lines;
    }
  }
  if (end) {
    const f = end.finishedAt;
    if (end.stopped) lines.push(out(f, 'received SIGTERM, shutting down'));
    else if (end.exitCode !== 0 && denied) lines.push(out(f, denied, 'stderr'));
    else if (end.exitCode !== 0) lines.push(out(f, `fatal: simulated failure (exit code ${end.exitCode})`, 'stderr'));
    else lines.push(out(f, 'done'));
    lines.push(out(f, `[nodeless] container ${c.name} exited with code ${end.exitCode}`));
  }
  return lines;
}

/** A container's state rebuilt from the pod's status, for pods this process does not run. */
export function stateFromStatus(pod: KubeObject, name: string): ContainerState | undefined {
  const all = [
    ...(pod.status?.initContainerStatuses ?? []).map((s: any) => ({ s, init: true, ephemeral: false })),
    ...(pod.status?.containerStatuses ?? []).map((s: any) => ({ s, init: false, ephemeral: false })),
    ...(pod.status?.ephemeralContainerStatuses ?? []).map((s: any) => ({ s, init: false, ephemeral: true })),
  ];
  const hit = all.find((x) => x.s?.name === name);
  const inSpec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some((c: any) => c?.name === name);
  if (!hit) return inSpec ? { name, init: false, sidecar: false, ephemeral: false, state: 'waiting', restarts: 0, ready: false, started: false, created: false, pulled: false, backoff: 0 } : undefined;
  const s = hit.s;
  const term = (t: any): Terminated | undefined => t && { exitCode: t.exitCode, reason: t.reason, startedAt: Date.parse(t.startedAt), finishedAt: Date.parse(t.finishedAt) };
  const state = s.state?.running ? 'running' : s.state?.terminated ? 'terminated' : 'waiting';
  return {
    name, init: hit.init, sidecar: false, ephemeral: hit.ephemeral, state, restarts: s.restartCount ?? 0, ready: !!s.ready, started: !!s.started,
    created: !!s.containerID, pulled: true, backoff: 0, reason: s.state?.waiting?.reason,
    startedAt: s.state?.running ? Date.parse(s.state.running.startedAt) : undefined,
    term: term(s.state?.terminated), last: term(s.lastState?.terminated),
  };
}

export class SimulatedRuntime implements Runtime {
  readonly name = 'simulated' as const;
  private followers = new Map<ContainerState, Set<() => void>>();

  constructor(private sim: SimulationOptions = {}, private event?: (ps: PodState, type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerState) => void,
    /** kube-system/eks-config default annotations (a cluster-wide metrics-port moves port 9100 for every pod). */
    private defaults: () => Record<string, string> = () => ({})) {}

  start(ps: PodState, c: ContainerState, spec: any, pod: KubeObject, now: number): void {
    const plan = plannedExit(pod, c.name, c.init, c.sidecar, this.sim, this.defaults());
    if (plan) {
      c.exitAt = now + plan.afterMs;
      c.exitCode = plan.code;
    }
    // An init container looping on a downward API file until its pod has some metadata (the EIP report's
    // init container): it runs until the file matches, or its timeout (src/runtime/downwardwait.ts).
    const wait = c.init && !c.sidecar && !pod.metadata.annotations?.[SIMULATE_ANNOTATION] ? downwardWait(pod, spec) : undefined;
    if (wait) {
      c.handle = wait;
      c.exitAt = wait.timeoutMs !== undefined ? now + wait.timeoutMs : undefined;
      c.exitCode = wait.timeoutCode;
      this.look(c, pod, now);
    }
    if (c.init && !c.sidecar) return;
    const b = behaviourOf(pod, c.name, c.init, this.defaults());
    const startupDelay = spec.startupProbe ? (spec.startupProbe.initialDelaySeconds ?? 0) * 1000 : 0;
    const readyDelay = spec.readinessProbe ? (spec.readinessProbe.initialDelaySeconds ?? 0) * 1000 : 0;
    c.started = !spec.startupProbe;
    if (b.ready === false) {
      c.ready = false;
      c.started = true;
      if (spec.readinessProbe) this.event?.(ps, 'Warning', 'Unhealthy', `Readiness probe failed: simulated failure (${SIMULATE_ANNOTATION}: ready=false)`, c);
    } else if (startupDelay + readyDelay === 0) {
      c.ready = true;
      c.started = true;
    } else c.readyAt = now + Math.max(startupDelay, readyDelay);
  }

  /** A waiting container whose file now matches exits 0 (the loop's grep found the line). */
  private look(c: ContainerState, pod: KubeObject, now: number): boolean {
    const wait = c.handle as DownwardWait | undefined;
    if (!wait || c.state !== 'running' && c.state !== 'waiting' || c.exitCode === 0 && c.exitAt !== undefined) return false;
    if (matchingLine(wait, pod) === undefined) return false;
    c.exitAt = now;
    c.exitCode = 0;
    return true;
  }

  /** The pod's metadata changed: the downward API files follow, and a container waiting on one may be done. */
  podUpdated(ps: PodState, pod: KubeObject, now = Date.now()): boolean {
    let changed = false;
    for (const c of ps.containers) if (c.init && c.state === 'running' && c.handle) changed = this.look(c, pod, now) || changed;
    return changed;
  }

  /** No handler runs here: a hook fails when the annotation says so (`post-start=fail`, `pre-stop=fail`), with the kubelet's message. */
  hookFailure(ps: PodState, c: ContainerState, pod: KubeObject, kind: 'postStart' | 'preStop', handler: any): string | undefined {
    if (!behaviourOf(pod, c.name, c.init, this.defaults()).failHooks?.includes(kind)) return undefined;
    const spec = specOf(pod, c);
    const ports = Object.fromEntries((spec.ports ?? []).filter((x: any) => x?.name).map((x: any) => [x.name, x.containerPort]));
    return simulatedHookFailure(handler, { pod: `${ps.name}_${ps.namespace}(${ps.uid})`, container: c.name, podIP: ps.ip ?? pod.status?.podIP ?? '' }, ports);
  }

  stop(_ps: PodState, c: ContainerState, _graceSec: number, now: number): void {
    // A simulated process handles SIGTERM at once and exits cleanly; one killed because its postStart hook
    // failed dies of the SIGTERM (128+15) before it set up anything, so Never/OnFailure pods see a failure.
    c.exitAt = now;
    c.exitCode = c.hookError !== undefined ? 143 : 0;
  }

  terminationMessage(_ps: PodState, c: ContainerState, pod: KubeObject, exitCode: number, at: number): string | undefined {
    const spec = specOf(pod, c);
    if (exitCode === 0 || spec.terminationMessagePolicy !== 'FallbackToLogsOnError') return undefined;
    const lines = simulatedLines(pod, c, { startedAt: c.startedAt ?? at, end: { exitCode, reason: 'Error', startedAt: c.startedAt ?? at, finishedAt: at } }, c.restarts, this.defaults());
    return fallbackMessage(lines.map((l) => l.text).join('\n'));
  }

  exited(_ps: PodState, c: ContainerState): void {
    const f = this.followers.get(c);
    if (!f) return;
    this.followers.delete(c);
    for (const fn of f) fn();
  }

  private instance(c: ContainerState, previous: boolean | undefined): Instance {
    if (previous) return { startedAt: c.last!.startedAt, end: c.last };
    if (c.state === 'running') return { startedAt: c.startedAt! };
    if (c.state === 'terminated' && c.term) return { startedAt: c.term.startedAt, end: c.term };
    if (c.last) return { startedAt: c.last.startedAt, end: c.last };
    return { startedAt: c.startedAt ?? Date.now() };
  }

  private container(ps: PodState | undefined, pod: KubeObject, name: string | undefined): ContainerState {
    const n = name ?? pod.spec?.containers?.[0]?.name;
    const c = ps?.containers.find((x) => x.name === n) ?? stateFromStatus(pod, n);
    if (!c) throw errors.badRequest(`container ${n} is not valid for pod ${pod.metadata.name}`);
    return c;
  }

  readLog(ps: PodState | undefined, pod: KubeObject, opts: LogOptions): string {
    const c = this.container(ps, pod, opts.container);
    const index = pickInstance(pod.metadata as { name: string }, c, opts.previous);
    if (opts.previous && !c.last) return '';
    return renderLog(simulatedLines(pod, c, this.instance(c, opts.previous), index, this.defaults()), opts);
  }

  followLog(ps: PodState | undefined, pod: KubeObject, opts: LogOptions, onData: (t: string) => void, onEnd: () => void): () => void {
    const c = ps?.containers.find((x) => x.name === (opts.container ?? pod.spec?.containers?.[0]?.name));
    if (!c || opts.previous || c.state !== 'running') {
      const t = setImmediate(onEnd);
      return () => clearImmediate(t);
    }
    const startedAt = c.startedAt!;
    const index = c.restarts;
    const shown = simulatedLines(pod, c, { startedAt }, index, this.defaults()).length;
    const fn = () => {
      const end = c.state === 'terminated' ? c.term : c.last;
      if (end && end.startedAt === startedAt) {
        const lines = simulatedLines(pod, c, { startedAt, end }, index, this.defaults()).slice(shown);
        if (lines.length) onData(renderLog(lines, { timestamps: opts.timestamps }));
      }
      onEnd();
    };
    const set = this.followers.get(c) ?? this.followers.set(c, new Set()).get(c)!;
    set.add(fn);
    return () => { set.delete(fn); };
  }

  cleanup(ps: PodState): void {
    for (const c of ps.containers) this.followers.delete(c);
  }

  shutdown(): void {
    for (const set of this.followers.values()) for (const fn of set) fn();
    this.followers.clear();
  }
}
