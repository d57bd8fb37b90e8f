// A simulated container that waits for its pod's metadata through the downward
// API, as the init container of the Alibaba report does (docs/alibaba/pod-eip.md):
//
//   command: ['timeout', '-t', '60', 'sh', '-c', "until grep -E '^k8s.aliyun.com\\/allocated-eipAddress=…' /etc/podinfo/annotations; do echo waiting for annotations; sleep 2; done"]
//
// with /etc/podinfo a downwardAPI volume. The simulated runtime runs no shell,
// so this reads the loop: the file is the downward API item the kubelet writes
// (kept up to date as the pod's labels and annotations change), and the
// container runs until a line of it matches the pattern, then exits 0 — or
// until its `timeout` kills it. Other commands are not interpreted.
import type { KubeObject } from '../api/types.js';
import { fieldValue } from './volumes.js';

export interface DownwardWait {
  /** The file the loop reads, in the container. */
  file: string;
  pattern: RegExp;
  /** The file's content for the pod as it is now. */
  content(pod: KubeObject): string;
  /** What the loop prints each time round (its `echo`), and how long it sleeps between looks. */
  echo?: string;
  sleepMs: number;
  /** A `timeout` wrapper: killed after this long, with this exit code. */
  timeoutMs?: number;
  timeoutCode?: number;
}

/** Splits `timeout -t 60 …` (busybox: the shell it runs dies of SIGTERM, 143) or `timeout 60 …` (coreutils: exits 124). */
function unwrapTimeout(argv: string[]): { argv: string[]; timeoutMs?: number; timeoutCode?: number } {
  if (argv[0] !== 'timeout') return { argv };
  if (argv[1] === '-t' && /^\d+$/.test(argv[2] ?? '')) return { argv: argv.slice(3), timeoutMs: Number(argv[2]) * 1000, timeoutCode: 143 };
  const m = /^(\d+)(s?)$/.exec(argv[1] ?? '');
  if (m) return { argv: argv.slice(2), timeoutMs: Number(m[1]) * 1000, timeoutCode: 124 };
  return { argv };
}

/** The loop a container runs, when it is `until grep [-E] 'PATTERN' FILE; do …; done` on a downward API file. */
export function downwardWait(pod: KubeObject, spec: any): DownwardWait | undefined {
  const cmd: unknown[] = [...(spec?.command ?? []), ...(spec?.args ?? [])];
  if (!cmd.every((x) => typeof x === 'string')) return undefined;
  const t = unwrapTimeout(cmd as string[]);
  if (!/^(\/bin\/)?(ba)?sh$/.test(t.argv[0] ?? '') || t.argv[1] !== '-c' || typeof t.argv[2] !== 'string') return undefined;
  const m = /^\s*until\s+grep\s+((?:-[A-Za-z]+\s+)*)'([^']*)'\s+(\S+)\s*;\s*do\s+([^]*?)\s*;?\s*done\s*;?\s*$/.exec(t.argv[2]);
  if (!m) return undefined;
  const [, flags, source, file, body] = m;
  let pattern: RegExp;
  try {
    // grep -E is POSIX ERE, which JavaScript reads alike for what such loops use; -i ignores case.
    pattern = new RegExp(source, /-\w*i/.test(flags) ? 'mi' : 'm');
  } catch {
    return undefined;
  }
  // The file must be an item of a downwardAPI volume mounted in this container.
  for (const vm of spec.volumeMounts ?? []) {
    const dir = String(vm?.mountPath ?? '').replace(/\/+$/, '');
    if (!dir || !file.startsWith(`${dir}/`)) continue;
    const rel = file.slice(dir.length + 1);
    const vol = (pod.spec?.volumes ?? []).find((v: any) => v?.name === vm.name);
    const item = (vol?.downwardAPI?.items ?? []).find((i: any) => i?.path === rel && i?.fieldRef?.fieldPath);
    if (!item) return undefined;
    const echo = /(?:^|;)\s*echo\s+([^;]*)/.exec(body)?.[1]?.trim().replace(/^(['"])(.*)\1$/, '$2');
    const sleep = /(?:^|;)\s*sleep\s+(\d+(?:\.\d+)?)/.exec(body)?.[1];
    return {
      file, pattern, echo, sleepMs: sleep ? Number(sleep) * 1000 : 1000, timeoutMs: t.timeoutMs, timeoutCode: t.timeoutCode,
      content: (p) => fieldValue(p, item.fieldRef.fieldPath),
    };
  }
  return undefined;
}

/** The line of the file that matches, as grep prints it; undefined while none does. */
export function matchingLine(w: DownwardWait, pod: KubeObject): string | undefined {
  return w.content(pod).split('\n').find((line) => w.pattern.test(line));
}
