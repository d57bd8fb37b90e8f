// The retain-ip controller (docs/tencent/retain-ip.md): the control loop over
// the book of retained addresses (src/clouds/tencent/retain-ip.ts, where
// Tencent's rules live). Keys are the book's, `<namespace>.<name>`; sync(key)
// frees an address whose window ended (or one that is not coming back), and
// makes the key of ConfigMap kube-system/nodeless-retained-pod-ips say what
// the book holds, so the record survives a restart and kubectl can read it.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Cloud } from '../cloud/cloud.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { RETAINED_CONFIGMAP, type RetainedIps } from '../clouds/tencent/retain-ip.js';

export interface RetainIpControllerOptions extends ControllerOptions {
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
}

export class RetainIpController extends Controller {
  private readonly shared: SharedInformers;
  private readonly configMap: InformerView;
  private readonly offs: (() => void)[] = [];

  constructor(private cloud: Cloud, private client: Client, readonly book: RetainedIps, private opts: RetainIpControllerOptions = {}) {
    super('retain-ip-controller', opts);
    this.shared = opts.informers ?? new SharedInformers(client);
    // kube-system's ConfigMaps: the informer eks-config's resolver reads too.
    this.configMap = new InformerView(this.shared.informer(refs.configmaps, { namespace: RETAINED_CONFIGMAP.namespace }), (cm) => cm.metadata.name === RETAINED_CONFIGMAP.name);
    this.offs.push(book.onChange((key) => this.queue.add(key)));
    // Someone edited or deleted the record: every key it had or should have is looked at again.
    const onConfigMap = (cm: KubeObject) => {
      for (const key of new Set([...Object.keys(cm.data ?? {}), ...book.keys()])) this.queue.add(key);
    };
    this.configMap.on({ update: (_o, cm) => onConfigMap(cm), delete: onConfigMap });
  }

  /** Reads what an earlier run recorded into the book (before any pod network asks it), then works the queue. */
  async start(workers = 2): Promise<void> {
    await this.configMap.hasSynced();
    this.book.load(this.recorded());
    this.runWorkers(workers);
  }

  private recorded(): Readonly<Record<string, string>> {
    return this.configMap.get(RETAINED_CONFIGMAP.namespace, RETAINED_CONFIGMAP.name)?.data ?? {};
  }

  async sync(key: string): Promise<void> {
    const book = this.book;
    // Addresses kept before under this name whose pod came back elsewhere and left again: not coming back.
    for (const old of book.staleOf(key)) {
      if (book.held(old)) await this.cloud.releaseEni(old.eni);
      book.released(key, old);
    }
    let r = book.get(key);
    if (r && !book.held(r)) {
      // The ENI went some other way (released by hand, its subnet deleted): nothing left to keep.
      book.forget(key);
      r = undefined;
    }
    if (r && book.expired(r)) {
      if (book.held(r)) await this.cloud.releaseEni(r.eni);
      book.forget(key);
      r = undefined;
    }
    await this.record(key, r ? JSON.stringify(r) : undefined);
    // The window's end; a wait longer than a timer allows comes back early and waits again.
    if (r) this.queue.addAfter(key, Date.parse(r.until) - this.clock.now());
  }

  /** Makes the ConfigMap's key hold `value` (undefined: no key); the ConfigMap is made on first use. */
  private async record(key: string, value: string | undefined): Promise<void> {
    const data = this.recorded();
    if ((Object.hasOwn(data, key) ? data[key] : undefined) === value) return;
    const { namespace, name } = RETAINED_CONFIGMAP;
    try {
      await this.client.patch(refs.configmaps, namespace, name, 'merge', { data: { [key]: value ?? null } });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
      if (value === undefined) return;
      await this.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { [key]: value } });
    }
  }

  override stop(): void {
    super.stop();
    for (const off of this.offs.splice(0)) off();
    this.configMap.close();
    if (!this.opts.informers) this.shared.stop();
  }
}
