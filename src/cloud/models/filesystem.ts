// File systems pods mount over NFS (docs/tencent/nfs-volumes.md): a CFS file system (managed;
// its mount target takes an IP in a subnet of the VPC) and a self-managed NFS
// server (an address in the VPC with its own /etc/exports). Both hold their
// address through an ENI, so no pod is ever given it and the subnet's counts
// show it. `mountRequest` is what a pod's mount gets back from the network.
import type { Store } from '../../store/types.js';
import { InvalidParameter, InvalidParameterValue, MissingParameter, ResourceInUse, ResourceNotFound } from '../errors.js';
import { newId } from '../ids.js';
import { cidrContainsIp, parseCidr, parseIp } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now, Table } from '../state.js';
import type { FileSystem, NfsExport } from '../types.js';
import { checkName, clone, mustGet } from './common.js';
import type { EniModel } from './eni.js';
import { answerMount, parseExports } from './exports.js';

export interface CreateFileSystemInput {
  type: string;
  vpcId?: string;
  subnetId?: string;
  /** The IP to take; by default the subnet's next free one. */
  address?: string;
  name?: string;
  /** /etc/exports lines (NFS servers only). */
  exports?: string[];
}

/** A CFS mount target answers every client of its VPC read-write (the default permission group), from any port. */
const CFS_EXPORTS: NfsExport[] = [{ path: '/', clients: [{ host: '*', options: ['rw', 'no_root_squash', 'insecure'] }] }];

/** What a mount of server:path from a pod gets: the file system, or how mount.nfs fails. */
export type MountResult =
  | { ok: true; fileSystem: FileSystem; readOnly: boolean }
  | { ok: false; error: 'resolve' | 'refused' | 'timeout' | 'denied' | 'insecure' };

export class FileSystemModel {
  readonly cfs: Table<FileSystem>;
  readonly nfs: Table<FileSystem>;

  constructor(private readonly s: CloudState, private readonly enis: EniModel) {
    this.cfs = new Table<FileSystem>('cfs', s.store);
    this.nfs = new Table<FileSystem>('nfs', s.store);
  }

  /** Reads the records from the store (their ENIs, loaded with the cloud, already hold the addresses). */
  async load(store: Store = this.s.store): Promise<void> {
    for (const table of [this.cfs, this.nfs]) await table.loadAll(store);
  }


  private table(type: unknown): Table<FileSystem> {
    if (type === 'cfs') return this.cfs;
    if (type === 'nfs') return this.nfs;
    throw new InvalidParameterValue(`type must be cfs (a CFS file system) or nfs (a self-managed NFS server), got ${JSON.stringify(type)}`);
  }

  private row(id: string): FileSystem {
    const prefix = typeof id === 'string' ? id.split('-')[0] : '';
    if (prefix !== 'cfs' && prefix !== 'nfs') throw new ResourceNotFound('file system', String(id));
    return mustGet(this.table(prefix), id);
  }

  list(filter: { type?: string; vpcId?: string } = {}): FileSystem[] {
    const tables = filter.type === undefined ? [this.cfs, this.nfs] : [this.table(filter.type)];
    return tables.flatMap((t) => t.all()).filter((f) => !filter.vpcId || f.vpcId === filter.vpcId).map(clone);
  }

  get(id: string): FileSystem {
    return clone(this.row(id));
  }

  async create(input: CreateFileSystemInput): Promise<FileSystem> {
    const table = this.table(input.type);
    const type = table.kind as FileSystem['type'];
    const name = input.name === undefined ? undefined : checkName(input.name, type === 'cfs' ? 'file system' : 'NFS server');
    if (type === 'cfs' && input.exports !== undefined) {
      throw new InvalidParameter('a CFS file system exports / to its permission group (every address of the VPC, read-write); exports are for self-managed NFS servers');
    }
    const exports = type === 'cfs' ? clone(CFS_EXPORTS) : parseExports(input.exports ?? []);
    const subnet = this.placeIn(input);
    const address = input.address === undefined ? undefined : this.checkAddress(subnet.id, subnet.cidr, input.address);
    const id = newId(type, (x) => table.has(x));
    const eni = await this.enis.allocateNode({ node: id, subnetId: subnet.id, preferIp: address });
    const fs: FileSystem = {
      id, type, name: name ?? id, vpcId: subnet.vpcId, subnetId: subnet.id, zone: subnet.zone,
      address: eni.primaryIp, eniId: eni.id, exports, createdTime: now(),
    };
    try {
      await table.insert(fs);
    } catch (e) {
      await this.enis.release(eni.id).catch(() => undefined);
      throw e;
    }
    this.s.emit({ kind: type, type: 'created', id, object: clone(fs) });
    return clone(fs);
  }

  /** The subnet the address lives in: given, or the VPC's subnet containing `address`. */
  private placeIn(input: CreateFileSystemInput) {
    if (input.subnetId !== undefined) {
      const subnet = mustGet(this.s.subnets, input.subnetId);
      if (input.vpcId !== undefined && input.vpcId !== subnet.vpcId) {
        throw new InvalidParameterValue(`subnet ${subnet.id} belongs to VPC ${subnet.vpcId}, not ${input.vpcId}`);
      }
      return subnet;
    }
    if (input.vpcId === undefined) throw new MissingParameter('subnetId');
    const vpc = mustGet(this.s.vpcs, input.vpcId);
    if (input.address === undefined) throw new MissingParameter('address (or subnetId)');
    const ip = parseIp(input.address);
    if (ip === undefined) throw new InvalidParameterValue(`address ${input.address} is not an IPv4 address`);
    const subnet = this.s.subnets.all().find((x) => x.vpcId === vpc.id && cidrContainsIp(parseCidr(x.cidr), ip));
    if (!subnet) throw new InvalidParameterValue(`address ${input.address} is in no subnet of VPC ${vpc.id} (${vpc.cidr}); a server needs a subnet: create one or pick an address inside one`);
    return subnet;
  }

  private checkAddress(subnetId: string, cidrText: string, address: string): string {
    const ip = parseIp(address);
    const cidr = parseCidr(cidrText);
    if (ip === undefined || !cidrContainsIp(cidr, ip)) throw new InvalidParameterValue(`address ${address} is not in subnet ${subnetId} (${cidrText})`);
    const { bitmap, base } = this.s.ipBitmaps.get(subnetId)!;
    const off = ip - base;
    if (off <= 1 || off === cidr.size - 1) throw new InvalidParameterValue(`address ${address} is reserved in subnet ${subnetId} (network, gateway and broadcast addresses)`);
    if (bitmap.has(off)) {
      const holder = this.s.enis.get(this.s.eniAt(this.s.subnets.get(subnetId)!.vpcId, address) ?? '');
      const who = holder?.attachedTo.type === 'pod' ? `pod ${holder.attachedTo.namespace}/${holder.attachedTo.pod}` : holder ? holder.attachedTo.node : 'another instance';
      throw new ResourceInUse(`address ${address} is already used by ${who}`);
    }
    return address;
  }

  /** Renames, or replaces an NFS server's exports (editing /etc/exports, then `exportfs -ra`). */
  async update(id: string, input: { name?: string; exports?: string[] }): Promise<FileSystem> {
    const fs = this.row(id);
    const name = input.name === undefined ? undefined : checkName(input.name, 'file system');
    if (input.exports !== undefined && fs.type === 'cfs') throw new InvalidParameter('a CFS file system has no exports to edit; it serves every address of its VPC');
    const exports = input.exports === undefined ? undefined : parseExports(input.exports);
    await this.table(fs.type).update(fs, (r) => {
      if (name !== undefined) r.name = name;
      if (exports !== undefined) r.exports = exports;
    });
    this.s.emit({ kind: fs.type, type: 'updated', id, object: clone(fs) });
    return clone(fs);
  }

  /** Gone with its address; pods that had it mounted keep their mount, new mounts time out. */
  async delete(id: string): Promise<FileSystem> {
    const fs = this.row(id);
    await this.table(fs.type).remove(fs);
    if (this.s.enis.has(fs.eniId)) await this.enis.release(fs.eniId);
    this.s.emit({ kind: fs.type, type: 'deleted', id, object: clone(fs) });
    return clone(fs);
  }

  /**
   * A pod at `clientIp` in `vpcId` mounts `server:path`. An address no file
   * system of the VPC holds does not answer (the mount times out); the
   * pod's own loopback refuses; a name is not resolvable (the VPC's DNS
   * knows no NFS servers by name here).
   */
  mountRequest(input: { vpcId: string; server: string; path: string; clientIp: string }): MountResult {
    const ip = parseIp(input.server);
    if (ip === undefined) return { ok: false, error: 'resolve' };
    if (ip >>> 24 === 127) return { ok: false, error: 'refused' };
    const fs = [...this.cfs.rows.values(), ...this.nfs.rows.values()].find((f) => f.vpcId === input.vpcId && f.address === input.server);
    if (!fs) return { ok: false, error: 'timeout' };
    const a = answerMount(fs.exports, input.path, input.clientIp);
    if (!a.ok) return { ok: false, error: a.reason };
    return { ok: true, fileSystem: clone(fs), readOnly: a.readOnly };
  }
}
