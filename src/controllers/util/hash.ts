// Stable hashing of templates: the pod-template-hash of Deployments and the
// controller-revision-hash of StatefulSets and DaemonSets.
import { sameValue } from '../../util/equal.js';

/**
 * JSON with object keys sorted, so equal objects always print the same.
 * Null fields count as absent, as they do in Kubernetes' typed objects
 * (kubectl sends `creationTimestamp: null` in templates).
 */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stableStringify(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}

/** Deep equality as by stable JSON (undefined and null fields ignored), without printing either side. */
export const deepEqual = (a: unknown, b: unknown): boolean => sameValue(a, b, true);

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// Kubernetes' rand.SafeEncodeString alphabet: no vowels (no words) and no 0/1/3 (confusable).
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** Like controller.ComputeHash: fnv32a of the template (and collision count), printed and safe-encoded. */
export function computeHash(template: unknown, collisionCount?: number): string {
  let s = stableStringify(template);
  if (collisionCount !== undefined && collisionCount !== null) s += `#${collisionCount}`;
  return safeEncodeString(String(fnv32a(s)));
}

/** Random name suffix as the API server's generateName makes it. */
export function randomSuffix(n = 5): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return out;
}
