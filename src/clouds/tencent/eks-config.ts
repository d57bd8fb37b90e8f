// A pod's effective EKS settings: its own eks.tke.cloud.tencent.com/*
// annotations over the cluster defaults in ConfigMap kube-system/eks-config
// (docs/tencent/annotations.md). One resolver per cluster, read by admission,
// the kubelets and the controllers alike, so they cannot disagree about a
// pod: the one that admitted it and the ones that run it see the same defaults.
//
// It is fed by the cluster's shared informer on kube-system ConfigMaps. Served
// in-process, that watch hears a write before the writer does (the store tells
// its watchers as the commit completes, before the write's promise settles),
// so once the informer has listed, the next pod's admission sees a ConfigMap
// change at once. Until then, and while the informer re-lists after a broken
// watch, admission reads the ConfigMap itself (fresh()).
import type { KubeObject } from '../../api/types.js';
import { WatchedConfigMap } from '../../client/cache/configmap.js';
import type { SharedInformers } from '../../client/cache/shared.js';
import { EKS_CONFIG, effectiveAnnotations, parseClusterDefaults, podEksSettings, type EksSettings } from './annotations.js';

export class EksConfig {
  private readonly cm: WatchedConfigMap<Readonly<Record<string, string>>>;

  constructor(informers: SharedInformers) {
    this.cm = new WatchedConfigMap(informers, {
      namespace: EKS_CONFIG.namespace, name: EKS_CONFIG.name, resetWhenAbsent: true,
      parse: (data) => parseClusterDefaults(data?.[EKS_CONFIG.key]), same: (a, b) => a === b,
    });
  }

  /** The cluster defaults as last seen (the kubelets and controllers, which act on pods already admitted). */
  defaults(): Readonly<Record<string, string>> {
    return this.cm.value();
  }

  /** The freshest defaults (admission): waits for the informer's first list, and reads the ConfigMap while it re-lists. */
  fresh(): Promise<Readonly<Record<string, string>>> {
    return this.cm.fresh();
  }

  /** The pod's annotations over the cluster defaults (the pod wins). */
  effective(pod: KubeObject, defaults = this.cm.value()): Record<string, string> {
    return effectiveAnnotations(pod, defaults);
  }

  /** The pod's typed settings, with EKS's defaults for what neither sets. */
  settings(pod: KubeObject, defaults = this.cm.value()): EksSettings {
    return podEksSettings(defaults, pod.metadata?.annotations);
  }

  /** Calls `fn` whenever the defaults change; returns the function that stops it. */
  onChange(fn: () => void): () => void {
    return this.cm.onChange(fn);
  }

  /** Stops listening to the shared informer (which runs on for the cluster's other components). */
  close(): void {
    this.cm.close();
  }
}
