// The cluster's CSI driver for its cloud's disks, run in process: what the
// csi-provisioner, csi-resizer and csi-attacher sidecars and the driver's
// node plugin do with the emulated cloud (docs/storage.md).
// - Provisioner: a claim its class hands to this driver (the PV controller's
//   annotation), once the scheduler has picked a node under
//   WaitForFirstConsumer, gets a disk in that node's zone and a PV
//   pvc-<claim uid> with the zone as required node affinity; Provisioning /
//   ProvisioningSucceeded / ProvisioningFailed as the sidecar words them.
//   A Released PV it made with reclaim policy Delete loses its disk, then
//   itself (VolumeFailedDelete while still attached).
// - Resizer: a bound claim asking for more grows its disk and its PV
//   (Resizing), then waits for the node (FileSystemResizeRequired,
//   FileSystemResizePending); the node grows the file system as soon as a
//   running pod has the claim (FileSystemResizeSuccessful).
// - Attacher: a VolumeAttachment of this driver attaches the disk to its
//   node's zone in the cloud (status.attached), and its deletion detaches it.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import { refs, type Client } from '../../client/types.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { EventRecorder } from '../../client/record/events.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { formatRFC3339 } from '../../api/duration.js';
import { deepCopy } from '../../api/deepcopy.js';
import type { Cloud } from '../../cloud/cloud.js';
import { CloudError } from '../../cloud/errors.js';
import type { StorageProfile } from '../../cloud/storage.js';
import { ignoreStale, isConflict, isNotFound } from '../util/context.js';
import { isTerminal } from '../util/pods.js';
import {
  ANN_DYNAMICALLY_PROVISIONED, ANN_PRE_RESIZE_CAPACITY, claimClass, claimKey, claimProvisioner, claimRequest, podClaims, selectedNode, volumeCapacity,
} from './volumes.js';

export const PROVISIONER_FINALIZER = 'external-provisioner.volume.kubernetes.io/finalizer';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** The attacher's finalizer on a VolumeAttachment: external-attacher/<driver with dots as dashes>. */
export const attacherFinalizer = (driver: string) => `external-attacher/${driver.replace(/\./g, '-')}`;

const gi = (n: number) => `${n}Gi`;

export interface CsiDriverOptions extends ControllerOptions {
  cluster: string;
  profile: StorageProfile;
}

export class CsiDriver extends Controller {
  private readonly provisionerEvents: EventRecorder;
  private readonly resizerEvents: EventRecorder;
  private readonly kubeletEvents = new Map<string, EventRecorder>();
  private readonly claims: InformerView;
  private readonly volumes: InformerView;
  private readonly classes: InformerView;
  private readonly attachments: InformerView;
  private readonly nodes: InformerView;
  private readonly pods: InformerView;
  private readonly identity: string;
  private readonly driver: string;

  constructor(private client: Client, private cloud: Cloud, informers: SharedInformers, private opts: CsiDriverOptions) {
    super(`csi-${opts.profile.driver}`, opts);
    this.driver = opts.profile.driver;
    // The sidecars' event sources: <driver>_<pod>_<uuid> for the provisioner, "external-resizer <driver>".
    this.identity = `${Date.now()}-${Math.floor(Math.random() * 10_000)}-${this.driver}`;
    this.provisionerEvents = new EventRecorder(client, { component: `${this.driver}_csi-controller-0_${randomUUID()}` }, undefined, this.clock);
    this.resizerEvents = new EventRecorder(client, { component: `external-resizer ${this.driver}` }, undefined, this.clock);
    this.claims = new InformerView(informers.informer(refs.persistentvolumeclaims));
    this.volumes = new InformerView(informers.informer(refs.persistentvolumes));
    this.classes = new InformerView(informers.informer(refs.storageclasses));
    this.attachments = new InformerView(informers.informer(refs.volumeattachments));
    this.nodes = new InformerView(informers.informer(refs.nodes));
    this.pods = new InformerView(informers.informer(refs.pods));
    const onClaim = (c: KubeObject) => this.queue.add(`claim/${claimKey(c)}`);
    this.claims.on({ add: onClaim, update: (_o, c) => onClaim(c) });
    const onVolume = (v: KubeObject) => {
      this.queue.add(`volume/${v.metadata.name}`);
      const ref = v.spec?.claimRef;
      if (ref?.namespace) this.queue.add(`claim/${ref.namespace}/${ref.name}`);
    };
    this.volumes.on({ add: onVolume, update: (_o, v) => onVolume(v) });
    const onAttachment = (va: KubeObject) => {
      this.queue.add(`va/${va.metadata.name}`);
      // A detached volume may be one the deleter waits for.
      const pv = va.spec?.source?.persistentVolumeName;
      if (pv) this.queue.add(`volume/${pv}`);
    };
    this.attachments.on({ add: onAttachment, update: (_o, va) => onAttachment(va), delete: onAttachment });
    // A pod running with a claim lets the node finish growing its file system.
    const onPod = (p: KubeObject) => { if (p.status?.phase === 'Running') for (const k of podClaims(p)) this.queue.add(`claim/${k}`); };
    this.pods.on({ add: onPod, update: (_o, p) => onPod(p) });
  }

  async start(workers = 4): Promise<void> {
    await Promise.all([this.claims, this.volumes, this.classes, this.attachments, this.nodes, this.pods].map((i) => i.hasSynced()));
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    for (const i of [this.claims, this.volumes, this.classes, this.attachments, this.nodes, this.pods]) i.close();
    this.provisionerEvents.stop();
    this.resizerEvents.stop();
    for (const r of this.kubeletEvents.values()) r.stop();
  }

  async sync(key: string): Promise<void> {
    const [kind, ...rest] = key.split('/');
    if (kind === 'volume') {
      const v = this.volumes.get(undefined, rest[0]);
      if (v) await this.deleteIfReleased(v);
    } else if (kind === 'va') {
      const va = this.attachments.get(undefined, rest[0]);
      if (va) await this.syncAttachment(va);
    } else {
      const c = this.claims.get(rest[0], rest.slice(1).join('/'));
      if (!c) return;
      if (c.status?.phase === 'Bound') await this.syncResize(c);
      else await this.provision(c);
    }
  }

  // ---- provisioning ----

  private async provision(c: KubeObject): Promise<void> {
    if (c.spec?.volumeName || c.metadata.deletionTimestamp || claimProvisioner(c) !== this.driver) return;
    const cls = claimClass(c);
    const sc = this.classes.get(undefined, cls);
    if (!sc || sc.provisioner !== this.driver) return;
    const node = selectedNode(c);
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !node) return; // the scheduler has not picked a node yet
    const pvName = `pvc-${c.metadata.uid}`;
    if (this.volumes.get(undefined, pvName)) return; // made already; the PV controller binds it
    const key = claimKey(c);
    this.provisionerEvents.record(c, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    const fail = (message: string) => {
      this.provisionerEvents.record(c, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls}": ${message}`);
      return new Error(`provisioning ${key}: ${message}`);
    };
    let zone: string | undefined;
    if (node) {
      const n = this.nodes.get(undefined, node);
      if (!n) throw fail(`error generating accessibility requirements: node "${node}" not found`);
      zone = n.metadata.labels?.[this.opts.profile.topologyKey] ?? n.metadata.labels?.[ZONE_LABEL];
    } else zone = this.immediateZone(sc);
    const req = this.opts.profile.createVolume({
      pvName, cluster: this.opts.cluster, parameters: { ...(sc.parameters ?? {}) }, requestBytes: claimRequest(c),
      accessModes: c.spec?.accessModes ?? [], volumeMode: c.spec?.volumeMode ?? 'Filesystem',
    });
    if (!req.ok) throw fail(req.error);
    zone = req.zone ?? zone;
    if (!zone) throw fail('rpc error: code = ResourceExhausted desc = no zone to create the disk in: no node carries a zone');
    // Idempotent as CreateDisks' ClientToken: a disk made for this PV before a crash is taken again.
    let disk = this.cloud.disks.list().find((d) => d.name === req.name && d.tags['tke-clusterId'] === req.tags['tke-clusterId']);
    if (!disk) {
      try {
        disk = await this.cloud.disks.create({ zone, sizeGiB: req.sizeGiB, type: req.type, chargeType: req.chargeType, name: req.name, tags: req.tags });
      } catch (e) {
        if (e instanceof CloudError) throw fail(`rpc error: code = Internal desc = ${e.code}: ${e.message}`);
        throw e;
      }
    }
    const fsType = sc.parameters?.['csi.storage.k8s.io/fstype'] ?? sc.parameters?.fsType ?? sc.parameters?.fstype ?? this.opts.profile.defaultFsType;
    const pv: KubeObject = {
      apiVersion: 'v1', kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: this.driver, 'volume.kubernetes.io/provisioner-deletion-secret-name': '', 'volume.kubernetes.io/provisioner-deletion-secret-namespace': '' }, finalizers: [PROVISIONER_FINALIZER] },
      spec: {
        accessModes: c.spec?.accessModes ?? ['ReadWriteOnce'],
        capacity: { storage: gi(disk.sizeGiB) },
        claimRef: { kind: 'PersistentVolumeClaim', namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid, apiVersion: 'v1', resourceVersion: c.metadata.resourceVersion },
        csi: { driver: this.driver, fsType, volumeHandle: disk.id, volumeAttributes: { ...(sc.parameters ?? {}), 'storage.kubernetes.io/csiProvisionerIdentity': this.identity } },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: this.opts.profile.topologyKey, operator: 'In', values: [disk.zone] }] }] } },
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: cls,
        volumeMode: c.spec?.volumeMode ?? 'Filesystem',
        ...(sc.mountOptions ? { mountOptions: sc.mountOptions } : {}),
      },
    };
    try {
      await this.client.create(refs.persistentvolumes, pv);
    } catch (e) {
      if (!(e instanceof Error && /already exists/.test(e.message))) throw e;
    }
    this.provisionerEvents.record(c, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  }

  /** Immediate binding: a zone of allowedTopologies, else the zone of a node (as the provisioner picks from the nodes' topology). */
  private immediateZone(sc: KubeObject): string | undefined {
    const allowed: string[] = (sc.allowedTopologies ?? []).flatMap((t: any) => (t?.matchLabelExpressions ?? [])
      .filter((e: any) => e?.key === this.opts.profile.topologyKey || e?.key === ZONE_LABEL).flatMap((e: any) => e.values ?? []));
    const zones = this.nodes.list().map((n) => n.metadata.labels?.[this.opts.profile.topologyKey] ?? n.metadata.labels?.[ZONE_LABEL]).filter((z): z is string => !!z);
    const pool = allowed.length ? allowed : [...new Set(zones)].sort();
    return pool.length ? pool[Math.floor(this.cloud.random() * pool.length)] : undefined;
  }

  /** The deleter: a Released PV this driver made with policy Delete loses its disk (once detached), then its finalizer and itself. */
  private async deleteIfReleased(v: KubeObject): Promise<void> {
    if (v.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED] !== this.driver) return;
    if (v.status?.phase !== 'Released' || v.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const attached = this.attachments.list().find((va) => va.spec?.source?.persistentVolumeName === v.metadata.name);
    if (attached) {
      this.provisionerEvents.record(v, 'Warning', 'VolumeFailedDelete', `persistentvolume ${v.metadata.name} is still attached to node ${attached.spec?.nodeName}`);
      return; // the attachment's deletion queues the volume again
    }
    const id = v.spec?.csi?.volumeHandle;
    if (id && this.cloud.disks.find(id)) {
      try {
        await this.cloud.disks.delete(id);
      } catch (e) {
        if (e instanceof CloudError) {
          this.provisionerEvents.record(v, 'Warning', 'VolumeFailedDelete', `rpc error: code = Internal desc = ${e.code}: ${e.message}`);
        }
        throw e;
      }
    }
    if ((v.metadata.finalizers ?? []).includes(PROVISIONER_FINALIZER)) {
      const next = deepCopy(v);
      next.metadata.finalizers = next.metadata.finalizers!.filter((f: string) => f !== PROVISIONER_FINALIZER);
      try {
        await this.client.update(refs.persistentvolumes, next);
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) return;
        throw e;
      }
    }
    try {
      await this.client.delete(refs.persistentvolumes, undefined, v.metadata.name!, { preconditions: { uid: v.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  // ---- expansion ----

  private async syncResize(c: KubeObject): Promise<void> {
    const v = c.spec?.volumeName ? this.volumes.get(undefined, c.spec.volumeName) : undefined;
    if (!v || v.spec?.csi?.driver !== this.driver) return;
    const want = claimRequest(c);
    if (want > volumeCapacity(v)) {
      // The cache may not show this resizer's last write yet: decide on the volume as it is.
      const fresh = await this.client.get(refs.persistentvolumes, undefined, v.metadata.name!);
      if (want > volumeCapacity(fresh)) return this.controllerExpand(c, fresh, want);
    }
    if (c.status?.allocatedResourceStatuses?.storage === 'NodeResizePending') await this.nodeExpand(c, v);
  }

  /** ControllerExpandVolume: the disk and the PV grow; the claim waits for the node to grow its file system. */
  private async controllerExpand(c: KubeObject, v: KubeObject, want: number): Promise<void> {
    const now = formatRFC3339(this.clock.now());
    this.resizerEvents.record(c, 'Normal', 'Resizing', `External resizer is resizing volume ${v.metadata.name}`);
    const request = c.spec.resources.requests.storage;
    await this.patchClaimStatus(c, {
      conditions: [{ type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: now }],
      allocatedResources: { storage: request }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' },
    });
    const id = v.spec.csi.volumeHandle;
    let size: number;
    try {
      size = (await this.cloud.disks.resize(id, this.opts.profile.expandedSizeGiB(want))).sizeGiB;
    } catch (e) {
      if (!(e instanceof CloudError)) throw e;
      const message = `resize volume "${v.metadata.name}" by resizer "${this.driver}" failed: rpc error: code = Internal desc = ${e.code}: ${e.message}`;
      this.resizerEvents.record(c, 'Warning', 'VolumeResizeFailed', message);
      await this.patchClaimStatus(c, {
        conditions: [{ type: 'ControllerResizeError', status: 'True', lastProbeTime: null, lastTransitionTime: now, message }],
        allocatedResourceStatuses: { storage: 'ControllerResizeInfeasible' },
      });
      return;
    }
    const next = deepCopy(v);
    next.spec.capacity = { ...(next.spec.capacity ?? {}), storage: gi(size) };
    // The claim keeps showing what it has until the node grows the file system (the PV controller reads this).
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_PRE_RESIZE_CAPACITY]: c.status?.capacity?.storage ?? v.spec.capacity.storage };
    try {
      await this.client.update(refs.persistentvolumes, next);
    } catch (e) {
      if (isConflict(e)) throw e; // try again on the fresh volume
      throw e;
    }
    this.resizerEvents.record(c, 'Normal', 'FileSystemResizeRequired', 'Require file system resize of volume on node');
    await this.patchClaimStatus(c, {
      conditions: [{ type: 'FileSystemResizePending', status: 'True', lastProbeTime: null, lastTransitionTime: now, message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.' }],
      allocatedResourceStatuses: { storage: 'NodeResizePending' },
    });
  }

  /** NodeExpandVolume, as the kubelet does it once a running pod has the claim: the claim shows the new capacity. */
  private async nodeExpand(c: KubeObject, v: KubeObject): Promise<void> {
    const pod = this.pods.list(c.metadata.namespace).find((p) => p.status?.phase === 'Running' && !isTerminal(p) && p.spec?.nodeName && podClaims(p).includes(claimKey(c)));
    if (!pod) return; // waits for a pod, as FileSystemResizePending says
    // The volume first: without the pre-resize capacity the PV controller no longer holds the claim's capacity back.
    const pv = await this.client.get(refs.persistentvolumes, undefined, v.metadata.name!);
    if (pv.metadata.annotations?.[ANN_PRE_RESIZE_CAPACITY] !== undefined) {
      delete pv.metadata.annotations[ANN_PRE_RESIZE_CAPACITY];
      await this.client.update(refs.persistentvolumes, pv);
    }
    const fresh = await this.client.get(refs.persistentvolumeclaims, c.metadata.namespace, c.metadata.name!);
    const status = deepCopy(fresh.status ?? {});
    status.capacity = { ...(status.capacity ?? {}), storage: pv.spec.capacity.storage };
    status.conditions = (status.conditions ?? []).filter((x: any) => x.type !== 'FileSystemResizePending' && x.type !== 'Resizing');
    if (!status.conditions.length) delete status.conditions;
    delete status.allocatedResourceStatuses;
    await this.client.updateStatus(refs.persistentvolumeclaims, { ...fresh, status });
    const message = `MountVolume.NodeExpandVolume succeeded for volume "${pv.metadata.name}" ${pod.spec.nodeName}`;
    const kubelet = this.kubelet(pod.spec.nodeName);
    kubelet.record(pod, 'Normal', 'FileSystemResizeSuccessful', message);
    kubelet.record(c, 'Normal', 'FileSystemResizeSuccessful', message);
  }

  private kubelet(node: string): EventRecorder {
    let r = this.kubeletEvents.get(node);
    if (!r) this.kubeletEvents.set(node, (r = new EventRecorder(this.client, { component: 'kubelet', host: node }, undefined, this.clock)));
    return r;
  }

  /** Sets the claim's conditions (replacing those of the resize) and allocated resources, from the fresh claim. */
  private async patchClaimStatus(c: KubeObject, change: { conditions?: any[]; allocatedResources?: any; allocatedResourceStatuses?: any }): Promise<void> {
    const fresh = await this.client.get(refs.persistentvolumeclaims, c.metadata.namespace, c.metadata.name!);
    const status = deepCopy(fresh.status ?? {});
    const resizeTypes = new Set(['Resizing', 'FileSystemResizePending', 'ControllerResizeError', 'NodeResizeError']);
    if (change.conditions) status.conditions = [...(status.conditions ?? []).filter((x: any) => !resizeTypes.has(x.type)), ...change.conditions];
    if (change.allocatedResources) status.allocatedResources = change.allocatedResources;
    if (change.allocatedResourceStatuses) status.allocatedResourceStatuses = change.allocatedResourceStatuses;
    await this.client.updateStatus(refs.persistentvolumeclaims, { ...fresh, status });
  }

  // ---- attaching ----

  /** The external attacher: attach (finalizer, disk attached in the cloud, status.attached) or, once deleted, detach. */
  private async syncAttachment(va: KubeObject): Promise<void> {
    if (va.spec?.attacher !== this.driver) return;
    const fin = attacherFinalizer(this.driver);
    const pvName = va.spec?.source?.persistentVolumeName;
    const pv = pvName ? this.volumes.get(undefined, pvName) : undefined;
    const id = pv?.spec?.csi?.volumeHandle;
    if (va.metadata.deletionTimestamp) {
      if (id && this.cloud.disks.find(id)?.attachedTo?.node === va.spec.nodeName) await this.cloud.disks.detach(id);
      if ((va.metadata.finalizers ?? []).includes(fin)) {
        const next = deepCopy(va);
        next.metadata.finalizers = next.metadata.finalizers!.filter((f: string) => f !== fin);
        await ignoreStale(this.client.update(refs.volumeattachments, next));
      }
      return;
    }
    if (va.status?.attached) return;
    let current = va;
    if (!(va.metadata.finalizers ?? []).includes(fin)) {
      const next = deepCopy(va);
      next.metadata.finalizers = [...(next.metadata.finalizers ?? []), fin];
      const saved = await ignoreStale(this.client.update(refs.volumeattachments, next));
      if (!saved) return;
      current = saved;
    }
    const node = this.nodes.get(undefined, va.spec.nodeName);
    const zone = node?.metadata.labels?.[this.opts.profile.topologyKey] ?? node?.metadata.labels?.[ZONE_LABEL];
    let error: string | undefined;
    if (!id) error = `persistentvolume "${pvName}" not found`;
    else if (!node || !zone) error = `node "${va.spec.nodeName}" not found`;
    else {
      try {
        await this.cloud.disks.attach(id, { node: node.metadata.name!, cluster: this.opts.cluster, zone });
      } catch (e) {
        if (!(e instanceof CloudError)) throw e;
        error = `rpc error: code = Internal desc = ${e.code}: ${e.message}`;
      }
    }
    const status = error
      ? { attached: false, attachError: { time: formatRFC3339(this.clock.now()), message: error } }
      : { attached: true, attachmentMetadata: { diskId: id! } };
    await ignoreStale(this.client.updateStatus(refs.volumeattachments, { ...current, status }));
    if (error) throw new Error(`attaching ${va.metadata.name}: ${error}`);
  }

}

