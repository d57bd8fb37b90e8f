// The official Python client for the tests that drive it (test/python): Debian's
// python3-kubernetes, installed by .ci/run.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** test/python: the scripts and the e2e suite the tests run. */
export const PY_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'python');

/** A python3 that imports `kubernetes`: the one on PATH, else Debian's (pyenv shims hide it). */
export function findPython(): string {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import kubernetes'], { stdio: 'ignore' }).status === 0) return py;
  }
  throw new Error('no python3 with the kubernetes client: apt-get install -y python3-kubernetes (.ci/run does)');
}
