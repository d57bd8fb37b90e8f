// System disk / image reuse (see docs/tencent/image-reuse.md):
// when a pod is deleted its system disk, with the images on it, goes to a pool.
// A new pod of the same workload in the same zone, within the cache time
// (2 hours), takes that disk and does not pull those images again. Annotation
// eks.tke.cloud.tencent.com/cbs-reuse-key shares the pool across workloads
// with the same value. A disk is attached to one pod at a time, so each
// released disk is taken at most once. The pool is kept in a JSON file next
// to the cluster's pod directories, so it survives a nodeless restart.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';

const log = logger('imagecache');

export const REUSE_KEY_ANNOTATION = 'eks.tke.cloud.tencent.com/cbs-reuse-key';
export const DEFAULT_REUSE_WINDOW_MS = 2 * 3600_000;
/** Released disks kept at most (oldest dropped first): bounds memory and the file. */
const MAX_DISKS = 20_000;

/** The cache time: env NODELESS_IMAGE_REUSE_WINDOW_MS (read at startup; tests shorten it), else 2 h. */
export function reuseWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.NODELESS_IMAGE_REUSE_WINDOW_MS);
  return env.NODELESS_IMAGE_REUSE_WINDOW_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : DEFAULT_REUSE_WINDOW_MS;
}

/**
 * The workload a pod belongs to: `ns/Kind/name` of its controller, a
 * ReplicaSet made by a Deployment counted as the Deployment (its name is the
 * Deployment's plus `-<pod-template-hash>`). Bare pods have none.
 */
export function workloadOf(pod: KubeObject): string | undefined {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return undefined;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return `${pod.metadata.namespace}/Deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  return `${pod.metadata.namespace}/${owner.kind}/${owner.name}`;
}

/** What a pod's disk is pooled under: its cbs-reuse-key, else its workload; undefined = not reused. */
export function reuseKeyOf(pod: KubeObject, annotations: Record<string, string>): string | undefined {
  const key = annotations[REUSE_KEY_ANNOTATION]?.trim();
  if (key) return `key:${key}`;
  const w = workloadOf(pod);
  return w ? `workload:${w}` : undefined;
}

export interface CachedDisk {
  zone: string;
  key: string;
  images: Array<{ name: string; bytes: number }>;
  /** When the pod that had it was deleted (ms since epoch). */
  releasedAt: number;
  /** The pod that had it, for `describe`-style messages. */
  from: string;
}

export class ImageCache {
  /** Released disks by `zone|key`, oldest first. */
  private buckets = new Map<string, CachedDisk[]>();
  private count = 0;
  private saveTimer?: NodeJS.Timeout;

  constructor(readonly windowMs = reuseWindowMs(), private file?: string) {
    if (!file) return;
    try {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const d of Array.isArray(doc?.disks) ? doc.disks : []) {
        if (d && typeof d.key === 'string' && typeof d.zone === 'string' && Array.isArray(d.images)) this.add(d);
      }
    } catch { /* no file yet, or unreadable: start empty */ }
  }

  private static shared = new Map<string, ImageCache>();
  /** One pool per file (all super nodes of a cluster share it); none: a pool of one's own in memory. */
  static for(file?: string): ImageCache {
    if (!file) return new ImageCache();
    let c = ImageCache.shared.get(file);
    if (!c) ImageCache.shared.set(file, (c = new ImageCache(reuseWindowMs(), file)));
    return c;
  }

  private add(d: CachedDisk): void {
    const k = `${d.zone}|${d.key}`;
    (this.buckets.get(k) ?? this.buckets.set(k, []).get(k)!).push(d);
    this.count++;
  }

  /** Drops disks past the cache time (and the oldest beyond MAX_DISKS). */
  private prune(now: number): void {
    for (const [k, list] of this.buckets) {
      const keep = list.filter((d) => now - d.releasedAt < this.windowMs);
      this.count -= list.length - keep.length;
      if (keep.length) this.buckets.set(k, keep); else this.buckets.delete(k);
    }
    while (this.count > MAX_DISKS) {
      let oldest: [string, CachedDisk] | undefined;
      for (const [k, list] of this.buckets) if (!oldest || list[0].releasedAt < oldest[1].releasedAt) oldest = [k, list[0]];
      const list = this.buckets.get(oldest![0])!;
      list.shift();
      if (!list.length) this.buckets.delete(oldest![0]);
      this.count--;
    }
  }

  /** A deleted pod's disk joins the pool. */
  release(d: CachedDisk): void {
    if (!d.images.length || this.windowMs <= 0) return;
    this.add(d);
    this.save();
  }

  /** Takes the most recently released disk for (zone, key) still inside the cache time. */
  take(zone: string, key: string, now = Date.now()): CachedDisk | undefined {
    const k = `${zone}|${key}`;
    const list = this.buckets.get(k);
    if (!list) return undefined;
    const d = list.pop()!;
    this.count--;
    if (!list.length) this.buckets.delete(k);
    this.save();
    // The newest is expired: so is everything older in the bucket.
    if (now - d.releasedAt >= this.windowMs) {
      this.count -= list.length;
      this.buckets.delete(k);
      return undefined;
    }
    return d;
  }

  list(now = Date.now()): CachedDisk[] {
    this.prune(now);
    return [...this.buckets.values()].flat();
  }

  /** Writes are batched: many pods go at once when a Deployment scales down. */
  private save(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), 200);
    this.saveTimer.unref();
  }

  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.file) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      this.prune(Date.now());
      fs.writeFileSync(tmp, JSON.stringify({ version: 1, disks: [...this.buckets.values()].flat() }));
      fs.renameSync(tmp, this.file);
    } catch (e) {
      log.error({ err: e, file: this.file }, 'the image cache could not be saved');
    }
  }
}
