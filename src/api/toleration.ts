// Taints and tolerations: the types and the matching rule of
// k8s.io/api/core/v1 (Toleration.ToleratesTaint), shared by the scheduler,
// the node lifecycle controller and the node agent that sets its own taints.
import type { KubeObject } from './types.js';

export interface Taint { key: string; value?: string; effect: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

export const podTolerates = (pod: KubeObject, taint: Taint): boolean =>
  ((pod.spec?.tolerations ?? []) as Toleration[]).some((t) => t && tolerates(t, taint));
