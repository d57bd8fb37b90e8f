// From the metrics' proposal to the replica count the HPA sets, as
// kube-controller-manager's podautoscaler/horizontal.go normalizes it
// (docs/autoscaling.md, "Behavior"): without spec.behavior, the downscale
// stabilization window (5 min) and the legacy scale-up limit (double, at least
// 4); with it, the scale-up and scale-down stabilization windows, then the
// policies' rate limits over their periods (selectPolicy Max, Min or Disabled).
// Each HPA's recent recommendations and scale events are kept here; time is
// passed in (the controller's clock).

export interface Condition {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

interface Rules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }[];
}

export interface Behavior {
  scaleUp?: Rules;
  scaleDown?: Rules;
}

interface Recommendation { replicas: number; at: number }
interface ScaleEvent { change: number; at: number; outdated: boolean }

/** scaleUpLimitFactor and scaleUpLimitMinimum of the behaviour-less HPA. */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** Go's int32(float64) truncation toward zero. */
const int32 = (x: number) => Math.trunc(x);

export class Normalizer {
  private recommendations = new Map<string, Recommendation[]>();
  private upEvents = new Map<string, ScaleEvent[]>();
  private downEvents = new Map<string, ScaleEvent[]>();

  /** --horizontal-pod-autoscaler-downscale-stabilization (5m). */
  constructor(private downscaleStabilizationMs = 5 * 60_000) {}

  /** An HPA that is gone: its history goes with it. */
  forget(key: string): void {
    this.recommendations.delete(key);
    this.upEvents.delete(key);
    this.downEvents.delete(key);
  }

  /** recordInitialRecommendation: the current count is the first recommendation. */
  recordInitial(key: string, current: number, now: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: current, at: now }]);
  }

  /** Replaces the oldest sample past the cutoff, else appends. */
  private record(key: string, replicas: number, now: number, oldIndex: number | undefined): void {
    const list = this.recommendations.get(key) ?? [];
    if (oldIndex !== undefined) list[oldIndex] = { replicas, at: now };
    else list.push({ replicas, at: now });
    this.recommendations.set(key, list);
  }

  /** normalizeDesiredReplicas: the HPA without spec.behavior. */
  normalize(key: string, current: number, desired: number, min: number, max: number, now: number, set: (c: Condition) => void): number {
    // stabilizeRecommendation: the highest recommendation within the window.
    let highest = desired;
    let old: number | undefined;
    const cutoff = now - this.downscaleStabilizationMs;
    (this.recommendations.get(key) ?? []).forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > highest) highest = r.replicas;
    });
    this.record(key, desired, now, old);
    if (highest !== desired) set({ type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
    else set({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    // convertDesiredReplicasWithRules.
    const upLimit = int32(Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM));
    let maxAllowed: number;
    let reason: string;
    let message: string;
    if (max > upLimit) {
      maxAllowed = upLimit;
      [reason, message] = ['ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'];
    } else {
      maxAllowed = max;
      [reason, message] = ['TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    }
    let out = highest;
    if (highest < min) {
      out = min;
      [reason, message] = ['TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    } else if (highest > maxAllowed) out = maxAllowed;
    else [reason, message] = ['DesiredWithinRange', 'the desired count is within the acceptable range'];
    set({ type: 'ScalingLimited', status: out === highest ? 'False' : 'True', reason, message });
    return out;
  }

  /** normalizeDesiredReplicasWithBehaviors. */
  normalizeWithBehavior(key: string, behavior: Behavior, current: number, desired: number, min: number, max: number, now: number, set: (c: Condition) => void): number {
    const up = behavior.scaleUp ?? {};
    const down = behavior.scaleDown ?? {};
    // maybeInitScaleDownStabilizationWindow: the flag's window when the spec has none.
    const upWindow = (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downWindow = (down.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000) * 1000;
    // stabilizeRecommendationWithBehaviors.
    let upRec = desired;
    let downRec = desired;
    let old: number | undefined;
    const obsolete = now - Math.max(upWindow, downWindow);
    (this.recommendations.get(key) ?? []).forEach((r, i) => {
      if (r.at > now - upWindow) upRec = Math.min(r.replicas, upRec);
      if (r.at > now - downWindow) downRec = Math.max(r.replicas, downRec);
      if (r.at < obsolete) old = i;
    });
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    this.record(key, desired, now, old);
    if (stabilized !== desired) {
      set(desired >= current
        ? { type: 'AbleToScale', status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
    } else set({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    // convertDesiredReplicasWithBehaviorRate.
    const [out, reason, message] = this.rateLimit(key, up, down, current, stabilized, min, max, now);
    set({ type: 'ScalingLimited', status: out === stabilized ? 'False' : 'True', reason, message });
    return out;
  }

  private rateLimit(key: string, up: Rules, down: Rules, current: number, desired: number, min: number, max: number, now: number): [number, string, string] {
    const ups = this.upEvents.get(key) ?? [];
    const downs = this.downEvents.get(key) ?? [];
    if (desired > current) {
      let limit = scaleUpLimit(current, ups, downs, up, now);
      if (limit < current) limit = current;
      if (max > limit) {
        if (desired > limit) return [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'];
      } else if (desired > max) return [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    } else if (desired < current) {
      let limit = scaleDownLimit(current, ups, downs, down, now);
      if (limit > current) limit = current;
      if (min < limit) {
        if (desired < limit) return [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate'];
      } else if (desired < min) return [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    }
    return [desired, 'DesiredWithinRange', 'the desired count is within the acceptable range'];
  }

  /** storeScaleEvent: only for an HPA with behavior; an event past the longest policy period is reused. */
  storeScaleEvent(key: string, behavior: Behavior | undefined, prev: number, next: number, now: number): void {
    if (!behavior) return;
    const upward = next > prev;
    const rules = (upward ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const map = upward ? this.upEvents : this.downEvents;
    const list = map.get(key) ?? [];
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
    for (const e of list) if (e.at < now - longest * 1000) e.outdated = true;
    let old: number | undefined;
    list.forEach((e, i) => { if (e.outdated) old = i; });
    const ev = { change: Math.abs(next - prev), at: now, outdated: false };
    if (old !== undefined) list[old] = ev;
    else list.push(ev);
    map.set(key, list);
  }
}

/** getReplicasChangePerPeriod. */
function changeIn(periodSeconds: number, events: ScaleEvent[], now: number): number {
  let n = 0;
  for (const e of events) if (e.at > now - periodSeconds * 1000) n += e.change;
  return n;
}

/** calculateScaleUpLimitWithScalingRules. */
function scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Rules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const useMin = rules.selectPolicy === 'Min';
  let result = useMin ? INT32_MAX : INT32_MIN;
  for (const p of rules.policies ?? []) {
    const start = current - changeIn(p.periodSeconds, ups, now) + changeIn(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start + p.value : int32(Math.ceil(start * (1 + p.value / 100)));
    result = useMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
function scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Rules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const useMin = rules.selectPolicy === 'Min';
  let result = useMin ? INT32_MIN : INT32_MAX;
  for (const p of rules.policies ?? []) {
    const start = current - changeIn(p.periodSeconds, ups, now) + changeIn(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start - p.value : int32(start * (1 - p.value / 100));
    result = useMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
