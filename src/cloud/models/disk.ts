// Cloud disks (docs/storage.md): block devices that live in one zone and are
// attached to one instance of that zone at a time, as Tencent CBS, Alibaba ECS
// disks and AWS EBS volumes are. The CSI provisioner of a cluster
// (src/controllers/storage) creates, grows, attaches and deletes them; people
// list them with `nodeless cloud disk list` or GET /cloud/v1/disks.
import type { Store } from '../../store/types.js';
import { InvalidParameterValue, ResourceInUse } from '../errors.js';
import { newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now, Table } from '../state.js';
import type { Disk, DiskAttachment } from '../types.js';
import { checkName, checkTags, clone, mustGet } from './common.js';
import type { QuotaModel } from './quota.js';
import type { RegionModel } from './region.js';

/**
 * Sizes each disk type may have, in GiB, as the clouds document them: Tencent CBS from
 * kubernetes-csi-tencentcloud's README_CBS ("cbs volume size limit"), Alibaba from ACK's
 * disk volume page (20 GiB minimum), AWS from EBS' volume types.
 */
export const DISK_TYPES: Record<string, { min: number; max: number }> = {
  CLOUD_BASIC: { min: 10, max: 16000 },
  CLOUD_PREMIUM: { min: 10, max: 16000 },
  CLOUD_SSD: { min: 100, max: 16000 },
  cloud_efficiency: { min: 20, max: 32768 },
  cloud_ssd: { min: 20, max: 32768 },
  cloud_essd: { min: 20, max: 32768 },
  gp2: { min: 1, max: 16384 },
  gp3: { min: 1, max: 16384 },
  io1: { min: 4, max: 16384 },
  io2: { min: 4, max: 65536 },
  st1: { min: 125, max: 16384 },
  sc1: { min: 125, max: 16384 },
  standard: { min: 1, max: 1024 },
};

const CHARGE_TYPES = ['POSTPAID_BY_HOUR', 'PREPAID'];

export interface CreateDiskInput {
  zone: string;
  sizeGiB: number;
  type?: string;
  name?: string;
  chargeType?: string;
  tags?: Record<string, string>;
}

export interface DiskFilter {
  zone?: string;
  state?: string;
  /** Only disks attached in (or tagged for) this cluster. */
  cluster?: string;
}

/** The tag the provisioner puts on a disk it made for a cluster (kubernetes-csi-tencentcloud's tke-clusterId). */
export const DISK_CLUSTER_TAG = 'tke-clusterId';

export class DiskModel {
  readonly table: Table<Disk>;

  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel, private readonly regions: RegionModel) {
    this.table = new Table<Disk>('disk', s.store);
    quotas.diskCount = () => this.table.size;
  }

  async load(store: Store = this.s.store): Promise<void> {
    await this.table.loadAll(store);
  }


  list(filter: DiskFilter = {}): Disk[] {
    return this.table.all().filter((d) => (!filter.zone || d.zone === filter.zone)
      && (!filter.state || d.state === filter.state)
      && (!filter.cluster || d.attachedTo?.cluster === filter.cluster || d.tags[DISK_CLUSTER_TAG] === filter.cluster)).map(clone);
  }

  get(id: string): Disk {
    return clone(mustGet(this.table, id));
  }

  /** The disk, or undefined when there is none by that id (the provisioner asks before it deletes). */
  find(id: string): Disk | undefined {
    const d = this.table.get(id);
    return d && clone(d);
  }

  async create(input: CreateDiskInput): Promise<Disk> {
    const zone = this.regions.checkZone(input.zone);
    const type = input.type ?? 'CLOUD_PREMIUM';
    const limits = Object.hasOwn(DISK_TYPES, type) ? DISK_TYPES[type] : undefined;
    if (!limits) throw new InvalidParameterValue(`disk type ${JSON.stringify(type)} is not offered (types: ${Object.keys(DISK_TYPES).join(', ')})`);
    const size = checkSize(input.sizeGiB, type, limits);
    const chargeType = input.chargeType ?? 'POSTPAID_BY_HOUR';
    if (!CHARGE_TYPES.includes(chargeType)) throw new InvalidParameterValue(`disk charge type ${JSON.stringify(chargeType)} must be one of ${CHARGE_TYPES.join(', ')}`);
    const name = input.name === undefined ? undefined : checkName(input.name, 'disk');
    const tags = checkTags(input.tags);
    this.quotas.check('disks-per-region', this.table.size, `region ${this.s.region}`);
    const id = newId('disk', (x) => this.table.has(x));
    const disk: Disk = { id, name: name ?? id, zone, sizeGiB: size, type, chargeType, state: 'UNATTACHED', tags, createdTime: now() };
    await this.table.insert(disk);
    this.s.emit({ kind: 'disk', type: 'created', id, object: clone(disk) });
    return clone(disk);
  }

  /** Grows a disk (ResizeDisk): never below its size; attached or not. */
  async resize(id: string, sizeGiB: number): Promise<Disk> {
    const disk = mustGet(this.table, id);
    const size = checkSize(sizeGiB, disk.type, DISK_TYPES[disk.type] ?? { min: 1, max: 65536 });
    if (size < disk.sizeGiB) throw new InvalidParameterValue(`disk ${id} is ${disk.sizeGiB} GiB: a disk can only grow, not shrink to ${size} GiB`);
    if (size === disk.sizeGiB) return clone(disk);
    await this.table.update(disk, (d) => { d.sizeGiB = size; });
    this.s.emit({ kind: 'disk', type: 'updated', id, object: clone(disk) });
    return clone(disk);
  }

  /** Attaches to an instance of the disk's zone; attaching again to the same instance is a no-op. */
  async attach(id: string, to: DiskAttachment & { zone: string }): Promise<Disk> {
    const disk = mustGet(this.table, id);
    if (typeof to.node !== 'string' || !to.node) throw new InvalidParameterValue('node must name the instance to attach to');
    if (to.zone !== disk.zone) throw new InvalidParameterValue(`disk ${id} is in zone ${disk.zone} and cannot be attached to ${to.node} in zone ${to.zone}`);
    if (disk.state === 'ATTACHED') {
      if (disk.attachedTo?.node === to.node && disk.attachedTo?.cluster === to.cluster) return clone(disk);
      throw new ResourceInUse(`disk ${id} is already attached to ${disk.attachedTo?.node}`);
    }
    await this.table.update(disk, (d) => {
      d.state = 'ATTACHED';
      d.attachedTo = { node: to.node, ...(to.cluster ? { cluster: to.cluster } : {}) };
    });
    this.s.emit({ kind: 'disk', type: 'updated', id, object: clone(disk) });
    return clone(disk);
  }

  async detach(id: string): Promise<Disk> {
    const disk = mustGet(this.table, id);
    if (disk.state === 'UNATTACHED') return clone(disk);
    await this.table.update(disk, (d) => {
      d.state = 'UNATTACHED';
      delete d.attachedTo;
    });
    this.s.emit({ kind: 'disk', type: 'updated', id, object: clone(disk) });
    return clone(disk);
  }

  /** Terminates an unattached disk (its data is gone). */
  async delete(id: string): Promise<Disk> {
    const disk = mustGet(this.table, id);
    if (disk.state === 'ATTACHED') throw new ResourceInUse(`disk ${id} is attached to ${disk.attachedTo?.node}: detach it first`);
    await this.table.remove(disk);
    this.s.emit({ kind: 'disk', type: 'deleted', id, object: clone(disk) });
    return clone(disk);
  }
}

function checkSize(size: unknown, type: string, limits: { min: number; max: number }): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < limits.min || size > limits.max) {
    throw new InvalidParameterValue(`a ${type} disk is ${limits.min} to ${limits.max} GiB, got ${JSON.stringify(size)}`);
  }
  return size;
}
