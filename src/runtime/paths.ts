// Writing inside a process-runtime pod's directory, and nowhere else. Paths come from the pod
// spec (volume names, item paths, mountPath, subPath, terminationMessagePath) and the pod's own
// processes can plant symlinks in its directory; API validation refuses the first kind of escape,
// these checks refuse both, whatever got stored (docs/validation.md, "Defence in depth").
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeStartError } from './types.js';

/** A pod's directory broke out of its bounds: the container cannot start (kubelet's CreateContainerConfigError). */
const escape = (what: string) => new RuntimeStartError('CreateContainerConfigError', `${what} is outside the pod's directory`);

/** `rel` under `base`, lexically: `..` elements never climb above `base`. */
export function within(base: string, rel: string): string {
  return path.join(base, path.normalize(`/${rel}`));
}

const isInside = (p: string, root: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** Real locations of the allowed roots (created if missing, so that they resolve). */
function realRoots(roots: string[]): string[] {
  return roots.map((r) => {
    fs.mkdirSync(r, { recursive: true });
    return fs.realpathSync(r);
  });
}

/**
 * Where `p` really is: its deepest existing ancestor resolved through symlinks, the rest appended.
 * A symlink whose target does not exist (yet) is followed too: something made at its name would land
 * where it points.
 */
export function realLocation(p: string, hops = 0): string {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      let link: string | undefined;
      try { if (fs.lstatSync(cur).isSymbolicLink()) link = fs.readlinkSync(cur); } catch { /* missing */ }
      if (link !== undefined && hops < 40) return realLocation(path.join(path.resolve(path.dirname(cur), link), ...rest.reverse()), hops + 1);
      const parent = path.dirname(cur);
      if (parent === cur) return path.join(cur, ...rest.reverse());
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Throws unless `p`, symlinks resolved, is inside one of `roots`. */
export function assertInside(p: string, roots: string[], what = p): void {
  const real = realLocation(p);
  if (!realRoots(roots).some((r) => isInside(real, r))) throw escape(what);
}

/** mkdir -p, refusing a directory whose real location (through symlinks) would be outside `roots`. */
export function mkdirInside(dir: string, roots: string[], what = dir): void {
  assertInside(dir, roots, what);
  fs.mkdirSync(dir, { recursive: true });
  // A symlink swapped in while creating would show now.
  assertInside(dir, roots, what);
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * Opens `file` for writing (truncated) without following a symlink at its name: whatever was
 * planted there is removed and a fresh file made, in a directory checked to be inside `roots`.
 */
export function openInside(file: string, roots: string[], mode = 0o644, what = file): number {
  mkdirInside(path.dirname(file), roots, what);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(file);
  } catch { /* not there yet */ }
  // A symlink (or fifo, socket...) where our file goes is replaced; a directory is an error, as for any write.
  if (st && !st.isFile() && !st.isDirectory()) fs.unlinkSync(file);
  return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | NOFOLLOW, mode);
}

/** Writes `content` to `file` inside `roots`, never through a symlink. */
export function writeInside(file: string, content: string | Buffer, roots: string[], mode?: number, what = file): void {
  const fd = openInside(file, roots, mode, what);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    if (mode !== undefined) fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

/** Up to `max` bytes of `file`, or undefined when it is missing or a symlink (never followed). */
export function readNoFollow(file: string, max: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(max);
    const n = fs.readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
