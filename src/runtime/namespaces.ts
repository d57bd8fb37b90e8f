// Linux namespaces for process-runtime pods, from util-linux's unshare,
// nsenter and setpriv (docs/process-runtime.md):
//
// - the pod's sandbox is a "pause" process in new mount, UTS and IPC
//   namespaces (and a PID namespace when shareProcessNamespace is set); it
//   holds them, and mounts what the pod's containers share: the pod's
//   /dev/shm and its `medium: Memory` emptyDirs (tmpfs).
// - each container enters the sandbox's namespaces (nsenter), makes its own
//   mount namespace (and PID namespace, Kubernetes' default), builds its root
//   file system — an overlay of this machine's "/" (and of each other host
//   mount) with the container's own writable layer on top, so the host's files
//   are there to run but never written — mounts proc, sys, a small /dev, its
//   volumes at their mountPath, /etc/hosts, /etc/resolv.conf, /etc/hostname
//   and the termination log, chroots into it and execs the program through
//   setpriv (user, groups, capabilities).
// - exec, attach's terminal and exec probes enter a running container the
//   same way (execPrefix).
//
// What nodeless' own processes (the shell stages) write to the pod's status
// pipe (fd 3): `pid N` (the container's main process as this machine sees it),
// then `started` just before the program is exec'ed, or the error.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The programs the sandbox needs, by absolute path (the same inside a container: its root is this machine's). */
export interface Tools {
  sh: string;
  unshare: string;
  nsenter: string;
  setpriv: string;
  mount: string;
  umount: string;
  chroot: string;
  stat: string;
  mkdir: string;
  ln: string;
  rmdir: string;
  rm: string;
  sleep: string;
  readlink: string;
  chmod: string;
  chown: string;
  /** sethostname(2) (the hostname program): in a user namespace /proc/sys/kernel/hostname is the host's root's file, not writable. */
  hostname?: string;
}

export interface NamespaceSupport {
  /** Pods run in namespaces; false: the fallback (today's host processes under $NODELESS_ROOT). */
  available: boolean;
  /** Why they cannot (shown once at start and in each pod's NamespacesUnavailable event). */
  reason?: string;
  /** The sandbox is a user namespace mapping this user to root (nodeless is not root, or asked for it). */
  userns: boolean;
  /** The state directory's file system cannot hold overlay upper layers: layers live on a tmpfs per pod. */
  layersOnTmpfs: boolean;
  tools?: Tools;
}

const q = (s: string) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function which(name: string, dirs = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return undefined;
}

function findTools(): Tools | string {
  const out: Partial<Tools> = {};
  const names: (keyof Tools)[] = ['sh', 'unshare', 'nsenter', 'setpriv', 'mount', 'umount', 'chroot', 'stat', 'mkdir', 'ln', 'rmdir', 'rm', 'sleep', 'readlink', 'chmod', 'chown'];
  const missing = names.filter((n) => !(out[n] = which(n)));
  if (missing.length) return `${missing.join(', ')} not found (util-linux and coreutils are needed)`;
  out.hostname = which('hostname');
  return out as Tools;
}

/** The shell line that names the UTS namespace (the probe's and each pod's). */
const setHostname = (t: Tools, name: string) => (t.hostname ? `${t.hostname} ${q(name)}` : `printf %s ${q(name)} > /proc/sys/kernel/hostname`);

const cache = new Map<string, NamespaceSupport>();

/**
 * What this machine allows, tried once per state directory: NODELESS_PROCESS_NAMESPACES=off forces
 * the fallback, =userns a user namespace even for root. As root, plain namespaces are
 * tried first, then a user namespace; otherwise a user namespace only.
 */
export function namespaceSupport(stateDir: string, env: NodeJS.ProcessEnv = process.env): NamespaceSupport {
  const mode = String(env.NODELESS_PROCESS_NAMESPACES ?? 'auto').toLowerCase();
  const key = `${mode}\0${stateDir}`;
  let s = cache.get(key);
  if (!s) {
    s = detect(stateDir, mode);
    cache.set(key, s);
  }
  return s;
}

function detect(stateDir: string, mode: string): NamespaceSupport {
  const no = (reason: string): NamespaceSupport => ({ available: false, reason, userns: false, layersOnTmpfs: false });
  if (['off', '0', 'false', 'no'].includes(mode)) return no('turned off by NODELESS_PROCESS_NAMESPACES=off');
  if (process.platform !== 'linux') return no(`namespaces are a Linux feature (this is ${process.platform})`);
  const tools = findTools();
  if (typeof tools === 'string') return no(tools);
  const root = process.getuid?.() === 0;
  const tries = mode === 'userns' || !root ? [true] : [false, true];
  let reason = '';
  for (const userns of tries) {
    const r = probe(stateDir, tools, userns);
    if (r.ok) return { available: true, userns, layersOnTmpfs: r.layersOnTmpfs, tools };
    reason ||= r.reason;
  }
  return no(reason);
}

/** The unshare flags that make a sandbox (the user namespace first when used). */
const userFlags = (userns: boolean) => (userns ? ['--user', '--map-root-user'] : []);

function probe(stateDir: string, t: Tools, userns: boolean): { ok: true; layersOnTmpfs: boolean } | { ok: false; reason: string } {
  let dir: string;
  try {
    fs.mkdirSync(stateDir, { recursive: true });
    dir = fs.mkdtempSync(path.join(stateDir, '.probe-'));
    for (const d of ['m', 'up', 'work', 't', 'low', 'low/proc', 'low/dev']) fs.mkdirSync(path.join(dir, d));
  } catch (e) {
    return { ok: false, reason: `cannot prepare ${stateDir}: ${(e as Error).message}` };
  }
  const script = [
    'set -e',
    setHostname(t, 'probe'),
    `${t.mount} -t tmpfs -o size=1m tmpfs ${q(`${dir}/t`)}`,
    // A lower layer with nothing mounted below it ("/" itself is tried per container; a user namespace refuses it).
    `if ${t.mount} -t overlay overlay -o ${q(`lowerdir=${dir}/low,upperdir=${dir}/up,workdir=${dir}/work`)} ${q(`${dir}/m`)} 2>/dev/null; then echo layers=disk;`,
    `else ${t.mkdir} ${q(`${dir}/t/up`)} ${q(`${dir}/t/work`)}; ${t.mount} -t overlay overlay -o ${q(`lowerdir=${dir}/low,upperdir=${dir}/t/up,workdir=${dir}/t/work`)} ${q(`${dir}/m`)}; echo layers=tmpfs; fi`,
    `${t.mount} -t proc proc ${q(`${dir}/m/proc`)}`,
    `${t.mount} -t tmpfs tmpfs ${q(`${dir}/m/dev`)}`,
    `: > ${q(`${dir}/m/dev/null`)}`,
    `${t.mount} --bind /dev/null ${q(`${dir}/m/dev/null`)}`,
    `${t.mount} -o remount,bind,ro ${q(`${dir}/m/dev/null`)}`,
    'echo ok',
  ].join('\n');
  const r = spawnSync(t.unshare, [...userFlags(userns), '--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', t.sh, '-c', script], { encoding: 'utf8', timeout: 15_000 });
  fs.rm(dir, { recursive: true, force: true }, () => undefined);
  const out = `${r.stdout ?? ''}`;
  if (r.status === 0 && /^ok$/m.test(out)) return { ok: true, layersOnTmpfs: /layers=tmpfs/.test(out) };
  const why = `${r.stderr ?? ''}`.trim().split('\n').pop() || r.error?.message || `exit status ${r.status}`;
  return { ok: false, reason: `${userns ? 'a user namespace' : 'namespaces'} could not be made here (${why})` };
}

// ---- the host's mounts, as a container's root sees them ----

interface HostMount { point: string; options: string }

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o) => String.fromCharCode(parseInt(o, 8)));

/** This machine's mounts (mountinfo), the last one mounted at each point. */
export function hostMounts(file = '/proc/self/mountinfo'): HostMount[] {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  const byPoint = new Map<string, HostMount>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    byPoint.set(unescape(f[4]), { point: unescape(f[4]), options: f[5] });
  }
  return [...byPoint.values()];
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
const depth = (p: string) => p.split('/').filter(Boolean).length;
/** The flags a read-only remount must keep (a user namespace refuses to drop locked ones). */
const lockedFlags = (options: string) => options.split(',').filter((o) => ['nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime'].includes(o));

// ---- the sandbox (pause) ----

export interface SandboxSpec {
  /** The pod's kernel hostname; undefined: the host's (hostNetwork). */
  hostname?: string;
  hostIPC: boolean;
  /** shareProcessNamespace: the pause is PID 1 of a PID namespace every container joins. */
  sharePid: boolean;
  /** Mount point of the pod's /dev/shm (a directory in the pod's own directory). */
  shm: string;
  /** `medium: Memory` emptyDirs, mounted as tmpfs where their directories are. */
  memory: { dir: string; sizeBytes?: number; gid?: number }[];
  /** Where the containers' writable layers go (a tmpfs when the disk cannot hold overlay layers). */
  layers: string;
}

/** Every pause and container chain this process started, killed when it exits (pdeathsig covers a kill -9). */
const live = new Set<number>();
let exitHook = false;
function track(pid: number): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => { for (const p of live) { try { process.kill(-p, 'SIGKILL'); } catch { /* gone */ } } });
  }
  live.add(pid);
}

export class PodSandbox {
  private constructor(readonly ns: NamespaceSupport, readonly pid: number, private proc: ChildProcess, readonly spec: SandboxSpec) {}

  /** Starts the pause and waits until its namespaces and mounts are there. */
  static async start(ns: NamespaceSupport, spec: SandboxSpec): Promise<PodSandbox> {
    const t = ns.tools!;
    const lines = [
      'exec 2>&1',
      'set -e',
      ...(spec.hostname !== undefined ? [setHostname(t, spec.hostname)] : []),
      `${t.mount} -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=67108864 shm ${q(spec.shm)}`,
      ...spec.memory.map((m) => `${t.mount} -t tmpfs -o ${q(`${m.gid !== undefined ? `mode=2777,gid=${m.gid}` : 'mode=0777'}${m.sizeBytes ? `,size=${m.sizeBytes}` : ''}`)} tmpfs ${q(m.dir)}`),
      ...(ns.layersOnTmpfs ? [`${t.mount} -t tmpfs -o mode=0700 tmpfs ${q(spec.layers)}`] : []),
      'read -r pid _ < /proc/self/stat',
      'echo "ready $pid"',
      'exec >/dev/null 2>&1 </dev/null',
      // As PID 1 it reaps the orphans of the pod's containers; otherwise it only holds the namespaces.
      spec.sharePid ? `while :; do ${t.sleep} 3600 & wait; done` : `exec ${t.sleep} 2147483647`,
    ];
    const flags = [...userFlags(ns.userns), '--mount', '--propagation', 'private', ...(spec.hostname !== undefined ? ['--uts'] : []), ...(spec.hostIPC ? [] : ['--ipc']), ...(spec.sharePid ? ['--pid', '--fork', '--kill-child'] : [])];
    const proc = spawn(t.setpriv, ['--pdeathsig', 'KILL', '--', t.unshare, ...flags, '--', t.sh, '-c', lines.join('\n')], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (proc.pid) track(proc.pid);
    let out = '';
    const pid = await new Promise<number>((resolve, reject) => {
      const fail = (why: string) => { try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } reject(new Error(`failed to create pod sandbox: ${why}`)); };
      const timer = setTimeout(() => fail('the sandbox did not start within 30s'), 30_000);
      proc.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /^ready (\d+)$/m.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      proc.stderr!.on('data', (d: Buffer) => (out += d));
      proc.once('error', (e) => { clearTimeout(timer); fail(e.message); });
      proc.once('exit', () => { clearTimeout(timer); fail(out.trim().split('\n').pop() || 'the sandbox exited'); });
    });
    proc.stdout!.destroy();
    proc.stderr!.destroy();
    proc.removeAllListeners('exit');
    proc.once('exit', () => live.delete(proc.pid!));
    return new PodSandbox(ns, pid, proc, spec);
  }

  /** The namespaces the pause made (the others are this machine's). */
  private own(kind: 'mnt' | 'uts' | 'ipc' | 'pid' | 'user'): boolean {
    if (kind === 'mnt') return true;
    if (kind === 'user') return this.ns.userns;
    if (kind === 'uts') return this.spec.hostname !== undefined;
    if (kind === 'ipc') return !this.spec.hostIPC;
    return this.spec.sharePid;
  }

  /** nsenter arguments that join the sandbox (`pidOf`: whose PID namespace, when not the sandbox's own). */
  enterArgs(pidOf?: number): string[] {
    const p = (k: string) => `/proc/${this.pid}/ns/${k}`;
    const args: string[] = [];
    if (this.own('user')) args.push(`--user=${p('user')}`, '--preserve-credentials');
    args.push(`--mount=${p('mnt')}`);
    if (this.own('uts')) args.push(`--uts=${p('uts')}`);
    if (this.own('ipc')) args.push(`--ipc=${p('ipc')}`);
    if (pidOf !== undefined) args.push(`--pid=/proc/${pidOf}/ns/pid`);
    else if (this.own('pid')) args.push(`--pid=${p('pid')}`);
    return args;
  }

  private killed = false;

  /** Ends the sandbox (once: its pids may be another process's later). */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    try { process.kill(-this.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
    live.delete(this.proc.pid!);
  }
}

// ---- a container ----

export interface BindMount {
  /** Where it is on this machine (checked to be where it should be). */
  source: string;
  /** The path in the container. */
  target: string;
  readOnly: boolean;
  file: boolean;
  /** `dev:ino` of the source as checked; the mount is refused if another object got there meanwhile. */
  expect: string;
  /** How errors name it ("volume \"config\""). */
  what: string;
}

export interface ContainerUser {
  uid: number;
  gid: number;
  groups: number[];
}

export interface ContainerPlan {
  /** An empty directory: the root's mount point (in the container's own mount namespace only). */
  rootfs: string;
  /** The writable layer: upper and work directories (created by the container's setup). */
  layer: string;
  /** Host paths hidden from the container (nodeless' home: other pods' volumes, keys). */
  hidden: string[];
  mounts: BindMount[];
  workingDir: string;
  readOnlyRoot: boolean;
  privileged: boolean;
  user: ContainerUser;
  /** setpriv capability names (bounding set); ignored when privileged. */
  caps: string[];
  noNewPrivs: boolean;
  /** own: a PID namespace of its own (Kubernetes' default); sandbox: the pod's; a pid: join that process's; host. */
  pid: 'own' | 'sandbox' | 'host' | number;
  /** The pod's /dev/shm mount point. */
  shm: string;
}

/** The capabilities containerd gives a container (oci.DefaultCapabilities). */
export const DEFAULT_CAPS = ['chown', 'dac_override', 'fsetid', 'fowner', 'mknod', 'net_raw', 'setgid', 'setuid', 'setfcap', 'setpcap', 'net_bind_service', 'sys_chroot', 'kill', 'audit_write'];

/** setpriv's arguments that give the program its user, groups and capabilities. */
export function privArgs(ns: NamespaceSupport, plan: Pick<ContainerPlan, 'user' | 'privileged' | 'caps' | 'noNewPrivs'>): string[] {
  const a: string[] = [];
  // A user namespace maps only root: the ids are already 0 and groups cannot be set.
  if (!ns.userns) {
    a.push(`--reuid=${plan.user.uid}`, `--regid=${plan.user.gid}`);
    a.push(plan.user.groups.length ? `--groups=${plan.user.groups.join(',')}` : '--clear-groups');
  }
  if (!plan.privileged) a.push('--inh-caps=-all', `--bounding-set=-all${plan.caps.map((c) => `,+${c}`).join('')}`);
  if (plan.noNewPrivs) a.push('--no-new-privs');
  a.push('--pdeathsig=KILL', '--');
  return a;
}

/**
 * A read-only remount that keeps what a user namespace keeps locked, trying the usual flag sets
 * (`raw`: the target is already shell text, e.g. "$R$1").
 */
const roRemount = (t: Tools, target: string, extra: string[] = [], raw = false) => {
  const sets = [extra, ['nosuid', 'nodev'], ['nosuid', 'nodev', 'noexec'], ['nosuid'], ['nodev']];
  return sets.map((s, i) => `${t.mount} -o ${q(['remount', 'bind', 'ro', ...s].join(','))} ${raw ? target : q(target)}${i < sets.length - 1 ? ' 2>/dev/null' : ''}`).join(' || ');
};

/**
 * The argv that starts a container in `sandbox` per `plan` and runs `argv`
 * (fd 3 of the spawned process must be a pipe: the status pipe). `program`
 * is what must be found on the container's PATH (argv may be a terminal's wrapper).
 */
export function containerArgv(sandbox: PodSandbox, plan: ContainerPlan, argv: string[], program = argv[0]): string[] {
  const ns = sandbox.ns;
  const t = ns.tools!;
  const R = plan.rootfs;
  const S = `${R}/dev/.nodeless`;
  const hidden = plan.hidden.map((h) => path.resolve(h));
  const mounts = hostMounts().filter((m) => m.point !== '/' && !['/proc', '/sys', '/dev'].some((d) => under(m.point, d)) && !hidden.some((h) => under(m.point, h)) && !/[,:\n]/.test(m.point))
    .sort((a, b) => depth(a.point) - depth(b.point));
  const sys = hostMounts().filter((m) => under(m.point, '/sys')).sort((a, b) => depth(a.point) - depth(b.point));
  const special = ['/proc', '/sys', '/dev', ...hidden];
  const s1: string[] = [
    'exec 4>&2 2>&3',
    'set -e',
    'read -r pid _ < /proc/self/stat',
    'echo "pid $pid" >&3',
    `R=${q(R)}`,
    `L=${q(plan.layer)}`,
    // What became part of the root (for a read-only root later), one per line.
    'NODELESS_ROOTS=',
    'n=0',
    // A host directory as an overlay with a writable layer of its own (its top takes the directory's mode and owner).
    'ov() {',
    '  n=$((n+1))',
    `  ${t.mkdir} -p "$L/upper/$n" "$L/work/$n"`,
    `  ${t.chmod} --reference="\${1:-/}" "$L/upper/$n" 2>/dev/null || :`,
    `  ${t.chown} --reference="\${1:-/}" "$L/upper/$n" 2>/dev/null || :`,
    `  ${t.mount} -t overlay overlay -o "lowerdir=\${1:-/},upperdir=$L/upper/$n,workdir=$L/work/$n" "$R$1" 2>/dev/null || return 1`,
    '  NODELESS_ROOTS="$NODELESS_ROOTS${1:-/}\n"',
    '}',
    // A host file, bound read-only.
    'rofile() {',
    `  : > "$R$1" && ${t.mount} --bind "$1" "$R$1" 2>/dev/null && { ${roRemount(t, '"$R$1"', [], true)} 2>/dev/null || ${t.umount} -l "$R$1"; }`,
    '}',
    // A directory that cannot be overlaid whole (a user namespace refuses a lower layer with mounts below it):
    // a tmpfs with each of its entries again, overlaid (or, failing that, built the same way).
    'skel() {',
    '  local e',
    `  ${t.mount} -t tmpfs -o mode=755 tmpfs "$R$1" || return 1`,
    `  ${t.chmod} --reference="\${1:-/}" "$R$1" 2>/dev/null || :`,
    '  NODELESS_ROOTS="$NODELESS_ROOTS${1:-/}\n"',
    '  for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do',
    '    [ -e "$e" ] || [ -L "$e" ] || continue',
    `    case "$e" in ${special.map(q).join('|')}) ${t.mkdir} -p "$R$e"; continue ;; esac`,
    `    if [ -L "$e" ]; then ${t.ln} -s "$(${t.readlink} "$e")" "$R$e"`,
    `    elif [ -d "$e" ]; then ${t.mkdir} "$R$e"; ov "$e" || skel "$e" || :`,
    '    else rofile "$e" || :; fi',
    '  done',
    '}',
    // The root: this machine's "/" as an overlay, and each other mount of it again (nothing of the host
    // is written; where overlay cannot stack on one, a read-only bind, and failing that it stays hidden).
    // Where "/" cannot be a lower layer, the root is built entry by entry.
    'if ov ""; then',
  ];
  for (const m of mounts) {
    s1.push(`  if [ -d ${q(m.point)} ] && [ -d "$R"${q(m.point)} ]; then ov ${q(m.point)} || { ${t.mount} --bind ${q(m.point)} "$R"${q(m.point)} 2>/dev/null && { ${roRemount(t, `"$R"${q(m.point)}`, lockedFlags(m.options), true)} 2>/dev/null || ${t.umount} -l "$R"${q(m.point)}; }; } || :; `
      + `elif [ -e ${q(m.point)} ] && [ -e "$R"${q(m.point)} ]; then ${t.mount} --bind ${q(m.point)} "$R"${q(m.point)} 2>/dev/null && { ${roRemount(t, `"$R"${q(m.point)}`, lockedFlags(m.options), true)} 2>/dev/null || ${t.umount} -l "$R"${q(m.point)}; } || :; fi`);
  }
  s1.push('else skel ""; fi', 'export NODELESS_ROOTS');
  if (ns.userns) {
    // In a user namespace a host directory below the top belongs to an unmapped owner: the container's root
    // cannot make a mount target in it (/var/lib/data), even through the overlay. The deepest directory that
    // exists on the way to each target becomes one of the root's own (an overlay, or built again).
    const targets = [...plan.mounts.map((m) => (m.file ? path.posix.dirname(m.target) : m.target)), plan.workingDir]
      .filter((x) => !['/proc', '/sys', '/dev'].some((d) => under(x, d)));
    s1.push(
      'ours() {',
      '  local d="$1"',
      '  while [ -n "$d" ] && [ ! -e "$R$d" ] && [ ! -L "$R$d" ]; do d="${d%/*}"; done',
      '  [ -n "$d" ] && [ -d "$R$d" ] && [ ! -L "$R$d" ] && [ ! -w "$R$d" ] || return 0',
      '  ov "$d" || skel "$d" || :',
      '}',
      ...[...new Set(targets)].map((x) => `ours ${q(x)}`),
    );
  }
  s1.push(
    `${t.mount} -t proc -o nosuid,nodev,noexec proc ${q(`${R}/proc`)}`,
    `${t.mount} --rbind /sys ${q(`${R}/sys`)}`,
    ...sys.map((m) => `${roRemount(t, `${R}${m.point}`, lockedFlags(m.options))} 2>/dev/null || true`),
    `${t.mount} -t tmpfs -o nosuid,mode=755,size=65536k tmpfs ${q(`${R}/dev`)}`,
    `for d in null zero full random urandom tty; do if [ -e "/dev/$d" ]; then : > ${q(`${R}/dev/`)}"$d"; ${t.mount} --bind "/dev/$d" ${q(`${R}/dev/`)}"$d"; fi; done`,
    `${t.mkdir} ${q(`${R}/dev/pts`)} ${q(`${R}/dev/shm`)} ${q(`${R}/dev/mqueue`)} ${q(S)}`,
    // Terminals of its own, as a container runtime gives: a new devpts instance, /dev/ptmx pointing into it.
    // (the tty group, 5, exists only outside a user namespace)
    `${t.mount} -t devpts -o newinstance,ptmxmode=0666,mode=0620,${ns.userns ? '' : 'gid=5,'}nosuid,noexec devpts ${q(`${R}/dev/pts`)}`,
    `${t.ln} -s pts/ptmx ${q(`${R}/dev/ptmx`)}`,
    `${t.mount} --bind ${q(plan.shm)} ${q(`${R}/dev/shm`)}`,
    `${t.mount} -t mqueue -o nosuid,nodev,noexec mqueue ${q(`${R}/dev/mqueue`)} 2>/dev/null || true`,
    `${t.ln} -s /proc/self/fd ${q(`${R}/dev/fd`)}`,
    `${t.ln} -s /proc/self/fd/0 ${q(`${R}/dev/stdin`)}`,
    `${t.ln} -s /proc/self/fd/1 ${q(`${R}/dev/stdout`)}`,
    `${t.ln} -s /proc/self/fd/2 ${q(`${R}/dev/stderr`)}`,
    ...hidden.map((h) => `if [ -d ${q(`${R}${h}`)} ]; then ${t.mount} -t tmpfs -o ro,nosuid,nodev,noexec,size=4k,mode=755 tmpfs ${q(`${R}${h}`)}; fi`),
  );
  // Each source is put in the staging directory (inside the new /dev, which nothing else sees yet)
  // and must be the very object nodeless checked: a symlink swapped in meanwhile is refused.
  plan.mounts.forEach((m, i) => {
    const st = `${S}/${i}`;
    s1.push(m.file ? `: > ${q(st)}` : `${t.mkdir} ${q(st)}`);
    s1.push(`${t.mount} --bind ${q(m.source)} ${q(st)}`);
    s1.push(`[ "$(${t.stat} -c %d:%i ${q(st)})" = ${q(m.expect)} ] || { echo ${q(`${m.what} changed while it was being mounted`)} >&2; exit 1; }`);
  });
  // Inside the new root: every path the pod names is resolved there, symlinks included.
  const s2: string[] = ['set -e'];
  plan.mounts.forEach((m, i) => {
    if (m.file) s2.push(`${t.mkdir} -p -- ${q(path.posix.dirname(m.target))}`, `[ -e ${q(m.target)} ] || : > ${q(m.target)}`);
    else s2.push(`${t.mkdir} -p -- ${q(m.target)}`);
    s2.push(`${t.mount} --bind ${q(`/dev/.nodeless/${i}`)} ${q(m.target)} || { echo ${q(`error mounting ${m.what} to rootfs at "${m.target}"`)} >&2; exit 1; }`);
  });
  s2.push(`${t.mkdir} -p -- ${q(plan.workingDir)}`);
  // readOnlyRootFilesystem: every part of the root (its overlays, the tmpfs of a built one); the volumes keep theirs.
  if (plan.readOnlyRoot) s2.push(`printf %s "$NODELESS_ROOTS" | while IFS= read -r m; do [ -n "$m" ] && { ${roRemount(t, '"$m"', [], true)}; }; done`);
  s2.push('unset NODELESS_ROOTS');
  for (const m of plan.mounts) if (m.readOnly) s2.push(roRemount(t, m.target));
  plan.mounts.forEach((_m, i) => s2.push(`${t.umount} ${q(`/dev/.nodeless/${i}`)}`, `${t.rm} -df ${q(`/dev/.nodeless/${i}`)}`));
  s2.push(
    `${t.rmdir} /dev/.nodeless`,
    `cd -- ${q(plan.workingDir)}`,
    `command -v ${q(program)} >/dev/null 2>&1 || { echo notfound >&3; exit 127; }`,
    'echo started >&3',
    'exec 2>&4 4>&- 3>&-',
    `exec ${t.setpriv} ${privArgs(ns, plan).map(q).join(' ')} "$@"`,
  );
  s1.push(`exec ${t.chroot} ${q(R)} ${t.sh} -c ${q(s2.join('\n'))} sh "$@"`);
  const own = plan.pid === 'own';
  const enter = sandbox.enterArgs(typeof plan.pid === 'number' ? plan.pid : undefined);
  // hostPID: the sandbox's PID namespace (if any) is not joined, none is made.
  const enterArgs = plan.pid === 'host' ? enter.filter((a) => !a.startsWith('--pid=')) : enter;
  return [
    t.setpriv, '--pdeathsig', 'KILL', '--',
    t.nsenter, ...enterArgs, '--',
    t.unshare, '--mount', '--propagation', 'private', ...(own ? ['--pid', '--fork', '--kill-child'] : []), '--',
    t.sh, '-c', s1.join('\n'), 'sh', ...argv,
  ];
}

/** The mount namespace of a process (a container's identity: every process of it is in it). */
export function mountNamespaceOf(pid: number): string | undefined {
  try { return fs.readlinkSync(`/proc/${pid}/ns/mnt`); } catch { return undefined; }
}

/** Signals every process in mount namespace `mntns` (a container's processes, its execs included). */
export function signalNamespace(mntns: string, sig: NodeJS.Signals): number {
  let n = 0;
  let entries: string[] = [];
  try { entries = fs.readdirSync('/proc'); } catch { return 0; }
  for (const d of entries) {
    if (!/^[0-9]+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (fs.readlinkSync(`/proc/${d}/ns/mnt`) !== mntns) continue;
      process.kill(Number(d), sig);
      n++;
    } catch { /* gone, or not ours */ }
  }
  return n;
}

/**
 * The argv prefix that runs a command inside a running container (its main
 * process `pid`): its namespaces, its root, its working directory, its user.
 * Only namespaces that differ from nodeless' own are entered.
 */
export function execPrefix(ns: NamespaceSupport, pid: number, workingDir: string, priv: string[]): string[] {
  const t = ns.tools!;
  const flags: string[] = [];
  const differs = (k: string) => { try { return fs.readlinkSync(`/proc/${pid}/ns/${k}`) !== fs.readlinkSync(`/proc/self/ns/${k}`); } catch { return false; } };
  if (differs('user')) flags.push('--user', '--preserve-credentials');
  for (const [k, f] of [['mnt', '--mount'], ['uts', '--uts'], ['ipc', '--ipc'], ['pid', '--pid']] as const) if (differs(k)) flags.push(f);
  return [t.nsenter, '--target', String(pid), ...flags, '--root', '--wd', '--', t.sh, '-c', 'cd "$0" || exit 126; exec "$@"', workingDir, t.setpriv, ...priv];
}

/** This machine's user database as a container sees it (its root is this machine's). */
export function passwdEntry(uid: number, file = '/etc/passwd'): { name: string; gid: number; home: string } | undefined {
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 7 && Number(f[2]) === uid && f[2] !== '') return { name: f[0], gid: Number(f[3]), home: f[5] };
    }
  } catch { /* none */ }
  return undefined;
}

/** The groups /etc/group lists `user` in (containerd adds them to the container's supplementary groups). */
export function groupsOf(user: string, file = '/etc/group'): number[] {
  const out: number[] = [];
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 4 && f[3].split(',').includes(user) && /^\d+$/.test(f[2])) out.push(Number(f[2]));
    }
  } catch { /* none */ }
  return out;
}

export const hostUid = () => process.getuid?.() ?? os.userInfo().uid;
