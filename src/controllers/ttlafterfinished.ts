// The TTL-after-finished controller, as kube-controller-manager's
// (pkg/controller/ttlafterfinished; docs/controllers-batch.md): a Job with
// spec.ttlSecondsAfterFinished is deleted that many seconds after it finished
// (the lastTransitionTime of its Complete or Failed condition), with
// Foreground propagation so its pods go first, and only if it is still the
// same Job (uid precondition) and, read fresh from the API, still expired
// (its TTL may have been raised meanwhile). Keys are Jobs; a Job not yet
// expired is queued again for the moment it is, on the controller's clock.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { refs } from '../client/types.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { keyOf } from '../client/cache/informer.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { deleteExact, splitKey } from './util/context.js';

export interface TTLAfterFinishedOptions extends ControllerOptions {
  /** The cluster's shared informers (else its own). */
  informers?: SharedInformers;
}

/** The Complete or Failed condition that is True (IsJobFinished). */
const finishedCondition = (j: KubeObject): any =>
  (j.status?.conditions ?? []).find((c: any) => (c?.type === 'Complete' || c?.type === 'Failed') && c.status === 'True');

/** needsCleanup: a TTL, and finished. */
const needsCleanup = (j: KubeObject): boolean => j.spec?.ttlSecondsAfterFinished != null && !!finishedCondition(j);

export class TTLAfterFinishedController extends Controller {
  private readonly shared: SharedInformers;
  private readonly jobs: InformerView;

  constructor(private client: Client, private opts: TTLAfterFinishedOptions = {}) {
    super('ttl-after-finished-controller', opts);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.jobs = new InformerView(this.shared.informer(refs.jobs));
    const enqueue = (j: KubeObject) => { if (!j.metadata.deletionTimestamp && needsCleanup(j)) this.queue.add(keyOf(j)); };
    this.jobs.on({ add: enqueue, update: (_o, j) => enqueue(j) });
  }

  async start(workers = 5): Promise<void> {
    await this.jobs.hasSynced();
    if (this.queue.shuttingDown) return;
    this.runWorkers(workers);
  }

  /** As the other workload controllers start (workloads.ts): --concurrent-ttl-after-finished-syncs, 5. */
  run(): Promise<void> {
    return this.start();
  }

  override stop(): void {
    super.stop();
    this.jobs.close();
    if (!this.opts.informers) this.shared.stop();
  }

  /** processJob: the cached Job first; if expired, the API's copy, checked again, then deleted. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.jobs.get(ns, name);
    if (!cached || cached.metadata.deletionTimestamp || !this.expired(cached)) return;
    const fresh = await this.client.tryGet(refs.jobs, cached.metadata.namespace, cached.metadata.name!);
    // Gone, or the TTL changed since the cache saw it.
    if (!fresh || fresh.metadata.deletionTimestamp || !this.expired(fresh)) return;
    this.log.info({ job: key }, 'Cleaning up Job');
    await deleteExact(this.client, refs.jobs, fresh, { propagationPolicy: 'Foreground' });
  }

  /**
   * processTTL: true when the Job's time is up; otherwise it is queued again
   * for then. A finished Job whose condition has no time cannot be judged
   * (timeLeft's error): retried with back-off.
   */
  private expired(j: KubeObject): boolean {
    if (!needsCleanup(j)) return false;
    const finishedAt = Date.parse(finishedCondition(j)?.lastTransitionTime ?? '');
    if (Number.isNaN(finishedAt)) throw new Error(`unable to find the time when the Job ${j.metadata.namespace}/${j.metadata.name} finished`);
    const now = this.clock.now();
    if (finishedAt > now) this.log.info({ job: keyOf(j) }, 'Warning: Found Job finished in the future. This is likely due to time skew in the cluster. Job cleanup will be deferred.');
    const left = finishedAt + Number(j.spec.ttlSecondsAfterFinished) * 1000 - now;
    if (left <= 0) return true;
    this.queue.addAfter(keyOf(j), left);
    return false;
  }
}
