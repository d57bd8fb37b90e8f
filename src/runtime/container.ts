// What a container of a process pod gets in its namespaces, from its spec:
// its mounts (volumes at mountPath with subPath, subPathExpr and readOnly;
// /etc/hosts, /etc/resolv.conf, /etc/hostname; the termination log), its
// user, groups and capabilities (securityContext), its working directory
// and root. namespaces.ts turns the plan into mounts. docs/process-runtime.md.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../api/types.js';
import { assertInside, mkdirInside, realLocation, within } from './paths.js';
import { DEFAULT_CAPS, groupsOf, passwdEntry, type BindMount, type ContainerUser, type NamespaceSupport } from './namespaces.js';
import { RuntimeStartError } from './types.js';
import { expand, type PodDirs, type PreparedVolume } from './volumes.js';

/** Every capability setpriv knows (kube's `ALL`). */
const ALL_CAPS = ['chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf', 'checkpoint_restore'];

/** The pod's and the container's securityContext, the container's winning (runAsUser, runAsGroup, runAsNonRoot). */
const effective = (pod: KubeObject, spec: any, key: string) => spec?.securityContext?.[key] ?? pod.spec?.securityContext?.[key];

/** The container's user: runAsUser (else root, the image user here), runAsGroup (else the user's group), fsGroup and supplementalGroups. */
export function containerUser(pod: KubeObject, spec: any, ns: NamespaceSupport): ContainerUser {
  const runAsUser = effective(pod, spec, 'runAsUser');
  const uid = typeof runAsUser === 'number' ? runAsUser : 0;
  if (effective(pod, spec, 'runAsNonRoot') === true && uid === 0) {
    throw new RuntimeStartError('CreateContainerConfigError', `container has runAsNonRoot and image will run as root (pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${spec.name})`);
  }
  const pw = passwdEntry(uid);
  const runAsGroup = effective(pod, spec, 'runAsGroup');
  const gid = typeof runAsGroup === 'number' ? runAsGroup : pw?.gid ?? 0;
  if (ns.userns && (uid !== 0 || gid !== 0)) {
    throw new RuntimeStartError('CreateContainerConfigError', `runAsUser ${uid} / runAsGroup ${gid}: process pods here run in a user namespace that maps only root (to the user nodeless runs as); other ids need nodeless to run as root`);
  }
  const sc = pod.spec?.securityContext ?? {};
  const groups = [
    ...(typeof sc.fsGroup === 'number' ? [sc.fsGroup] : []),
    ...(Array.isArray(sc.supplementalGroups) ? sc.supplementalGroups.filter((g: unknown) => typeof g === 'number') : []),
    ...(pw ? groupsOf(pw.name) : []),
  ];
  return { uid, gid, groups: [...new Set<number>(groups)] };
}

/** The bounding set: containerd's defaults, with securityContext.capabilities add and drop (ALL allowed). */
export function containerCaps(spec: any): string[] {
  const norm = (c: unknown) => String(c).toLowerCase().replace(/^cap_/, '');
  const add: string[] = (Array.isArray(spec?.securityContext?.capabilities?.add) ? spec.securityContext.capabilities.add : []).map(norm);
  const drop: string[] = (Array.isArray(spec?.securityContext?.capabilities?.drop) ? spec.securityContext.capabilities.drop : []).map(norm);
  for (const c of [...add, ...drop]) {
    if (c !== 'all' && !ALL_CAPS.includes(c)) throw new RuntimeStartError('CreateContainerError', `failed to generate container spec: unknown capability "CAP_${c.toUpperCase()}"`);
  }
  let caps = add.includes('all') ? [...ALL_CAPS] : [...new Set([...DEFAULT_CAPS, ...add])];
  if (drop.includes('all')) caps = add.includes('all') ? [...ALL_CAPS] : add.filter((c) => c !== 'all');
  else caps = caps.filter((c) => !drop.includes(c));
  return caps;
}

/**
 * A mount of a `medium: Memory` emptyDir: its tmpfs is only in the sandbox's mount namespace,
 * seen from here through `view` (/proc/<pause>/root). Its subPath is followed element by element
 * and may not pass a symlink (the pod writes there); a missing one is made.
 */
function memoryMount(m: any, spec: any, vol: PreparedVolume, sub: string | undefined, view: string): BindMount {
  let source = vol.dir;
  for (const part of (sub ?? '').split('/').filter((x) => x && x !== '.')) {
    source = path.join(source, part);
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(view + source); } catch { /* missing */ }
    if (st?.isSymbolicLink()) throw new RuntimeStartError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${m.name}" of container "${spec.name}": subPath ${JSON.stringify(sub)} of volume "${m.name}" passes a symlink`);
    if (!st) fs.mkdirSync(view + source, { mode: 0o777 });
  }
  const id = identity(view + source);
  return { source, target: containerPath(m.mountPath), readOnly: m.readOnly === true, file: !id.dir, expect: id.expect, what: `volume "${m.name}"` };
}

/** An absolute, clean path in the container (kube validation asks for absolute mount paths; a relative one is taken from /). */
const containerPath = (p: string) => path.posix.normalize(`/${p}`);

/** `dev:ino` of what is at `p` (its real location), and whether it is a directory. */
function identity(p: string): { expect: string; dir: boolean } {
  const st = fs.statSync(p, { bigint: true });
  return { expect: `${st.dev}:${st.ino}`, dir: st.isDirectory() };
}

/**
 * The container's volume mounts. A subPath (or a subPathExpr, expanded from
 * the container's environment) is resolved inside its volume, symlinks
 * included, and refused when it leads outside; a missing one is made as a
 * directory, as the kubelet does. The mount is of the object found now: a
 * configMap key mounted by subPath keeps its content when the ConfigMap changes.
 */
export function volumeMounts(spec: any, volumes: Map<string, PreparedVolume>, env: Record<string, string>, dirs: PodDirs, roots: string[], sandboxView: string): BindMount[] {
  const out: BindMount[] = [];
  for (const m of Array.isArray(spec.volumeMounts) ? spec.volumeMounts : []) {
    const vol = m?.name ? volumes.get(m.name) : undefined;
    if (!vol || typeof m.mountPath !== 'string') continue;
    let sub: string | undefined = typeof m.subPath === 'string' && m.subPath ? m.subPath : undefined;
    if (!sub && typeof m.subPathExpr === 'string' && m.subPathExpr) {
      sub = expand(m.subPathExpr, env);
      if (path.posix.isAbsolute(sub)) throw new RuntimeStartError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${m.name}" of container "${spec.name}": subPathExpr ${JSON.stringify(m.subPathExpr)} expands to the absolute path ${JSON.stringify(sub)}`);
      if (sub.split('/').includes('..')) throw new RuntimeStartError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${m.name}" of container "${spec.name}": subPathExpr ${JSON.stringify(m.subPathExpr)} expands to ${JSON.stringify(sub)}, which must not contain '..'`);
    }
    if (sub?.split('/').includes('..')) throw new RuntimeStartError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${m.name}" of container "${spec.name}": subPath ${JSON.stringify(sub)} must not contain '..'`);
    if (vol.memory) {
      out.push(memoryMount(m, spec, vol, sub, sandboxView));
      continue;
    }
    const base = fs.realpathSync(vol.dir);
    let source = base;
    if (sub) {
      const what = `subPath ${JSON.stringify(sub)} of volume "${m.name}"`;
      // Where it leads, symlinks (even dangling ones) followed: it must stay in the volume (kubelet: "not within volume path").
      const resolved = realLocation(within(vol.dir, sub));
      const outside = () => new RuntimeStartError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${m.name}" of container "${spec.name}": ${what} is not within volume path ${JSON.stringify(m.name)}`);
      try { assertInside(resolved, [base], what); } catch { throw outside(); }
      if (!fs.existsSync(resolved)) mkdirInside(resolved, [base], what);
      source = fs.realpathSync(resolved);
      try { assertInside(source, [base], what); } catch { throw outside(); }
    }
    const id = identity(source);
    out.push({ source, target: containerPath(m.mountPath), readOnly: m.readOnly === true || vol.readOnly, file: !id.dir, expect: id.expect, what: `volume "${m.name}"` });
  }
  // The kubelet gives the pod's hosts file unless the container mounts its own; containerd adds hostname and resolv.conf.
  const taken = new Set(out.map((m) => m.target));
  for (const [file, target] of [['hosts', '/etc/hosts'], ['hostname', '/etc/hostname'], ['resolv.conf', '/etc/resolv.conf']] as const) {
    if (taken.has(target)) continue;
    const source = path.join(dirs.etc, file);
    out.push({ source, target, readOnly: false, file: true, expect: identity(source).expect, what: `"${file}"` });
  }
  // Parents before children, as containerd orders them.
  return out.map((m, i) => ({ m, i })).sort((a, b) => a.m.target.split('/').length - b.m.target.split('/').length || a.i - b.i).map(({ m }) => m);
}
