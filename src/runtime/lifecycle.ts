// The kubelet's pod state machine, shared by both runtimes: sandbox (IP),
// init containers one by one, app containers, restart policy with the
// CrashLoopBackOff curve, readiness, active deadline and graceful
// termination. Runtimes only start and stop instances; everything else is here.
import type { KubeObject } from '../api/types.js';
import { pullPolicyOf, type PodDisks } from './disk.js';
import type { SimulationOptions } from './simulate.js';
import { podPhase } from './status.js';
import type { ContainerState, PodState, Runtime } from './types.js';
import { RuntimeStartError } from './types.js';
import { timerDelay } from '../util/timers.js';

export const BACKOFF_START_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** A container that ran this long without failing starts over at the shortest back-off. */
export const BACKOFF_RESET_MS = 600_000;
/** The kubelet's minimumGracePeriodInSeconds: what a container gets to stop after its preStop hook, at least. */
export const MIN_GRACE_SECONDS = 2;

export interface LifecycleHost {
  runtimeOf(ps: PodState): Runtime;
  podOf(ps: PodState): KubeObject | undefined;
  event(ps: PodState, type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerState): void;
  dirty(ps: PodState): void;
  wake(ps: PodState, at: number): void;
  /** Gets the pod an IP; calls back into sync when done. */
  createSandbox(ps: PodState, pod: KubeObject): void;
  /** All containers stopped on a deleted pod: delete it for good and free its IP. */
  finalize(ps: PodState): void;
  simulation: SimulationOptions;
  /** The pods' system disks: image pulls (and reuse), writable layers, GC (docs/tencent/system-disk.md). */
  disks: Pick<PodDisks, 'pull' | 'started' | 'exited'>;
  /** Now, on the agent's clock (ms since the epoch). */
  now(): number;
}

/** Go's time.Duration.String for whole seconds (10s, 1m20s, 5m0s), as in the CrashLoopBackOff message. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** Fresh per-pod state for a pod the agent just got. */
export function newPodState(pod: KubeObject, runtime: PodState['runtime'], now = Date.now()): PodState {
  const spec = pod.spec ?? {};
  const hasInit = (spec.initContainers ?? []).length > 0;
  // Every field is there from the start, undefined or not: V8 then keeps each state in one fixed-shape
  // object instead of growing a side table of properties when a field is first set (100k pods).
  const mk = (c: any, init: boolean): ContainerState => ({
    name: c.name, init, sidecar: init && c.restartPolicy === 'Always', ephemeral: false, state: 'waiting',
    reason: hasInit ? 'PodInitializing' : 'ContainerCreating', message: undefined,
    startedAt: undefined, term: undefined, last: undefined,
    restarts: 0, ready: false, started: false, created: false, pulled: false, waitUntil: undefined, backoff: 0,
    exitAt: undefined, exitCode: undefined, readyAt: undefined, stopping: undefined, restartOnStop: undefined, starting: undefined, handle: undefined,
    hook: undefined, pendingExit: undefined, hookError: undefined,
  });
  return {
    key: `${pod.metadata.namespace}/${pod.metadata.name}`, uid: pod.metadata.uid!, namespace: pod.metadata.namespace!, name: pod.metadata.name!,
    runtime, ip: undefined, sandbox: 'none', deleting: false, finalizing: false, killBy: 0, wakeAt: 0, startTime: now,
    done: undefined, doneReason: undefined, doneMessage: undefined,
    // concat, not spread: an array built by spreading keeps room for 16 more elements (100k pods).
    containers: (spec.initContainers ?? []).map((c: any) => mk(c, true)).concat((spec.containers ?? []).map((c: any) => mk(c, false))),
  };
}

/** The spec of one of the pod's containers. */
export function containerSpec(pod: KubeObject, c: Pick<ContainerState, 'name' | 'init' | 'ephemeral'>): any {
  const list = c.ephemeral ? pod.spec?.ephemeralContainers : c.init ? pod.spec?.initContainers : pod.spec?.containers;
  return (Array.isArray(list) ? list : []).find((x: any) => x?.name === c.name);
}

/**
 * Ephemeral containers added to the pod (pods/ephemeralcontainers) that the
 * state does not have yet: they join it, waiting to start. True if any came.
 */
export function addEphemeral(ps: PodState, pod: KubeObject): boolean {
  const list: any[] = Array.isArray(pod.spec?.ephemeralContainers) ? pod.spec.ephemeralContainers : [];
  let added = false;
  for (const e of list) {
    if (!e?.name || ps.containers.some((c) => c.name === e.name)) continue;
    ps.containers.push({
      name: e.name, init: false, sidecar: false, ephemeral: true, state: 'waiting', reason: 'ContainerCreating', message: undefined,
      startedAt: undefined, term: undefined, last: undefined, restarts: 0, ready: false, started: false, created: false, pulled: false,
      waitUntil: undefined, backoff: 0, exitAt: undefined, exitCode: undefined, readyAt: undefined, stopping: undefined, restartOnStop: undefined, starting: undefined, handle: undefined,
      hook: undefined, pendingExit: undefined, hookError: undefined,
    });
    added = true;
  }
  return added;
}

export class PodLifecycle {
  constructor(private host: LifecycleHost) {}

  private specOf(pod: KubeObject, c: ContainerState): any {
    return containerSpec(pod, c) ?? {};
  }

  /** Moves the pod as far as it can go now, and books its next wake-up. */
  sync(ps: PodState, now = this.host.now()): void {
    const pod = this.host.podOf(ps);
    if (!pod || ps.finalizing) return;
    let next = Infinity;
    const soon = (t: number | undefined) => { if (t !== undefined && t < next) next = t; };
    // Time-driven changes of running instances (the simulated runtime's exits and probe delays).
    for (const c of ps.containers) {
      if (c.state !== 'running') continue;
      if (c.exitAt !== undefined) {
        if (c.exitAt <= now) { this.exited(ps, c, c.exitCode ?? 0, c.exitAt, undefined, false); continue; }
        soon(c.exitAt);
      }
      if (c.readyAt !== undefined) {
        if (c.readyAt <= now) { c.readyAt = undefined; c.ready = true; c.started = true; this.host.dirty(ps); } else soon(c.readyAt);
      }
    }
    if (ps.deleting) return this.syncTermination(ps, pod, now);
    if (ps.done) { this.stopAll(ps, pod, now, false); return; }
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (typeof deadline === 'number' && ps.startTime && now >= ps.startTime + deadline * 1000) {
      ps.done = 'Failed';
      ps.doneReason = 'DeadlineExceeded';
      ps.doneMessage = 'Pod was active on the node longer than the specified deadline';
      this.host.event(ps, 'Normal', 'DeadlineExceeded', ps.doneMessage);
      this.host.dirty(ps);
      this.stopAll(ps, pod, now, false);
      return;
    }
    if (typeof deadline === 'number' && ps.startTime) soon(ps.startTime + deadline * 1000);
    if (ps.sandbox === 'none') {
      ps.sandbox = 'allocating';
      this.host.createSandbox(ps, pod);
      return;
    }
    if (ps.sandbox !== 'ready') return;
    let initsDone = true;
    for (const c of ps.containers) {
      if (!c.init) continue;
      if (c.sidecar) {
        if (c.state === 'running' && c.started) continue;
      } else if (c.state === 'terminated' && c.term?.exitCode === 0) continue;
      soon(this.progress(ps, pod, c, now));
      // A sidecar that started at once (simulated, no startupProbe) lets the next init container go now.
      if (c.sidecar && c.state === 'running' && c.started) continue;
      initsDone = false;
      break;
    }
    if (initsDone) {
      for (const c of ps.containers) if (!c.init) soon(this.progress(ps, pod, c, now));
    }
    const phase = podPhase(ps, pod.spec);
    if (phase === 'Succeeded' || phase === 'Failed') {
      ps.done = phase;
      this.host.dirty(ps);
      this.stopAll(ps, pod, now, false);
    }
    // Instances started just now bring their own exit and readiness times.
    for (const c of ps.containers) {
      if (c.state === 'running') { soon(c.exitAt); soon(c.readyAt); }
    }
    if (next < Infinity) this.host.wake(ps, next);
  }

  /** Pulls, starts or restarts one waiting container; returns when it next needs a look. */
  private progress(ps: PodState, pod: KubeObject, c: ContainerState, now: number): number | undefined {
    if (c.state !== 'waiting' || c.starting) return undefined;
    if (c.waitUntil !== undefined && c.waitUntil > now) return c.waitUntil;
    const spec = this.specOf(pod, c);
    const image = String(spec.image ?? '');
    if (!c.pulled) {
      // Pulling, a reused disk's "already present", or no space and a retry later: the disk decides.
      const wait = this.host.disks.pull(ps, pod, c, image, now, pullPolicyOf(spec, image));
      if (wait !== undefined) return wait;
      c.pulled = true;
    } else if (c.created) {
      // A restart: IfNotPresent and Never find the image the last instance ran (Always pulls again: exited()).
      this.host.event(ps, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, c);
    }
    c.waitUntil = undefined;
    this.start(ps, pod, c, spec, now);
    return undefined;
  }

  private start(ps: PodState, pod: KubeObject, c: ContainerState, spec: any, now: number): void {
    const runtime = this.host.runtimeOf(ps);
    let announced = false;
    const announce = () => {
      if (announced) return;
      announced = true;
      this.host.event(ps, 'Normal', 'Created', `Created container: ${c.name}`, c);
      this.host.event(ps, 'Normal', 'Started', `Started container ${c.name}`, c);
    };
    let begun = false;
    const began = () => {
      begun = true;
      if (c.created) c.restarts++;
      c.created = true;
      c.state = 'running';
      c.startedAt = now;
      c.reason = c.message = undefined;
      c.term = undefined;
      this.host.disks.started(ps, c, pod, now);
      announce();
      this.host.dirty(ps);
    };
    // postStart runs once the process does; until it returns the container is not running, and the pod's
    // next container waits (the kubelet starts them one by one). A failed hook kills the instance.
    const postStart = spec.lifecycle?.postStart;
    const afterStart = (): Promise<void> | void => {
      if (ps.finalizing) return;
      if (!postStart || !runtime.runHook) { began(); return; }
      announce();
      const ctrl = new AbortController();
      c.hook = ctrl;
      return runtime.runHook(ps, c, pod, postStart, ctrl.signal).then((failure) => {
        c.hook = undefined;
        began();
        const exit = c.pendingExit;
        c.pendingExit = undefined;
        if (failure !== undefined && !exit) postStartFailed(failure);
        if (exit) this.exited(ps, c, exit.code, exit.at, exit.extra, false);
      });
    };
    const postStartFailed = (failure: string) => {
      // The event keeps the hook's output out (it may hold secrets); the waiting message has it.
      this.host.event(ps, 'Warning', 'FailedPostStartHook', 'PostStartHook failed', c);
      c.hookError = failure;
      c.restartOnStop = true;
      this.stopContainer(ps, c, pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30, 'FailedPostStartHook');
    };
    const failed = (e: unknown) => {
      const reason = e instanceof RuntimeStartError ? e.reason : 'CreateContainerError';
      c.reason = reason;
      c.message = (e as Error).message;
      this.host.event(ps, 'Warning', 'Failed', `Error: ${c.message}`, c);
      // Retried like the kubelet does, with the back-off of a failing container.
      c.waitUntil = now + Math.max(c.backoff, BACKOFF_START_MS);
      c.backoff = Math.min(Math.max(c.backoff * 2, BACKOFF_START_MS), BACKOFF_MAX_MS);
      this.host.dirty(ps);
      this.host.wake(ps, c.waitUntil);
    };
    try {
      const r = runtime.start(ps, c, spec, pod, now);
      if (r && typeof (r as Promise<void>).then === 'function') {
        c.starting = true;
        (r as Promise<void>).then(() => afterStart()).then(() => {
          c.starting = false;
          // Force-deleted while it started: nobody will look after it, stop it now.
          if (ps.finalizing) { runtime.stop(ps, c, 0, this.host.now()); return; }
          // (postStart's end already made it running; an exit meanwhile may have ended it again)
          if (!begun) began();
          this.sync(ps);
        }, (e) => { c.starting = false; if (!ps.finalizing) failed(e); });
      } else {
        began();
        // A runtime that runs no handler (simulated) says at once whether the hook failed.
        const failure = postStart && !runtime.runHook ? runtime.hookFailure?.(ps, c, pod, 'postStart', postStart) : undefined;
        if (failure !== undefined) postStartFailed(failure);
      }
    } catch (e) {
      failed(e);
    }
  }

  /**
   * An instance ended (by itself, or stopped). Applies the restart policy:
   * the first restart is immediate, then 10s, 20s, 40s … 5m of CrashLoopBackOff.
   */
  exited(ps: PodState, c: ContainerState, exitCode: number, at: number, extra: { message?: string; signal?: number; reason?: string } = {}, resync = true): void {
    // Ended while its postStart hook ran: the hook is cut short, the exit counts once it returned.
    if (c.state !== 'running' && c.starting && c.hook) { c.pendingExit = { code: exitCode, at, extra }; c.hook.abort(); return; }
    if (c.state !== 'running') return;
    c.hook?.abort();
    c.hook = undefined;
    this.host.disks.exited(ps, c);
    const pod = this.host.podOf(ps);
    const runtime = this.host.runtimeOf(ps);
    const message = extra.message ?? (pod && !c.stopping ? runtime.terminationMessage?.(ps, c, pod, exitCode, at) : undefined);
    const term = {
      exitCode, reason: extra.reason ?? (exitCode === 0 ? 'Completed' : 'Error'), startedAt: c.startedAt ?? at, finishedAt: at,
      ...(message ? { message } : {}), ...(extra.signal ? { signal: extra.signal } : {}), ...(c.stopping ? { stopped: true } : {}),
    };
    c.ready = false;
    c.started = false;
    c.exitAt = c.exitCode = c.readyAt = undefined;
    c.handle = undefined;
    this.host.dirty(ps);
    const policy = c.ephemeral ? 'Never' : c.sidecar ? 'Always' : c.init ? (pod?.spec?.restartPolicy === 'Never' ? 'Never' : 'OnFailure') : (pod?.spec?.restartPolicy ?? 'Always');
    const restart = !ps.deleting && !ps.done && (!c.stopping || c.restartOnStop) && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    c.stopping = c.restartOnStop = false;
    if (!restart) {
      c.state = 'terminated';
      c.term = term;
      if (c.init && !c.sidecar && exitCode !== 0 && !ps.deleting && !ps.done) ps.done = 'Failed';
      runtime.exited?.(ps, c);
    } else {
      if (at - (c.startedAt ?? at) >= BACKOFF_RESET_MS) c.backoff = 0;
      // imagePullPolicy Always: each start pulls (the kubelet's image manager asks the registry every time).
      if (pod && pullPolicyOf(this.specOf(pod, c), String(this.specOf(pod, c).image ?? '')) === 'Always') c.pulled = false;
      c.last = term;
      c.term = undefined;
      c.state = 'waiting';
      if (c.backoff === 0) {
        c.backoff = BACKOFF_START_MS;
        // After a failed postStart the kubelet shows the hook's error until the next start (its reason cache).
        c.reason = c.hookError ? 'PostStartHookError' : 'ContainerCreating';
        c.message = c.hookError;
        c.waitUntil = undefined;
      } else {
        c.reason = 'CrashLoopBackOff';
        c.message = `back-off ${goDuration(c.backoff)} restarting failed container=${c.name} pod=${ps.name}_${ps.namespace}(${ps.uid})`;
        c.waitUntil = at + c.backoff;
        this.host.event(ps, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${ps.name}_${ps.namespace}(${ps.uid})`, c);
        c.backoff = Math.min(c.backoff * 2, BACKOFF_MAX_MS);
      }
      runtime.exited?.(ps, c);
    }
    c.hookError = undefined;
    if (resync) this.sync(ps);
  }

  /**
   * Stops a running instance as the kubelet's killContainer does: the Killing event, the preStop hook
   * (cut short when the grace period ends; FailedPreStopHook if it fails), then SIGTERM with what is left
   * of the grace period (2 s at least), SIGKILL after it.
   */
  stopContainer(ps: PodState, c: ContainerState, graceSec: number, message = `Stopping container ${c.name}`): void {
    const pod = this.host.podOf(ps);
    const runtime = this.host.runtimeOf(ps);
    const now = this.host.now();
    c.stopping = true;
    this.host.event(ps, 'Normal', 'Killing', message, c);
    const preStop = pod ? this.specOf(pod, c).lifecycle?.preStop : undefined;
    if (!preStop || graceSec <= 0 || !pod) { runtime.stop(ps, c, graceSec, now); return; }
    // The simulated runtime runs no handler: exec and httpGet answer at once (failing when the annotation says so),
    // a sleep takes its time (within the grace period).
    if (!runtime.runHook) {
      if (runtime.hookFailure?.(ps, c, pod, 'preStop', preStop) !== undefined) this.host.event(ps, 'Warning', 'FailedPreStopHook', 'PreStopHook failed', c);
      runtime.stop(ps, c, graceSec, now + Math.min(Number(preStop.sleep?.seconds) || 0, graceSec) * 1000);
      return;
    }
    const ctrl = new AbortController();
    c.hook = ctrl;
    const instance = c.handle;
    const timer = setTimeout(() => ctrl.abort(), timerDelay(graceSec * 1000));
    void runtime.runHook(ps, c, pod, preStop, ctrl.signal).then((failure) => {
      clearTimeout(timer);
      const cut = ctrl.signal.aborted;
      if (c.hook === ctrl) c.hook = undefined;
      // Cut short by the grace period: the kubelet stops waiting for it, it has not failed.
      if (failure !== undefined && !cut) this.host.event(ps, 'Warning', 'FailedPreStopHook', 'PreStopHook failed', c);
      // The instance ended meanwhile (and may have been started again): nothing of this stop is left to do.
      if (c.state !== 'running' || c.handle !== instance) return;
      const spent = Math.floor((this.host.now() - now) / 1000);
      runtime.stop(ps, c, Math.max(graceSec - spent, MIN_GRACE_SECONDS), this.host.now());
    });
  }

  /** Stops every running container (deletion, or a finished pod's sidecars). */
  private stopAll(ps: PodState, pod: KubeObject, now: number, forDeletion: boolean): boolean {
    let running = false;
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (!ps.killBy) ps.killBy = now + grace * 1000;
    const live = (c: ContainerState) => c.starting || c.state === 'running';
    // Sidecars (init containers with restartPolicy Always) outlive the app containers: they are stopped once
    // those are gone, the last one first, each with what is left of the grace period.
    const apps = ps.containers.filter((c) => !c.sidecar && live(c));
    const order = apps.length ? apps : ps.containers.filter((c) => c.sidecar && live(c)).slice(-1);
    if (!apps.length && order.length) running = true;
    for (const c of order) {
      // A start under way counts as running: it is stopped once it has started (a postStart hook is cut short).
      if (c.starting) { c.hook?.abort(); running = true; continue; }
      if (c.state !== 'running') continue;
      running = true;
      if (c.stopping) continue;
      // A finished pod's sidecars are asked to stop too (SIGTERM, its grace period), as the kubelet does.
      const left = c.sidecar ? Math.max(Math.ceil((ps.killBy - now) / 1000), grace > 0 ? MIN_GRACE_SECONDS : 0) : forDeletion ? grace : 0;
      this.stopContainer(ps, c, left);
    }
    if (running) {
      // The simulated runtime stops by setting exitAt: look again right away.
      const due = Math.min(...ps.containers.map((c) => (c.state === 'running' && c.exitAt !== undefined ? c.exitAt : Infinity)));
      if (due < Infinity) this.host.wake(ps, due);
    }
    return running;
  }

  private syncTermination(ps: PodState, pod: KubeObject, now: number): void {
    for (const c of ps.containers) {
      // Containers that never ran are simply dropped.
      if (c.state === 'waiting') { c.waitUntil = undefined; }
    }
    if (!this.stopAll(ps, pod, now, true)) {
      ps.finalizing = true;
      this.host.finalize(ps);
    }
  }
}
