// The scheduler's filters and scoring as pure functions (no I/O), in the
// order and with the messages of kube-scheduler v1.32's default plugins, so
// a FailedScheduling event reads the same as on a real cluster. The super
// node agent reuses them (and adds its own filters) to explain a Pending pod.
import type { KubeObject } from '../../api/types.js';
import { emptyResources, nodeAllocatable, podRequests, type Resources } from '../../api/resource.js';
import { podTolerates, type Taint } from '../../api/toleration.js';

/** A node plus what the pods already placed on it request. */
export interface NodeInfo {
  node: KubeObject;
  requested: Resources;
  /** Number of (non-terminal) pods on the node. */
  pods: number;
}

export const newNodeInfo = (node: KubeObject): NodeInfo => ({ node, requested: emptyResources(), pods: 0 });

/**
 * Unschedulable: may fit after preemption or when pods go away.
 * UnschedulableAndUnresolvable: preemption cannot help (taints, affinity, cordon).
 */
export type FilterCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface FilterResult {
  code: FilterCode;
  reasons: string[];
}

/** A filter plugin: returns undefined when the node passes. */
export type NodeFilter = (pod: KubeObject, info: NodeInfo, podReq: Resources) => FilterResult | undefined;

const SUCCESS: FilterResult = { code: 'Success', reasons: [] };
const unresolvable = (reason: string): FilterResult => ({ code: 'UnschedulableAndUnresolvable', reasons: [reason] });

export function readyCondition(node: KubeObject): string {
  return (node.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')?.status ?? 'Unknown';
}

/**
 * The node's taints, plus the one the node lifecycle controller would add for a
 * node that is not Ready (so a node is never picked in the window before it does).
 */
export function effectiveTaints(node: KubeObject): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const ready = readyCondition(node);
  if (ready !== 'True') {
    const key = ready === 'False' ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable';
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

// ---- the default filters, in kube-scheduler's order ----

export const nodeUnschedulable: NodeFilter = (pod, { node }) => {
  if (!node.spec?.unschedulable) return undefined;
  if (podTolerates(pod, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return undefined;
  return unresolvable('node(s) were unschedulable');
};

export const nodeName: NodeFilter = (pod, { node }) =>
  pod.spec?.nodeName && pod.spec.nodeName !== node.metadata.name ? unresolvable("node(s) didn't match the requested node name") : undefined;

export const taintToleration: NodeFilter = (pod, { node }) => {
  for (const taint of effectiveTaints(node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!podTolerates(pod, taint)) return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  }
  return undefined;
};

function matchExpression(e: any, value: string | undefined): boolean {
  const values: string[] = e?.values ?? [];
  switch (e?.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      return e.operator === 'Gt' ? BigInt(value) > BigInt(values[0]) : BigInt(value) < BigInt(values[0]);
    }
    default: return false;
  }
}

/** One NodeSelectorTerm: every expression and field must match; an empty term matches nothing. */
export function matchNodeSelectorTerm(term: any, node: KubeObject): boolean {
  const exprs: any[] = term?.matchExpressions ?? [];
  const fields: any[] = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  const label = (k: string) => (Object.prototype.hasOwnProperty.call(labels, k) ? labels[k] : undefined);
  return exprs.every((e) => matchExpression(e, label(e?.key)))
    && fields.every((f) => matchExpression(f, f?.key === 'metadata.name' ? node.metadata.name : undefined));
}

export const nodeAffinity: NodeFilter = (pod, { node }) => {
  const labels = node.metadata.labels ?? {};
  const sel: Record<string, string> = pod.spec?.nodeSelector ?? {};
  const fail = unresolvable("node(s) didn't match Pod's node affinity/selector");
  for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return fail;
  const terms: any[] | undefined = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => matchNodeSelectorTerm(t, node))) return fail;
  return undefined;
};

export const nodePorts: NodeFilter = () => undefined; // host ports are not modelled: every pod has its own "host".

export const nodeResourcesFit: NodeFilter = (_pod, info, req) => {
  const alloc = nodeAllocatable(info.node);
  const reasons: string[] = [];
  if (info.pods + 1 > alloc.pods) reasons.push('Too many pods');
  if (req.milliCpu > 0 && info.requested.milliCpu + req.milliCpu > alloc.milliCpu) reasons.push('Insufficient cpu');
  if (req.memory > 0 && info.requested.memory + req.memory > alloc.memory) reasons.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && info.requested.ephemeralStorage + req.ephemeralStorage > alloc.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
  for (const [k, v] of Object.entries(req.scalar ?? {})) {
    if (v > 0 && (info.requested.scalar?.[k] ?? 0) + v > (alloc.scalar?.[k] ?? 0)) reasons.push(`Insufficient ${k}`);
  }
  return reasons.length ? { code: 'Unschedulable', reasons } : undefined;
};

export const defaultFilters: NodeFilter[] = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit];

/** Runs the filters in order; the first failing one decides, as the scheduling framework does. */
export function runFilters(pod: KubeObject, info: NodeInfo, filters: NodeFilter[] = defaultFilters, req = podRequests(pod)): FilterResult {
  for (const f of filters) {
    const r = f(pod, info, req);
    if (r && r.code !== 'Success') return r;
  }
  return SUCCESS;
}

/** LeastAllocated: more free CPU and memory (after placing the pod) scores higher, 0..100. */
export function scoreNode(info: NodeInfo, req: Resources): number {
  const alloc = nodeAllocatable(info.node);
  const part = (used: number, cap: number) => (cap <= 0 ? 0 : Math.max(0, (cap - used) / cap));
  // Pods without requests count as 100m / 200Mi, as kube-scheduler's non-zero defaults do.
  const cpu = info.requested.milliCpu + (req.milliCpu || 100);
  const mem = info.requested.memory + (req.memory || 200 * 1024 * 1024);
  return Math.round(((part(cpu, alloc.milliCpu) + part(mem, alloc.memory)) / 2) * 100);
}

/**
 * The FailedScheduling message of kube-scheduler v1.32:
 * `0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.`
 * `failures` holds one result per node that did not pass.
 */
export function explainUnschedulable(pod: KubeObject, numNodes: number, failures: FilterResult[]): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const histogram = (counts: Map<string, number>) => [...counts].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
  const reasons = new Map<string, number>();
  for (const f of failures) for (const r of f.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  let msg = `0/${numNodes} nodes are available: ${histogram(reasons)}.`;
  if (pod.spec?.preemptionPolicy === 'Never') return `${msg} preemption: not eligible due to preemptionPolicy=Never.`;
  // nodeless does not preempt: nodes that could be helped by it have no lower-priority victims.
  const pre = new Map<string, number>();
  for (const f of failures) {
    const r = f.code === 'UnschedulableAndUnresolvable' ? 'Preemption is not helpful for scheduling' : 'No preemption victims found for incoming pod';
    pre.set(r, (pre.get(r) ?? 0) + 1);
  }
  msg += ` preemption: 0/${numNodes} nodes are available: ${histogram(pre)}.`;
  return msg;
}

/**
 * The FailedScheduling message when a PreFilter plugin refuses the pod outright (every node is
 * unresolvable for it): `0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.
 * preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`
 */
export function explainPreFilter(pod: KubeObject, numNodes: number, reason: string): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const msg = `0/${numNodes} nodes are available: ${reason}.`;
  if (pod.spec?.preemptionPolicy === 'Never') return `${msg} preemption: not eligible due to preemptionPolicy=Never.`;
  return `${msg} preemption: 0/${numNodes} nodes are available: ${numNodes} Preemption is not helpful for scheduling.`;
}

/** Filters `pod` against every node; returns the feasible nodes and the failures. */
export function filterNodes(pod: KubeObject, nodes: Iterable<NodeInfo>, filters: NodeFilter[] = defaultFilters): { feasible: NodeInfo[]; failures: FilterResult[]; total: number } {
  const req = podRequests(pod);
  const feasible: NodeInfo[] = [];
  const failures: FilterResult[] = [];
  let total = 0;
  for (const info of nodes) {
    total++;
    const r = runFilters(pod, info, filters, req);
    if (r.code === 'Success') feasible.push(info);
    else failures.push(r);
  }
  return { feasible, failures, total };
}
