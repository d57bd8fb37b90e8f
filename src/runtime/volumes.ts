// A process-runtime pod's files: its volumes, and the directories the
// sandbox uses. Every pod gets a directory under the state directory:
// `volumes/<name>` holds each volume (configMap, secret, downwardAPI and
// projected ones written by the kubelet's atomic writer, atomic.ts; emptyDir;
// `medium: Memory` ones become a tmpfs in the pod's namespaces), `host/` is the
// pod's own "host" for hostPath volumes, so two pods never share one and a
// rebuilt pod (new uid, new directory) starts with an empty one
// (tencent-tke-serverless-faq FAQ6). NFS volumes are the opposite: one
// directory per file system (`filesystems/<id>/<path>`) shared by every pod
// that mounts it; a persistentVolumeClaim is the directory of the
// PersistentVolume it is bound to (`disks/<volume>`), which outlives the pod.
//
// With namespaces (namespaces.ts) the volumes are mounted at their mountPath
// inside the pod; without them (the fallback) `root/` stands for the
// container's "/" (a mountPath /etc/podinfo is root/etc/podinfo, a symlink to
// the volume) and the process sees NODELESS_ROOT. docs/process-runtime.md.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../api/types.js';
import { validateDNS1123Label } from '../api/selectors.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { nfsSource } from './nfs.js';
import { RuntimeStartError } from './types.js';
import { hasOwn, own } from '../util/own.js';
import { mkdirInside, openInside, within } from './paths.js';
import { bytes, milliCpu } from '../api/resource.js';
import { atomicWrite, setVolumeOwnership, type FileProjection } from './atomic.js';

export interface PodDirs {
  dir: string;
  /** The fallback's stand-in for the container's "/". */
  root: string;
  host: string;
  volumes: string;
  logs: string;
  /** NFS file systems' contents, shared by the pods of this state directory. */
  filesystems: string;
  /** Persistent volumes' contents, one directory per volume (a cloud disk's id), outliving the pods that mount them. */
  disks: string;
  /** /etc/hosts, /etc/resolv.conf and /etc/hostname as the pod gets them. */
  etc: string;
  /** Mount point of the pod's /dev/shm (a tmpfs in the pod's namespaces). */
  shm: string;
  /** The containers' writable layers and termination logs (`<container>/<instance>/`). */
  containers: string;
  /** Mount point of each container's root (in its own mount namespace; empty here). */
  rootfs: string;
}

export function podDirs(stateDir: string, pod: KubeObject): PodDirs {
  const dir = path.join(stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  return {
    dir, root: path.join(dir, 'root'), host: path.join(dir, 'host'), volumes: path.join(dir, 'volumes'), logs: path.join(dir, 'logs'),
    filesystems: path.join(stateDir, 'filesystems'),
    disks: path.join(stateDir, 'disks'),
    etc: path.join(dir, 'etc'), shm: path.join(dir, 'shm'), containers: path.join(dir, 'containers'), rootfs: path.join(dir, 'rootfs'),
  };
}

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

/** The mode a file gets: the item's, else the volume's defaultMode, else 0644 (kube's default for all four kinds). */
const modeOf = (item: any, defaultMode: unknown): number => {
  const m = typeof item?.mode === 'number' ? item.mode : typeof defaultMode === 'number' ? defaultMode : 0o644;
  return m & 0o777;
};

/** ConfigMap or Secret data as bytes (binaryData and Secret data are base64); undefined: missing and optional. */
async function getBytes(client: Client, kind: 'configmaps' | 'secrets', ns: string, name: string, optional: boolean): Promise<Map<string, Buffer> | undefined> {
  try {
    const o = await client.get(refs[kind], ns, name);
    const out = new Map<string, Buffer>();
    if (kind === 'secrets') for (const [k, v] of Object.entries(o.data ?? {})) out.set(k, Buffer.from(String(v), 'base64'));
    else {
      for (const [k, v] of Object.entries(o.data ?? {})) out.set(k, Buffer.from(String(v)));
      for (const [k, v] of Object.entries(o.binaryData ?? {})) out.set(k, Buffer.from(String(v), 'base64'));
    }
    return out;
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) {
      if (optional) return undefined;
      throw new RuntimeStartError('CreateContainerConfigError', `${kind === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    throw e;
  }
}

/** The kubelet's MakePayload for a configMap or secret: all keys, or the listed items (a missing key is an error unless optional). */
function itemsPayload(kind: 'configmap' | 'secret', name: string, data: Map<string, Buffer> | undefined, items: any[] | undefined, defaultMode: unknown, optional: boolean): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  if (!data) return out;
  if (!Array.isArray(items) || !items.length) {
    for (const [k, v] of data) out.set(k, { data: v, mode: modeOf(undefined, defaultMode) });
    return out;
  }
  for (const i of items) {
    const v = typeof i?.key === 'string' ? data.get(i.key) : undefined;
    if (v === undefined) {
      if (optional) continue;
      throw new RuntimeStartError('CreateContainerConfigError', `${kind} references non-existent ${kind === 'secret' ? 'secret' : 'config'} key: ${i?.key}`);
    }
    out.set(String(i.path), { data: v, mode: modeOf(i, defaultMode) });
  }
  return out;
}

function downwardPayload(pod: KubeObject, items: any[] | undefined, defaultMode: unknown): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  for (const i of Array.isArray(items) ? items : []) {
    if (typeof i?.path !== 'string') continue;
    const text = i.fieldRef ? fieldValue(pod, i.fieldRef.fieldPath) : i.resourceFieldRef ? resourceValue(pod, i.resourceFieldRef.containerName, i.resourceFieldRef) : undefined;
    if (text !== undefined) out.set(i.path, { data: Buffer.from(text), mode: modeOf(i, defaultMode) });
  }
  return out;
}

/** A projected volume's `serviceAccountToken` source → its token (the kubelet's token manager: incluster.ts). */
export type TokenSource = (tp: { audience?: string; expirationSeconds?: number; path?: string }) => Promise<string>;

/** What a projected source is given: the pod, the source's own object, the volume's defaultMode and name, the node's token source. */
export interface ProjectionContext {
  client: Client;
  pod: KubeObject;
  source: any;
  defaultMode: unknown;
  volume: string;
  token?: TokenSource;
}

export type ProjectedSource = (ctx: ProjectionContext) => Promise<Map<string, FileProjection>>;

/**
 * The kinds of projected volume source, by field name. The ServiceAccount
 * token source asks the node's token source (a pod-bound TokenRequest).
 */
export const projectedSources = new Map<string, ProjectedSource>([
  ['configMap', async ({ client, pod, source, defaultMode }) => itemsPayload('configmap', source.name, await getBytes(client, 'configmaps', pod.metadata.namespace!, source.name, !!source.optional), source.items, defaultMode, !!source.optional)],
  ['secret', async ({ client, pod, source, defaultMode }) => itemsPayload('secret', source.name, await getBytes(client, 'secrets', pod.metadata.namespace!, source.name, !!source.optional), source.items, defaultMode, !!source.optional)],
  ['downwardAPI', async ({ pod, source, defaultMode }) => downwardPayload(pod, source.items, defaultMode)],
  ['serviceAccountToken', async ({ source, defaultMode, volume, token }) => {
    if (!token) throw new RuntimeStartError('CreateContainerConfigError', `MountVolume.SetUp failed for volume "${volume}" : this node cannot request ServiceAccount tokens`);
    let t: string;
    try {
      t = await token(source);
    } catch (e) {
      // The kubelet's FailedMount words; here the container waits and is retried with back-off.
      throw new RuntimeStartError('CreateContainerConfigError', `MountVolume.SetUp failed for volume "${volume}" : ${(e as Error).message}`);
    }
    return new Map([[String(source.path ?? 'token'), { data: Buffer.from(t), mode: modeOf(undefined, defaultMode) }]]);
  }],
]);

/** Registers (or replaces) the writer of one kind of projected source. */
export function registerProjectedSource(kind: string, source: ProjectedSource): void {
  projectedSources.set(kind, source);
}

/** The files of a configMap, secret, downwardAPI or projected volume; undefined for other kinds. */
async function atomicPayload(client: Client, pod: KubeObject, v: any, token?: TokenSource): Promise<Map<string, FileProjection> | undefined> {
  const ns = pod.metadata.namespace!;
  if (v.configMap) return itemsPayload('configmap', v.configMap.name, await getBytes(client, 'configmaps', ns, v.configMap.name, !!v.configMap.optional), v.configMap.items, v.configMap.defaultMode, !!v.configMap.optional);
  if (v.secret) return itemsPayload('secret', v.secret.secretName, await getBytes(client, 'secrets', ns, v.secret.secretName, !!v.secret.optional), v.secret.items, v.secret.defaultMode, !!v.secret.optional);
  if (v.downwardAPI) return downwardPayload(pod, v.downwardAPI.items, v.downwardAPI.defaultMode);
  if (v.projected) {
    const out = new Map<string, FileProjection>();
    for (const s of Array.isArray(v.projected.sources) ? v.projected.sources : []) {
      for (const [kind, write] of projectedSources) {
        const source = own(s, kind);
        if (source && typeof source === 'object') for (const [p, f] of await write({ client, pod, source, defaultMode: v.projected.defaultMode, volume: String(v.name), token })) out.set(p, f);
      }
    }
    return out;
  }
  return undefined;
}

/** The pod-wide fsGroup (kubelet applies it to emptyDir, configMap, secret, downwardAPI, projected and claim volumes). */
const fsGroupOf = (pod: KubeObject): number | undefined => (typeof pod.spec?.securityContext?.fsGroup === 'number' ? pod.spec.securityContext.fsGroup : undefined);

/** The ConfigMaps and Secrets a volume reads (to know which updates concern the pod). */
export function volumeReferences(v: any): { configmaps: string[]; secrets: string[] } {
  const out = { configmaps: [] as string[], secrets: [] as string[] };
  if (v?.configMap?.name) out.configmaps.push(v.configMap.name);
  if (v?.secret?.secretName) out.secrets.push(v.secret.secretName);
  for (const s of Array.isArray(v?.projected?.sources) ? v.projected.sources : []) {
    if (s?.configMap?.name) out.configmaps.push(s.configMap.name);
    if (s?.secret?.name) out.secrets.push(s.secret.name);
  }
  return out;
}

/** A volume as prepared for mounting. */
export interface PreparedVolume {
  dir: string;
  /** Kubernetes mounts configMap, secret, downwardAPI and projected volumes read-only; a claim may ask for it. */
  readOnly: boolean;
  /** `medium: Memory` emptyDir: a tmpfs in the pod's namespaces (sizeLimit, else the pod's memory limits). */
  memory?: { sizeBytes?: number };
  /** A hostPath File/FileOrCreate: a file, not a directory. */
  file: boolean;
}


/** tmpfs size of a Memory emptyDir: sizeLimit, else the sum of the containers' memory limits when all have one. */
function memorySize(pod: KubeObject, v: any): number | undefined {
  if (v.emptyDir?.sizeLimit !== undefined) { const b = bytes(v.emptyDir.sizeLimit); return Number.isFinite(b) && b > 0 ? b : undefined; }
  const limits = (pod.spec?.containers ?? []).map((c: any) => bytes(own(c?.resources?.limits, 'memory')));
  return limits.length && limits.every((b: number) => Number.isFinite(b) && b > 0) ? limits.reduce((a: number, b: number) => a + b, 0) : undefined;
}

/** Fills the pod's volume directories; returns each volume by name. */
export async function prepareVolumes(client: Client, pod: KubeObject, dirs: PodDirs, token?: TokenSource): Promise<Map<string, PreparedVolume>> {
  const ns = pod.metadata.namespace!;
  const out = new Map<string, PreparedVolume>();
  const roots = writable(dirs);
  const fsGroup = fsGroupOf(pod);
  for (const v of pod.spec?.volumes ?? []) {
    if (!v?.name) continue;
    let dir = volumeDir(dirs, v.name);
    let readOnly = false;
    let file = false;
    let memory: PreparedVolume['memory'];
    if (v.hostPath) {
      dir = inRoot(dirs.host, v.hostPath.path ?? '/');
      if (v.hostPath.type === 'File' || v.hostPath.type === 'FileOrCreate') {
        file = true;
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
      readOnly = v.nfs.readOnly === true;
    } else if (v.persistentVolumeClaim) {
      dir = await claimDir(client, ns, v.name, v.persistentVolumeClaim.claimName, dirs);
      fs.chmodSync(dir, 0o777);
      if (fsGroup !== undefined) setVolumeOwnership(dir, fsGroup, false);
      readOnly = v.persistentVolumeClaim.readOnly === true;
    } else {
      const payload = await atomicPayload(client, pod, v, token);
      if (payload) {
        atomicWrite(dir, payload, roots);
        if (fsGroup !== undefined) setVolumeOwnership(dir, fsGroup, true);
        readOnly = true;
      } else {
        // emptyDir (and what cannot be mounted here): a directory anyone in the pod may write, as the kubelet makes it.
        mkdirInside(dir, roots);
        fs.chmodSync(dir, 0o777);
        if (fsGroup !== undefined) setVolumeOwnership(dir, fsGroup, false);
        if (v.emptyDir?.medium === 'Memory') memory = { sizeBytes: memorySize(pod, v) };
      }
    }
    out.set(v.name, { dir, readOnly, file, memory });
  }
  return out;
}

/**
 * Writes the configMap, secret, downwardAPI and projected volumes again (an
 * object they read changed, or the pod's labels and annotations): the atomic
 * writer swaps `..data` only if something differs. `only` picks volumes. A
 * source that cannot be read now leaves the files as they are, as the kubelet
 * does; `strict`: it is an error (a token refresh is tried again later).
 */
export async function refreshVolumes(client: Client, pod: KubeObject, dirs: PodDirs, only: (v: any) => boolean = () => true, token?: TokenSource, strict = false): Promise<void> {
  const fsGroup = fsGroupOf(pod);
  for (const v of pod.spec?.volumes ?? []) {
    if (!v?.name || !only(v)) continue;
    try {
      const payload = await atomicPayload(client, pod, v, token);
      if (!payload) continue;
      const dir = volumeDir(dirs, v.name);
      if (atomicWrite(dir, payload, writable(dirs)) && fsGroup !== undefined) setVolumeOwnership(dir, fsGroup, true);
    } catch (e) {
      // The pod is going away, or the object is gone: keep what is there.
      if (strict) throw e;
    }
  }
}

/** Projected volumes with a ServiceAccount token (written afresh before the token expires). */
export const hasToken = (v: any) => Array.isArray(v?.projected?.sources) && v.projected.sources.some((s: any) => s?.serviceAccountToken);

/** Downward API volumes (and projected ones with downward API sources) follow the pod's labels and annotations. */
export const hasDownward = (v: any) => !!(v?.downwardAPI || (Array.isArray(v?.projected?.sources) && v.projected.sources.some((s: any) => s?.downwardAPI)));

/**
 * The fallback (no namespaces): links each mountPath inside root/ to its volume; returns
 * NODELESS_VOLUME_<NAME> variables. Directories are made only where they really are inside
 * `roots` (the pod may have planted symlinks).
 */
export function mountVolumes(spec: any, volumes: Map<string, PreparedVolume>, root: string, roots: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, v] of volumes) env[`NODELESS_VOLUME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = v.dir;
  for (const m of spec.volumeMounts ?? []) {
    const src = volumes.get(m.name)?.dir;
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
