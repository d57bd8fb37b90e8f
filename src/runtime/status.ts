// Pod status as the kubelet reports it (what `kubectl get/describe pod`
// reads), computed from the agent's compact per-pod state and the pod as
// last seen. Conditions set by others (readiness gates, DisruptionTarget…)
// are kept; lastTransitionTime only moves when a condition's status does.
import type { KubeObject } from '../api/types.js';
import { containerID, imageID, normalizeImage } from './simulate.js';
import type { ContainerState, PodState, Terminated } from './types.js';
import { formatRFC3339 } from '../api/duration.js';

export const iso = formatRFC3339;

const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];

function terminatedJson(t: Terminated, id: string): any {
  return {
    terminated: {
      exitCode: t.exitCode, ...(t.signal ? { signal: t.signal } : {}), reason: t.reason, ...(t.message ? { message: t.message } : {}),
      startedAt: iso(t.startedAt), finishedAt: iso(t.finishedAt), containerID: id,
    },
  };
}

function containerStatus(ps: PodState, c: ContainerState, spec: any): any {
  // Instance n of a container is restart n; while waiting to restart, the last instance is still restart n.
  const id = c.created ? containerID(ps.uid, c.name, c.restarts) : undefined;
  let state: any;
  if (c.state === 'running') state = { running: { startedAt: iso(c.startedAt!) } };
  else if (c.state === 'terminated' && c.term) state = terminatedJson(c.term, id!);
  else state = { waiting: { reason: c.reason ?? 'ContainerCreating', ...(c.message ? { message: c.message } : {}) } };
  return {
    name: c.name,
    state,
    lastState: c.last ? terminatedJson(c.last, containerID(ps.uid, c.name, c.state === 'waiting' ? c.restarts : Math.max(0, c.restarts - 1))) : {},
    // An init container counts as ready once it completed; an ephemeral container never does.
    ready: c.ephemeral ? false : c.init && !c.sidecar ? c.state === 'terminated' && c.term?.exitCode === 0 : c.ready,
    restartCount: c.restarts,
    image: normalizeImage(spec?.image ?? ''),
    imageID: c.created ? imageID(spec?.image ?? '') : '',
    ...(id ? { containerID: id } : {}),
    started: c.state === 'running' && c.started,
  };
}

/** Pod phase from container states, following the kubelet's getPhase. */
export function podPhase(ps: PodState, spec: any): string {
  if (ps.done) return ps.done;
  const policy = spec?.restartPolicy ?? 'Always';
  const inits = ps.containers.filter((c) => c.init && !c.sidecar);
  if (inits.some((c) => !(c.state === 'terminated' && c.term?.exitCode === 0))) return 'Pending';
  const apps = ps.containers.filter((c) => !c.init && !c.ephemeral);
  let running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const c of apps) {
    if (c.state === 'running') running++;
    else if (c.state === 'terminated') { stopped++; if (c.term?.exitCode === 0) succeeded++; }
    else if (c.last) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === apps.length) {
    if (policy === 'Always') return 'Running';
    if (policy === 'OnFailure') return succeeded === stopped ? 'Succeeded' : 'Running';
    return succeeded === stopped ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}

function gateProblem(spec: any, conditions: any[]): string | undefined {
  for (const g of spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x?.type === g?.conditionType);
    if (!c) return `corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`;
    if (c.status !== 'True') return `the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`;
  }
  return undefined;
}

/** The status the kubelet would write now. */
export function buildStatus(ps: PodState, pod: KubeObject, hostIP: string | undefined, now: number): any {
  const spec = pod.spec ?? {};
  const prev = pod.status ?? {};
  const prevConds: any[] = prev.conditions ?? [];
  const phase = podPhase(ps, spec);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const specOf = (c: ContainerState) => (c.ephemeral ? spec.ephemeralContainers : c.init ? spec.initContainers : spec.containers)?.find((x: any) => x?.name === c.name);

  const cond = (type: string, ok: boolean, reason?: string, message?: string) => {
    const status = ok ? 'True' : 'False';
    const old = prevConds.find((c) => c.type === type);
    return {
      type, status, lastProbeTime: null,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : iso(now),
      ...(reason ? { reason } : {}), ...(message ? { message } : {}),
    };
  };
  const initsPending = ps.containers.filter((c) => c.init && !c.sidecar && !(c.state === 'terminated' && c.term?.exitCode === 0)).map((c) => c.name);
  const notReady = ps.containers.filter((c) => (!c.init || c.sidecar) && !c.ephemeral && !c.ready).map((c) => c.name);
  const list = (names: string[]) => `[${names.join(' ')}]`;
  const conditions: any[] = [];
  conditions.push(cond('PodReadyToStartContainers', ps.sandbox === 'ready' && !completed));
  conditions.push(initsPending.length ? cond('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: ${list(initsPending)}`) : cond('Initialized', true));
  let containersReady;
  if (completed) containersReady = cond('ContainersReady', false, 'PodCompleted');
  else containersReady = notReady.length ? cond('ContainersReady', false, 'ContainersNotReady', `containers with unready status: ${list(notReady)}`) : cond('ContainersReady', true);
  let ready;
  const gate = gateProblem(spec, prevConds);
  if (completed) ready = cond('Ready', false, 'PodCompleted');
  else if (notReady.length) ready = cond('Ready', false, 'ContainersNotReady', `containers with unready status: ${list(notReady)}`);
  else if (gate) ready = cond('Ready', false, 'ReadinessGatesNotReady', gate);
  else ready = cond('Ready', true);
  conditions.push(ready, containersReady);
  // PodScheduled (the scheduler's) and everyone else's conditions follow, untouched.
  for (const c of prevConds) if (!KUBELET_CONDITIONS.includes(c.type)) conditions.push(c);

  const initStatuses = ps.containers.filter((c) => c.init).map((c) => containerStatus(ps, c, specOf(c)));
  const ephemeralStatuses = ps.containers.filter((c) => c.ephemeral).map((c) => containerStatus(ps, c, specOf(c)));
  const appStatuses = ps.containers.filter((c) => !c.init && !c.ephemeral).map((c) => containerStatus(ps, c, specOf(c)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const status: any = {
    ...prev,
    phase,
    conditions,
    ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
    ...(ps.ip ? { podIP: ps.ip, podIPs: [{ ip: ps.ip }] } : {}),
    ...(ps.startTime ? { startTime: iso(ps.startTime) } : {}),
    containerStatuses: appStatuses,
  };
  if (ps.doneReason) { status.reason = ps.doneReason; status.message = ps.doneMessage; }
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  if (ephemeralStatuses.length) status.ephemeralContainerStatuses = ephemeralStatuses;
  else delete status.ephemeralContainerStatuses;
  return status;
}
