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
import type { Informer } from '../../client/cache/informer.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { refs } from '../../client/types.js';
import { EKS_CONFIG, effectiveAnnotations, parseClusterDefaults, podEksSettings, type EksSettings } from './annotations.js';

export class EksConfig {
  private readonly informer: Informer;
  private readonly view: InformerView;
  /** The defaults as last seen, and the resourceVersion they come from (0: no ConfigMap). */
  private current: Readonly<Record<string, string>> = parseClusterDefaults(undefined);
  private rv = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly informers: SharedInformers) {
    this.informer = informers.informer(refs.configmaps, { namespace: EKS_CONFIG.namespace });
    this.view = new InformerView(this.informer, (cm) => cm.metadata.name === EKS_CONFIG.name);
    this.view.on({ add: (cm) => this.observe(cm), update: (_o, cm) => this.observe(cm), delete: (cm) => this.observe(cm, true) });
  }

  /** The cluster defaults as last seen (the kubelets and controllers, which act on pods already admitted). */
  defaults(): Readonly<Record<string, string>> {
    return this.current;
  }

  /** The freshest defaults (admission): waits for the informer's first list, and reads the ConfigMap while it re-lists. */
  async fresh(): Promise<Readonly<Record<string, string>>> {
    await this.view.hasSynced();
    if (!this.informer.watching) {
      const cm = await this.informers.client.tryGet(refs.configmaps, EKS_CONFIG.namespace, EKS_CONFIG.name);
      if (cm) this.observe(cm);
      else if (!this.informer.watching) this.set(parseClusterDefaults(undefined), this.rv);
    }
    return this.current;
  }

  /** The pod's annotations over the cluster defaults (the pod wins). */
  effective(pod: KubeObject, defaults = this.current): Record<string, string> {
    return effectiveAnnotations(pod, defaults);
  }

  /** The pod's typed settings, with EKS's defaults for what neither sets. */
  settings(pod: KubeObject, defaults = this.current): EksSettings {
    return podEksSettings(defaults, pod.metadata?.annotations);
  }

  /** Calls `fn` whenever the defaults change; returns the function that stops it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stops listening to the shared informer (which runs on for the cluster's other components). */
  close(): void {
    this.view.close();
    this.listeners.clear();
  }

  /** Takes a version of the ConfigMap unless a newer one was seen (a read-through and the watch may cross). */
  private observe(cm: KubeObject, deleted = false): void {
    const rv = Number(cm.metadata.resourceVersion) || 0;
    if (rv < this.rv) return;
    this.set(parseClusterDefaults(deleted ? undefined : cm.data?.[EKS_CONFIG.key]), rv);
  }

  private set(defaults: Readonly<Record<string, string>>, rv: number): void {
    this.rv = rv;
    if (defaults === this.current) return;
    this.current = defaults;
    for (const fn of this.listeners) fn();
  }
}
