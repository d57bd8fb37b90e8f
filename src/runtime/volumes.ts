// A process-runtime pod's filesystem and environment. Nothing can be mounted,
// so every pod gets a directory: `root/` stands for the container's "/" (a
// mountPath /etc/podinfo is root/etc/podinfo, a symlink to the volume) and
// `host/` is the pod's own "host" for hostPath volumes, so two pods never
// share one and a rebuilt pod (new uid, new directory) starts with an empty
// one (tencent-tke-serverless-faq FAQ6). NFS volumes are the opposite: one
// directory per file system (`filesystems/<id>/<path>`) shared by every pod
// that mounts it. The process sees NODELESS_ROOT.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../api/types.js';
import { validateDNS1123Label } from '../api/selectors.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { nfsSource } from './nfs.js';
import { RuntimeStartError } from './types.js';
import { hasOwn, own } from '../util/own.js';
import { mkdirInside, openInside, within, writeInside } from './paths.js';
import { bytes, milliCpu } from '../api/resource.js';

export interface PodDirs {
  dir: string;
  root: string;
  host: string;
  volumes: string;
  logs: string;
  /** NFS file systems' contents, shared by the pods of this state directory. */
  filesystems: string;
  /** Persistent volumes' contents, one directory per volume (a cloud disk's id), outliving the pods that mount them. */
  disks: string;
}

export function podDirs(stateDir: string, pod: KubeObject): PodDirs {
  const dir = path.join(stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  return {
    dir, root: path.join(dir, 'root'), host: path.join(dir, 'host'), volumes: path.join(dir, 'volumes'), logs: path.join(dir, 'logs'),
    filesystems: path.join(stateDir, 'filesystems'),
    disks: path.join(stateDir, 'disks'),
  };
}

/** Inside the pod's root: /etc/podinfo → <root>/etc/podinfo (never outside it, lexically; paths.ts checks symlinks). */
export const inRoot = (root: string, p: string) => within(root, p);

/** kubelet's downward API file format: `key="value"` lines, sorted, values quoted like Go's %q. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

export function fieldValue(pod: KubeObject, fieldPath: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return own(own(pod.metadata, m[1]), m[2]) ?? '';
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'metadata.labels': return formatMap(pod.metadata.labels);
    case 'metadata.annotations': return formatMap(pod.metadata.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((x: any) => x.ip).join(',');
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((x: any) => x.ip).join(',');
    default: return '';
  }
}

function resourceValue(pod: KubeObject, containerName: string | undefined, ref: any): string {
  const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: any) => x.name === containerName) ?? pod.spec?.containers?.[0];
  const [kind, res] = String(ref.resource ?? '').split('.');
  const v = own(own(c?.resources, kind), res);
  const divisor = ref.divisor ?? '1';
  if (res === 'cpu') {
    // Unset CPU limits report the node's allocatable; we report 1 core per unit.
    const m = v !== undefined ? milliCpu(v) : 1000 * 8;
    return String(Math.ceil(m / Math.max(1, milliCpu(divisor))));
  }
  const b = v !== undefined ? bytes(v) : 32 * 1024 ** 3;
  return String(Math.ceil(b / Math.max(1, bytes(divisor))));
}

async function getData(client: Client, kind: 'configmaps' | 'secrets', ns: string, name: string, optional: boolean): Promise<Record<string, string> | undefined> {
  try {
    const o = await client.get(refs[kind], ns, name);
    // Keys are data: plain objects built by fromEntries/spread keep `__proto__` as an own key.
    if (kind === 'secrets') return Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]));
    return { ...(o.data ?? {}), ...Object.fromEntries(Object.entries(o.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')])) };
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) {
      if (optional) return undefined;
      throw new RuntimeStartError('CreateContainerConfigError', `${kind === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    throw e;
  }
}

/** $(VAR) references expand from earlier variables; $$(VAR) escapes, as Kubernetes does. */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) => (m === '$$' ? '$' : hasOwn(env, name) ? env[name] : m));
}

/** The container's environment: env, envFrom, downward API and config/secret references. */
export async function containerEnv(client: Client, pod: KubeObject, spec: any, serviceEnv: Record<string, string> = {}): Promise<Record<string, string>> {
  const ns = pod.metadata.namespace!;
  // Keyed by variable names from the pod spec and ConfigMap keys: no prototype.
  const env: Record<string, string> = Object.create(null);
  for (const from of spec.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const data = await getData(client, from.configMapRef ? 'configmaps' : 'secrets', ns, ref.name, !!ref.optional);
    for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const e of spec.env ?? []) {
    if (!e?.name) continue;
    if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) env[e.name] = fieldValue(pod, vf.fieldRef.fieldPath);
      else if (vf.resourceFieldRef) env[e.name] = resourceValue(pod, vf.resourceFieldRef.containerName ?? spec.name, vf.resourceFieldRef);
      else if (vf.configMapKeyRef || vf.secretKeyRef) {
        const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
        const kind = vf.configMapKeyRef ? 'configmaps' : 'secrets';
        const data = await getData(client, kind, ns, ref.name, !!ref.optional);
        if (data && hasOwn(data, ref.key)) env[e.name] = data[ref.key];
        else if (!ref.optional) throw new RuntimeStartError('CreateContainerConfigError', `couldn't find key ${ref.key} in ${kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${ns}/${ref.name}`);
      }
    } else env[e.name] = expand(String(e.value ?? ''), Object.assign(Object.create(null), serviceEnv, env));
  }
  // The service variables come after the container's own, which win (kubelet's makeEnvironmentVariables).
  for (const [k, v] of Object.entries(serviceEnv)) if (!hasOwn(env, k)) env[k] = v;
  return env;
}

/** Where a pod may write: its own directory, and the shared NFS file systems its mounts link to. */
export const writable = (dirs: PodDirs): string[] => [dirs.dir, dirs.filesystems, dirs.disks];

/**
 * A claim's volume: the directory of the PersistentVolume it is bound to, named after the volume's
 * disk (its CSI volumeHandle) or, for other volumes, the PV. The same directory whichever pod
 * mounts it and however often, so what a StatefulSet pod wrote is there for its successor
 * (docs/storage.md). An unbound claim cannot be mounted yet: the container waits and is retried.
 */
async function claimDir(client: Client, ns: string, volume: string, claimName: unknown, dirs: PodDirs): Promise<string> {
  const unmounted = (why: string) => new RuntimeStartError('ContainerCreating', `Unable to attach or mount volumes: unmounted volumes=[${volume}]: ${why}`);
  const claim = typeof claimName === 'string' && claimName ? await client.tryGet(refs.persistentvolumeclaims, ns, claimName) : undefined;
  if (!claim) throw unmounted(`persistentvolumeclaim "${String(claimName)}" not found`);
  const pvName = claim.spec?.volumeName;
  if (!pvName || claim.status?.phase !== 'Bound') throw unmounted(`persistentvolumeclaim "${claimName}" is not bound`);
  const pv = await client.tryGet(refs.persistentvolumes, undefined, pvName);
  if (!pv) throw unmounted(`persistentvolume "${pvName}" not found`);
  const key = String(pv.spec?.csi?.volumeHandle ?? `pv-${pvName}`).replace(/[^A-Za-z0-9._-]/g, '_');
  const dir = path.join(dirs.disks, key === '.' || key === '..' ? `pv-${pvName}` : key);
  mkdirInside(dir, [dirs.disks]);
  return dir;
}

/**
 * A volume's directory. Its name is a path element under volumes/: API validation keeps names to
 * DNS-1123 labels, and a stored pod from before that (`../../../../escape`) cannot start here.
 */
export function volumeDir(dirs: PodDirs, name: string): string {
  if (validateDNS1123Label(name).length) throw new RuntimeStartError('CreateContainerConfigError', `volume name ${JSON.stringify(name)} is not a valid DNS-1123 label`);
  return path.join(dirs.volumes, name);
}

/** Writes a volume's files: each name stays under `dir`, and nothing is written through a symlink the pod planted. */
function writeFiles(dir: string, files: Record<string, string>, roots: string[], mode?: number): void {
  mkdirInside(dir, roots);
  for (const [rel, content] of Object.entries(files)) {
    const file = within(dir, rel);
    if (file !== dir) writeInside(file, content, roots, mode);
  }
}

function pick(data: Record<string, string> | undefined, items: any[] | undefined): Record<string, string> {
  if (!data) return {};
  if (!items?.length) return { ...data };
  return Object.fromEntries(items.filter((i) => hasOwn(data, i.key)).map((i) => [i.path, data[i.key]]));
}

function downwardFiles(pod: KubeObject, items: any[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const i of items ?? []) {
    if (i.fieldRef) out[i.path] = fieldValue(pod, i.fieldRef.fieldPath);
    else if (i.resourceFieldRef) out[i.path] = resourceValue(pod, i.resourceFieldRef.containerName, i.resourceFieldRef);
  }
  return out;
}

/** A projected volume's `serviceAccountToken` source → its token (the kubelet's token manager: tokens.ts). */
export type TokenSource = (tp: { audience?: string; expirationSeconds?: number; path?: string }) => Promise<string>;

/** Fills the pod's volume directories; returns volume name → directory. Without `token`, a token projection is refused. */
export async function prepareVolumes(client: Client, pod: KubeObject, dirs: PodDirs, token?: TokenSource): Promise<Map<string, string>> {
  const ns = pod.metadata.namespace!;
  const out = new Map<string, string>();
  const roots = writable(dirs);
  for (const v of pod.spec?.volumes ?? []) {
    if (!v?.name) continue;
    let dir = volumeDir(dirs, v.name);
    if (v.hostPath) {
      dir = inRoot(dirs.host, v.hostPath.path ?? '/');
      if (v.hostPath.type === 'File' || v.hostPath.type === 'FileOrCreate') {
        mkdirInside(path.dirname(dir), roots);
        let present = false;
        try { present = fs.lstatSync(dir).isFile(); } catch { /* missing */ }
        if (!present) fs.closeSync(openInside(dir, roots));
      } else mkdirInside(dir, roots);
    } else if (v.nfs) {
      // The file system the mount resolved to; a node that knows no file systems keys them by server address.
      const key = nfsSource(pod.metadata.uid, v.name) ?? `server-${String(v.nfs.server ?? '').replace(/[^A-Za-z0-9._-]/g, '_')}`;
      dir = inRoot(path.join(dirs.filesystems, key), v.nfs.path ?? '/');
      mkdirInside(dir, [dirs.filesystems]);
    } else if (v.persistentVolumeClaim) dir = await claimDir(client, ns, v.name, v.persistentVolumeClaim.claimName, dirs);
    else if (v.configMap) writeFiles(dir, pick(await getData(client, 'configmaps', ns, v.configMap.name, !!v.configMap.optional), v.configMap.items), roots);
    else if (v.secret) writeFiles(dir, pick(await getData(client, 'secrets', ns, v.secret.secretName, !!v.secret.optional), v.secret.items), roots, 0o600);
    else if (v.downwardAPI) writeFiles(dir, downwardFiles(pod, v.downwardAPI.items), roots);
    else if (v.projected) {
      const files: Record<string, string> = Object.create(null);
      for (const s of v.projected.sources ?? []) {
        if (s.configMap) Object.assign(files, pick(await getData(client, 'configmaps', ns, s.configMap.name, !!s.configMap.optional), s.configMap.items));
        else if (s.secret) Object.assign(files, pick(await getData(client, 'secrets', ns, s.secret.name, !!s.secret.optional), s.secret.items));
        else if (s.downwardAPI) Object.assign(files, downwardFiles(pod, s.downwardAPI.items));
        else if (s.serviceAccountToken) {
          if (!token) throw new RuntimeStartError('CreateContainerConfigError', `MountVolume.SetUp failed for volume "${v.name}" : this node cannot request ServiceAccount tokens`);
          try {
            files[s.serviceAccountToken.path ?? 'token'] = await token(s.serviceAccountToken);
          } catch (e) {
            // The kubelet's FailedMount words; here the container waits and is retried with back-off.
            throw new RuntimeStartError('CreateContainerConfigError', `MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`);
          }
        }
      }
      writeFiles(dir, files, roots);
    } else mkdirInside(dir, roots); // emptyDir and anything we cannot mount: an empty directory
    out.set(v.name, dir);
  }
  return out;
}

/** Writes fresh tokens into the pod's projected volumes (the kubelet's periodic remount of each projected volume). */
export async function refreshTokens(pod: KubeObject, dirs: PodDirs, token: TokenSource): Promise<void> {
  for (const v of pod.spec?.volumes ?? []) {
    const files: Record<string, string> = Object.create(null);
    for (const s of v?.projected?.sources ?? []) if (s?.serviceAccountToken) files[s.serviceAccountToken.path ?? 'token'] = await token(s.serviceAccountToken);
    const dir = volumeDir(dirs, v.name);
    for (const [rel, content] of Object.entries(files)) {
      // As the kubelet's atomic writer: a reader sees the old token or the new one, never half of one.
      const file = within(dir, rel);
      if (file === dir) continue;
      const tmp = path.join(path.dirname(file), `..${path.basename(file)}.tmp`);
      writeInside(tmp, content, writable(dirs));
      fs.renameSync(tmp, file);
    }
  }
}

/** Rewrites downward API files (annotations and labels change while the pod runs). */
export function refreshDownward(pod: KubeObject, dirs: PodDirs): void {
  for (const v of pod.spec?.volumes ?? []) {
    const items = v?.downwardAPI?.items ?? v?.projected?.sources?.flatMap((s: any) => s.downwardAPI?.items ?? []);
    if (!items?.length) continue;
    try { writeFiles(volumeDir(dirs, v.name), downwardFiles(pod, items), writable(dirs)); } catch { /* the pod is going away, or wrote where we will not */ }
  }
}

/**
 * Links each mountPath inside root/ to its volume; returns NODELESS_VOLUME_<NAME> variables.
 * Directories are made only where they really are inside `roots` (the pod may have planted symlinks).
 */
export function mountVolumes(spec: any, volumes: Map<string, string>, root: string, roots: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, dir] of volumes) env[`NODELESS_VOLUME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = dir;
  for (const m of spec.volumeMounts ?? []) {
    const src = volumes.get(m.name);
    if (!src || !m.mountPath) continue;
    const target = inRoot(root, m.mountPath);
    const from = m.subPath ? within(src, m.subPath) : src;
    if (m.subPath) mkdirInside(from, roots, `subPath ${JSON.stringify(m.subPath)}`);
    mkdirInside(path.dirname(target), roots, `mountPath ${JSON.stringify(m.mountPath)}`);
    try {
      fs.lstatSync(target);
    } catch {
      fs.symlinkSync(from, target);
    }
  }
  return env;
}
