// What the kubelet registers for a node plugin of the cluster's CSI driver: a
// CSINode per node (named after it, owned by it) listing the driver with the
// node's id, its topology keys and, where the driver says, how many of its
// volumes the node can attach (CBS: 20 per node, README_CBS "Volume Attach
// Limit"). The driver's CSIDriver object is the add-on's. docs/storage.md.
import type { KubeObject } from '../../api/types.js';
import { type Client, type ResourceRef, refs } from '../../client/types.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import type { StorageProfile } from '../../cloud/storage.js';
import { isAlreadyExists, isNotFound } from '../util/context.js';
import { deepEqual } from '../util/hash.js';

const CSINODES: ResourceRef = { apiVersion: 'storage.k8s.io/v1', resource: 'csinodes' };
const CSIDRIVERS: ResourceRef = { apiVersion: 'storage.k8s.io/v1', resource: 'csidrivers' };

export class CsiNodeRegistrar extends Controller {
  private readonly nodes: InformerView;
  private readonly csinodes: InformerView;

  constructor(private client: Client, informers: SharedInformers, private profile: StorageProfile, opts: ControllerOptions = {}) {
    super('csi-node-registrar', opts);
    this.nodes = new InformerView(informers.informer(refs.nodes));
    this.csinodes = new InformerView(informers.informer(CSINODES));
    this.nodes.on({ add: (n) => this.queue.add(n.metadata.name!) });
    this.csinodes.on({ delete: (c) => this.queue.add(c.metadata.name!) });
  }

  async start(workers = 1): Promise<void> {
    await Promise.all([this.nodes.hasSynced(), this.csinodes.hasSynced()]);
    // The driver as its add-on installs it: attached before mounted.
    try {
      await this.client.create(CSIDRIVERS, { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: this.profile.driver }, spec: { attachRequired: true, podInfoOnMount: false } });
    } catch (e) {
      if (!isAlreadyExists(e)) this.log.warn({ err: e }, `CSIDriver ${this.profile.driver} not created`);
    }
    this.runWorkers(workers);
  }

  override stop(): void {
    super.stop();
    this.nodes.close();
    this.csinodes.close();
  }

  async sync(name: string): Promise<void> {
    const node = this.nodes.get(undefined, name);
    if (!node) return; // the CSINode goes with its node (owner reference)
    const driver: any = {
      name: this.profile.driver, nodeID: name, topologyKeys: [this.profile.topologyKey],
      ...(this.profile.attachLimit ? { allocatable: { count: this.profile.attachLimit } } : {}),
    };
    const cur = this.csinodes.get(undefined, name);
    const others = (cur?.spec?.drivers ?? []).filter((d: any) => d?.name !== driver.name);
    const drivers = [...others, driver];
    if (cur && deepEqual(cur.spec?.drivers ?? [], drivers)) return;
    const body: KubeObject = {
      apiVersion: 'storage.k8s.io/v1', kind: 'CSINode',
      metadata: cur ? { ...cur.metadata } : { name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }] },
      spec: { drivers },
    };
    try {
      if (cur) await this.client.update(CSINODES, body);
      else await this.client.create(CSINODES, body);
    } catch (e) {
      if (!isAlreadyExists(e) && !isNotFound(e)) throw e;
    }
  }
}
