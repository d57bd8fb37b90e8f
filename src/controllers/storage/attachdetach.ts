// kube-controller-manager's attach/detach controller for CSI volumes
// (pkg/controller/volume/attachdetach; the CSI attacher's VolumeAttachment
// objects, named csi-<sha256(volumeHandle, driver, node)>): a CSI volume is
// attached to every node that runs a pod with its claim, and detached from
// nodes that no longer do. A ReadWriteOnce volume attached to one node is not
// attached to another (Multi-Attach error); the pod is told when its volume is
// attached, or that attaching it failed (FailedAttachVolume, the attacher's
// error); the kubelet waits for the attachment before the pod's containers
// start (src/runtime/attach.ts). Keys: PV names. docs/storage.md.
import { attachmentName } from '../../api/volumeattachment.js';
import type { KubeObject } from '../../api/types.js';
import { refs, type Client } from '../../client/types.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { EventRecorder } from '../../client/record/events.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { isAlreadyExists, isNotFound } from '../util/context.js';
import { isTerminal } from '../util/pods.js';
import { podClaims } from './volumes.js';

export const AD_CONTROLLER = 'attachdetach-controller';

/** getAttachmentName in the CSI attacher (shared with the kubelet, which waits for it). */
export { attachmentName };

/** A volume only one node may have at a time. */
const exclusive = (pv: KubeObject): boolean => !(pv.spec?.accessModes ?? []).some((m: string) => m === 'ReadWriteMany' || m === 'ReadOnlyMany');

export class AttachDetachController extends Controller {
  private readonly recorder: EventRecorder;
  private readonly claims: InformerView;
  private readonly volumes: InformerView;
  private readonly attachments: InformerView;
  private readonly pods: InformerView;
  /** Pods told of their attachment already (pod uid/volume). */
  private readonly told = new Set<string>();

  constructor(private client: Client, informers: SharedInformers, opts: ControllerOptions = {}) {
    super(AD_CONTROLLER, opts);
    this.recorder = new EventRecorder(client, { component: AD_CONTROLLER }, undefined, this.clock);
    this.claims = new InformerView(informers.informer(refs.persistentvolumeclaims));
    this.volumes = new InformerView(informers.informer(refs.persistentvolumes));
    this.attachments = new InformerView(informers.informer(refs.volumeattachments));
    const podInformer = informers.informer(refs.pods);
    // Pods by the claims they use, so a volume's pods are found without a scan.
    podInformer.addIndex('storage-claims', (p) => podClaims(p));
    this.pods = new InformerView(podInformer);
    const onPod = (p: KubeObject) => {
      for (const k of podClaims(p)) {
        const [ns, name] = k.split('/');
        const pv = this.claims.get(ns, name)?.spec?.volumeName;
        if (pv) this.queue.add(pv);
      }
    };
    this.pods.on({ add: onPod, update: (o, p) => { if (o.spec?.nodeName !== p.spec?.nodeName || o.status?.phase !== p.status?.phase) onPod(p); }, delete: onPod });
    this.claims.on({ update: (o, c) => { if (c.spec?.volumeName && o.spec?.volumeName !== c.spec.volumeName) this.queue.add(c.spec.volumeName); } });
    this.volumes.on({ add: (v) => this.queue.add(v.metadata.name!), delete: (v) => this.queue.add(v.metadata.name!) });
    const onAttachment = (va: KubeObject) => { const pv = va.spec?.source?.persistentVolumeName; if (pv) this.queue.add(pv); };
    this.attachments.on({ add: onAttachment, update: (_o, va) => onAttachment(va), delete: onAttachment });
  }

  async start(workers = 2): Promise<void> {
    await Promise.all([this.claims, this.volumes, this.attachments, this.pods].map((i) => i.hasSynced()));
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    for (const i of [this.claims, this.volumes, this.attachments, this.pods]) i.close();
    this.recorder.stop();
  }

  async sync(pvName: string): Promise<void> {
    const pv = this.volumes.get(undefined, pvName);
    const existing = this.attachments.list().filter((va) => va.spec?.source?.persistentVolumeName === pvName);
    const csi = pv?.spec?.csi;
    // The nodes whose running (or starting) pods use the volume's claim.
    const want = new Map<string, KubeObject[]>();
    const ref = pv?.spec?.claimRef;
    if (csi && ref?.namespace && pv?.status?.phase === 'Bound') {
      for (const p of this.pods.byIndex('storage-claims', `${ref.namespace}/${ref.name}`)) {
        if (!p.spec?.nodeName || isTerminal(p) || p.metadata.deletionTimestamp) continue;
        const list = want.get(p.spec.nodeName) ?? [];
        list.push(p);
        want.set(p.spec.nodeName, list);
      }
    }
    // Detach from nodes no pod needs it on: only attachments this controller makes (a CSI volume's, by their
    // name), not one someone created for a volume of another kind.
    for (const va of existing) {
      if (want.has(va.spec?.nodeName) || va.metadata.deletionTimestamp) continue;
      if (!csi || va.spec?.attacher !== csi.driver || va.metadata.name !== attachmentName(csi.volumeHandle, csi.driver, va.spec?.nodeName)) continue;
      try {
        await this.client.delete(refs.volumeattachments, undefined, va.metadata.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (!pv || !csi) return;
    const holders = existing.filter((va) => want.has(va.spec?.nodeName) && !va.metadata.deletionTimestamp);
    for (const [node, pods] of want) {
      const name = attachmentName(csi.volumeHandle, csi.driver, node);
      const mine = existing.find((va) => va.metadata.name === name);
      if (mine) {
        if (mine.status?.attached) this.tellAttached(pods, pvName);
        else if (mine.status?.attachError?.message) this.tellFailed(pods, pvName, mine.status.attachError);
        continue;
      }
      // Multi-Attach: an exclusive volume already on (or going to) another node is not attached here.
      if (exclusive(pv) && (holders.length > 0 || existing.some((va) => va.spec?.nodeName !== node))) {
        for (const p of pods) {
          this.recorder.record(p, 'Warning', 'FailedAttachVolume', `Multi-Attach error for volume "${pvName}" Volume is already exclusively attached to one node and can't be attached to another`);
        }
        continue;
      }
      try {
        const va = await this.client.create(refs.volumeattachments, {
          apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name },
          spec: { attacher: csi.driver, nodeName: node, source: { persistentVolumeName: pvName } },
        });
        holders.push(va);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }

  /** The attacher failed (the VolumeAttachment's attachError): each failed attempt, as the controller's operation reports it. */
  private tellFailed(pods: KubeObject[], pvName: string, err: { message: string; time?: string }): void {
    for (const p of pods) {
      const k = `${p.metadata.uid}/${pvName}/${err.time ?? ''}/${err.message}`;
      if (this.told.has(k)) continue;
      if (this.told.size > 100_000) this.told.clear();
      this.told.add(k);
      this.recorder.record(p, 'Warning', 'FailedAttachVolume', `AttachVolume.Attach failed for volume "${pvName}" : ${err.message}`);
    }
  }

  private tellAttached(pods: KubeObject[], pvName: string): void {
    for (const p of pods) {
      const k = `${p.metadata.uid}/${pvName}`;
      if (this.told.has(k)) continue;
      if (this.told.size > 100_000) this.told.clear();
      this.told.add(k);
      this.recorder.record(p, 'Normal', 'SuccessfulAttachVolume', `AttachVolume.Attach succeeded for volume "${pvName}"`);
    }
  }
}
