// What a cloud's block storage looks like from Kubernetes (docs/storage.md):
// its CSI driver name, the topology key its PVs and nodes carry, the default
// StorageClass a cluster of that cloud starts with, and how a CreateVolume
// request (StorageClass parameters, requested bytes) becomes a disk of the
// emulated cloud. Each cloud fills one in src/clouds/<cloud>/storage.ts; the
// storage controllers (src/controllers/storage) choose by the cluster's cloud.
import type { KubeObject } from '../api/types.js';

export type CloudName = 'tencent' | 'alibaba' | 'aws';

/** What CreateVolume asks of the cloud, or the driver's refusal (a gRPC status as the sidecars print it). */
export type DiskRequest =
  | { ok: true; type: string; sizeGiB: number; zone?: string; chargeType?: string; name: string; tags: Record<string, string> }
  | { ok: false; error: string };

export interface CreateVolumeInput {
  /** The PV name the provisioner chose (pvc-<claim uid>). */
  pvName: string;
  cluster: string;
  parameters: Record<string, string>;
  requestBytes: number;
  accessModes: string[];
  volumeMode: string;
}

export interface StorageProfile {
  cloud: CloudName;
  /** The CSI driver (StorageClass provisioner, PV csi.driver, VolumeAttachment attacher). */
  driver: string;
  /** The node label / PV nodeAffinity key of the zone (the driver's AccessibleTopology). */
  topologyKey: string;
  /** How many of the driver's volumes one node can have attached (CSINode allocatable), where the cloud says. */
  attachLimit?: number;
  /** The filesystem a PV's csi.fsType says when the class names none. */
  defaultFsType: string;
  /** The StorageClass every cluster of the cloud has. */
  defaultClass(): KubeObject;
  /** CreateVolume: the disk to make, or why the driver refuses. */
  createVolume(input: CreateVolumeInput): DiskRequest;
  /** ControllerExpandVolume: the disk size (GiB) a request for `bytes` grows to. */
  expandedSizeGiB(bytes: number): number;
}

export const GiB = 2 ** 30;

/** The StorageClass parameter `key`, matched without case as the drivers read them (strings.ToLower). */
export function param(parameters: Record<string, string>, ...keys: string[]): string | undefined {
  for (const [k, v] of Object.entries(parameters)) if (keys.includes(k.toLowerCase())) return v;
  return undefined;
}
