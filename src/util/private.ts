// Files only the user running nodeless may read: the store (it holds every
// Secret), keys, the token, the kubeconfig, the pods' directories (their
// Secret volumes). Modes are set on creation and corrected on every start, so
// a home made by an earlier version, or one that already existed with 0755,
// does not leave them readable by every local user (docs/store.md).
import fs from 'node:fs';

/** Owner-only file and directory modes. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** A write that failed: names the file, since a full disk says only "no space left on device, write". */
export class FileWriteError extends Error {
  constructor(readonly file: string, cause: unknown) {
    super(`cannot write ${file}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Sets `mode` on `file` if it exists. */
export function restrict(file: string, mode: number): void {
  try {
    if ((fs.statSync(file).mode & 0o777) !== mode) fs.chmodSync(file, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileWriteError(file, e);
  }
}

/** Creates `dir` (and its parents) owner-only, or makes an existing one so. */
export function privateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  } catch (e) {
    throw new FileWriteError(dir, e);
  }
  restrict(dir, PRIVATE_DIR);
}

/**
 * Replaces `file` with `data` all at once (a sibling file renamed over it): a full disk leaves
 * the old file or none, never a truncated key or an empty token.
 */
export function writeWhole(file: string, data: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new FileWriteError(file, e);
  }
}

/** Writes `file` readable by its owner only, whether it is new or was there. */
export function writePrivate(file: string, data: string): void {
  writeWhole(file, data, PRIVATE_FILE);
}
