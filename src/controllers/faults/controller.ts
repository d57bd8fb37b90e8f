// The fault controller (docs/faults.md): makes the cluster match its
// nodeless.dev Fault objects. A Fault is put in place through the effect of
// its kind (an injection point the assembly hands over: the cloud's, the API
// server's, the store's, a node agent's), marked Active with its start and end
// time, and taken away when its time is up (Expired, on the controller's
// clock) or when it is deleted (Cleared: a finalizer keeps the object until
// the effect is gone, so "the Fault is gone" means "its effect is gone").
import type { KubeObject } from '../../api/types.js';
import type { Client, ResourceRef } from '../../client/types.js';
import { SharedInformers, InformerView } from '../../client/cache/shared.js';
import { keyOf } from '../../client/cache/informer.js';
import { Controller, type ControllerOptions } from '../../client/controller.js';
import { EventRecorder } from '../../client/record/events.js';
import { FAULT_API_VERSION, isFaultKind, kindDef, type FaultKind, type FaultSpec } from '../../api/faults.js';
import { formatRFC3339, parseGoDuration } from '../../api/duration.js';

export const FAULTS: ResourceRef = { apiVersion: FAULT_API_VERSION, resource: 'faults' };

/** Keeps a Fault until its effect is taken away. */
export const FAULT_FINALIZER = 'nodeless.dev/fault';

/** What a kind of fault does, at its injection point. Both are idempotent. */
export interface FaultEffect {
  apply(id: string, spec: FaultSpec): void | Promise<void>;
  remove(id: string, spec: FaultSpec): void | Promise<void>;
}

export type FaultEffects = Partial<Record<FaultKind, FaultEffect>>;

export interface FaultControllerOptions extends ControllerOptions {
  informers?: SharedInformers;
}

interface Applied {
  uid: string;
  spec: FaultSpec;
}

export class FaultController extends Controller {
  private readonly shared: SharedInformers;
  private readonly faults: InformerView;
  /** The faults whose effect is in place, by name. */
  private readonly applied = new Map<string, Applied>();
  private readonly events: EventRecorder;

  constructor(private client: Client, private effects: FaultEffects, private opts: FaultControllerOptions = {}) {
    super('fault-controller', opts);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.faults = new InformerView(this.shared.informer(FAULTS));
    const enqueue = (f: KubeObject) => this.queue.add(keyOf(f));
    this.faults.on({ add: enqueue, update: (_o, f) => enqueue(f), delete: enqueue });
    this.events = new EventRecorder(client, { component: 'fault-controller' }, undefined, this.clock);
  }

  /** The faults in effect now: name and kind (the nodeless_faults_active gauge). */
  active(): { name: string; kind: FaultKind; target: string }[] {
    return [...this.applied].map(([name, a]) => ({ name, kind: a.spec.kind, target: a.spec.target ?? '' }));
  }

  async start(): Promise<void> {
    await this.faults.hasSynced();
    if (this.queue.shuttingDown) return;
    this.runWorkers(1);
  }

  override stop(): void {
    super.stop();
    this.events.stop();
    this.faults.close();
    if (!this.opts.informers) this.shared.stop();
  }

  async sync(key: string): Promise<void> {
    const f = this.faults.get(undefined, key);
    const was = this.applied.get(key);
    if (!f || (was && was.uid !== f.metadata.uid)) await this.takeAway(key);
    if (!f) return;
    const spec = f.spec as FaultSpec;
    if (!isFaultKind(spec?.kind)) return;
    if (f.metadata.deletionTimestamp) return this.clear(f);
    if (!f.metadata.finalizers?.includes(FAULT_FINALIZER)) {
      // The finalizer first: a Fault deleted from now on keeps its object until its effect is gone.
      await this.client.patch(FAULTS, undefined, key, 'merge', { metadata: { finalizers: [...(f.metadata.finalizers ?? []), FAULT_FINALIZER], resourceVersion: f.metadata.resourceVersion } });
      return;
    }
    const now = this.clock.now();
    const started = Date.parse(f.status?.startTime ?? '');
    const start = Number.isNaN(started) ? now : started;
    const forMs = spec.for ? parseGoDuration(spec.for) : undefined;
    const end = forMs ? start + forMs : undefined;
    if (end !== undefined && now >= end) {
      await this.takeAway(key);
      if (f.status?.phase !== 'Expired') {
        await this.setStatus(f, 'Expired', 'False', 'Expired', `the fault's time (${spec.for}) is up`, { startTime: formatRFC3339(start), endTime: formatRFC3339(end) });
        this.events.record(f, 'Normal', 'Expired', `${spec.kind}${spec.target ? ` on ${spec.target}` : ''} ended after ${spec.for}`);
      }
      return;
    }
    if (!this.applied.has(key)) {
      const effect = this.effects[spec.kind];
      if (!effect) {
        await this.setStatus(f, 'Failed', 'False', 'NotSupported', `${spec.kind} is not available in this cluster`, {});
        return;
      }
      try {
        await effect.apply(key, spec);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (f.status?.message !== message) {
          await this.setStatus(f, 'Failed', 'False', 'InjectFailed', message, {});
          this.events.record(f, 'Warning', 'InjectFailed', message);
        }
        throw e;
      }
      this.applied.set(key, { uid: f.metadata.uid!, spec });
    }
    if (f.status?.phase !== 'Active') {
      await this.setStatus(f, 'Active', 'True', 'Injected', kindDef(spec.kind).summary, {
        startTime: formatRFC3339(start), ...(end !== undefined ? { endTime: formatRFC3339(end) } : {}),
      });
      this.events.record(f, 'Warning', 'Injected', `${spec.kind}${spec.target ? ` on ${spec.target}` : ''}${spec.for ? ` for ${spec.for}` : ''}: ${kindDef(spec.kind).summary}`);
    }
    if (end !== undefined) this.queue.addAfter(key, end - now);
  }

  /** A deleted Fault: its effect taken away, marked Cleared, then its finalizer removed. */
  private async clear(f: KubeObject): Promise<void> {
    const key = keyOf(f);
    const wasActive = this.applied.has(key);
    await this.takeAway(key);
    if (!f.metadata.finalizers?.includes(FAULT_FINALIZER)) return;
    if (wasActive) {
      await this.setStatus(f, 'Cleared', 'False', 'Cleared', 'the fault was deleted', {});
      this.events.record(f, 'Normal', 'Cleared', `${f.spec.kind}${f.spec.target ? ` on ${f.spec.target}` : ''} cleared`);
    }
    await this.client.patch(FAULTS, undefined, key, 'merge', { metadata: { finalizers: f.metadata.finalizers.filter((x) => x !== FAULT_FINALIZER) } });
  }

  private async takeAway(key: string): Promise<void> {
    const was = this.applied.get(key);
    if (!was) return;
    await this.effects[was.spec.kind]?.remove(key, was.spec);
    this.applied.delete(key);
  }

  private async setStatus(f: KubeObject, phase: string, status: string, reason: string, message: string, times: Record<string, string>): Promise<void> {
    const old = (f.status?.conditions ?? []).find((c: any) => c?.type === 'Active');
    const lastTransitionTime = old?.status === status ? old.lastTransitionTime : formatRFC3339(this.clock.now());
    await this.client.patch(FAULTS, undefined, f.metadata.name!, 'merge', {
      status: { phase, message, ...times, conditions: [{ type: 'Active', status, reason, message, lastTransitionTime }] },
    }, { subresource: 'status' });
  }
}
