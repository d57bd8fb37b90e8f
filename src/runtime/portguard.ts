// The pod's metrics port in the process runtime (docs/tencent/metrics-port.md): on a serverless pod
// the VM's own agent holds 9100 (or the eks.tke.cloud.tencent.com/metrics-port
// port), so a container that binds it fails. Local processes share this
// machine's network, so nothing stops them from binding it; instead the guard
// watches: every GUARD_EVERY_MS it reads the LISTEN sockets of /proc/net/tcp
// and tcp6 and, only when the watched port has a listener, looks for one of
// those socket inodes among the open fds of the container's process tree (its
// descendants, and its process group for those that were reparented). A
// listener of another process on this machine (another test, another pod) is
// never blamed on the container: only its own sockets count.
import fs from 'node:fs';

export const GUARD_EVERY_MS = 400;
const LISTEN = '0A';

interface Watch {
  /** The container's main process: its pid is also its process group (spawned detached). */
  pid: number;
  port: number;
  onBind(): void;
}

const watches = new Set<Watch>();
let timer: NodeJS.Timeout | undefined;

/**
 * Calls `onBind` (once) when a process of `pid`'s tree listens on TCP `port`.
 * Returns the function that stops watching. A no-op where /proc is missing.
 */
export function guardPort(pid: number, port: number, onBind: () => void): () => void {
  if (!fs.existsSync('/proc/net/tcp')) return () => undefined;
  const w: Watch = { pid, port, onBind };
  watches.add(w);
  if (!timer) {
    timer = setInterval(tick, GUARD_EVERY_MS);
    timer.unref();
  }
  return () => { watches.delete(w); stopIfIdle(); };
}

function stopIfIdle(): void {
  if (!watches.size && timer) { clearInterval(timer); timer = undefined; }
}

function tick(): void {
  const ports = new Set([...watches].map((w) => w.port));
  const listening = listeningInodes(ports);
  if (!listening.size) return;
  // The process table is read once per tick, and only when a watched port has a listener.
  let table: ProcEntry[] | undefined;
  for (const w of [...watches]) {
    const inodes = listening.get(w.port);
    if (!inodes) continue;
    table ??= processTable();
    if (treeOf(w.pid, table).some((pid) => holdsSocket(pid, inodes))) {
      watches.delete(w);
      try { w.onBind(); } catch { /* the runtime's business */ }
    }
  }
  stopIfIdle();
}

/** Socket inodes in LISTEN state per local port, for the given ports (IPv4 and IPv6). */
export function listeningInodes(ports: Set<number>, files = ['/proc/net/tcp', '/proc/net/tcp6']): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const f of files) {
    let text: string;
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== LISTEN) continue;
      const port = parseInt(cols[1].split(':').pop() ?? '', 16);
      if (!ports.has(port) || cols[9] === '0') continue;
      (out.get(port) ?? out.set(port, new Set()).get(port)!).add(cols[9]);
    }
  }
  return out;
}

export interface ProcEntry { pid: number; ppid: number; pgrp: number }

/** Every process of this machine with its parent and process group (from /proc/PID/stat). */
export function processTable(): ProcEntry[] {
  const out: ProcEntry[] = [];
  let names: string[];
  try { names = fs.readdirSync('/proc'); } catch { return out; }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(rest[1]), pgrp: Number(rest[2]) });
  }
  return out;
}

/** `root` and its descendants, plus its process group (children reparented when their parent died). */
export function treeOf(root: number, table: ProcEntry[]): number[] {
  const tree = new Set([root]);
  for (const p of table) if (p.pgrp === root) tree.add(p.pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of table) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  return [...tree];
}

function holdsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { return false; }
  for (const fd of fds) {
    let target: string;
    try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1])) return true;
  }
  return false;
}
