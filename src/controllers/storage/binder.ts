// kube-controller-manager's PersistentVolume controller (the binder,
// pkg/controller/volume/persistentvolume/pv_controller.go), as events
// "persistentvolume-controller": binds each claim to the smallest matching
// Available volume (or to the one it or the volume names), hands claims of a
// class to its external provisioner (the annotations, ExternalProvisioning),
// waits for a first consumer under WaitForFirstConsumer, tells a claim of a
// missing class why it stays Pending, and reclaims released volumes (Retain:
// Released; Delete: the provisioner's deleter takes it, a volume no
// provisioner made fails). Keys: `claim/<ns>/<name>` and `volume/<name>`.
// docs/storage.md.
import type { KubeObject } from '../../api/types.js';
import { refs, type Client } from '../../client/types.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { EventRecorder } from '../../client/record/events.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { formatRFC3339 } from '../../api/duration.js';
import { deepCopy } from '../../api/deepcopy.js';
import { ignoreStale, isConflict, isNotFound } from '../util/context.js';
import {
  ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, ANN_PRE_RESIZE_CAPACITY, ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER, claimClass, claimKey, findMatchingVolume, isVolumeBoundToClaim, volumeMismatch,
} from './volumes.js';

export const PV_CONTROLLER = 'persistentvolume-controller';

const has = (o: KubeObject, k: string) => !!o.metadata.annotations && Object.hasOwn(o.metadata.annotations, k);

export class PersistentVolumeController extends Controller {
  private readonly recorder: EventRecorder;
  private readonly claims: InformerView;
  private readonly volumes: InformerView;
  private readonly classes: InformerView;

  constructor(private client: Client, informers: SharedInformers, opts: ControllerOptions = {}) {
    super(PV_CONTROLLER, opts);
    this.recorder = new EventRecorder(client, { component: PV_CONTROLLER }, undefined, this.clock);
    this.claims = new InformerView(informers.informer(refs.persistentvolumeclaims));
    this.volumes = new InformerView(informers.informer(refs.persistentvolumes));
    this.classes = new InformerView(informers.informer(refs.storageclasses));
    const onClaim = (c: KubeObject) => this.queue.add(`claim/${claimKey(c)}`);
    const onVolume = (v: KubeObject) => {
      this.queue.add(`volume/${v.metadata.name}`);
      // A volume that appears, goes or changes may be what a waiting claim needs (or the one bound to it).
      const ref = v.spec?.claimRef;
      if (ref?.namespace && ref.name) this.queue.add(`claim/${ref.namespace}/${ref.name}`);
      else for (const c of this.claims.list()) if (c.status?.phase === 'Pending') onClaim(c);
    };
    this.claims.on({ add: onClaim, update: (_o, c) => onClaim(c), delete: (c) => {
      // The claim's volume is released.
      if (c.spec?.volumeName) this.queue.add(`volume/${c.spec.volumeName}`);
    } });
    this.volumes.on({ add: onVolume, update: (_o, v) => onVolume(v), delete: (v) => {
      if (v.spec?.claimRef?.namespace) this.queue.add(`claim/${v.spec.claimRef.namespace}/${v.spec.claimRef.name}`);
    } });
    // A class created late lets its waiting claims go on.
    this.classes.on({ add: (sc) => { for (const c of this.claims.list()) if (c.status?.phase === 'Pending' && claimClass(c) === sc.metadata.name) onClaim(c); } });
  }

  async start(workers = 2): Promise<void> {
    await Promise.all([this.claims.hasSynced(), this.volumes.hasSynced(), this.classes.hasSynced()]);
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    this.claims.close();
    this.volumes.close();
    this.classes.close();
    this.recorder.stop();
  }

  async sync(key: string): Promise<void> {
    const [kind, ...rest] = key.split('/');
    if (kind === 'volume') {
      const v = this.volumes.get(undefined, rest[0]);
      if (v) await this.syncVolume(v);
      return;
    }
    const c = this.claims.get(rest[0], rest.slice(1).join('/'));
    if (!c) return;
    if (has(c, ANN_BIND_COMPLETED)) await this.syncBoundClaim(c);
    else await this.syncUnboundClaim(c);
  }

  private async syncUnboundClaim(c: KubeObject): Promise<void> {
    const volumeName: string = c.spec?.volumeName ?? '';
    if (!volumeName) {
      const cls = claimClass(c);
      const sc = cls ? this.classes.get(undefined, cls) : undefined;
      // shouldDelayBinding: WaitForFirstConsumer until the scheduler names a node.
      const delay = sc?.volumeBindingMode === 'WaitForFirstConsumer' && !has(c, ANN_SELECTED_NODE);
      const v = findMatchingVolume(c, this.volumes.list(), { delayBinding: delay });
      if (v) return this.bind(v, c);
      if (delay) {
        this.recorder.record(c, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
        return this.setClaimPhase(c, 'Pending');
      }
      if (cls) return this.provision(c, cls, sc);
      this.recorder.record(c, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return this.setClaimPhase(c, 'Pending');
    }
    // The user asked for a volume by name.
    const v = this.volumes.get(undefined, volumeName);
    if (!v) return this.setClaimPhase(c, 'Pending'); // it may come later
    if (!v.spec?.claimRef) {
      const why = volumeMismatch(v, c);
      if (why) {
        this.recorder.record(c, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volumeName}": ${why}`);
        return this.setClaimPhase(c, 'Pending');
      }
      return this.bind(v, c);
    }
    if (isVolumeBoundToClaim(v, c)) return this.bind(v, c);
    // Bound to another claim: wait (the user may fix it).
    return this.setClaimPhase(c, 'Pending');
  }

  /** provisionClaim: a missing class is told, an external provisioner is named on the claim and waited for. */
  private async provision(c: KubeObject, cls: string, sc: KubeObject | undefined): Promise<void> {
    if (!sc) {
      this.recorder.record(c, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return this.setClaimPhase(c, 'Pending');
    }
    const provisioner = String(sc.provisioner ?? '');
    const a = c.metadata.annotations ?? {};
    if (a[ANN_STORAGE_PROVISIONER] !== provisioner || a[ANN_BETA_STORAGE_PROVISIONER] !== provisioner) {
      const next = deepCopy(c);
      next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner };
      try {
        await this.client.update(refs.persistentvolumeclaims, next);
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) return; // a newer claim is on its way
        throw e;
      }
    }
    this.recorder.record(c, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  private async syncBoundClaim(c: KubeObject): Promise<void> {
    const volumeName: string = c.spec?.volumeName ?? '';
    if (!volumeName) return this.lose(c, 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    const v = this.volumes.get(undefined, volumeName);
    if (!v) return this.lose(c, 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
    if (!v.spec?.claimRef || v.spec.claimRef.uid === c.metadata.uid) return this.bind(v, c);
    return this.lose(c, 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
  }

  private async lose(c: KubeObject, reason: string, message: string): Promise<void> {
    if (c.status?.phase === 'Lost') return;
    await this.setClaimPhase(c, 'Lost');
    this.recorder.record(c, 'Warning', reason, message);
  }

  async syncVolume(v: KubeObject): Promise<void> {
    const ref = v.spec?.claimRef;
    if (!ref || !ref.uid) {
      await this.setVolumePhase(v, 'Available');
      return;
    }
    let c = this.claims.get(ref.namespace, ref.name);
    if (c && c.metadata.uid !== ref.uid) c = undefined; // deleted, and another made with its name
    if (!c) {
      // Released: the claim is gone; its reclaim policy decides.
      const released = v.status?.phase === 'Released' || v.status?.phase === 'Failed' ? v : await this.setVolumePhase(v, 'Released');
      if (released) await this.reclaim(released);
      return;
    }
    if (!c.spec?.volumeName) {
      this.queue.add(`claim/${claimKey(c)}`); // the claim's sync finishes the binding
      return;
    }
    if (c.spec.volumeName === v.metadata.name) {
      await this.setVolumePhase(v, 'Bound');
      return;
    }
    // The claim went to another volume.
    if (has(v, ANN_DYNAMICALLY_PROVISIONED) && v.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      const released = v.status?.phase === 'Released' ? v : await this.setVolumePhase(v, 'Released');
      if (released) await this.reclaim(released);
      return;
    }
    await this.unbind(v);
  }

  /** reclaimVolume: Retain keeps it Released; Delete waits for the deleter of the provisioner that made it. */
  private async reclaim(v: KubeObject): Promise<void> {
    const policy = v.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Delete') {
      if (has(v, ANN_DYNAMICALLY_PROVISIONED)) return; // the external provisioner deletes it
      await this.failVolume(v, 'VolumeFailedDelete', `error getting deleter volume plugin for volume "${v.metadata.name}": no deletable volume plugin matched`);
      return;
    }
    await this.failVolume(v, 'VolumeFailedRecycle', `No recycler plugin found for the volume!`);
  }

  private async failVolume(v: KubeObject, reason: string, message: string): Promise<void> {
    if (v.status?.phase === 'Failed') return;
    await this.setVolumePhase(v, 'Failed', message);
    this.recorder.record(v, 'Warning', reason, message);
  }

  /** unbindVolume: a volume the controller bound loses its claimRef; one the user pre-bound keeps the name. */
  private async unbind(v: KubeObject): Promise<void> {
    const next = deepCopy(v);
    if (has(v, ANN_BOUND_BY_CONTROLLER)) {
      delete next.spec.claimRef;
      delete next.metadata.annotations![ANN_BOUND_BY_CONTROLLER];
    } else {
      delete next.spec.claimRef.uid;
      delete next.spec.claimRef.resourceVersion;
    }
    const saved = await ignoreStale(this.client.update(refs.persistentvolumes, next));
    if (saved) await this.setVolumePhase(saved, 'Available');
  }

  /** bind: the volume's claimRef, then the claim's volumeName and annotations, then both phases. Idempotent. */
  private async bind(v: KubeObject, c: KubeObject): Promise<void> {
    let vol: KubeObject | undefined = v;
    const ref = v.spec?.claimRef;
    if (!ref || ref.uid !== c.metadata.uid || ref.name !== c.metadata.name || ref.namespace !== c.metadata.namespace) {
      const next = deepCopy(v);
      next.spec.claimRef = { kind: 'PersistentVolumeClaim', namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid, apiVersion: 'v1', resourceVersion: c.metadata.resourceVersion };
      if (!ref) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      vol = await ignoreStale(this.client.update(refs.persistentvolumes, next));
      if (!vol) return;
    }
    vol = await this.setVolumePhase(vol, 'Bound');
    if (!vol) return;
    let claim: KubeObject | undefined = c;
    if (c.spec?.volumeName !== vol.metadata.name || !has(c, ANN_BIND_COMPLETED)) {
      const next = deepCopy(c);
      const annotations: Record<string, string> = { ...(next.metadata.annotations ?? {}), [ANN_BIND_COMPLETED]: 'yes' };
      if (c.spec?.volumeName !== vol.metadata.name) {
        next.spec.volumeName = vol.metadata.name;
        annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      }
      next.metadata.annotations = annotations;
      claim = await ignoreStale(this.client.update(refs.persistentvolumeclaims, next));
      if (!claim) return;
    }
    await this.setClaimPhase(claim, 'Bound', vol);
  }

  /** updateClaimStatus: the phase, and a bound claim's access modes and capacity (the pre-resize one while its file system waits). */
  private async setClaimPhase(c: KubeObject, phase: string, v?: KubeObject): Promise<void> {
    const status = deepCopy(c.status ?? {});
    status.phase = phase;
    if (!v) {
      delete status.accessModes;
      delete status.capacity;
    } else {
      status.accessModes = v.spec?.accessModes;
      const pre = v.metadata.annotations?.[ANN_PRE_RESIZE_CAPACITY];
      // Only the resizer grows a bound claim's capacity (the binder never shrinks or grows what it shows).
      if (pre !== undefined) status.capacity = { storage: pre };
      else if (!c.status?.capacity?.storage || c.status?.phase !== 'Bound') status.capacity = { ...(v.spec?.capacity ?? {}) };
    }
    if (JSON.stringify(status) === JSON.stringify(c.status ?? {})) return;
    await ignoreStale(this.client.updateStatus(refs.persistentvolumeclaims, { ...c, status }));
  }

  private async setVolumePhase(v: KubeObject, phase: string, message?: string): Promise<KubeObject | undefined> {
    if (v.status?.phase === phase && (message === undefined || v.status?.message === message)) return v;
    const status: any = { ...(v.status ?? {}), phase, lastPhaseTransitionTime: formatRFC3339(this.clock.now()) };
    if (message !== undefined) status.message = message;
    else delete status.message;
    return ignoreStale(this.client.updateStatus(refs.persistentvolumes, { ...v, status }));
  }

}
