// Images are not pulled: in the process runtime a container runs this
// machine's programs. Where an image's own program takes a different command
// line than this machine's, and a documented manifest depends on it, the
// container gets a small stand-in with the image's syntax, bound over the
// program it would find. One so far: BusyBox before 1.30 spelled
// `timeout -t SECS [-s SIG] PROG ARGS...` (1.30 moved to coreutils' `timeout
// SECS PROG`); the Alibaba PodEIP seed's init container is
// `timeout -t 60 sh -c "until grep ...; do sleep 2; done"` with busybox:1.28.
// docs/process-runtime.md, "Images".
import fs from 'node:fs';
import path from 'node:path';
import type { BindMount } from './namespaces.js';

/** BusyBox 1.0–1.29 (the old timeout syntax), by image reference. */
const OLD_BUSYBOX = /^(?:(?:docker\.io\/)?(?:library\/)?)busybox:1\.([0-9]|1[0-9]|2[0-9])(?:\.[0-9]+)*(?:-[a-z]+)?(?:@.*)?$/;

const TIMEOUT_SHIM = `#!/bin/sh
# BusyBox (before 1.30) timeout, as nodeless' process runtime stands it in:
# timeout [-t SECS] [-s SIG] PROG ARGS... (default 10 seconds, SIGTERM).
secs=10
sig=TERM
while [ $# -gt 0 ]; do
  case "$1" in
    -t) secs=$2; shift 2 ;;
    -t*) secs=\${1#-t}; shift ;;
    -s) sig=$2; shift 2 ;;
    -s*) sig=\${1#-s}; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
"$@" &
child=$!
( sleep "$secs" && kill -s "$sig" "$child" 2>/dev/null ) &
watcher=$!
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
exit $status
`;

/** Where `name` is first found on `PATH` (what the container's shell would run). */
function onPath(name: string, PATH = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  for (const d of PATH.split(':')) {
    if (!d.startsWith('/')) continue;
    try {
      fs.accessSync(path.join(d, name), fs.constants.X_OK);
      return path.join(d, name);
    } catch { /* next */ }
  }
  return undefined;
}

/** The stand-ins `spec`'s image needs, as mounts (the shim files live in the state directory). */
export function imageShims(spec: any, stateDir: string): BindMount[] {
  if (!OLD_BUSYBOX.test(String(spec?.image ?? ''))) return [];
  const target = onPath('timeout');
  if (!target) return [];
  const dir = path.join(stateDir, 'shims');
  const file = path.join(dir, 'busybox-1.2x-timeout');
  fs.mkdirSync(dir, { recursive: true });
  let have = '';
  try { have = fs.readFileSync(file, 'utf8'); } catch { /* first use */ }
  if (have !== TIMEOUT_SHIM) {
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, TIMEOUT_SHIM, { mode: 0o755 });
    fs.renameSync(tmp, file);
  }
  const st = fs.statSync(file, { bigint: true });
  return [{ source: file, target, readOnly: true, file: true, expect: `${st.dev}:${st.ino}`, what: 'the busybox timeout stand-in' }];
}
