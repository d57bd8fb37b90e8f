// Printers for workload kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet,
// ControllerRevision (apps/v1) and Job, CronJob (batch/v1).
import type { KubeObject } from '../types.js';
import { humanDuration, parseTimestamp, translateTimestampSince } from '../duration.js';
import { formatLabels, formatLabelSelector, labelSelectorToString } from '../selectors.js';
import {
  ageColumn, ageOf, col, containersColumn, imagesColumn, int, layoutContainers, nameColumn, nameOf, printer, templateContainers, wide,
} from './common.js';

/** spec.replicas as stored; the API defaults it to 1 when absent. */
const desiredReplicas = (o: KubeObject): number => (typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1);
const selectorColumn = (description: string) => wide('Selector', 'string', description);

export const deploymentPrinter = printer(
  [
    nameColumn(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
  ],
  (d, now) => {
    let selector: string;
    try {
      // Deployments print the raw selector string: "" (not <none>) when empty.
      selector = labelSelectorToString(d.spec?.selector);
    } catch {
      selector = '<invalid>';
    }
    return [
      nameOf(d), `${int(d.status?.readyReplicas)}/${desiredReplicas(d)}`, int(d.status?.updatedReplicas), int(d.status?.availableReplicas), ageOf(d, now),
      ...layoutContainers(templateContainers(d)), selector,
    ];
  },
);

export const replicaSetPrinter = printer(
  [
    nameColumn(),
    col('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template.'),
  ],
  (rs, now) => [
    nameOf(rs), desiredReplicas(rs), int(rs.status?.replicas), int(rs.status?.readyReplicas), ageOf(rs, now),
    ...layoutContainers(templateContainers(rs)), formatLabelSelector(rs.spec?.selector),
  ],
);

export const statefulSetPrinter = printer(
  [nameColumn(), col('Ready', 'string', 'Number of the pod with ready state'), ageColumn(), containersColumn(), imagesColumn()],
  (s, now) => [nameOf(s), `${int(s.status?.readyReplicas)}/${desiredReplicas(s)}`, ageOf(s, now), ...layoutContainers(templateContainers(s))],
);

export const daemonSetPrinter = printer(
  [
    nameColumn(),
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    col('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    col('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template\'s labels.'),
  ],
  (ds, now) => {
    const st = ds.status ?? {};
    return [
      nameOf(ds), int(st.desiredNumberScheduled), int(st.currentNumberScheduled), int(st.numberReady), int(st.updatedNumberScheduled), int(st.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector), ageOf(ds, now),
      ...layoutContainers(templateContainers(ds)), formatLabelSelector(ds.spec?.selector),
    ];
  },
);

// --- Job

const jobCondition = (job: KubeObject, type: string): boolean => {
  const c = (job.status?.conditions ?? []).find((x: any) => x?.type === type);
  return c?.status === 'True';
};

/** Complete, Failed, Terminating, Suspended, FailureTarget or Running. */
export function jobStatus(job: KubeObject): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** "1/1", "2/5", or "0/1 of 3" for a work queue job with parallelism > 1. */
export function jobCompletions(job: KubeObject): string {
  const succeeded = int(job.status?.succeeded);
  if (typeof job.spec?.completions === 'number') return `${succeeded}/${job.spec.completions}`;
  const parallelism = int(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** Empty until started; running jobs count up to now, finished ones stop at completionTime. */
export function jobDuration(job: KubeObject, now: number): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTimestamp(job.status?.completionTime);
  return humanDuration((end ?? now) - start);
}

export const jobPrinter = printer(
  [
    nameColumn(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('A label query over pods that should match the pod count. Normally, the system sets this field for you.'),
  ],
  (job, now) => [
    nameOf(job), jobStatus(job), jobCompletions(job), jobDuration(job, now), ageOf(job, now),
    ...layoutContainers(templateContainers(job)), formatLabelSelector(job.spec?.selector),
  ],
);

export const cronJobPrinter = printer(
  [
    nameColumn(),
    col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('A label query over pods that should match the pod count. Normally, the system sets this field for you.'),
  ],
  (cj, now) => {
    const jt = cj.spec?.jobTemplate?.spec ?? {};
    const suspend = typeof cj.spec?.suspend === 'boolean' ? (cj.spec.suspend ? 'True' : 'False') : '<unset>';
    const last = cj.status?.lastScheduleTime ? translateTimestampSince(cj.status.lastScheduleTime, now) : '<none>';
    return [
      nameOf(cj), cj.spec?.schedule ?? '', cj.spec?.timeZone ?? '<none>', suspend, (cj.status?.active ?? []).length, last, ageOf(cj, now),
      ...layoutContainers(jt.template?.spec?.containers), formatLabelSelector(jt.selector),
    ];
  },
);

// --- ControllerRevision

/** "statefulset.apps/web" for the controlling owner, "<none>" without one. */
function controllerOf(o: KubeObject): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const av = ref.apiVersion ?? '';
  const group = av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
  if (!ref.kind && !group) return ref.name;
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter = printer(
  [nameColumn(), col('Controller', 'string', 'Controller of the object'), col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'), ageColumn()],
  (cr, now) => [nameOf(cr), controllerOf(cr), int(cr.revision), ageOf(cr, now)],
);
