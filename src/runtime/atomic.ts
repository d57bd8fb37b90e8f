// The kubelet's atomic writer (pkg/volume/util/atomic_writer.go), for
// configMap, secret, downwardAPI and projected volumes: the files live in a
// hidden timestamped directory (`..2024_05_01_10_00_00.123456789`), `..data`
// is a symlink to it, and each top-level name the user sees is a symlink into
// `..data` (`key -> ..data/key`). An update writes a new timestamped
// directory and renames a fresh `..data_tmp` symlink over `..data`, which is
// atomic: a reader sees the old set of files or the new one, never a mix. A
// subPath mount binds the file of the timestamped directory it found at
// start, so it keeps the old content after an update, as in Kubernetes.
// docs/process-runtime.md, "Atomic updates".
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mkdirInside, writeInside } from './paths.js';

export interface FileProjection {
  data: Buffer;
  /** File mode (defaultMode or the item's mode). */
  mode: number;
}

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/** Why a payload path is refused (the kubelet's validatePath): relative, no `..` element, not starting with `..`. */
export function payloadPathError(p: string): string | undefined {
  if (p === '') return `invalid path: must not be empty: ${JSON.stringify(p)}`;
  if (path.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  if (p.length > 4096) return 'invalid path: must be less than or equal to 4096 characters';
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') return `invalid path: must not contain '..': ${p}`;
    if (item.length > 255) return 'invalid path: filenames must be less than or equal to 255 characters';
  }
  if (items[0].startsWith('..') && items[0].length > 2) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

/** `..2006_01_02_15_04_05.` as Go formats time.Now().UTC(), plus os.MkdirTemp's random suffix. */
function timestampName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
  return stamp + String(randomInt(0, 2 ** 31));
}

/** Relative paths of everything under `dir` (symlinks not followed). */
function walk(dir: string, rel = '', out = new Set<string>()): Set<string> {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.add(r);
    if (e.isDirectory()) walk(dir, r, out);
  }
  return out;
}

function sameContent(file: string, data: Buffer): boolean {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() && st.size === data.length && fs.readFileSync(file).equals(data);
  } catch {
    return false;
  }
}

/**
 * Projects `payload` into `targetDir` atomically; returns false when nothing
 * changed. Everything is written inside `roots` and never through a symlink
 * (paths.ts): the directory is nodeless' own, the files are fresh.
 */
export function atomicWrite(targetDir: string, payload: Map<string, FileProjection>, roots: string[], now = new Date()): boolean {
  const clean = new Map<string, FileProjection>();
  for (const [p, f] of payload) {
    const err = payloadPathError(p);
    if (err) throw new Error(err);
    clean.set(path.posix.normalize(p), f);
  }
  mkdirInside(targetDir, roots);
  let oldTs = '';
  try { oldTs = fs.readlinkSync(path.join(targetDir, DATA)); } catch { /* first write */ }
  // Only a name this writer makes: a `..data` pointing anywhere else is not ours to follow.
  if (oldTs && (oldTs.includes('/') || !oldTs.startsWith('..'))) oldTs = '';
  const oldTsPath = oldTs ? path.join(targetDir, oldTs) : '';
  const toRemove = new Set<string>();
  if (oldTs) {
    const wanted = new Set<string>();
    for (const p of clean.keys()) for (let s = p; s && s !== '.'; s = path.posix.dirname(s)) wanted.add(s);
    for (const p of walk(oldTsPath)) if (!wanted.has(p)) toRemove.add(p);
    const changed = [...clean].some(([p, f]) => !sameContent(path.join(oldTsPath, p), f.data));
    if (!changed && !toRemove.size) return false;
  }
  const tsName = timestampName(now);
  const tsDir = path.join(targetDir, tsName);
  fs.mkdirSync(tsDir, { mode: 0o755 });
  fs.chmodSync(tsDir, 0o755);
  for (const [p, f] of clean) {
    const file = path.join(tsDir, p);
    mkdirInside(path.dirname(file), [tsDir]);
    writeInside(file, f.data, [tsDir], f.mode);
  }
  // The user-visible names: one symlink per top-level element (a/b/c is reached through a -> ..data/a).
  for (const p of clean.keys()) {
    const top = p.split('/')[0];
    const link = path.join(targetDir, top);
    const want = `${DATA}/${top}`;
    let have: string | undefined;
    try { have = fs.readlinkSync(link); } catch { /* missing, or not a symlink */ }
    if (have === want) continue;
    // Whatever else is there (a stale file of an older nodeless) gives way to the link.
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(want, link);
  }
  const tmp = path.join(targetDir, DATA_TMP);
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(tsName, tmp);
  fs.renameSync(tmp, path.join(targetDir, DATA));
  // Top-level names that are gone (nested ones went with the old timestamped directory).
  for (const p of toRemove) if (!p.includes('/')) fs.rmSync(path.join(targetDir, p), { force: true, recursive: false });
  if (oldTsPath) fs.rmSync(oldTsPath, { recursive: true, force: true });
  return true;
}

/**
 * fsGroup, as the kubelet's SetVolumeOwnership: everything in the volume gets
 * group `gid` and group read (and write unless read-only) permission;
 * directories also the setgid bit and group search. Symlinks are skipped and
 * nothing is opened through one.
 */
export function setVolumeOwnership(dir: string, gid: number, readOnly: boolean): void {
  const mask = readOnly ? 0o440 : 0o660;
  const flags = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);
  const visit = (p: string) => {
    let fd: number;
    try { fd = fs.openSync(p, flags); } catch { return; }
    let isDir = false;
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() && !st.isDirectory()) return;
      isDir = st.isDirectory();
      fs.fchownSync(fd, st.uid, gid);
      fs.fchmodSync(fd, (st.mode & 0o7777) | mask | (isDir ? 0o2110 : 0));
    } catch { /* not ours to change (a user namespace without the group) */ } finally {
      fs.closeSync(fd);
    }
    if (!isDir) return;
    let entries: fs.Dirent[] = [];
    try { entries = fs.readdirSync(p, { withFileTypes: true }); } catch { /* gone */ }
    for (const e of entries) if (!e.isSymbolicLink()) visit(path.join(p, e.name));
  };
  visit(dir);
}
