// The system disk of one serverless pod (see docs/tencent/system-disk.md): 20 GiB free by default,
// holding images, container writable layers and exited containers. A pure state
// machine (no I/O, no clock) that the runtime drives; it returns Kubernetes-style
// events with the documented texts ("no space left on device: unknown",
// FreeDiskSpaceFailed, ImageGCFailed).

export const GiB = 2 ** 30;
export const DEFAULT_DISK_BYTES = 20 * GiB;

export interface DiskEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The annotation-driven settings the disk obeys (a subset of EksSettings). */
export interface DiskGcSettings {
  imageGcHigh: number;
  imageGcLow: number;
  containerGcThreshold: number;
  mustKeepLastContainer: boolean;
  podEvictionThreshold?: number;
}

export const DEFAULT_DISK_GC: DiskGcSettings = { imageGcHigh: 80, imageGcLow: 75, containerGcThreshold: 85, mustKeepLastContainer: false };

export interface PullResult { ok: boolean; reused: boolean; events: DiskEvent[] }
export interface WriteResult { ok: boolean; writtenBytes: number; error?: string }
export interface GcResult {
  events: DiskEvent[];
  /** Set when usage is above pod-eviction-threshold: the caller restarts the pod (not the VM). */
  action?: 'restart-pod';
  freedBytes: number;
  removedImages: string[];
  removedContainers: string[];
}

interface Image { name: string; bytes: number; lastUsed: number }
interface Container { name: string; image: string; writableBytes: number; state: 'running' | 'exited' }

/** The documented wording (docs/tencent/system-disk.md), shared by FreeDiskSpaceFailed and ImageGCFailed. */
export const gcFailedMessage = (wanted: number, freed: number): string =>
  `failed to garbage collect required amount of images. Wanted to free ${wanted} bytes, but freed ${freed} bytes`;

const pct = (n: number): string => `${Math.round(n * 10) / 10}%`;

export class PodDisk {
  readonly capacityBytes: number;
  // Arrays, not Maps: a pod holds one or two of each, and 100k pods each keeping two small Maps is megabytes.
  private imgs: Image[] = [];
  private ctrs: Container[] = [];
  /** Logical clock for least-recently-used image order. */
  private tick = 0;

  /**
   * `images` pre-loads a reused system disk (cbs-reuse-key / same workload
   * within 2 h): images of earlier pods, not used by any container here.
   */
  constructor(opts: { capacityBytes?: number; images?: Array<{ name: string; bytes: number }> } = {}) {
    this.capacityBytes = opts.capacityBytes ?? DEFAULT_DISK_BYTES;
    for (const i of opts.images ?? []) this.setImage(i.name, i.bytes);
  }

  usedBytes(): number {
    let used = 0;
    for (const i of this.imgs) used += i.bytes;
    for (const c of this.ctrs) used += c.writableBytes;
    return used;
  }
  freeBytes(): number { return Math.max(0, this.capacityBytes - this.usedBytes()); }
  usagePercent(): number { return (this.usedBytes() / this.capacityBytes) * 100; }
  hasImage(name: string): boolean { return this.imgs.some((i) => i.name === name); }
  images(): Array<{ name: string; bytes: number; inUse: boolean }> {
    return this.imgs.map((i) => ({ name: i.name, bytes: i.bytes, inUse: this.inUse(i.name) }));
  }
  containers(): Array<{ name: string; image: string; writableBytes: number; state: 'running' | 'exited' }> {
    return this.ctrs.map((c) => ({ ...c }));
  }

  private image(name: string): Image | undefined {
    return this.imgs.find((i) => i.name === name);
  }

  private setImage(name: string, bytes: number): void {
    // concat, not push: an array grown by push reserves room for 16 more, per pod.
    this.imgs = this.imgs.filter((i) => i.name !== name).concat([{ name, bytes, lastUsed: this.tick++ }]);
  }

  /** An image is in use while any container, running or exited, was made from it. */
  private inUse(image: string): boolean {
    return this.ctrs.some((c) => c.image === image);
  }

  /** Removes unused images, least recently used first, until `wanted` bytes are freed. */
  private freeImages(wanted: number): { freed: number; removed: string[] } {
    const candidates = this.imgs.filter((i) => !this.inUse(i.name)).sort((a, b) => a.lastUsed - b.lastUsed);
    let freed = 0;
    const removed: string[] = [];
    for (const img of candidates) {
      if (freed >= wanted) break;
      freed += img.bytes;
      removed.push(img.name);
    }
    this.imgs = this.imgs.filter((i) => !removed.includes(i.name));
    return { freed, removed };
  }

  /**
   * Pulls an image. An image already on the (possibly reused) disk is not
   * pulled again. Without room the pull fails with "no space left on device:
   * unknown" and the disk immediately tries to free the missing bytes from
   * unused images; a retry succeeds once enough was freed.
   */
  pull(image: string, bytes: number): PullResult {
    const existing = this.image(image);
    if (existing) {
      existing.lastUsed = this.tick++;
      return { ok: true, reused: true, events: [{ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` }] };
    }
    const events: DiskEvent[] = [{ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` }];
    const free = this.freeBytes();
    if (bytes <= free) {
      this.setImage(image, bytes);
      events.push({ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}". Image size: ${bytes} bytes.` });
      return { ok: true, reused: false, events };
    }
    events.push(
      { type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": failed to pull and unpack image "${image}": no space left on device: unknown` },
      { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
    );
    const wanted = bytes - free;
    const { freed } = this.freeImages(wanted);
    if (freed < wanted) events.push({ type: 'Warning', reason: 'FreeDiskSpaceFailed', message: gcFailedMessage(wanted, freed) });
    return { ok: false, reused: false, events };
  }

  /** Starts a container from a pulled image. */
  startContainer(name: string, image: string): void {
    const img = this.image(image);
    if (!img) throw new Error(`image "${image}" is not on the disk: pull it first`);
    img.lastUsed = this.tick++;
    this.ctrs = this.ctrs.filter((c) => c.name !== name).concat([{ name, image, writableBytes: 0, state: 'running' }]);
  }

  /** The container exits; its writable layer stays until container GC. */
  exitContainer(name: string): void {
    this.container(name).state = 'exited';
  }

  /**
   * A running container writes (bytes > 0) or deletes (bytes < 0) files in its
   * writable layer. A write that does not fit is cut short with ENOSPC.
   */
  write(container: string, bytes: number): WriteResult {
    const c = this.container(container);
    if (bytes < 0) {
      const removed = Math.min(c.writableBytes, -bytes);
      c.writableBytes -= removed;
      return { ok: true, writtenBytes: -removed };
    }
    if (c.state !== 'running') throw new Error(`container "${container}" has exited and cannot write`);
    const written = Math.min(bytes, this.freeBytes());
    c.writableBytes += written;
    return written < bytes
      ? { ok: false, writtenBytes: written, error: 'write: no space left on device' }
      : { ok: true, writtenBytes: written };
  }

  private container(name: string): Container {
    const c = this.ctrs.find((x) => x.name === name);
    if (!c) throw new Error(`no container "${name}" on this pod`);
    return c;
  }

  /**
   * One round of the periodic disk check (every image-gc-period). In order:
   * exited containers at container-gc-threshold (unless must-keep-last-container),
   * unused images at image-gc-high-threshold down to the low threshold, then
   * pod-eviction-threshold → restart the pod.
   */
  gc(settings: DiskGcSettings = DEFAULT_DISK_GC): GcResult {
    const events: DiskEvent[] = [];
    const removedContainers: string[] = [];
    const before = this.usedBytes();

    if (this.usagePercent() >= settings.containerGcThreshold && !settings.mustKeepLastContainer) {
      for (const c of this.ctrs) if (c.state === 'exited') removedContainers.push(c.name);
      this.ctrs = this.ctrs.filter((c) => c.state !== 'exited');
    }

    let removedImages: string[] = [];
    if (this.usagePercent() >= settings.imageGcHigh) {
      const target = Math.floor((this.capacityBytes * settings.imageGcLow) / 100);
      const wanted = this.usedBytes() - target;
      const r = this.freeImages(wanted);
      removedImages = r.removed;
      if (r.freed === 0) events.push({ type: 'Warning', reason: 'ImageGCFailed', message: gcFailedMessage(wanted, 0) });
      else if (r.freed < wanted) events.push({ type: 'Warning', reason: 'FreeDiskSpaceFailed', message: gcFailedMessage(wanted, r.freed) });
    }

    let action: GcResult['action'];
    const usage = this.usagePercent();
    if (settings.podEvictionThreshold !== undefined && usage > settings.podEvictionThreshold) {
      action = 'restart-pod';
      events.push({ type: 'Warning', reason: 'EvictionThresholdMet',
        message: `system disk usage ${pct(usage)} is above pod-eviction-threshold ${settings.podEvictionThreshold}%: restarting the pod` });
    }
    return { events, action, freedBytes: before - this.usedBytes(), removedImages, removedContainers };
  }

  /**
   * Restarts the pod in place (the VM stays): containers are recreated with
   * empty writable layers, exited ones are dropped; images remain.
   */
  restartPod(): DiskEvent[] {
    const events: DiskEvent[] = [];
    this.ctrs = this.ctrs.filter((c) => c.state !== 'exited');
    for (const c of this.ctrs) {
      events.push({ type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}` });
      c.writableBytes = 0;
    }
    return events;
  }
}
