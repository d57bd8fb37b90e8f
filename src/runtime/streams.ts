// exec, attach and port-forward for the process runtime's pods: what the API
// server's streaming protocols (src/apiserver/streaming) hand a session to.
//
// - exec spawns the command with the container's environment and working
//   directory ($NODELESS_ROOT as the container sees it), in its own process
//   group; it dies with the container, the pod, or the client's connection.
// - attach joins a running container's own stdio: its output is copied to
//   every attached client, a container with `stdin: true` was started with a
//   stdin pipe the clients write to (`stdinOnce` closes it after the first
//   session), a `tty: true` container runs under a terminal.
// - a terminal (exec -t, tty containers) is util-linux's `script`, which
//   runs the command on a pseudo-terminal; a resize sets the terminal's size
//   with `stty -F` on it, which also sends the program SIGWINCH.
// - port-forward connects to the port on this host, where process pods listen.
//
// A container in namespaces of its own (namespaces.ts) gives `enter`: exec
// then runs through nsenter into its namespaces, root, working directory and
// user, and its executable is looked up in its root. Port-forward needs no
// change: process pods share this machine's network. The protocols do not
// change. docs/streaming.md, docs/process-runtime.md.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../apiserver/status.js';
import type { PodStreams, StreamCheck, StreamIO, TerminalSize } from '../apiserver/streaming/types.js';
import { RUNTIME_ANNOTATION, wantsProcessRuntime } from './simulate.js';
import type { PodState, Runtime } from './types.js';

/** What exec needs of a running container instance. */
export interface ContainerEnv {
  env: Record<string, string>;
  /** The working directory (in the container's root when `enter` is given). */
  cwd: string;
  io: ContainerIO;
  /** A container in namespaces: how a command is run inside it, and where its root is seen from here. */
  enter?: { wrap(argv: string[]): string[]; root(): string };
}

/** What streams.ts needs of a node agent. */
export interface StreamHost {
  readonly nodeName: string;
  /** The pod's state and the runtime that runs it (undefined: the agent does not know the pod). */
  streamTarget(pod: KubeObject): { ps: PodState; runtime: Runtime } | undefined;
}

/** The process runtime's side (ProcessRuntime implements it). */
export interface ProcessInstances {
  instance(ps: PodState, container: string): ContainerEnv | undefined;
}

// ---- process groups: every exec and terminal helper, so none outlives what it belongs to ----

/** The pids of a process and all its descendants (children first found by /proc's parent links). */
function tree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after it start past the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch { /* gone */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parent) if (p === out[i]) out.push(c);
  return out;
}

/** Kills a process and everything it started (a terminal's program is in a session of its own). */
export function killTree(pid: number | undefined, sig: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  let pids: number[] = [pid];
  try { pids = tree(pid); } catch { /* no /proc: the group alone */ }
  try { process.kill(-pid, sig); } catch { /* not a group leader, or gone */ }
  for (const p of pids) { try { process.kill(p, sig); } catch { /* gone */ } }
}

const liveExecs = new Set<number>();
let exitHook = false;
function track(pid: number): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => { for (const p of liveExecs) killTree(p); });
  }
  liveExecs.add(pid);
}

// ---- terminals ----

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The argv and environment that run `argv` on a new pseudo-terminal (util-linux script). */
export function onTerminal(argv: string[], env: Record<string, string>): { file: string; args: string[]; env: Record<string, string> } {
  // script runs `$SHELL -c STRING`: the shell is /bin/sh, and the container's own SHELL (if any) is put back.
  const restore = Object.hasOwn(env, 'SHELL') ? `SHELL=${shellQuote(env.SHELL)}; export SHELL; ` : 'unset SHELL; ';
  return { file: 'script', args: ['-q', '-e', '-c', `${restore}exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'], env: { ...env, SHELL: '/bin/sh' } };
}

/**
 * The terminal a `script` process made: found as the stdin of the first process below `topPid`
 * that has one (script's child; in a container, below nsenter and script inside), resized with stty.
 */
export class Terminal {
  private pts?: Promise<string | undefined>;

  constructor(private topPid: number) {}

  private find(): Promise<string | undefined> {
    return (this.pts ??= (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          for (const pid of tree(this.topPid).slice(1)) {
            try {
              // A container's terminal is in its own devpts: reached through the process's fd, not by name.
              if (/\/dev\/pts\/\d+$/.test(fs.readlinkSync(`/proc/${pid}/fd/0`))) return `/proc/${pid}/fd/0`;
            } catch { /* gone */ }
          }
        } catch { /* not yet */ }
        if (!fs.existsSync(`/proc/${this.topPid}`)) return undefined;
        await new Promise((r) => setTimeout(r, 10));
      }
      return undefined;
    })());
  }

  async resize(size: TerminalSize): Promise<void> {
    if (!(size.width > 0 && size.height > 0 && size.width < 65536 && size.height < 65536)) return;
    const pts = await this.find();
    // Not found yet (a loaded machine: the program is not on its terminal yet): looked for again next time.
    if (!pts) { this.pts = undefined; return; }
    await new Promise<void>((r) => execFile('stty', ['-F', pts, 'rows', String(Math.floor(size.height)), 'cols', String(Math.floor(size.width))], () => r()));
  }
}

// ---- attach ----

interface Attached {
  stdout?: Writable;
  stderr?: Writable;
  done: () => void;
}

/**
 * A container instance's own stdio, shared by the clients attached to it.
 * process.ts feeds it the output and tells it when the instance ends.
 */
export class ContainerIO extends EventEmitter {
  private sessions = new Set<Attached>();
  private sessionsEver = 0;
  ended = false;

  constructor(readonly stdin: Writable | undefined, readonly terminal: Terminal | undefined, private stdinOnce: boolean) {
    super();
  }

  /**
   * The container's output, to every attached client. The container is not
   * slowed down for a slow client (its log is written regardless): what the
   * client cannot take yet waits in its stream's buffer.
   */
  output(stream: 'stdout' | 'stderr', data: Buffer): void {
    for (const s of this.sessions) {
      // A terminal's output is one stream; without one, stderr goes where the client asked for it.
      const w = stream === 'stderr' && s.stderr ? s.stderr : s.stdout;
      if (w && !w.writableEnded) w.write(data);
    }
  }

  /** The instance ended: attached sessions end (their output was all handed over). */
  exited(): void {
    this.ended = true;
    // Its execs go with it, as the processes of a container's PID namespace do.
    this.emit('containerExit');
    for (const s of [...this.sessions]) s.done();
  }

  attach(io: StreamIO): Promise<void> {
    if (this.ended) return Promise.resolve();
    const first = this.sessionsEver++ === 0;
    return new Promise((resolve) => {
      let finished = false;
      const s: Attached = {
        stdout: io.stdout, stderr: io.tty ? undefined : io.stderr,
        done: () => {
          if (finished) return;
          finished = true;
          this.sessions.delete(s);
          io.stdin?.unpipe();
          // stdinOnce: the container's stdin closes when its first session ends.
          if (first && this.stdinOnce && this.stdin && !this.stdin.writableEnded) this.stdin.end();
          resolve();
        },
      };
      this.sessions.add(s);
      // Always taken (a client may ask for a TTY the container lacks): resizes must not hold stdin back.
      io.onResize((size) => this.terminal?.resize(size));
      if (io.stdin) {
        if (this.stdin) {
          io.stdin.on('data', (d: Buffer) => { if (!this.stdin!.writableEnded) this.stdin!.write(d); });
          // The client closed stdin: a stdinOnce container's stdin closes with it; the session goes on until it exits.
          io.stdin.on('end', () => { if (first && this.stdinOnce && !this.stdin!.writableEnded) this.stdin!.end(); });
        } else io.stdin.resume();
      }
      io.signal.addEventListener('abort', () => s.done(), { once: true });
    });
  }
}

// ---- exec ----

/**
 * Where an executable named by argv[0] is, as execve with the container's PATH finds it; or runc's
 * error. `root`: the container's root as seen from here (the path returned is the container's).
 */
export function resolveExecutable(file: string, env: Record<string, string>, cwd: string, root = ''): string {
  const runnable = (p: string) => {
    try {
      const st = fs.statSync(root + p);
      if (!st.isFile()) return false;
      fs.accessSync(root + p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (file.includes('/')) {
    const p = path.resolve(cwd, file);
    if (runnable(p)) return p;
    throw new Error(`exec: "${file}": stat ${file}: no such file or directory: unknown`);
  }
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (dir && runnable(path.join(dir, file))) return path.join(dir, file);
  }
  throw new Error(`exec: "${file}": executable file not found in $PATH: unknown`);
}

/**
 * Runs `command` in a container's environment with the client's streams;
 * resolves with its exit code (128+signal when killed), as containerd reports it.
 */
export async function execIn(target: ContainerEnv, command: string[], io: StreamIO): Promise<number> {
  const execId = randomBytes(32).toString('hex');
  let file: string;
  try {
    file = resolveExecutable(command[0], target.env, target.cwd, target.enter?.root());
  } catch (e) {
    throw new Error(`error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: unable to start container process: ${(e as Error).message}`);
  }
  // In namespaces the command is run by nsenter, inside (a terminal too: its session must be in the
  // container's PID namespace for the shell's job control); its argv0 is the command as given.
  let run: { file: string; args: string[]; env: Record<string, string> };
  if (target.enter) {
    const inner = io.tty ? onTerminal(command, target.env) : { file: command[0], args: command.slice(1), env: target.env };
    const argv = target.enter.wrap([inner.file, ...inner.args]);
    run = { file: argv[0], args: argv.slice(1), env: inner.env };
  } else run = io.tty ? onTerminal(command, target.env) : { file, args: command.slice(1), env: target.env };
  const child: ChildProcess = spawn(run.file, run.args, {
    cwd: target.enter ? '/' : target.cwd, env: run.env, detached: true,
    // A terminal always gets a stdin pipe: script reads end-of-file as the end of the session.
    stdio: [io.stdin || io.tty ? 'pipe' : 'ignore', 'pipe', io.tty ? 'ignore' : 'pipe'],
    ...(target.enter ? {} : { argv0: command[0] }),
  });
  try {
    await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  } catch (e) {
    throw new Error(`error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": ${(e as Error).message}: unknown`);
  }
  const pid = child.pid!;
  track(pid);
  target.io.once('containerExit', kill);
  const terminal = io.tty ? new Terminal(pid) : undefined;
  if (terminal) io.onResize((s) => terminal.resize(s));
  if (child.stdin) {
    child.stdin.on('error', () => undefined);
    if (io.stdin) io.stdin.pipe(child.stdin);
  }
  const outputs: Promise<void>[] = [];
  const copy = (from: NodeJS.ReadableStream | null, to: Writable | undefined) => {
    if (!from) return;
    if (!to) { from.resume(); return; }
    outputs.push(new Promise((r) => {
      from.on('data', (d: Buffer) => { if (!to.write(d)) { from.pause(); to.once('drain', () => from.resume()); } });
      from.on('end', () => r());
      from.on('error', () => r());
    }));
  };
  copy(child.stdout, io.stdout);
  copy(child.stderr, io.stderr);
  function kill() { killTree(pid); }
  const onAbort = () => kill();
  io.signal.addEventListener('abort', onAbort, { once: true });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  // What it wrote before exiting is delivered; a grandchild holding the pipes open is not waited for.
  await Promise.race([Promise.all(outputs), new Promise((r) => setTimeout(r, 500).unref())]);
  io.signal.removeEventListener('abort', onAbort);
  target.io.off('containerExit', kill);
  liveExecs.delete(pid);
  // Whatever it left behind in its group goes with it, as processes in a container's PID namespace do.
  try { process.kill(-pid, 'SIGKILL'); } catch { /* none */ }
  child.stdin?.destroy();
  return code ?? 128 + (signal ? os.constants.signals[signal] ?? 0 : 0);
}

// ---- port-forward ----

const dialMessage = (family: 'tcp4' | 'tcp6', addr: string, e: NodeJS.ErrnoException) =>
  `dial ${family} ${addr}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : e.code === 'ENETUNREACH' ? 'network is unreachable' : e.message}`;

function dial(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

/**
 * A connection to the pod's port, as containerd makes it: localhost over IPv4,
 * then IPv6, and its error text when neither answers.
 */
export async function connectPort(sandboxId: string, port: number): Promise<Duplex> {
  try {
    return await dial('127.0.0.1', port);
  } catch (e4) {
    try {
      return await dial('::1', port);
    } catch (e6) {
      throw new Error(`failed to execute portforward in network namespace "host": failed to connect to localhost:${port} inside namespace "${sandboxId}", IPv4: ${dialMessage('tcp4', `127.0.0.1:${port}`, e4 as NodeJS.ErrnoException)} IPv6 ${dialMessage('tcp6', `[::1]:${port}`, e6 as NodeJS.ErrnoException)} `);
    }
  }
}

// ---- the backend the API server gets ----

export const sandboxId = (pod: KubeObject) => createHash('sha256').update(`${pod.metadata.uid}/sandbox`).digest('hex');

const NEEDS = `the process runtime (nodeless up --allow-process-runtime and annotation ${RUNTIME_ANNOTATION}: process)`;

/** exec, attach and port-forward for the pods of these agents. */
export function podStreams(agents: () => Iterable<StreamHost>): PodStreams {
  const find = (pod: KubeObject, kind: string) => {
    let host: StreamHost | undefined;
    for (const a of agents()) if (a.nodeName === pod.spec?.nodeName) host = a;
    if (!host) throw new StatusError(400, 'BadRequest', `pod ${pod.metadata.name} is on node "${pod.spec?.nodeName}", which no node agent of this nodeless runs: ${kind} needs ${NEEDS}`);
    const t = host.streamTarget(pod);
    // A pod the agent has not taken up yet is judged by what it asked for.
    if (t ? t.runtime.name !== 'process' : !wantsProcessRuntime(pod)) throw new StatusError(400, 'BadRequest', `pod ${pod.metadata.name} is simulated: ${kind} needs ${NEEDS}`);
    return t as { ps: PodState; runtime: Runtime & ProcessInstances } | undefined;
  };
  const instance = (pod: KubeObject, container: string) => {
    const t = find(pod, 'exec');
    const c = t?.ps.containers.find((x) => x.name === container);
    return t && c && c.state === 'running' ? t.runtime.instance(t.ps, container) : undefined;
  };
  const gone = (container: string) => new Error(`container not found ("${container}")`);
  return {
    check(pod, container, kind): StreamCheck {
      const label = kind === 'portforward' ? 'port-forward' : kind;
      const t = find(pod, label);
      if (kind === 'portforward') return t ? { ok: true } : { ok: false, notRunning: true };
      return container && instance(pod, container) ? { ok: true } : { ok: false, notRunning: true };
    },
    async exec(pod, container, command, io) {
      const target = instance(pod, container);
      if (!target) throw gone(container);
      return execIn(target, command, io);
    },
    async attach(pod, container, io) {
      const target = instance(pod, container);
      if (!target) throw gone(container);
      return target.io.attach(io);
    },
    portForward(pod, port) {
      find(pod, 'port-forward');
      return connectPort(sandboxId(pod), port);
    },
    sandboxId,
  };
}
