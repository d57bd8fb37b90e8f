// Deep equality of JSON-like values without building their JSON: status
// writers compare what they computed with what is stored on every sync, and
// stringifying both sides was a noticeable share of a 10k-pod scale-up.

/**
 * Whether `x` and `y` would print as the same JSON, key order aside: a key
 * holding undefined counts as absent (as JSON.stringify drops it), and so does
 * one holding null when `nullAbsent` is set (Kubernetes' typed objects: kubectl
 * sends `creationTimestamp: null` in templates). Elsewhere undefined is null.
 */
export function sameValue(x: unknown, y: unknown, nullAbsent = false): boolean {
  if (x === y) return true;
  if (x === undefined) x = null; // what JSON would print in its place
  if (y === undefined) y = null;
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  const xa = Array.isArray(x);
  if (xa !== Array.isArray(y)) return false;
  if (xa) {
    const xs = x as unknown[], ys = y as unknown[];
    if (xs.length !== ys.length) return false;
    for (let i = 0; i < xs.length; i++) if (!sameValue(xs[i], ys[i], nullAbsent)) return false;
    return true;
  }
  const xo = x as Record<string, unknown>, yo = y as Record<string, unknown>;
  const absent = (v: unknown) => v === undefined || (nullAbsent && v === null);
  let nx = 0;
  for (const k in xo) {
    const v = xo[k];
    if (absent(v)) continue;
    nx++;
    const w = yo[k];
    if (absent(w) || !sameValue(v, w, nullAbsent)) return false;
  }
  let ny = 0;
  for (const k in yo) if (!absent(yo[k])) ny++;
  return nx === ny;
}
