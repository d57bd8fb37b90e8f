// NFS volumes (see docs/tencent/nfs-volumes.md): before a pod's containers start, each `nfs:` volume
// is mounted from the pod's own address. Whoever runs the node says what the
// network answers (the super node asks the cloud: a CFS mount target or an
// NFS server of the pod's VPC, and that server's export rules). A failed
// mount is a `FailedMount` event in the kubelet's words and the pod stays
// ContainerCreating, retried with the kubelet's back-off (500ms doubling to
// 2m2s) until it works — so fixing /etc/exports lets a stuck pod go on.
import type { KubeObject } from '../api/types.js';

export type NfsError = 'resolve' | 'refused' | 'timeout' | 'denied' | 'insecure';

/** The answer to one mount: `key` names the file system (shared storage of every pod mounting it). */
export type NfsAnswer = { ok: true; key: string; readOnly: boolean } | { ok: false; error: NfsError };

export type NfsResolver = (server: string, path: string, clientIp: string) => NfsAnswer;

export const MOUNT_RETRY_START_MS = 500;
export const MOUNT_RETRY_MAX_MS = 122_000;
/** How long the kubelet waits for a pod's volumes before it also reports which ones are missing. */
export const MOUNT_WAIT_MS = 120_000;

/** What mount.nfs prints for each failure (its exit status is 32, "mount failure"). */
function output(error: NfsError, server: string, path: string): string {
  switch (error) {
    case 'resolve': return `mount.nfs: Failed to resolve server ${server}: Name or service not known`;
    case 'refused': return 'mount.nfs: Connection refused';
    case 'timeout': return 'mount.nfs: Connection timed out';
    case 'denied': return `mount.nfs: access denied by server while mounting ${server}:${path}`;
    // The documented event (docs/tencent/nfs-volumes.md): the export lacks `insecure` and the pod mounts from a port >= 1024.
    case 'insecure': return 'mount.nfs: Operation not permitted';
  }
}

/** The kubelet's FailedMount message for an nfs volume. */
export function failedMountMessage(pod: KubeObject, volume: string, src: { server: string; path: string; readOnly?: boolean }, error: NfsError): string {
  const target = `/var/lib/kubelet/pods/${pod.metadata.uid}/volumes/kubernetes.io~nfs/${volume}`;
  return [
    `MountVolume.SetUp failed for volume "${volume}" : mount failed: exit status 32`,
    'Mounting command: mount',
    `Mounting arguments: -t nfs${src.readOnly ? ' -o ro' : ''} ${src.server}:${src.path} ${target}`,
    `Output: ${output(error, src.server, src.path)}`,
  ].join('\n');
}

/** Pod uid → volume name → file system key, for the process runtime's shared directories. */
const mounted = new Map<string, Map<string, string>>();

/** The file system a pod's mounted nfs volume is on (undefined when nothing resolved it). */
export function nfsSource(uid: string | undefined, volume: string): string | undefined {
  return uid ? mounted.get(uid)?.get(volume) : undefined;
}

export interface MountOutcome {
  /** FailedMount messages, one per volume that did not mount (empty: all mounted). */
  failures: string[];
  /** When to try again after a failure. */
  retryAt?: number;
}

export class NfsMounts {
  private attempts = new Map<string, { n: number; since: number; reported: number }>();

  constructor(private resolve: NfsResolver) {}

  /** Mounts every nfs volume of the pod from `ip`. */
  mount(pod: KubeObject, ip: string, now = Date.now()): MountOutcome {
    const uid = pod.metadata.uid!;
    const failures: string[] = [];
    const keys = new Map<string, string>();
    const unmounted: string[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const src = v?.nfs;
      if (!src) continue;
      const a = this.resolve(String(src.server ?? ''), String(src.path ?? '/'), ip);
      if (a.ok) keys.set(v.name, a.key);
      else { failures.push(failedMountMessage(pod, v.name, src, a.error)); unmounted.push(v.name); }
    }
    if (!failures.length) {
      this.attempts.delete(uid);
      if (keys.size) mounted.set(uid, keys);
      return { failures };
    }
    const a = this.attempts.get(uid) ?? { n: 0, since: now, reported: now };
    a.n++;
    this.attempts.set(uid, a);
    // Every two minutes of waiting, the kubelet's summary of what is still missing.
    if (now - a.reported >= MOUNT_WAIT_MS) {
      a.reported = now;
      const all = (pod.spec?.volumes ?? []).map((v: any) => v?.name).filter(Boolean).sort();
      failures.push(`Unable to attach or mount volumes: unmounted volumes=[${unmounted.sort().join(' ')}], unattached volumes=[${all.join(' ')}]: timed out waiting for the condition`);
    }
    return { failures, retryAt: now + Math.min(MOUNT_RETRY_START_MS * 2 ** (a.n - 1), MOUNT_RETRY_MAX_MS) };
  }

  /** The pod is gone: drop what was kept for it. */
  forget(uid: string): void {
    this.attempts.delete(uid);
    mounted.delete(uid);
  }
}
