// IntOrString values (maxSurge, maxUnavailable, minAvailable): an int, or a
// percentage of a total rounded the way Kubernetes rounds for that field.

/** The absolute value of `v` against `total`; percentages round up or down as asked. */
export function scaledValue(v: number | string | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v.trim());
  if (!m) {
    if (/^-?\d+$/.test(v.trim())) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: ${JSON.stringify(v)}`);
  }
  const pct = Number(m[1]);
  return roundUp ? Math.ceil((pct * total) / 100) : Math.floor((pct * total) / 100);
}

export const isPercent = (v: unknown): boolean => typeof v === 'string' && v.trim().endsWith('%');

/**
 * maxSurge rounds up and maxUnavailable rounds down; if both come out 0,
 * maxUnavailable is 1 so a rollout can always make progress (ResolveFenceposts).
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}
