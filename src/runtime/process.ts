// The process runtime (opt-in): a container is its command + args run as a
// local process with the pod's environment. Where this machine allows it,
// each pod runs in Linux namespaces of its own (namespaces.ts, container.ts):
// the manifest runs as written — volumes at their mountPath, the hostname,
// /etc/hosts, /etc/resolv.conf, /dev/termination-log, the securityContext's
// user and a read-only root — on this machine's files, which it never writes.
// Elsewhere (no namespaces) it falls back to a per-pod directory standing in
// for the container's filesystem (volumes.ts, $NODELESS_ROOT), and says so.
// Real stdout/stderr become `kubectl logs`, real exit codes the container
// state, and deletion sends SIGTERM, then SIGKILL after the grace period.
// The pod's metrics port (9100) is the VM agent's (docs/tencent/metrics-port.md):
// a container that declares it, or whose processes bind it (portguard.ts), dies
// with the documented bind error and exit code 1, as in the simulated runtime.
// docs/process-runtime.md.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { KubeObject } from '../api/types.js';
import type { LogOptions } from '../apiserver/subresources.js';
import { errors } from '../apiserver/status.js';
import type { Client } from '../client/types.js';
import type { LifecycleHost } from './lifecycle.js';
import { criLine, fallbackMessage, parseCriLine, pickInstance, renderLog, type LogLine } from './logs.js';
import { listenDeniedMessage, metricsPortConflict, metricsPortOf } from './metrics.js';
import { guardPort } from './portguard.js';
import { startProber, type ProbeEnv } from './probes.js';
import { runHandler } from './hooks.js';
import { ContainerIO, killTree, onTerminal, resolveExecutable, Terminal, type ContainerEnv, type ProcessInstances } from './streams.js';
import type { ContainerState, PodState, Runtime } from './types.js';
import { RuntimeStartError } from './types.js';
import {
  containerEnv, expand, hasDownward, hasToken, inRoot, mountVolumes, podDirs, prepareVolumes, refreshVolumes, volumeReferences, writable,
  type PodDirs, type PreparedVolume, type TokenSource,
} from './volumes.js';
import { kubernetesServiceEnv, requestProjectedToken, type ApiEndpoint } from './incluster.js';
import { realClock, type Clock, type ClockTimer } from '../util/clock.js';
import { logger } from '../util/log.js';
import { mkdirInside, openInside, readNoFollow, within, writeInside } from './paths.js';
import { timerDelay } from '../util/timers.js';
import {
  containerArgv, execPrefix, mountNamespaceOf, namespaceSupport, passwdEntry, PodSandbox, privArgs, signalNamespace,
  type ContainerPlan, type NamespaceSupport,
} from './namespaces.js';
import { containerCaps, containerUser, volumeMounts } from './container.js';
import { hostsFile, podDns, podHostname, resolvConf } from './podfiles.js';
import { imageShims } from './shims.js';

const log = logger('kubelet');

export interface ProcessRuntimeOptions {
  client: Client;
  stateDir: string;
  hostIP: string;
  onExit(ps: PodState, c: ContainerState, code: number, at: number, extra: { message?: string; signal?: number; reason?: string }): void;
  /** A probe changed ready/started. */
  onProbe(ps: PodState): void;
  /** Stops an instance the kubelet's way (Killing event, preStop hook, grace period): a failed liveness or startup probe. */
  kill?(ps: PodState, c: ContainerState, graceSec: number, message: string): void;
  event: LifecycleHost['event'];
  podOf(ps: PodState): KubeObject | undefined;
  /** kube-system/eks-config default annotations (a cluster-wide metrics-port). */
  clusterDefaults?: () => Record<string, string>;
  /** Where the pods' processes reach the API server (KUBERNETES_SERVICE_HOST/PORT); none: not set. */
  apiServer?: () => Promise<ApiEndpoint | undefined>;
  /** The cluster DNS's reachable address for ClusterFirst pods (docs/dns.md); undefined: the kube-dns ClusterIP, which nothing answers. */
  clusterDns?: () => string | undefined;
  /** When projected tokens are refreshed (the node agent's clock). */
  clock?: Clock;
  /** Tells about ConfigMap and Secret changes (the kubelet's watches); returns the function that stops telling. */
  watchObjects?: (onChange: (kind: 'configmaps' | 'secrets', obj: KubeObject) => void) => () => void;
  /** Host paths a container never sees (nodeless' home: other pods' volumes, keys, the store). */
  hiddenPaths?: string[];
  /** What this machine allows (default: detected for stateDir). */
  namespaces?: NamespaceSupport;
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
  /** In namespaces: the container's main process (as this machine sees it) and its mount namespace. */
  main?: number;
  mntns?: string;
  /** Holds the mount namespace open, so its id is not another container's while we may signal by it. */
  nsfd?: number;
  /** Where exec probes and hooks run (its environment, or inside its namespaces). */
  probeEnv?: ProbeEnv;
}

interface Prepared {
  ps: PodState;
  dirs: PodDirs;
  volumes: Map<string, PreparedVolume>;
  meta: string;
  /** When its projected ServiceAccount tokens are next written afresh. */
  tokenTimer?: ClockTimer;
  sandbox?: PodSandbox;
  /** ConfigMaps and Secrets its volumes read. */
  configmaps: Set<string>;
  secrets: Set<string>;
  refreshing?: Promise<void>;
  again?: boolean;
  /** The tokens last written (a refresh for another reason writes them again, not new ones). */
  tokens: Map<string, string>;
}

/** Every live process group, so a dying nodeless takes its children along. */
const live = new Set<number>();
let exitHook = false;
function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try { process.kill(-pid, sig); } catch { /* already gone */ }
}

/**
 * Signals an instance. In namespaces: SIGTERM goes to the container's main
 * process only (as runc's kill does; PID 1 of its namespace ignores what it
 * has no handler for), SIGKILL to every process of the container. Without:
 * its process group, and on a terminal the program's own session too.
 */
function signal(h: Handle, sig: NodeJS.Signals): void {
  if (h.mntns) {
    if (sig === 'SIGKILL') {
      signalNamespace(h.mntns, 'SIGKILL');
      killTree(h.child?.pid, 'SIGKILL');
    } else if (h.main) {
      try { process.kill(h.main, sig); } catch { /* gone */ }
    }
    return;
  }
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

/** Reads the container setup's status pipe until the program is exec'ed (`started`), or why it was not. */
function setupStatus(child: ChildProcess, status: Readable): Promise<{ pid?: number; started: boolean; notFound: boolean; text: string }> {
  return new Promise((resolve) => {
    let text = '';
    let pid: number | undefined;
    let done = false;
    const finish = (started: boolean) => {
      if (done) return;
      done = true;
      status.removeAllListeners('data');
      const notFound = /^notfound$/m.test(text);
      const rest = text.split('\n').filter((l) => l && !/^(pid \d+|started|notfound)$/.test(l)).join('\n');
      resolve({ pid, started, notFound, text: rest });
    };
    status.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const m = /^pid (\d+)$/m.exec(text);
      if (m) pid = Number(m[1]);
      if (/^started$/m.test(text)) finish(true);
    });
    status.on('end', () => finish(false));
    status.on('error', () => finish(false));
    child.once('error', () => finish(false));
  });
}

export class ProcessRuntime implements Runtime, ProcessInstances {
  readonly name = 'process' as const;
  readonly namespaces: NamespaceSupport;
  private prepared = new Map<string, Promise<Prepared>>();
  private ready = new Map<string, Prepared>();
  /** This runtime's live process groups (`live` holds every runtime's). */
  private mine = new Set<number>();
  private unwatch?: () => void;

  constructor(private o: ProcessRuntimeOptions) {
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => { for (const pid of live) killGroup(pid, 'SIGKILL'); });
    }
    this.namespaces = o.namespaces ?? namespaceSupport(o.stateDir);
  }

  private prepare(ps: PodState, pod: KubeObject): Promise<Prepared> {
    let p = this.prepared.get(ps.uid);
    if (!p) {
      p = this.makePrepared(ps, pod);
      this.prepared.set(ps.uid, p);
      // A failure (a missing ConfigMap) is tried again at the next start.
      p.then((r) => this.ready.set(ps.uid, r), () => { if (this.prepared.get(ps.uid) === p) this.prepared.delete(ps.uid); });
    }
    return p;
  }

  pid(c: ContainerState): number | undefined {
    const h = c.handle as Handle | undefined;
    return h && !h.exited ? h.child?.pid : undefined;
  }

  /**
   * Requests the pod's projected tokens, remembering when the first of them wants refreshing. With
   * `cache` (a volume rewritten because a ConfigMap or the pod's labels changed) a token already
   * written is written again, not requested anew.
   */
  private tokenSource(pod: KubeObject, tokens: Map<string, string>, cache = false): { source: TokenSource; next(): number | undefined } {
    let next: number | undefined;
    const source: TokenSource = async (tp) => {
      const key = JSON.stringify([tp.audience ?? '', tp.expirationSeconds ?? 0, tp.path ?? '']);
      const had = tokens.get(key);
      if (cache && had !== undefined) return had;
      const t = await requestProjectedToken(this.o.client, pod, tp, this.clock);
      next = Math.min(next ?? Infinity, t.refreshAt);
      tokens.set(key, t.token);
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
      if (this.ready.get(ps.uid) !== p) return;
      const pod = this.o.podOf(ps);
      if (!pod || pod.metadata.deletionTimestamp) return;
      const tokens = this.tokenSource(pod, p.tokens);
      refreshVolumes(this.o.client, pod, p.dirs, hasToken, tokens.source, true).then(
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

  private async makePrepared(ps: PodState, pod: KubeObject): Promise<Prepared> {
    const dirs = podDirs(this.o.stateDir, pod);
    for (const d of [dirs.host, dirs.volumes, dirs.logs]) fs.mkdirSync(d, { recursive: true });
    const tokenCache = new Map<string, string>();
    const tokens = this.tokenSource(pod, tokenCache);
    const volumes = await prepareVolumes(this.o.client, pod, dirs, tokens.source);
    const p: Prepared = { ps, dirs, volumes, meta: JSON.stringify([pod.metadata.labels, pod.metadata.annotations]), configmaps: new Set(), secrets: new Set(), tokens: tokenCache };
    for (const v of pod.spec?.volumes ?? []) {
      const r = volumeReferences(v);
      r.configmaps.forEach((n) => p.configmaps.add(n));
      r.secrets.forEach((n) => p.secrets.add(n));
    }
    if ((p.configmaps.size || p.secrets.size) && !this.unwatch && this.o.watchObjects) this.unwatch = this.o.watchObjects((kind, obj) => this.objectChanged(kind, obj));
    const ns = this.namespaces;
    if (!ns.available) {
      fs.mkdirSync(dirs.root, { recursive: true });
      this.o.event(ps, 'Warning', 'NamespacesUnavailable', `Linux namespaces cannot be made on this node (${ns.reason}): the containers run as processes on this machine, with their paths under $NODELESS_ROOT`);
      this.keepTokens(ps, p, tokens.next());
      return p;
    }
    for (const d of [dirs.etc, dirs.shm, dirs.containers, dirs.rootfs]) mkdirInside(d, [dirs.dir]);
    const { hostname } = podHostname(pod);
    writeInside(path.join(dirs.etc, 'hosts'), hostsFile(pod, ps.ip ? [ps.ip] : []), [dirs.dir], 0o644);
    writeInside(path.join(dirs.etc, 'hostname'), `${hostname}\n`, [dirs.dir], 0o644);
    writeInside(path.join(dirs.etc, 'resolv.conf'), resolvConf(podDns(pod, undefined, this.o.clusterDns?.())), [dirs.dir], 0o644);
    const fsGroup = typeof pod.spec?.securityContext?.fsGroup === 'number' ? pod.spec.securityContext.fsGroup : undefined;
    try {
      p.sandbox = await PodSandbox.start(ns, {
        hostname: pod.spec?.hostNetwork === true ? undefined : hostname,
        hostIPC: pod.spec?.hostIPC === true,
        sharePid: pod.spec?.shareProcessNamespace === true && pod.spec?.hostPID !== true,
        shm: dirs.shm,
        memory: [...volumes.values()].filter((v) => v.memory).map((v) => ({ dir: v.dir, sizeBytes: v.memory!.sizeBytes, gid: fsGroup })),
        layers: dirs.containers,
      });
    } catch (e) {
      throw new RuntimeStartError('CreateContainerError', (e as Error).message);
    }
    this.keepTokens(ps, p, tokens.next());
    return p;
  }

  /** A ConfigMap or Secret changed: the pods whose volumes read it get their files again. */
  private objectChanged(kind: 'configmaps' | 'secrets', obj: KubeObject): void {
    for (const p of this.ready.values()) {
      if (!(kind === 'configmaps' ? p.configmaps : p.secrets).has(obj.metadata.name!)) continue;
      const pod = this.o.podOf(p.ps);
      if (pod && pod.metadata.namespace === obj.metadata.namespace) this.refresh(p, () => true);
    }
  }

  /** Rewrites volumes (those `only` picks), one refresh at a time per pod (a change during one makes another, of all). */
  private refresh(p: Prepared, only: (v: any) => boolean): void {
    if (p.refreshing) { p.again = true; return; }
    const pod = this.o.podOf(p.ps);
    if (!pod) return;
    p.refreshing = refreshVolumes(this.o.client, pod, p.dirs, only, this.tokenSource(pod, p.tokens, true).source).finally(() => {
      p.refreshing = undefined;
      if (p.again) { p.again = false; this.refresh(p, () => true); }
    });
  }

  async start(ps: PodState, c: ContainerState, spec: any, pod: KubeObject, _now: number): Promise<void> {
    const command: string[] = entrypoint(spec);
    if (!command.length) {
      throw new RuntimeStartError('CreateContainerError', `container "${c.name}" has no command: the process runtime cannot know the entrypoint of image "${spec.image}", so set spec.containers[].command`);
    }
    const p = await this.prepare(ps, pod);
    // A debug container (`kubectl debug --target`) joins its target: the target's environment (and, without namespaces, its volumes), then its own.
    const target = spec.targetContainerName ? (pod.spec?.containers ?? []).find((x: any) => x?.name === spec.targetContainerName) : undefined;
    // The API server's address, as the kubelet gives every container the `kubernetes` Service's variables.
    const endpoint = await this.o.apiServer?.();
    const serviceEnv = endpoint ? kubernetesServiceEnv(endpoint) : {};
    const env = { ...(target ? await containerEnv(this.o.client, pod, target, serviceEnv) : {}), ...await containerEnv(this.o.client, pod, spec, serviceEnv) };
    const argv = [...command, ...(spec.command?.length ? spec.args ?? [] : [])].map((a: string) => expand(String(a), env));
    const index = c.created ? c.restarts + 1 : 0;
    const logPath = within(p.dirs.logs, `${c.name}/${index}.log`);
    mkdirInside(path.dirname(logPath), [p.dirs.dir]);
    const port = metricsPortOf(pod, this.o.clusterDefaults?.() ?? {});
    const denied = listenDeniedMessage(String(spec.image ?? ''), port);
    const tty = spec.tty === true;
    let launch: { file: string; args: string[]; env: Record<string, string>; cwd: string; status: boolean };
    let h: Handle;
    let enter: ContainerEnv['enter'];
    let cwd: string;
    if (p.sandbox) {
      const dir = within(p.dirs.containers, `${c.name}/${index}`);
      mkdirInside(dir, [p.dirs.dir]);
      // The last instance's writable layer goes (a restarted container starts from the image again).
      for (const old of fs.readdirSync(path.dirname(dir))) if (old !== String(index)) fs.rmSync(this.layerPath(p, path.join(path.dirname(dir), old)), { recursive: true, force: true });
      const termPath = path.join(dir, 'termination-log');
      // Written by the container through its mount; kubelet makes it world-writable for any runAsUser.
      fs.closeSync(openInside(termPath, [p.dirs.dir], 0o666));
      fs.chmodSync(termPath, 0o666);
      if (metricsPortConflict(pod, c.name, this.o.clusterDefaults?.() ?? {}) !== undefined) return this.refuse(ps, c, spec, { index, logPath, termPath, probes: [], exited: false }, denied, p.dirs.dir);
      const user = containerUser(pod, spec, this.namespaces);
      const workingDir = spec.workingDir ? String(spec.workingDir) : '/';
      if (!workingDir.startsWith('/')) throw new RuntimeStartError('CreateContainerError', `failed to generate container spec: the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
      const roots = writable(p.dirs);
      const mounts = [
        ...imageShims(spec, this.o.stateDir),
        ...volumeMounts(spec, p.volumes, env, p.dirs, roots, `/proc/${p.sandbox.pid}/root`),
      ];
      const tmTarget = path.posix.normalize(`/${spec.terminationMessagePath ?? '/dev/termination-log'}`);
      const st = fs.statSync(termPath, { bigint: true });
      mounts.push({ source: termPath, target: tmTarget, readOnly: false, file: true, expect: `${st.dev}:${st.ino}`, what: 'the termination log' });
      const targetMain = target && spec.targetContainerName ? this.mainOf(ps, spec.targetContainerName) : undefined;
      const plan: ContainerPlan = {
        rootfs: p.dirs.rootfs, layer: dir, hidden: this.o.hiddenPaths ?? [this.o.stateDir], mounts, workingDir,
        readOnlyRoot: spec.securityContext?.readOnlyRootFilesystem === true, privileged: spec.securityContext?.privileged === true,
        user, caps: containerCaps(spec), noNewPrivs: spec.securityContext?.allowPrivilegeEscalation === false,
        pid: pod.spec?.hostPID === true ? 'host' : targetMain ?? (pod.spec?.shareProcessNamespace === true ? 'sandbox' : 'own'), shm: p.dirs.shm,
      };
      const home = passwdEntry(user.uid)?.home || '/';
      const { hostname } = podHostname(pod);
      const fullEnv: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOSTNAME: pod.spec?.hostNetwork === true ? os.hostname() : hostname, HOME: home, ...env,
      };
      // A terminal is made inside the container (script): the shell's session and job control are in its PID namespace.
      const inner = tty ? onTerminal(argv, fullEnv) : { file: argv[0], args: argv.slice(1), env: fullEnv };
      const chain = containerArgv(p.sandbox, plan, [inner.file, ...inner.args], argv[0]);
      launch = { file: chain[0], args: chain.slice(1), env: inner.env, cwd: '/', status: true };
      h = { index, logPath, termPath, probes: [], exited: false, tty };
      const priv = privArgs(this.namespaces, plan);
      enter = { wrap: (cmd) => [...execPrefix(this.namespaces, h.main!, workingDir, priv), ...cmd], root: () => `/proc/${h.main}/root` };
      cwd = workingDir;
    } else {
      const root = p.dirs.root;
      const roots = writable(p.dirs);
      const volEnv = { ...(target ? mountVolumes(target, p.volumes, root, roots) : {}), ...mountVolumes(spec, p.volumes, root, roots) };
      const termPath = inRoot(root, spec.terminationMessagePath ?? '/dev/termination-log');
      // A fresh, empty termination log: never through a symlink the pod left at its path, never outside the pod.
      fs.closeSync(openInside(termPath, [p.dirs.dir], 0o644, `terminationMessagePath ${JSON.stringify(spec.terminationMessagePath ?? '/dev/termination-log')}`));
      const fullEnv: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: root, HOSTNAME: pod.metadata.name!,
        ...env, ...volEnv, NODELESS_ROOT: root, NODELESS_TERMINATION_LOG: termPath,
      };
      cwd = spec.workingDir ? inRoot(root, spec.workingDir) : root;
      mkdirInside(cwd, roots, `workingDir ${JSON.stringify(spec.workingDir)}`);
      if (metricsPortConflict(pod, c.name, this.o.clusterDefaults?.() ?? {}) !== undefined) return this.refuse(ps, c, spec, { index, logPath, termPath, probes: [], exited: false }, denied, p.dirs.dir);
      if (tty) {
        try { resolveExecutable(argv[0], fullEnv, cwd); } catch {
          throw new RuntimeStartError('RunContainerError', `failed to start container "${c.name}": exec: "${argv[0]}": executable file not found in $PATH`);
        }
      }
      const run = tty ? onTerminal(argv, fullEnv) : { file: argv[0], args: argv.slice(1), env: fullEnv };
      launch = { ...run, cwd, status: false };
      h = { index, logPath, termPath, probes: [], exited: false, tty };
    }
    // `tty: true` runs on a terminal (streams.ts); `stdin: true` (or a terminal) keeps a stdin pipe for attach.
    const out = openInside(logPath, [p.dirs.dir]);
    const child = spawn(launch.file, launch.args, {
      cwd: launch.cwd, env: launch.env, detached: true,
      stdio: [spec.stdin === true || tty ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(launch.status ? ['pipe' as const] : [])],
    });
    try {
      await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
    } catch (e) {
      fs.closeSync(out);
      throw new RuntimeStartError('RunContainerError', `failed to start container "${c.name}": exec: "${argv[0]}": ${(e as any).code === 'ENOENT' ? 'executable file not found in $PATH' : (e as Error).message}`);
    }
    live.add(child.pid!);
    this.mine.add(child.pid!);
    child.stdin?.on('error', () => undefined);
    h.child = child;
    if (launch.status) {
      // The setup reports the main process, then `started` as the program is exec'ed; anything else is why it failed.
      const st = await setupStatus(child, child.stdio[3] as Readable);
      if (st.pid) {
        h.main = st.pid;
        try { h.nsfd = fs.openSync(`/proc/${st.pid}/ns/mnt`, 'r'); } catch { /* gone already */ }
        h.mntns = mountNamespaceOf(st.pid);
      }
      if (!st.started) {
        if (h.mntns) signalNamespace(h.mntns, 'SIGKILL');
        if (h.nsfd !== undefined) fs.closeSync(h.nsfd);
        killTree(child.pid, 'SIGKILL');
        live.delete(child.pid!);
        this.mine.delete(child.pid!);
        fs.closeSync(out);
        if (st.notFound) throw new RuntimeStartError('RunContainerError', `failed to start container "${c.name}": exec: "${argv[0]}": executable file not found in $PATH`);
        throw new RuntimeStartError('RunContainerError', `failed to start container "${c.name}": ${st.text || 'the container setup failed'}`);
      }
    }
    const io = new ContainerIO(child.stdin ?? undefined, tty ? new Terminal(child.pid!) : undefined, spec.stdinOnce === true);
    h.env = { env: launch.env, cwd, io, enter };
    c.handle = h;
    // Binding the metrics port is refused by the VM; here the process is killed once it did.
    h.unguard = guardPort(child.pid!, port, () => {
      if (h.exited) return;
      h.denied = denied;
      signal(h, 'SIGKILL');
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
    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      h.exited = true;
      live.delete(child.pid!);
      this.mine.delete(child.pid!);
      if (h.killTimer) clearTimeout(h.killTimer);
      h.unguard?.();
      for (const stop of h.probes) stop();
      // The container is over: what its main process left running goes with it, as runc does.
      if (h.mntns) signalNamespace(h.mntns, 'SIGKILL');
      if (h.nsfd !== undefined) { try { fs.closeSync(h.nsfd); } catch { /* closed */ } h.nsfd = undefined; }
      io.exited();
      // Its last words, as nginx's would be: the bind error, and exit code 1 (not the SIGKILL's 137).
      if (h.denied) { try { fs.writeSync(out, criLine({ time: Date.now(), stream: 'stderr', text: h.denied })); } catch { /* closed */ } }
      try { fs.closeSync(out); } catch { /* closed */ }
      const exitCode = h.denied ? 1 : code ?? 128 + (sig ? os.constants.signals[sig] ?? 0 : 0);
      this.o.onExit(ps, c, exitCode, Date.now(), { message: this.readTerminationMessage(h, spec, exitCode) });
    };
    // 'close' waits for stdout/stderr to drain; a grandchild holding them open must not hang us.
    child.on('close', finish);
    child.on('exit', (code, sig) => setTimeout(() => finish(code, sig), 500));
    c.started = !spec.startupProbe;
    c.ready = c.started && !spec.readinessProbe;
    h.probeEnv = {
      cwd: launch.cwd, env: launch.env, wrap: enter?.wrap,
      ports: Object.fromEntries((spec.ports ?? []).filter((x: any) => x.name).map((x: any) => [x.name, x.containerPort])),
    };
    this.probe(ps, c, spec, pod, h, h.probeEnv);
  }

  /** Where the process sees a path of the pod's directory (a tmpfs layer is only in the sandbox's mount namespace). */
  private layerPath(p: Prepared, file: string): string {
    return this.namespaces.layersOnTmpfs && p.sandbox ? `/proc/${p.sandbox.pid}/root${file}` : file;
  }

  /** The main process of a running container of the pod (a debug container joins its PID namespace). */
  private mainOf(ps: PodState, name: string): number | undefined {
    const h = ps.containers.find((c) => c.name === name && c.state === 'running')?.handle as Handle | undefined;
    return h && !h.exited ? h.main : undefined;
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
      const why = `Container ${c.name} failed ${kind} probe, will be restarted`;
      c.restartOnStop = true;
      if (this.o.kill) { this.o.kill(ps, c, grace(probe), why); return; }
      this.o.event(ps, 'Normal', 'Killing', why, c);
      c.stopping = true;
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

  /** A lifecycle hook in the running instance (hooks.ts): exec inside it, httpGet to its port, sleep. */
  runHook(ps: PodState, c: ContainerState, pod: KubeObject, handler: any, signal: AbortSignal): Promise<string | undefined> {
    const h = c.handle as Handle | undefined;
    // A refused instance (no process) has nothing to run a hook in.
    if (!h?.probeEnv || h.exited) return Promise.resolve(undefined);
    return runHandler(handler, h.probeEnv, { pod: `${ps.name}_${ps.namespace}(${ps.uid})`, container: c.name, podIP: ps.ip ?? pod.status?.podIP ?? '127.0.0.1' }, signal);
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

  /**
   * An instance ended. Once the pod is over (Succeeded or Failed, nothing running), its sandbox is
   * stopped, as the kubelet stops a finished pod's sandbox: no process of it stays behind. Its
   * files (logs, termination messages) stay until the pod is deleted.
   */
  exited(ps: PodState): void {
    setImmediate(() => {
      if (!ps.done || ps.containers.some((c) => c.state === 'running' || c.starting)) return;
      this.ready.get(ps.uid)?.sandbox?.kill();
    });
  }

  podUpdated(ps: PodState, pod: KubeObject): void {
    const p = this.ready.get(ps.uid);
    if (!p) return;
    const meta = JSON.stringify([pod.metadata.labels, pod.metadata.annotations]);
    if (meta === p.meta) return;
    p.meta = meta;
    this.refresh(p, hasDownward);
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

  cleanup(ps: PodState): Promise<void> {
    for (const c of ps.containers) {
      const h = c.handle as Handle | undefined;
      if (!h) continue;
      h.unguard?.();
      if (!h.child && h.killTimer) clearTimeout(h.killTimer);
      if (!h.exited) { for (const stop of h.probes) stop(); signal(h, 'SIGKILL'); }
    }
    const p = this.prepared.get(ps.uid);
    this.prepared.delete(ps.uid);
    this.ready.delete(ps.uid);
    if (!p) return Promise.resolve();
    // The sandbox goes last: with a shared PID namespace, its end is every process's end.
    return p.then((r) => {
      r.tokenTimer?.stop();
      r.sandbox?.kill();
      fs.rm(r.dirs.dir, { recursive: true, force: true }, () => undefined);
    }, () => undefined);
  }

  /** The directories holding the pod's writable layers, as the disk measures them (disk.ts). */
  writableDirs(ps: PodState, pod: KubeObject): string[] {
    const p = this.ready.get(ps.uid);
    const dirs = p?.dirs ?? podDirs(this.o.stateDir, pod);
    if (!p?.sandbox) return [dirs.root];
    return [this.layerPath(p, dirs.containers)];
  }

  async shutdown(): Promise<void> {
    for (const p of this.ready.values()) p.tokenTimer?.stop();
    for (const pid of this.mine) killTree(pid, 'SIGKILL');
    for (const p of this.ready.values()) {
      for (const c of p.ps.containers) { const h = c.handle as Handle | undefined; if (h?.mntns && !h.exited) signalNamespace(h.mntns, 'SIGKILL'); }
      p.sandbox?.kill();
    }
    this.unwatch?.();
    this.unwatch = undefined;
  }
}
