// How an informer holds 100k objects in little memory: a decoded object has
// its own copy of every string and sub-object, while 10k pods of one
// Deployment differ only in a name, a uid and a few addresses. `compact`
// freezes an object and makes it share, with every object cached before it,
//   - short strings ("IfNotPresent", the image, a timestamp per second), and
//   - sub-objects that are usually equal across objects (containers,
//     tolerations, labels, ownerReferences, conditions …).
// Frozen, a shared piece cannot be changed through one object and show up in
// another: a component that edits a cached object in place throws instead.
//
// Both tables are bounded and start afresh when full: that costs sharing for
// what comes later, never correctness.

import { FNV_OFFSET, fnv1a, fnvStep } from '../../util/fnv.js';

/** Fields whose values repeat across the objects of one workload, for any kind. */
const SHARED_FIELDS = new Set([
  // A pod's whole spec is shared by the replicas on one node (a super node holds thousands).
  'containers', 'initContainers', 'ephemeralContainers', 'tolerations', 'volumes', 'securityContext', 'affinity',
  'nodeSelector', 'readinessGates', 'imagePullSecrets', 'dnsConfig', 'topologySpreadConstraints', 'resources',
  'labels', 'annotations', 'ownerReferences', 'finalizers', 'conditions', 'state', 'lastState',
  // A pod's hostIPs name its node, the same for every pod there (a hostNetwork pod on a super node is the exception).
  'hostIPs',
]);

/** Strings that are one object's own (interning them would only add a table entry each). */
const OWN_STRINGS = new Set(['uid', 'resourceVersion', 'podIP', 'ip', 'containerID']);

const strings = new Map<string, string>();
/** The last own string compact() kept, for the next equal one to share. */
let lastOwn: string | undefined;
// Long enough for image references with a digest (one per pod otherwise).
const STRING_MAX_LENGTH = 160;
const STRING_MAX_ENTRIES = 100_000;

/** The one instance of a short string that many objects hold (also used by the kubelet's disk model). */
export function intern(s: string): string {
  if (s.length > STRING_MAX_LENGTH) return s;
  const hit = strings.get(s);
  if (hit !== undefined) return hit;
  if (strings.size >= STRING_MAX_ENTRIES) strings.clear();
  strings.set(s, s);
  return s;
}

/** Shared sub-objects by a hash of their content (a hash, not the JSON: the table stays small when values are unique). */
const pieces = new Map<number, object[]>();
const PIECES_MAX_ENTRIES = 50_000;
const PIECE_MAX_JSON = 4096;

/**
 * FNV-1a (util/fnv.ts) over a value's keys and scalars, walking it in place (what
 * JSON.stringify would spell, without building the text: this runs for every
 * shared piece of every change). Returns -1 past PIECE_MAX_JSON characters: big
 * pieces are not shared.
 */
function hashValue(v: unknown): number {
  budget = PIECE_MAX_JSON;
  const h = mix(FNV_OFFSET, v);
  return budget < 0 ? -1 : h >>> 0;
}
let budget = 0;

function mixString(h: number, s: string): number {
  budget -= s.length + 2;
  return fnvStep(fnv1a(s, h), 0x22); // a closing quote: "ab","c" differs from "a","bc"
}

function mix(h: number, v: unknown): number {
  if (budget < 0) return h;
  switch (typeof v) {
    case 'string': return mixString(h, v);
    case 'number': return mixString(fnvStep(h, 0x23), String(v));
    case 'boolean': return fnvStep(h, v ? 0x74 : 0x66);
    case 'object':
      if (v === null) return fnvStep(h, 0x6e);
      if (Array.isArray(v)) {
        h = fnvStep(h, 0x5b);
        for (let i = 0; i < v.length; i++) h = mix(h, v[i]);
        return fnvStep(h, 0x5d);
      }
      h = fnvStep(h, 0x7b);
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        h = mix(mixString(h, k), x);
      }
      return fnvStep(h, 0x7d);
    default: return h;
  }
}

/** Key-order-sensitive equality without allocating (util/hash.ts's deepEqual stringifies both sides). */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    if (!equal((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]])) return false;
  }
  return true;
}

/** An equal piece seen before, or this one (now frozen and remembered). */
function share(o: object): object {
  const h = hashValue(o);
  if (h < 0) return o;
  const bucket = pieces.get(h);
  if (bucket) {
    for (const p of bucket) if (equal(p, o)) return p;
    bucket.push(o);
    return o;
  }
  if (pieces.size >= PIECES_MAX_ENTRIES) pieces.clear();
  pieces.set(h, [o]);
  return o;
}

/**
 * Freezes `o` in place, sharing its strings and common sub-objects; returns it
 * (or an equal shared piece). `prev`, the previous version of the same object,
 * is reused wherever nothing changed: an update of a pod's status then costs
 * a comparison of its spec, not a fresh round of sharing.
 */
export function compact<T>(o: T, prev?: unknown, field = ''): T {
  if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return o;
  const rec = o as Record<string, unknown>;
  const old = prev !== null && typeof prev === 'object' && Array.isArray(prev) === Array.isArray(o) ? (prev as Record<string, unknown>) : undefined;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    const pv = old?.[k];
    if (typeof v === 'string') {
      if (pv === v) rec[k] = pv;
      else if (!OWN_STRINGS.has(k) && !(k === 'name' && field === 'metadata')) rec[k] = intern(v);
      // An object's own strings repeat within it (a pod's podIP and podIPs[0].ip are one address).
      else if (v === lastOwn) rec[k] = lastOwn;
      else lastOwn = v;
    } else if (v !== null && typeof v === 'object') {
      if (pv !== undefined && Object.isFrozen(pv) && equal(v, pv)) rec[k] = pv;
      // Array elements are judged by the array's field: conditions[3] is a condition.
      else rec[k] = compact(v, pv, Array.isArray(o) ? field : k);
    }
  }
  Object.freeze(o);
  return (SHARED_FIELDS.has(field) ? share(o) : o) as T;
}
