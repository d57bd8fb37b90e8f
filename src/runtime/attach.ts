// The kubelet's wait for attachable volumes (volumemanager WaitForAttachAndMount; the CSI
// attacher's VolumeAttachment, docs/storage.md): a pod whose claim is bound to a CSI volume of a
// driver that needs attaching (its CSIDriver's attachRequired, true when the driver has none)
// starts no container until the attach/detach controller's VolumeAttachment of that volume to
// this node says attached. While it waits the pod stays ContainerCreating; every
// podAttachAndMountTimeout (2m3s) of waiting the kubelet reports FailedMount
// "Unable to attach or mount volumes: …".
import type { KubeObject } from '../api/types.js';
import { attachmentName } from '../api/volumeattachment.js';
import { refs, type ResourceRef } from '../client/types.js';
import { InformerView, type SharedInformers } from '../client/cache/shared.js';

const CSIDRIVERS: ResourceRef = { apiVersion: 'storage.k8s.io/v1', resource: 'csidrivers' };

/** podAttachAndMountTimeout (pkg/kubelet/volumemanager): how long one wait lasts before FailedMount. */
export const ATTACH_WAIT_MS = 123_000;

/** The kubelet's FailedMount message once a wait for `unattached` (pod volume names) timed out. */
export function unableToAttachMessage(unattached: string[]): string {
  const list = `[${[...unattached].sort().join(' ')}]`;
  return `Unable to attach or mount volumes: unmounted volumes=${list}, unattached volumes=${list}, failed to process volumes=[]: context deadline exceeded`;
}

export class VolumeAttachWait {
  private readonly views: InformerView[];
  private readonly claims: InformerView;
  private readonly volumes: InformerView;
  private readonly attachments: InformerView;
  private readonly drivers: InformerView;
  private synced = false;

  /** `changed` is told when something a waiting pod depends on changed (an attachment, a claim, a volume). */
  constructor(informers: SharedInformers, private nodeName: string, changed: () => void) {
    this.claims = new InformerView(informers.informer(refs.persistentvolumeclaims));
    this.volumes = new InformerView(informers.informer(refs.persistentvolumes));
    this.attachments = new InformerView(informers.informer(refs.volumeattachments), (va) => va.spec?.nodeName === nodeName);
    this.drivers = new InformerView(informers.informer(CSIDRIVERS));
    this.views = [this.claims, this.volumes, this.attachments, this.drivers];
    const h = { add: changed, update: changed, delete: changed };
    for (const v of this.views) v.on(h);
    void Promise.all(this.views.map((v) => v.hasSynced())).then(() => { this.synced = true; changed(); }, () => undefined);
  }

  /**
   * The pod's volumes not attached to this node yet (their names in the pod), empty when every
   * attachable one is attached. Until the caches have synced, a pod with claims waits.
   */
  unattached(pod: KubeObject): string[] {
    const out: string[] = [];
    const ns = pod.metadata.namespace;
    for (const v of Array.isArray(pod.spec?.volumes) ? pod.spec.volumes : []) {
      const claim = v?.persistentVolumeClaim?.claimName ?? (v?.ephemeral ? `${pod.metadata.name}-${v.name}` : undefined);
      if (!claim) continue;
      if (!this.synced) { out.push(String(v.name)); continue; }
      const pvName = this.claims.get(ns, String(claim))?.spec?.volumeName;
      const csi = pvName ? this.volumes.get(undefined, pvName)?.spec?.csi : undefined;
      // A claim not bound (yet), or a volume that is not CSI: nothing to attach here.
      if (!csi?.driver || !csi.volumeHandle) continue;
      if (this.drivers.get(undefined, csi.driver)?.spec?.attachRequired === false) continue;
      const va = this.attachments.get(undefined, attachmentName(csi.volumeHandle, csi.driver, this.nodeName));
      if (va?.status?.attached !== true || va.metadata.deletionTimestamp) out.push(String(v.name));
    }
    return out;
  }

  close(): void {
    for (const v of this.views) v.close();
  }
}
