// The Job controller: runs pods from the template until `completions` succeed
// (at most `parallelism` at a time), counts failures against backoffLimit and
// the clock against activeDeadlineSeconds, and finishes the Job with the
// conditions of Kubernetes 1.32 (SuccessCriteriaMet/FailureTarget first,
// Complete/Failed once no pod is left running). Terminated pods are counted
// through the batch.kubernetes.io/job-tracking finalizer, so a pod deleted
// right after it finished is still counted exactly once.
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromLabelSelector } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, deleteExact, ignoreNotFound, isNamespaceTerminating, slowStartBatch, splitKey } from './util/context.js';
import { claim } from './util/claim.js';
import { compareForDeletion, controllerOf, isPodReady, nowIso, parseTime, podFromTemplate } from './util/pods.js';
import { deepEqual, randomSuffix } from './util/hash.js';
import { BURST_REPLICAS } from './replicaset.js';
import { completedIndexes, parseIndexes } from './util/jobindex.js';
import { deepCopy } from '../api/deepcopy.js';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const MAX_BACKOFF_MS = 6 * 60_000;

const hasFinalizer = (p: KubeObject) => (p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);
const isFinished = (status: any) => (status?.conditions ?? []).some((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
const cond = (status: any, type: string) => (status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
/** A pod the Job counts as failed: Failed, or deleted before it succeeded. */
const podFailed = (p: KubeObject) => p.status?.phase === 'Failed' || (!!p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded');
const podActive = (p: KubeObject) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
const indexOf = (p: KubeObject): number | undefined => {
  const v = p.metadata.annotations?.[INDEX_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

function jobCondition(type: string, reason: string, message: string) {
  const now = nowIso();
  return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
}

export class JobController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'job-controller' });
  private orphans = new WorkQueue({ name: 'job-controller' });
  private jobInf: Informer;
  private podInf: Informer;
  /** When each Job last saw a pod fail: the start of its back-off. */
  private lastFailure = new Map<string, number>();

  constructor(private ctx: ControllerContext) {
    this.jobInf = ctx.informer(refs.jobs);
    this.podInf = ctx.byController(ctx.informer(refs.pods));
    this.jobInf.on({
      add: (j) => this.enqueue(j),
      update: (_o, j) => this.enqueue(j),
      delete: (j) => {
        this.lastFailure.delete(j.metadata.uid!);
        for (const p of this.podInf.byIndex('controller', j.metadata.uid!)) if (hasFinalizer(p)) this.orphans.add(`${p.metadata.namespace}/${p.metadata.name}`);
      },
    });
    const onPod = (pod: KubeObject) => {
      const c = controllerOf(pod);
      if (c?.kind === 'Job') {
        const job = this.jobInf.get(pod.metadata.namespace, c.name);
        if (job && job.metadata.uid === c.uid) this.queue.add(`${pod.metadata.namespace}/${c.name}`);
        else if (hasFinalizer(pod)) this.orphans.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
      } else if (hasFinalizer(pod)) this.orphans.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    };
    this.podInf.on({ add: onPod, update: (_o, p) => onPod(p), delete: onPod });
  }

  async run(): Promise<void> {
    await Promise.all([this.jobInf.hasSynced(), this.podInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 4);
    this.orphans.run((k) => this.syncOrphan(k), 2);
  }

  stop(): void {
    this.queue.stop();
    this.orphans.stop();
  }

  private enqueue(j: KubeObject) { this.queue.add(`${j.metadata.namespace}/${j.metadata.name}`); }

  private async removeFinalizer(p: KubeObject): Promise<void> {
    const rest = (p.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
    await ignoreNotFound(this.ctx.client.patch(refs.pods, p.metadata.namespace, p.metadata.name!, 'merge', { metadata: { finalizers: rest.length ? rest : null } }));
  }

  /** A tracked pod whose Job is gone: nobody will count it, let it go. */
  private async syncOrphan(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.podInf.get(ns, name);
    if (!pod || !hasFinalizer(pod)) return;
    const c = controllerOf(pod);
    const job = c?.kind === 'Job' ? this.jobInf.get(ns, c.name) : undefined;
    if (job && job.metadata.uid === c!.uid && !job.metadata.deletionTimestamp) return;
    await this.removeFinalizer(pod);
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.jobInf.get(ns, name);
    if (!cached) return;
    let job = deepCopy(cached);
    let sel;
    try { sel = selectorFromLabelSelector(job.spec?.selector); } catch { return; }
    const pods = await claim({ client: this.ctx.client, owner: job, selector: sel, informer: this.podInf, ref: refs.pods });
    if (job.metadata.deletionTimestamp) {
      await Promise.all(pods.filter(hasFinalizer).map((p) => this.removeFinalizer(p)));
      return;
    }
    if (isFinished(job.status)) {
      await Promise.all(pods.filter(hasFinalizer).map((p) => this.removeFinalizer(p)));
      return;
    }
    const uid = job.metadata.uid!;
    const status: any = deepCopy(job.status ?? {});
    const now = Date.now();
    const suspended = !!job.spec?.suspend;
    if (!status.startTime && !suspended) status.startTime = nowIso(now);

    // 1. Newly terminated tracked pods go to uncountedTerminatedPods (written before their finalizers go).
    const unc = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const known = new Set([...unc.succeeded, ...unc.failed]);
    const finishedPods = pods.filter((p) => hasFinalizer(p) && (p.status?.phase === 'Succeeded' || podFailed(p)));
    let newFailures = 0;
    for (const p of finishedPods) {
      if (known.has(p.metadata.uid!)) continue;
      if (p.status?.phase === 'Succeeded') unc.succeeded.push(p.metadata.uid!);
      else { unc.failed.push(p.metadata.uid!); newFailures++; }
    }
    if (newFailures) this.lastFailure.set(uid, now);
    if (unc.succeeded.length + unc.failed.length > known.size) {
      status.uncountedTerminatedPods = unc;
      job = await this.ctx.client.updateStatus(refs.jobs, { ...job, status });
    }
    // 2. Remove their finalizers; 3. move them into the counters.
    const indexed = job.spec?.completionMode === 'Indexed';
    const doneIdx = new Set(parseIndexes(status.completedIndexes));
    if (finishedPods.length || unc.succeeded.length || unc.failed.length) {
      await Promise.all(finishedPods.map((p) => this.removeFinalizer(p)));
      status.succeeded = (status.succeeded ?? 0) + unc.succeeded.length;
      status.failed = (status.failed ?? 0) + unc.failed.length;
      if (indexed) for (const p of finishedPods) if (p.status?.phase === 'Succeeded' && indexOf(p) !== undefined) doneIdx.add(indexOf(p)!);
      status.uncountedTerminatedPods = {};
    }
    const succeeded = status.succeeded ?? 0;
    const failed = status.failed ?? 0;
    const active = pods.filter(podActive);
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length;
    const completions: number | undefined = job.spec?.completions ?? undefined;
    const parallelism = job.spec?.parallelism ?? 1;
    const backoffLimit = job.spec?.backoffLimit ?? 6;
    let requeueMs: number | undefined;

    // Failure: backoff limit (failed pods, or container restarts under OnFailure) or the deadline.
    if (!cond(status, 'FailureTarget') && !cond(status, 'SuccessCriteriaMet')) {
      let failure: [string, string] | undefined;
      const restarts = job.spec?.template?.spec?.restartPolicy === 'OnFailure'
        ? active.reduce((n, p) => n + [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].reduce((m: number, c: any) => m + (c?.restartCount ?? 0), 0), 0)
        : 0;
      const pastOnFailure = job.spec?.template?.spec?.restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
      if (failed > backoffLimit || pastOnFailure) failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      const ads = job.spec?.activeDeadlineSeconds;
      if (!failure && ads !== undefined && status.startTime && !suspended) {
        const end = (parseTime(status.startTime) ?? now) + ads * 1000;
        if (now >= end) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
        else requeueMs = end - now;
      }
      if (failure) {
        status.conditions = [...(status.conditions ?? []), jobCondition('FailureTarget', failure[0], failure[1])];
        this.ctx.recorderFor('job-controller').record(job, 'Warning', failure[0], failure[1]);
      }
    }
    // Success: enough completions (or, without completions, one success and nothing left running).
    if (!cond(status, 'FailureTarget') && !cond(status, 'SuccessCriteriaMet')) {
      const done = completions !== undefined
        ? (indexed ? doneIdx.size >= completions : succeeded >= completions)
        : succeeded > 0 && active.length === 0;
      if (done) status.conditions = [...(status.conditions ?? []), jobCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods')];
    }
    const target = cond(status, 'FailureTarget') ?? cond(status, 'SuccessCriteriaMet');
    let activeCount = active.length;
    if (target) {
      // Finishing: stop what still runs, and finish once nothing is left running.
      await this.deletePods(job, active);
      activeCount = 0;
      if (terminating === 0 && active.length === 0) {
        const final = target.type === 'FailureTarget' ? 'Failed' : 'Complete';
        status.conditions = [...(status.conditions ?? []), jobCondition(final, target.reason, target.message)];
        if (final === 'Complete') {
          status.completionTime = nowIso();
          this.ctx.recorderFor('job-controller').record(job, 'Normal', 'Completed', 'Job completed');
        }
      }
    } else if (suspended) {
      await this.deletePods(job, active);
      activeCount = 0;
      if (!cond(status, 'Suspended')) {
        status.conditions = [...(status.conditions ?? []).filter((c: any) => c.type !== 'Suspended'), jobCondition('Suspended', 'JobSuspended', 'Job suspended')];
        delete status.startTime;
        this.ctx.recorderFor('job-controller').record(job, 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (cond(status, 'Suspended')) {
        status.conditions = [...status.conditions.filter((c: any) => c.type !== 'Suspended'), { ...jobCondition('Suspended', 'JobResumed', 'Job resumed'), status: 'False' }];
        this.ctx.recorderFor('job-controller').record(job, 'Normal', 'Resumed', 'Job resumed');
      }
      let want = completions === undefined ? (succeeded > 0 ? Math.min(active.length, parallelism) : parallelism) : Math.min(parallelism, Math.max(0, completions - succeeded));
      if (indexed && completions !== undefined) want = Math.min(parallelism, completions - doneIdx.size);
      if (active.length > want) {
        await this.deletePods(job, [...active].sort(compareForDeletion).slice(0, active.length - want));
        activeCount = want;
      } else if (active.length < want) {
        const wait = this.backoffRemaining(uid, failed, now);
        if (wait > 0) requeueMs = Math.min(requeueMs ?? Infinity, wait);
        else {
          const n = Math.min(want - active.length, BURST_REPLICAS);
          const created = await this.createPods(job, n, indexed ? this.freeIndexes(active, doneIdx, completions ?? 0, n) : undefined);
          activeCount += created;
        }
      }
    }
    status.active = activeCount;
    status.ready = target || suspended ? 0 : active.filter(isPodReady).length;
    status.terminating = terminating;
    status.uncountedTerminatedPods ??= {};
    if (indexed) {
      const s = completedIndexes([...doneIdx]);
      if (s) status.completedIndexes = s;
    }
    for (const k of ['active', 'succeeded', 'failed']) if (!status[k]) delete status[k];
    if (!deepEqual(status, job.status ?? {})) job = await this.ctx.client.updateStatus(refs.jobs, { ...job, status });
    // ttlSecondsAfterFinished is the TTL-after-finished controller's (ttlafterfinished.ts).
    if (isFinished(status)) return;
    if (requeueMs !== undefined) this.queue.addAfter(key, requeueMs + 50);
  }

  /** Pod-failure back-off: base × 2^(failures−1), capped at 6 minutes, from the last failure seen. */
  private backoffRemaining(uid: string, failed: number, now: number): number {
    const last = this.lastFailure.get(uid);
    if (!failed || last === undefined) return 0;
    const base = this.ctx.opts.jobBackoffBaseMs ?? 10_000;
    const delay = Math.min(base * 2 ** (failed - 1), MAX_BACKOFF_MS);
    return last + delay - now;
  }

  private freeIndexes(active: KubeObject[], done: Set<number>, completions: number, n: number): number[] {
    const busy = new Set(active.map(indexOf).filter((i): i is number => i !== undefined));
    const out: number[] = [];
    for (let i = 0; i < completions && out.length < n; i++) if (!done.has(i) && !busy.has(i)) out.push(i);
    return out;
  }

  private async createPods(job: KubeObject, n: number, indexes?: number[]): Promise<number> {
    const count = indexes ? indexes.length : n;
    const queue = indexes ? [...indexes] : [];
    const { ok, error } = await slowStartBatch(count, async () => {
      const idx = queue.shift();
      const pod = podFromTemplate(job.spec.template, job, { generateName: `${job.metadata.name}-` });
      pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), TRACKING_FINALIZER];
      pod.metadata.labels = { ...pod.metadata.labels, 'batch.kubernetes.io/job-name': job.metadata.name!, 'job-name': job.metadata.name! };
      if (idx !== undefined) {
        delete pod.metadata.generateName;
        pod.metadata.name = `${job.metadata.name}-${idx}-${randomSuffix()}`;
        pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [INDEX_ANNOTATION]: String(idx) };
        pod.metadata.labels[INDEX_ANNOTATION] = String(idx);
        pod.spec.hostname = `${job.metadata.name}-${idx}`;
        for (const c of pod.spec.containers ?? []) {
          c.env = [...(c.env ?? []).filter((e: any) => e.name !== 'JOB_COMPLETION_INDEX'),
            { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${INDEX_ANNOTATION}']` } } }];
        }
      }
      const created = await this.ctx.client.create(refs.pods, pod);
      this.ctx.recorderFor('job-controller').record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    });
    if (error) {
      if (isNamespaceTerminating(error)) return ok;
      this.ctx.recorderFor('job-controller').record(job, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`);
      throw error;
    }
    return ok;
  }

  private async deletePods(job: KubeObject, pods: KubeObject[]): Promise<void> {
    await Promise.all(pods.map(async (p) => {
      await deleteExact(this.ctx.client, refs.pods, p);
      this.ctx.recorderFor('job-controller').record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    }));
  }
}
