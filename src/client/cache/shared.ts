// Informers shared by every component of a cluster (client-go's
// SharedInformerFactory), and the filtered view each component reads.
import type { KubeObject } from '../../api/types.js';
import type { Client, ResourceRef } from '../types.js';
import { Informer, type InformerHandlers } from './informer.js';

/**
 * One informer per resource (and selector) for a whole cluster, as client-go's
 * SharedInformerFactory: components ask for what they read, and handlers they
 * add are removed when they stop, while the informer runs on until the cluster
 * closes. Informers start as soon as they are asked for.
 */
export class SharedInformers {
  private informers = new Map<string, Informer<any>>();
  private stopped = false;

  constructor(readonly client: Client) {}

  informer<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}): Informer<T> {
    const k = `${ref.apiVersion}/${ref.resource}?${opts.namespace ?? ''}&${opts.labelSelector ?? ''}&${opts.fieldSelector ?? ''}`;
    let inf = this.informers.get(k);
    if (!inf) {
      inf = new Informer<T>(this.client, ref, opts);
      this.informers.set(k, inf);
      if (!this.stopped) inf.start();
    }
    return inf as Informer<T>;
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) inf.stop();
  }
}

/** What a component sees of a shared informer: only the objects `keep` accepts; its handlers go when it stops. */
export class InformerView<T extends KubeObject = KubeObject> {
  private added: InformerHandlers<T>[] = [];

  constructor(readonly inner: Informer<T>, private keep: (o: T) => boolean = () => true) {}

  /** Handlers see objects entering the view as adds and leaving it as deletes. */
  on(h: InformerHandlers<T>): this {
    const keep = this.keep;
    const wrapped: InformerHandlers<T> = {
      add: (o) => { if (keep(o)) h.add?.(o); },
      update: (a, b) => {
        const was = keep(a), is = keep(b);
        if (was && is) h.update?.(a, b);
        else if (is) h.add?.(b);
        else if (was) h.delete?.(a);
      },
      delete: (o) => { if (keep(o)) h.delete?.(o); },
    };
    this.added.push(wrapped);
    this.inner.on(wrapped);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const o = this.inner.get(namespace, name);
    return o && this.keep(o) ? o : undefined;
  }

  list(namespace?: string): T[] {
    return this.inner.list(namespace).filter(this.keep);
  }

  byIndex(name: string, value: string): T[] {
    return this.inner.byIndex(name, value).filter(this.keep);
  }

  hasSynced(): Promise<void> {
    return this.inner.hasSynced();
  }

  /** Removes this view's handlers; the shared informer runs on. */
  close(): void {
    for (const h of this.added) this.inner.off(h);
    this.added = [];
  }
}
