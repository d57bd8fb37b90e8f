// Does a pod fit a node by labels and taints: nodeSelector, required node
// affinity (matchExpressions and matchFields), and taints vs tolerations.
// Used by the DaemonSet controller to decide where its pods should run.
import type { KubeObject } from '../../api/types.js';

export interface Taint { key: string; value?: string; effect: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string }

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint no toleration covers, if any. */
export function untoleratedTaint(node: KubeObject, tolerations: Toleration[]): Taint | undefined {
  for (const taint of (node.spec?.taints ?? []) as Taint[]) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}

function matchExpr(e: { key: string; operator: string; values?: string[] }, value: string | undefined): boolean {
  const vals = e.values ?? [];
  switch (e.operator) {
    case 'In': return value !== undefined && vals.includes(value);
    case 'NotIn': return value === undefined || !vals.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && /^-?\d+$/.test(value) && Number(value) > Number(vals[0]);
    case 'Lt': return value !== undefined && /^-?\d+$/.test(value) && Number(value) < Number(vals[0]);
    default: return false;
  }
}

/** A NodeSelectorTerm: all its expressions and fields must match; an empty term matches nothing. */
export function termMatches(term: any, node: KubeObject): boolean {
  const exprs: any[] = term?.matchExpressions ?? [];
  const fields: any[] = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  if (!exprs.every((e) => matchExpr(e, Object.prototype.hasOwnProperty.call(labels, e.key) ? labels[e.key] : undefined))) return false;
  return fields.every((f) => matchExpr(f, f.key === 'metadata.name' ? node.metadata.name : undefined));
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution node affinity. */
export function nodeMatchesPodSpec(spec: any, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries((spec?.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const terms: any[] | undefined = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => termMatches(t, node))) return false;
  return true;
}
