// One named ConfigMap's settings, fed by a cluster's shared informer on its
// namespace: what the last version seen parses to, `fresh()` for admission
// (waits for the first list, and reads the ConfigMap itself while the informer
// re-lists after a broken watch), and `onChange` when the settings change.
// Used by the clouds' per-cluster settings (clouds/tencent/eks-config.ts,
// clouds/alibaba/controller-config.ts).
import type { KubeObject } from '../../api/types.js';
import { refs } from '../types.js';
import type { SharedInformers } from './shared.js';
import { WatchedObject } from './watched.js';

export interface WatchedConfigMapOptions<T> {
  namespace: string;
  name: string;
  /** The settings of the ConfigMap's data (undefined: no ConfigMap). */
  parse(data: Record<string, string> | undefined): T;
  /** Whether two settings are the same (no change to tell). */
  same(a: T, b: T): boolean;
  /** fresh() finding no ConfigMap while the informer re-lists takes the settings of none. */
  resetWhenAbsent?: boolean;
}

export class WatchedConfigMap<T> extends WatchedObject<T> {
  constructor(informers: SharedInformers, private readonly o: WatchedConfigMapOptions<T>) {
    super(informers, {
      ref: refs.configmaps, namespace: o.namespace, name: o.name, same: o.same,
      parse: (cm) => o.parse(cm?.data as Record<string, string> | undefined),
    });
  }

  /** The freshest settings: waits for the informer's first list, and reads the ConfigMap while it re-lists. */
  async fresh(): Promise<T> {
    await this.hasSynced();
    if (!this.informer.watching) {
      const cm = await this.informers.client.tryGet(refs.configmaps, this.o.namespace, this.o.name);
      if (cm) this.observe(cm);
      else if (this.o.resetWhenAbsent && !this.informer.watching) this.set(this.o.parse(undefined), this.rv);
    }
    return this.value();
  }

  /** Takes a version of the ConfigMap unless a newer one was seen (a read-through and the watch may cross). */
  protected override observe(cm: KubeObject, deleted = false): void {
    if ((Number(cm.metadata.resourceVersion) || 0) < this.rv) return;
    super.observe(cm, deleted);
  }
}
