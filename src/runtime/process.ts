// The process runtime (opt-in): a container is its command + args run as a
// local child process, in its own process group, with the pod's environment
// and a per-pod directory standing in for its filesystem (see volumes.ts).
// Real stdout/stderr become `kubectl logs`, real exit codes the container
// state, and deletion sends SIGTERM, then SIGKILL after the grace period.
// The pod's metrics port (9100) is the VM agent's (docs/tencent/metrics-port.md):
// a container that declares it, or whose processes bind it (portguard.ts), dies
// with the documented bind error and exit code 1, as in the simulated runtime.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { KubeObject } from '../api/types.js';
import type { LogOptions } from '../apiserver/subresources.js';
import { errors } from '../apiserver/status.js';
import type { Client } from '../client/types.js';
import type { LifecycleHost } from './lifecycle.js';
import { criLine, fallbackMessage, parseCriLine, pickInstance, renderLog, type LogLine } from './logs.js';
import { listenDeniedMessage, metricsPortConflict, metricsPortOf } from './metrics.js';
import { guardPort } from './portguard.js';
import { startProber, type ProbeEnv } from './probes.js';
import { ContainerIO, killTree, onTerminal, resolveExecutable, Terminal, type ContainerEnv, type ProcessInstances } from './streams.js';
import type { ContainerState, PodState, Runtime } from './types.js';
import { RuntimeStartError } from './types.js';
import { containerEnv, expand, inRoot, mountVolumes, podDirs, prepareVolumes, refreshDownward, refreshTokens, writable, type PodDirs, type TokenSource } from './volumes.js';
import { kubernetesServiceEnv, requestProjectedToken, type ApiEndpoint } from './incluster.js';
import { realClock, type Clock, type ClockTimer } from '../util/clock.js';
import { logger } from '../util/log.js';

const log = logger('kubelet');
import { mkdirInside, openInside, readNoFollow, within, writeInside } from './paths.js';
import { timerDelay } from '../util/timers.js';

export interface ProcessRuntimeOptions {
  client: Client;
  stateDir: string;
  hostIP: string;
  onExit(ps: PodState, c: ContainerState, code: number, at: number, extra: { message?: string; signal?: number; reason?: string }): void;
  /** A probe changed ready/started. */
  onProbe(ps: PodState): void;
  event: LifecycleHost['event'];
  podOf(ps: PodState): KubeObject | undefined;
  /** kube-system/eks-config default annotations (a cluster-wide metrics-port). */
  clusterDefaults?: () => Record<string, string>;
  /** Where the pods' processes reach the API server (KUBERNETES_SERVICE_HOST/PORT); none: not set. */
  apiServer?: () => Promise<ApiEndpoint | undefined>;
  /** When projected tokens are refreshed (the node agent's clock). */
  clock?: Clock;
}

interface Handle {
  /** None when the container was refused before a process ran (a declared metrics port). */
  child?: ChildProcess;
  index: number;
  logPath: string;
  termPath: string;
  killTimer?: NodeJS.Timeout;
  probes: (() => void)[];
  exited: boolean;
  /** Stops watching the metrics port. */
  unguard?: () => void;
  /** The bind error it is being killed for (it bound the metrics port). */
  denied?: string;
  /** Its environment, working directory and stdio, for exec and attach (streams.ts). */
  env?: ContainerEnv;
  /** Runs on a terminal (`tty: true`): the program is in a session of its own under `script`. */
  tty?: boolean;
}

interface Prepared {
  dirs: PodDirs;
  volumes: Map<string, string>;
  meta: string;
  /** When its projected ServiceAccount tokens are next written afresh. */
  tokenTimer?: ClockTimer;
}

/** Every live process group, so a dying nodeless takes its children along. */
const live = new Set<number>();
let exitHook = false;
function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try { process.kill(-pid, sig); } catch { /* already gone */ }
}
/** Signals an instance: its process group, and on a terminal the program's own session too. */
function signal(h: Handle, sig: NodeJS.Signals): void {
  if (h.tty) killTree(h.child?.pid, sig);
  else killGroup(h.child?.pid, sig);
}

/** Images whose default command is a shell and that have no ENTRYPOINT (a debug container's usual images). */
const SHELL_IMAGES = /^(?:.*\/)?(busybox|alpine|ubuntu|debian|fedora|centos|rockylinux|almalinux|bash|amazonlinux|nicolaka\/netshoot|netshoot)(?::[^/]*)?(?:@.*)?$/;

/**
 * What runs: `command` (then `args`). Without a command, `args` is the command,
 * as for the many images with no ENTRYPOINT (`kubectl run … -- sh -c …` sets
 * args); with neither, a shell image runs `sh` (`kubectl debug`, `kubectl run -it`).
 */
function entrypoint(spec: any): string[] {
  if (spec.command?.length) return [...spec.command];
  if (spec.args?.length) return [...spec.args];
  return SHELL_IMAGES.test(String(spec.image ?? '')) ? ['sh'] : [];
}

export class ProcessRuntime implements Runtime, ProcessInstances {
  readonly name = 'process' as const;
  private prepared = new Map<string, Prepared>();
  /** This runtime's live process groups (`live` holds every runtime's). */
  private mine = new Set<number>();

  constructor(private o: ProcessRuntimeOptions) {
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => { for (const pid of live) killGroup(pid, 'SIGKILL'); });
    }
  }

  private async prepare(ps: PodState, pod: KubeObject): Promise<Prepared> {
    let p = this.prepared.get(ps.uid);
    if (p) return p;
    const dirs = podDirs(this.o.stateDir, pod);
    for (const d of [dirs.root, dirs.host, dirs.volumes, dirs.logs]) fs.mkdirSync(d, { recursive: true });
    const tokens = this.tokenSource(pod);
    const volumes = await prepareVolumes(this.o.client, pod, dirs, tokens.source);
    p = { dirs, volumes, meta: JSON.stringify([pod.metadata.labels, pod.metadata.annotations]) };
    this.prepared.set(ps.uid, p);
    this.keepTokens(ps, p, tokens.next());
    return p;
  }

  pid(c: ContainerState): number | undefined {
    const h = c.handle as Handle | undefined;
    return h && !h.exited ? h.child?.pid : undefined;
  }

  /** Requests the pod's projected tokens, remembering when the first of them wants refreshing. */
  private tokenSource(pod: KubeObject): { source: TokenSource; next(): number | undefined } {
    let next: number | undefined;
    const source: TokenSource = async (tp) => {
      const t = await requestProjectedToken(this.o.client, pod, tp, this.clock);
      next = Math.min(next ?? Infinity, t.refreshAt);
      return t.token;
    };
    return { source, next: () => next };
  }

  private get clock(): Clock {
    return this.o.clock ?? realClock;
  }

  /**
   * Writes the pod's tokens again when the token manager would hand out new ones; a failed request
   * keeps the old token and is tried again a minute later (the kubelet's next volume sync).
   */
  private keepTokens(ps: PodState, p: Prepared, at: number | undefined): void {
    if (at === undefined) return;
    p.tokenTimer = this.clock.setTimeout(() => {
      if (this.prepared.get(ps.uid) !== p) return;
      const pod = this.o.podOf(ps);
      if (!pod || pod.metadata.deletionTimestamp) return;
      const tokens = this.tokenSource(pod);
      refreshTokens(pod, p.dirs, tokens.source).then(
        () => this.keepTokens(ps, p, tokens.next()),
        (err) => {
          log.warn({ err, pod: `${ps.namespace}/${ps.name}` }, 'could not refresh the pod\'s ServiceAccount token');
          this.keepTokens(ps, p, this.clock.now() + 60_000);
        });
    }, Math.max(0, at - this.clock.now()));
  }

  pids(ps: PodState): number[] {
    return ps.containers.map((c) => (c.handle as Handle | undefined)).filter((h) => h && !h.exited && h.child?.pid).map((h) => h!.child!.pid!);
  }

  async start(ps: PodState, c: ContainerState, spec: any, pod: KubeObject, _now: number): Promise<void> {
    const command: string[] = entrypoint(spec);
    if (!command.length) {
      throw new RuntimeStartError('CreateContainerError', `container "${c.name}" has no command: the process runtime cannot know the entrypoint of image "${spec.image}", so set spec.containers[].command`);
    }
    const p = await this.prepare(ps, pod);
    const root = p.dirs.root;
    // A debug container (`kubectl debug --target`) joins its target: the target's environment and volumes, then its own.
    const target = spec.targetContainerName ? (pod.spec?.containers ?? []).find((x: any) => x?.name === spec.targetContainerName) : undefined;
    // The API server's address, as the kubelet gives every container the `kubernetes` Service's variables.
    const endpoint = await this.o.apiServer?.();
    const serviceEnv = endpoint ? kubernetesServiceEnv(endpoint) : {};
    const env = { ...(target ? await containerEnv(this.o.client, pod, target, serviceEnv) : {}), ...await containerEnv(this.o.client, pod, spec, serviceEnv) };
    const roots = writable(p.dirs);
    const volEnv = { ...(target ? mountVolumes(target, p.volumes, root, roots) : {}), ...mountVolumes(spec, p.volumes, root, roots) };
    const termPath = inRoot(root, spec.terminationMessagePath ?? '/dev/termination-log');
    // A fresh, empty termination log: never through a symlink the pod left at its path, never outside the pod.
    fs.closeSync(openInside(termPath, [p.dirs.dir], 0o644, `terminationMessagePath ${JSON.stringify(spec.terminationMessagePath ?? '/dev/termination-log')}`));
    const fullEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: root, HOSTNAME: pod.metadata.name!,
      ...env, ...volEnv, NODELESS_ROOT: root, NODELESS_TERMINATION_LOG: termPath,
    };
    const argv = [...command, ...(spec.command?.length ? spec.args ?? [] : [])].map((a: string) => expand(String(a), env));
    const cwd = spec.workingDir ? inRoot(root, spec.workingDir) : root;
    mkdirInside(cwd, roots, `workingDir ${JSON.stringify(spec.workingDir)}`);
    const index = c.created ? c.restarts + 1 : 0;
    const logPath = within(p.dirs.logs, `${c.name}/${index}.log`);
    mkdirInside(path.dirname(logPath), [p.dirs.dir]);
    const port = metricsPortOf(pod, this.o.clusterDefaults?.() ?? {});
    const denied = listenDeniedMessage(String(spec.image ?? ''), port);
    if (metricsPortConflict(pod, c.name, this.o.clusterDefaults?.() ?? {}) !== undefined) return this.refuse(ps, c, spec, { index, logPath, termPath, probes: [], exited: false }, denied, p.dirs.dir);
    // `tty: true` runs on a terminal (streams.ts); `stdin: true` (or a terminal) keeps a stdin pipe for attach.
    const tty = spec.tty === true;
    if (tty) {
      try { resolveExecutable(argv[0], fullEnv, cwd); } catch {
        throw new RuntimeStartError('RunContainerError', `failed to start container "${c.name}": exec: "${argv[0]}": executable file not found in $PATH`);
      }
    }
    const run = tty ? onTerminal(argv, fullEnv) : { file: argv[0], args: argv.slice(1), env: fullEnv };
    const out = openInside(logPath, [p.dirs.dir]);
    const child = spawn(run.file, run.args, { cwd, env: run.env, detached: true, stdio: [spec.stdin === true || tty ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
    } catch (e) {
      fs.closeSync(out);
      throw new RuntimeStartError('RunContainerError', `failed to start container "${c.name}": exec: "${argv[0]}": ${(e as any).code === 'ENOENT' ? 'executable file not found in $PATH' : (e as Error).message}`);
    }
    live.add(child.pid!);
    this.mine.add(child.pid!);
    child.stdin?.on('error', () => undefined);
    const io = new ContainerIO(child.stdin ?? undefined, tty ? new Terminal(child.pid!) : undefined, spec.stdinOnce === true);
    const h: Handle = { child, index, logPath, termPath, probes: [], exited: false, tty, env: { env: fullEnv, cwd, io } };
    c.handle = h;
    // Binding the metrics port is refused by the VM; here the process is killed once it did.
    h.unguard = guardPort(child.pid!, port, () => {
      if (h.exited) return;
      h.denied = denied;
      killGroup(child.pid, 'SIGKILL');
    });
    const pipe = (stream: NodeJS.ReadableStream, name: LogLine['stream']) => {
      let partial = '';
      const utf8 = new StringDecoder('utf8');
      stream.on('data', (b: Buffer) => {
        io.output(name, b);
        const parts = (partial + utf8.write(b)).split('\n');
        partial = parts.pop()!;
        for (const text of parts) fs.writeSync(out, criLine({ time: Date.now(), stream: name, text }));
      });
      stream.on('end', () => { if (partial) fs.writeSync(out, criLine({ time: Date.now(), stream: name, text: partial })); partial = ''; });
    };
    pipe(child.stdout!, 'stdout');
    pipe(child.stderr!, 'stderr');
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      h.exited = true;
      live.delete(child.pid!);
      this.mine.delete(child.pid!);
      if (h.killTimer) clearTimeout(h.killTimer);
      h.unguard?.();
      for (const stop of h.probes) stop();
      io.exited();
      // Its last words, as nginx's would be: the bind error, and exit code 1 (not the SIGKILL's 137).
      if (h.denied) { try { fs.writeSync(out, criLine({ time: Date.now(), stream: 'stderr', text: h.denied })); } catch { /* closed */ } }
      try { fs.closeSync(out); } catch { /* closed */ }
      const exitCode = h.denied ? 1 : code ?? 128 + (signal ? os.constants.signals[signal] ?? 0 : 0);
      this.o.onExit(ps, c, exitCode, Date.now(), { message: this.readTerminationMessage(h, spec, exitCode) });
    };
    // 'close' waits for stdout/stderr to drain; a grandchild holding them open must not hang us.
    child.on('close', finish);
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 500));
    c.started = !spec.startupProbe;
    c.ready = c.started && !spec.readinessProbe;
    this.probe(ps, c, spec, pod, h, { cwd, env: fullEnv, ports: Object.fromEntries((spec.ports ?? []).filter((x: any) => x.name).map((x: any) => [x.name, x.containerPort])) });
  }

  /**
   * A container declaring the metrics port as a containerPort: no process is
   * run; the instance starts, logs the bind error and exits 1 a moment later
   * (after the lifecycle marked it running), so it crash-loops like the
   * simulated one.
   */
  private refuse(ps: PodState, c: ContainerState, spec: any, h: Handle, denied: string, podDir: string): void {
    writeInside(h.logPath, criLine({ time: Date.now(), stream: 'stderr', text: denied }), [podDir]);
    c.handle = h;
    c.started = true;
    c.ready = false;
    h.killTimer = setTimeout(() => {
      if (c.handle !== h || h.exited) return;
      h.exited = true;
      this.o.onExit(ps, c, 1, Date.now(), { message: this.readTerminationMessage(h, spec, 1) });
    }, 100);
  }

  private probe(ps: PodState, c: ContainerState, spec: any, pod: KubeObject, h: Handle, env: ProbeEnv) {
    const grace = (probe: any) => probe.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const restart = (kind: string, probe: any) => {
      if (c.stopping || h.exited) return;
      this.o.event(ps, 'Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`, c);
      c.stopping = true;
      c.restartOnStop = true;
      this.stop(ps, c, grace(probe), Date.now());
    };
    if (spec.startupProbe) {
      const stop = startProber('Startup', spec.startupProbe, env, (e) => {
        if (e.kind === 'failed') this.o.event(ps, 'Warning', 'Unhealthy', `Startup probe failed: ${e.output}`, c);
        else if (e.kind === 'success') { c.started = true; if (!spec.readinessProbe) c.ready = true; stop(); this.o.onProbe(ps); }
        else restart('startup', spec.startupProbe);
      });
      h.probes.push(stop);
    }
    if (spec.readinessProbe) {
      h.probes.push(startProber('Readiness', spec.readinessProbe, env, (e) => {
        if (e.kind === 'failed') this.o.event(ps, 'Warning', 'Unhealthy', `Readiness probe failed: ${e.output}`, c);
        else { c.ready = e.kind === 'success'; this.o.onProbe(ps); }
      }, () => c.started));
    }
    if (spec.livenessProbe) {
      h.probes.push(startProber('Liveness', spec.livenessProbe, env, (e) => {
        if (e.kind === 'failed') this.o.event(ps, 'Warning', 'Unhealthy', `Liveness probe failed: ${e.output}`, c);
        else if (e.kind === 'threshold') restart('liveness', spec.livenessProbe);
      }, () => c.started));
    }
  }

  /** File policy: what the process wrote to terminationMessagePath (4 KiB at most); FallbackToLogsOnError: else the log tail on failure. */
  private readTerminationMessage(h: Handle, spec: any, exitCode: number): string | undefined {
    // Read without following a symlink the process may have put there (it would show another file's contents).
    let msg = readNoFollow(h.termPath, 4096) ?? '';
    if (!msg && exitCode !== 0 && spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      msg = fallbackMessage(this.lines(h.logPath).map((l) => l.text).join('\n'));
    }
    return msg || undefined;
  }

  stop(_ps: PodState, c: ContainerState, graceSec: number, _now?: number): void {
    const h = c.handle as Handle | undefined;
    // A refused instance (no process) ends by itself in a moment.
    if (!h || h.exited || !h.child) return;
    if (graceSec <= 0) { signal(h, 'SIGKILL'); return; }
    signal(h, 'SIGTERM');
    if (h.killTimer) clearTimeout(h.killTimer);
    h.killTimer = setTimeout(() => signal(h, 'SIGKILL'), timerDelay(graceSec * 1000));
  }

  /** A running instance's environment and stdio, for exec and attach (streams.ts). */
  instance(ps: PodState, container: string): ContainerEnv | undefined {
    const h = ps.containers.find((c) => c.name === container && c.state === 'running')?.handle as Handle | undefined;
    return h && !h.exited && h.child ? h.env : undefined;
  }

  podUpdated(ps: PodState, pod: KubeObject): void {
    const p = this.prepared.get(ps.uid);
    if (!p) return;
    const meta = JSON.stringify([pod.metadata.labels, pod.metadata.annotations]);
    if (meta === p.meta) return;
    p.meta = meta;
    refreshDownward(pod, p.dirs);
  }

  private lines(file: string): LogLine[] {
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
    return text.split('\n').map(parseCriLine).filter((l): l is LogLine => !!l);
  }

  private locate(ps: PodState | undefined, pod: KubeObject, opts: LogOptions): { c: ContainerState; file: string } {
    const name = opts.container ?? pod.spec?.containers?.[0]?.name;
    const c = ps?.containers.find((x) => x.name === name);
    if (!ps || !c) throw errors.badRequest(`container ${name} is not valid for pod ${pod.metadata.name}`);
    const index = pickInstance(ps, c, opts.previous);
    return { c, file: path.join(podDirs(this.o.stateDir, pod).logs, c.name, `${index}.log`) };
  }

  readLog(ps: PodState | undefined, pod: KubeObject, opts: LogOptions): string {
    const { file } = this.locate(ps, pod, opts);
    return renderLog(this.lines(file), opts);
  }

  followLog(ps: PodState | undefined, pod: KubeObject, opts: LogOptions, onData: (t: string) => void, onEnd: () => void): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const { c, file } = this.locate(ps, pod, opts);
      const h = c.handle as Handle | undefined;
      let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
      let rest = '';
      const poll = () => {
        if (stopped) return;
        try {
          const size = fs.statSync(file).size;
          if (size > offset) {
            const fd = fs.openSync(file, 'r');
            const buf = Buffer.alloc(size - offset);
            fs.readSync(fd, buf, 0, buf.length, offset);
            fs.closeSync(fd);
            offset = size;
            const parts = (rest + buf.toString('utf8')).split('\n');
            rest = parts.pop()!;
            const lines = parts.map(parseCriLine).filter((l): l is LogLine => !!l);
            if (lines.length) onData(renderLog(lines, { timestamps: opts.timestamps }));
          }
        } catch { /* file gone: the pod was deleted */ }
        if (opts.previous || !h || h.exited || c.handle !== h) { onEnd(); return; }
        timer = setTimeout(poll, 200);
      };
      timer = setTimeout(poll, 200);
    } catch {
      timer = setTimeout(onEnd, 0);
    }
    return () => { stopped = true; if (timer) clearTimeout(timer); };
  }

  cleanup(ps: PodState): void {
    for (const c of ps.containers) {
      const h = c.handle as Handle | undefined;
      if (!h) continue;
      h.unguard?.();
      if (!h.child && h.killTimer) clearTimeout(h.killTimer);
      if (!h.exited) { for (const stop of h.probes) stop(); signal(h, 'SIGKILL'); }
    }
    const p = this.prepared.get(ps.uid);
    this.prepared.delete(ps.uid);
    p?.tokenTimer?.stop();
    if (p) fs.rm(p.dirs.dir, { recursive: true, force: true }, () => undefined);
  }

  async shutdown(): Promise<void> {
    for (const p of this.prepared.values()) p.tokenTimer?.stop();
    for (const pid of this.mine) killTree(pid, 'SIGKILL');
  }
}
