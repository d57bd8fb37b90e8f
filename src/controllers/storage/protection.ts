// kube-controller-manager's pvc-protection and pv-protection controllers
// (pkg/controller/volume/pvcprotection, pvprotection): a claim being deleted
// keeps its kubernetes.io/pvc-protection finalizer (so stays Terminating)
// while a scheduled pod that has not finished uses it; a volume being deleted
// keeps kubernetes.io/pv-protection while it is Bound. The admission plugin
// StorageObjectInUseProtection puts the finalizers on. Keys: `pvc/<ns>/<name>`,
// `pv/<name>`. docs/storage.md.
import type { KubeObject } from '../../api/types.js';
import { refs, type Client } from '../../client/types.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { deepCopy } from '../../api/deepcopy.js';
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../../apiserver/admission/storage-protection.js';
import { isNotFound } from '../util/context.js';
import { isTerminal } from '../util/pods.js';
import { claimKey, podClaims } from './volumes.js';

export class StorageProtectionController extends Controller {
  private readonly claims: InformerView;
  private readonly volumes: InformerView;
  private readonly pods: InformerView;

  constructor(private client: Client, informers: SharedInformers, opts: ControllerOptions = {}) {
    super('pvc-protection-controller', opts);
    this.claims = new InformerView(informers.informer(refs.persistentvolumeclaims));
    this.volumes = new InformerView(informers.informer(refs.persistentvolumes));
    const podInformer = informers.informer(refs.pods);
    podInformer.addIndex('storage-claims', (p) => podClaims(p));
    this.pods = new InformerView(podInformer);
    const onClaim = (c: KubeObject) => { if (c.metadata.deletionTimestamp) this.queue.add(`pvc/${claimKey(c)}`); };
    this.claims.on({ add: onClaim, update: (_o, c) => onClaim(c) });
    const onVolume = (v: KubeObject) => { if (v.metadata.deletionTimestamp) this.queue.add(`pv/${v.metadata.name}`); };
    this.volumes.on({ add: onVolume, update: (_o, v) => onVolume(v) });
    // A pod that finishes or goes may free the claims it used.
    const onPod = (p: KubeObject) => { for (const k of podClaims(p)) this.queue.add(`pvc/${k}`); };
    this.pods.on({ update: (o, p) => { if (isTerminal(p) !== isTerminal(o)) onPod(p); }, delete: onPod });
  }

  async start(workers = 2): Promise<void> {
    await Promise.all([this.claims.hasSynced(), this.volumes.hasSynced(), this.pods.hasSynced()]);
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    for (const i of [this.claims, this.volumes, this.pods]) i.close();
  }

  async sync(key: string): Promise<void> {
    const [kind, ...rest] = key.split('/');
    if (kind === 'pv') {
      const v = this.volumes.get(undefined, rest[0]);
      // A Bound volume is in use; any other may go.
      if (v?.metadata.deletionTimestamp && v.status?.phase !== 'Bound') await this.release(refs.persistentvolumes, v, PV_PROTECTION_FINALIZER);
      return;
    }
    const c = this.claims.get(rest[0], rest.slice(1).join('/'));
    if (!c?.metadata.deletionTimestamp) return;
    // podUsesPVC: a pod scheduled (the kubelet would start it) and not finished.
    const inUse = this.pods.byIndex('storage-claims', claimKey(c)).some((p) => p.spec?.nodeName && !isTerminal(p));
    if (!inUse) await this.release(refs.persistentvolumeclaims, c, PVC_PROTECTION_FINALIZER);
  }

  private async release(ref: typeof refs.pods, o: KubeObject, finalizer: string): Promise<void> {
    if (!(o.metadata.finalizers ?? []).includes(finalizer)) return;
    const next = deepCopy(o);
    next.metadata.finalizers = next.metadata.finalizers!.filter((f: string) => f !== finalizer);
    try {
      await this.client.update(ref, next);
    } catch (e) {
      if (!isNotFound(e)) throw e; // a conflict: tried again on the fresh object
    }
  }
}
