// The CronJob controller, as kube-controller-manager's cronjob_controllerv2
// (docs/controllers-batch.md has the rules and their sources): keys are
// CronJobs; sync(key) trims the finished Jobs past the history limits, takes the
// Jobs it made off status.active as they finish, and when a scheduled time has
// come creates that time's Job (`<cronjob>-<minutes since the epoch>`) under
// the concurrency policy, then queues the CronJob again for the next time. Time
// is the injected clock's, so a test steps through a day of schedules at once.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { refs } from '../client/types.js';
import { deepCopy } from '../api/deepcopy.js';
import { knownTimeZone, parseSchedule, Zone, type Schedule } from '../api/cron.js';
import { formatRFC3339 } from '../api/duration.js';
import { EventRecorder } from '../client/record/events.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { keyOf } from '../client/cache/informer.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { isAlreadyExists, isNamespaceTerminating } from './util/context.js';
import { controllerOf } from './util/pods.js';

/** The annotation every scheduled Job carries: its scheduled time, RFC 3339 in the CronJob's zone (batchv1.CronJobScheduledTimestampAnnotation). */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** Requeue padding after a scheduled time, for clock skew (nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** More missed start times than this is "too many" (mostRecentScheduleTime). */
const MANY_MISSED = 100;

type Missed = 'none' | 'few' | 'many';

export interface CronJobControllerOptions extends ControllerOptions {
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
}

const finishedCondition = (j: KubeObject): string | undefined =>
  (j.status?.conditions ?? []).find((c: any) => (c?.type === 'Complete' || c?.type === 'Failed') && c.status === 'True')?.type;
const time = (s: unknown): number | undefined => (typeof s === 'string' && s ? Date.parse(s) : undefined);

/** The Job's name for a scheduled time: the CronJob's, and the time in minutes since the epoch (getJobName). */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** Go's RFC 3339 of an instant in a zone: "2025-01-01T09:00:00+01:00", and "Z" for a zero offset. */
export function rfc3339In(ms: number, zone: Zone): string {
  const off = zone.offset(ms);
  const wall = new Date(Math.floor(ms / 1000) * 1000 + off).toISOString().replace(/\.\d+Z$/, '');
  if (off === 0) return `${wall}Z`;
  const m = Math.round(Math.abs(off) / 60_000);
  return `${wall}${off < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000"), as the MissSchedule event prints the time. */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * mostRecentScheduleTime (cronjob/utils.go): from the last schedule time (or the
 * CronJob's creation), moved up to now − startingDeadlineSeconds when asked, the
 * most recent time a Job should have started by `now` (undefined: none yet), and
 * roughly how many were missed, counted from the gap between the next two times
 * rather than by walking every one of them.
 */
export function mostRecentScheduleTime(cj: KubeObject, now: number, sched: Schedule, includeStartingDeadline: boolean): { earliest: number; mostRecent?: number; missed: Missed } {
  let earliest = time(cj.metadata.creationTimestamp) ?? now;
  const last = time(cj.status?.lastScheduleTime);
  if (last !== undefined) earliest = last;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && typeof sds === 'number') {
    const deadline = now - sds * 1000;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = sched.next(earliest);
  const t2 = sched.next(t1);
  if (now < t1) return { earliest, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  // A schedule that parses but never comes ("0 0 30 2 *"): both times are Go's zero time.
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const elapsed = Math.trunc((now - t1) / 1000);
  const count = Math.trunc(elapsed / between) + 1;
  // Walk from one interval before the estimate: right for @every and for irregular schedules alike.
  let mostRecent: number | undefined;
  for (let t = sched.next(t1 + (count - 2) * between * 1000); t <= now; t = sched.next(t)) mostRecent = t;
  const missed: Missed = count > MANY_MISSED ? 'many' : count > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** nextScheduleTimeDuration: how long until the next scheduled time after the last one (or now, when some were missed), plus the padding. */
export function nextScheduleDelay(cj: KubeObject, now: number, sched: Schedule): number {
  let from: number;
  try {
    const r = mostRecentScheduleTime(cj, now, sched, false);
    from = r.mostRecent ?? (r.missed === 'none' ? r.earliest : now);
  } catch {
    // Still come back some time: aim at the next slot from now.
    from = now;
  }
  return sched.next(from) + NEXT_SCHEDULE_DELTA_MS - now;
}

/** The schedule as the controller parses it: the spec's zone as a TZ= prefix, unless the schedule has its own (formatSchedule). */
function scheduleText(cj: KubeObject): { text: string; tzInSchedule: boolean } {
  const schedule: string = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) return { text: schedule, tzInSchedule: true };
  const tz = cj.spec?.timeZone;
  if (typeof tz === 'string' && knownTimeZone(tz)) return { text: `TZ=${tz} ${schedule}`, tzInSchedule: false };
  return { text: schedule, tzInSchedule: false };
}

const parse = (text: string): Schedule => parseSchedule(text);

export class CronJobController extends Controller {
  private readonly shared: SharedInformers;
  private readonly cronJobs: InformerView;
  private readonly jobs: InformerView;
  readonly recorder: EventRecorder;

  constructor(private client: Client, private opts: CronJobControllerOptions = {}) {
    super('cronjob-controller', opts);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.cronJobs = new InformerView(this.shared.informer(refs.cronjobs));
    this.jobs = new InformerView(this.shared.informer(refs.jobs));
    this.recorder = new EventRecorder(client, { component: 'cronjob-controller' }, undefined, this.clock);
    this.cronJobs.on({
      add: (cj) => this.queue.add(keyOf(cj)),
      update: (old, cj) => this.updateCronJob(old, cj),
      delete: (cj) => this.queue.add(keyOf(cj)),
    });
    this.jobs.on({
      add: (j) => this.enqueueOwner(j),
      update: (old, j) => {
        if (old.metadata.resourceVersion === j.metadata.resourceVersion) return;
        const was = controllerOf(old);
        const is = controllerOf(j);
        if (was && JSON.stringify(was) !== JSON.stringify(is)) this.enqueueOwner(old);
        this.enqueueOwner(j);
      },
      delete: (j) => this.enqueueOwner(j),
    });
  }

  async start(workers = 5): Promise<void> {
    await Promise.all([this.cronJobs.hasSynced(), this.jobs.hasSynced()]);
    this.runWorkers(workers);
  }

  /** As the other workload controllers start (workloads.ts): kube-controller-manager's --concurrent-cron-job-syncs, 5. */
  run(): Promise<void> {
    return this.start();
  }

  override stop(): void {
    super.stop();
    this.cronJobs.close();
    this.jobs.close();
    this.recorder.stop();
    if (!this.opts.informers) this.shared.stop();
  }

  /** The CronJob a Job's controller reference names, if it is the one that exists (resolveControllerRef). */
  private enqueueOwner(j: KubeObject): void {
    const ref = controllerOf(j);
    if (!ref || ref.kind !== 'CronJob') return;
    const cj = this.cronJobs.get(j.metadata.namespace, ref.name);
    if (cj && cj.metadata.uid === ref.uid) this.queue.add(keyOf(cj));
  }

  /** A new schedule or zone: queue the CronJob for its next time; any other change: now (updateCronJob). */
  private updateCronJob(old: KubeObject, cj: KubeObject): void {
    if (old.spec?.schedule !== cj.spec?.schedule || old.spec?.timeZone !== cj.spec?.timeZone) {
      let sched: Schedule;
      try {
        sched = parse(scheduleText(cj).text);
      } catch {
        this.recorder.record(cj, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cj.spec?.schedule}`);
        return;
      }
      this.queue.addAfter(keyOf(cj), nextScheduleDelay(cj, this.clock.now(), sched));
      return;
    }
    this.queue.add(keyOf(cj));
  }

  async sync(key: string): Promise<void> {
    const i = key.indexOf('/');
    const ns = key.slice(0, i);
    const name = key.slice(i + 1);
    const cached = this.cronJobs.get(ns, name);
    if (!cached) return;
    // Every Job whose controller reference names this CronJob (getJobsToBeReconciled).
    const jobs = this.jobs.list(ns).filter((j) => controllerOf(j)?.name === name);
    const state = { cj: deepCopy(cached), write: false };
    if (await this.cleanupFinishedJobs(state.cj, jobs)) state.write = true;
    let requeueMs: number | undefined;
    let syncErr: unknown;
    try {
      requeueMs = await this.syncCronJob(state, jobs);
    } catch (e) {
      syncErr = e;
    }
    if (state.write) {
      const status = state.cj.status ?? {};
      if (Array.isArray(status.active) && status.active.length === 0) delete status.active;
      await this.client.updateStatus(refs.cronjobs, { ...state.cj, status });
    }
    if (requeueMs !== undefined) {
      this.queue.forget(key);
      this.queue.addAfter(key, requeueMs);
      return;
    }
    if (syncErr) throw syncErr;
  }

  /** syncCronJob: returns when to look again (undefined: not until the CronJob changes), and marks state.write when the status changed. */
  private async syncCronJob(state: { cj: KubeObject; write: boolean }, jobs: KubeObject[]): Promise<number | undefined> {
    const now = this.clock.now();
    let cj = state.cj;
    const status: any = (cj.status ??= {});
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid!);
      const found = inActive(cj, j.metadata.uid!);
      const finished = finishedCondition(j);
      if (!found && !finished) {
        // Maybe our cache has not seen the status that lists it yet: ask the API.
        const fresh = await this.client.get(refs.cronjobs, cj.metadata.namespace, cj.metadata.name!);
        if (inActive(fresh, j.metadata.uid!)) {
          fresh.status ??= {};
          state.cj = cj = fresh;
          continue;
        }
        this.recorder.record(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (finished) {
        if (found) {
          removeActive(cj, j.metadata.uid!);
          this.recorder.record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished}`);
          state.write = true;
        }
        if (finished === 'Complete') {
          // The latest completion of a succeeded Job, whether or not it was in the active list.
          const done: string | undefined = j.status?.completionTime;
          if (cj.status.lastSuccessfulTime == null) {
            if (done) cj.status.lastSuccessfulTime = done;
            state.write = true;
          }
          if (done && time(done)! > (time(cj.status.lastSuccessfulTime) ?? -Infinity)) {
            cj.status.lastSuccessfulTime = done;
            state.write = true;
          }
        }
      }
    }
    // Active Jobs that are gone (asked of the API: the cache may simply lag).
    for (const ref of [...(cj.status.active ?? [])]) {
      if (children.has(ref.uid)) continue;
      const got = await this.client.tryGet(refs.jobs, ref.namespace ?? cj.metadata.namespace, ref.name);
      if (!got) {
        this.recorder.record(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        removeActive(cj, ref.uid);
        state.write = true;
      }
    }
    if (cj.metadata.deletionTimestamp) return undefined;
    const tz = cj.spec?.timeZone;
    if (typeof tz === 'string' && !knownTimeZone(tz)) {
      this.recorder.record(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      return undefined;
    }
    if (cj.spec?.suspend) return undefined;
    const { text, tzInSchedule } = scheduleText(cj);
    if (tzInSchedule) {
      this.recorder.record(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(cj.spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    let sched: Schedule;
    try {
      sched = parse(text);
    } catch (e) {
      this.recorder.record(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${(e as Error).message}`);
      return undefined;
    }
    // nextScheduleTime: the most recent unmet time, within the starting deadline.
    let scheduled: number | undefined;
    try {
      const r = mostRecentScheduleTime(cj, now, sched, true);
      if (r.mostRecent !== undefined && r.mostRecent <= now) {
        scheduled = r.mostRecent;
        if (r.missed === 'many') {
          this.recorder.record(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
          this.log.info(`too many missed times: cronjob ${keyOf(cj)}`);
        }
      }
    } catch (e) {
      this.recorder.record(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule} : ${(e as Error).message}`);
      return undefined;
    }
    if (scheduled === undefined) return nextScheduleDelay(cj, now, sched);
    const sds = cj.spec?.startingDeadlineSeconds;
    if (typeof sds === 'number' && scheduled + sds * 1000 < now) {
      this.recorder.record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return nextScheduleDelay(cj, now, sched);
    }
    const jobName = jobNameFor(cj.metadata.name!, scheduled);
    if ((cj.status.active ?? []).some((r: any) => r.name === jobName && r.namespace === cj.metadata.namespace) || time(cj.status.lastScheduleTime) === scheduled) {
      // This time was handled already.
      return nextScheduleDelay(cj, now, sched);
    }
    if (cj.spec?.concurrencyPolicy === 'Forbid' && (cj.status.active ?? []).length > 0) {
      this.recorder.record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return nextScheduleDelay(cj, now, sched);
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const ref of [...(cj.status.active ?? [])]) {
        let job: KubeObject;
        try {
          job = await this.client.get(refs.jobs, ref.namespace ?? cj.metadata.namespace, ref.name);
        } catch (e) {
          this.recorder.record(cj, 'Warning', 'FailedGet', `Get job: ${(e as Error).message}`);
          throw e;
        }
        if (!(await this.deleteJob(cj, job))) throw new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`);
        state.write = true;
      }
    }
    const request = this.jobFromTemplate(cj, scheduled, jobName);
    let created: KubeObject;
    let existed = false;
    try {
      created = await this.client.create(refs.jobs, request);
    } catch (e) {
      if (isNamespaceTerminating(e)) throw e;
      if (!isAlreadyExists(e)) {
        this.recorder.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      // Made before by us (the status write then failed) or by someone else.
      existed = true;
      created = await this.client.get(refs.jobs, cj.metadata.namespace, jobName);
      const ref = controllerOf(created);
      if (!ref || ref.uid !== cj.metadata.uid) return undefined;
      if (inActive(cj, created.metadata.uid!)) return undefined;
    }
    if (existed) this.log.info(`job already exists: cronjob ${keyOf(cj)}, job ${jobName}`);
    else this.recorder.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    cj.status.active = [...(cj.status.active ?? []), {
      kind: 'Job', namespace: created.metadata.namespace, name: created.metadata.name, uid: created.metadata.uid,
      apiVersion: 'batch/v1', resourceVersion: created.metadata.resourceVersion,
    }];
    cj.status.lastScheduleTime = formatRFC3339(scheduled);
    state.write = true;
    return nextScheduleDelay(cj, now, sched);
  }

  /** getJobFromTemplate2: the template's labels, annotations and spec, the scheduled time, owned by the CronJob. */
  private jobFromTemplate(cj: KubeObject, scheduled: number, name: string): KubeObject {
    const tpl = cj.spec?.jobTemplate ?? {};
    const labels = { ...(tpl.metadata?.labels ?? {}) };
    const zone = new Zone(typeof cj.spec?.timeZone === 'string' && cj.spec.timeZone ? cj.spec.timeZone : 'UTC');
    const annotations = { ...(tpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduled, zone) };
    return {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name, namespace: cj.metadata.namespace,
        ...(Object.keys(labels).length ? { labels } : {}),
        annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: deepCopy(tpl.spec ?? {}),
    };
  }

  /** History limits: the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go (cleanupFinishedJobs). */
  private async cleanupFinishedJobs(cj: KubeObject, jobs: KubeObject[]): Promise<boolean> {
    const okLimit = cj.spec?.successfulJobsHistoryLimit;
    const failLimit = cj.spec?.failedJobsHistoryLimit;
    if (okLimit == null && failLimit == null) return false;
    const succeeded = jobs.filter((j) => finishedCondition(j) === 'Complete');
    const failed = jobs.filter((j) => finishedCondition(j) === 'Failed');
    let write = false;
    if (okLimit != null && await this.removeOldestJobs(cj, succeeded, okLimit)) write = true;
    if (failLimit != null && await this.removeOldestJobs(cj, failed, failLimit)) write = true;
    return write;
  }

  private async removeOldestJobs(cj: KubeObject, jobs: KubeObject[], max: number): Promise<boolean> {
    const n = jobs.length - max;
    if (n <= 0) return false;
    let write = false;
    for (const j of [...jobs].sort(byStartTime).slice(0, n)) if (await this.deleteJob(cj, j)) write = true;
    return write;
  }

  /** Deletes a Job in the background (its pods follow through the garbage collector) and drops it from active. */
  private async deleteJob(cj: KubeObject, job: KubeObject): Promise<boolean> {
    try {
      await this.client.delete(refs.jobs, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background' });
    } catch (e) {
      this.recorder.record(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
      this.log.error({ err: e }, `error deleting job ${job.metadata.namespace}/${job.metadata.name} from cronjob ${keyOf(cj)}`);
      return false;
    }
    removeActive(cj, job.metadata.uid!);
    this.recorder.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  }
}

function inActive(cj: KubeObject, uid: string): boolean {
  return (cj.status?.active ?? []).some((r: any) => r.uid === uid);
}

function removeActive(cj: KubeObject, uid: string): void {
  if (!cj.status?.active) return;
  cj.status.active = cj.status.active.filter((r: any) => r.uid !== uid);
}

/** byJobStartTime: Jobs with a start time first, oldest first, names breaking ties. */
function byStartTime(a: KubeObject, b: KubeObject): number {
  const sa = time(a.status?.startTime);
  const sb = time(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
  return sa! - sb!;
}

/** Starts the CronJob controller of a cluster. */
export async function startCronJobs(client: Client, opts: CronJobControllerOptions = {}): Promise<CronJobController> {
  const c = new CronJobController(client, opts);
  await c.start();
  return c;
}

