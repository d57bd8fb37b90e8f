// Records core/v1 Events the way kubelet and controllers do, folding repeats
// into one Event with a count (what `kubectl describe` shows as "x3 over 2m").
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { refs } from '../client/types.js';

export interface EventSource {
  component: string;
  host?: string;
}

export class EventRecorder {
  /** Recent events by what makes them the same, for folding repeats (bounded: each entry is a few hundred bytes). */
  private recent = new Map<string, { name: string; count: number; first: string }>();

  constructor(private client: Client, private source: EventSource) {}

  /** Fire and forget: an event that cannot be written must never break the caller. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    void this.write(obj, type, reason, message, fieldPath).catch(() => undefined);
  }

  private async write(obj: KubeObject, type: string, reason: string, message: string, fieldPath?: string): Promise<void> {
    const ns = obj.metadata.namespace ?? 'default';
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const dedupe = `${obj.metadata.uid}|${reason}|${message}|${fieldPath ?? ''}`;
    const seen = this.recent.get(dedupe);
    if (seen) {
      seen.count++;
      try {
        await this.client.patch(refs.events, ns, seen.name, 'merge', { count: seen.count, lastTimestamp: now });
        return;
      } catch {
        this.recent.delete(dedupe);
      }
    }
    const name = `${obj.metadata.name}.${(Date.now() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
    if (this.recent.size >= 2048) this.recent.clear();
    this.recent.set(dedupe, { name, count: 1, first: now });
    await this.client.create(refs.events, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid,
        apiVersion: obj.apiVersion, resourceVersion: obj.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}),
      },
      reason, message, type, count: 1,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp: now, lastTimestamp: now, eventTime: null,
      reportingComponent: this.source.component, reportingInstance: this.source.host ?? '',
    });
  }
}
