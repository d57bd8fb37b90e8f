// The Pod printer: READY, STATUS and RESTARTS are derived the way kubectl users
// know them (Init:0/1, CrashLoopBackOff, Completed, Terminating...), following
// the rules of the Kubernetes API server's pod printer, including native
// sidecars (init containers with restartPolicy Always).
import type { KubeObject } from '../types.js';
import { humanDuration, parseTimestamp } from '../duration.js';
import { ageColumn, ageOf, col, nameColumn, nameOf, printer, wide } from './common.js';

/** The status.reason the node controller sets on pods of an unreachable node. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

const isRestartable = (c: any) => c?.restartPolicy === 'Always';
const condition = (pod: KubeObject, type: string) => (pod.status?.conditions ?? []).find((c: any) => c?.type === type);

/** Later of `cur` and a container's last termination time. */
function latest(cur: number | undefined, cs: any): number | undefined {
  const t = parseTimestamp(cs?.lastState?.terminated?.finishedAt);
  if (t === undefined) return cur;
  return cur === undefined || t > cur ? t : cur;
}

export interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  /** Time of the most recent container restart, when known. */
  lastRestart?: number;
}

/** READY / STATUS / RESTARTS of a pod, as `kubectl get pods` shows them. */
export function summarizePod(pod: KubeObject): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs: any[] = spec.initContainers ?? [];
  const initByName = new Map(initSpecs.map((c) => [c?.name, c]));
  const total = (spec.containers ?? []).length + initSpecs.filter(isRestartable).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;

  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  if ((status.conditions ?? []).some((c: any) => c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  // Init containers run in order; the first one not yet done decides the status.
  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const sidecar = isRestartable(initByName.get(cs?.name));
    restarts += cs?.restartCount ?? 0;
    lastRestart = latest(lastRestart, cs);
    if (sidecar) {
      sidecarRestarts += cs?.restartCount ?? 0;
      lastSidecarRestart = latest(lastSidecarRestart, cs);
    }
    const term = cs?.state?.terminated;
    const waiting = cs?.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (sidecar && cs?.started === true) {
      if (cs?.ready) ready++;
      continue;
    }
    if (term) {
      if (term.reason) reason = `Init:${term.reason}`;
      else reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || condition(pod, 'Initialized')?.status === 'True') {
    // Only sidecar restarts count alongside the regular containers once initialized.
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    // Walk backwards so the first container's state wins, as Kubernetes does.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs?.restartCount ?? 0;
      lastRestart = latest(lastRestart, cs);
      const waiting = cs?.state?.waiting;
      const term = cs?.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      else if (cs?.ready && cs?.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A finished container next to a running one: the pod as a whole is still running.
    if (reason === 'Completed' && hasRunning) {
      reason = condition(pod, 'Ready')?.status === 'True' ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }
  return { ready, total, reason, restarts, lastRestart };
}

/** "1/1" when every readiness gate's condition is True, "<none>" without gates. */
function readinessGates(pod: KubeObject): string {
  const gates: any[] = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const trueCount = gates.filter((g) => condition(pod, g?.conditionType)?.status === 'True').length;
  return `${trueCount}/${gates.length}`;
}

export const podPrinter = printer(
  [
    nameColumn(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn(),
    wide('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
    wide('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename'),
    wide('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.'),
    wide('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates'),
  ],
  (pod, now) => {
    const s = summarizePod(pod);
    const restarts = s.restarts !== 0 && s.lastRestart !== undefined
      ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)`
      : String(s.restarts);
    // status.podIPs is authoritative; podIP covers objects written before it was filled in.
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
    return [
      nameOf(pod), `${s.ready}/${s.total}`, s.reason, restarts, ageOf(pod, now),
      ip, pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', readinessGates(pod),
    ];
  },
);
