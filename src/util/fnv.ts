// FNV-1a, 32-bit, over a string's UTF-16 code units: the hash for in-memory
// tables (client/cache/compact.ts's shared pieces, the store's key filter). It allocates
// nothing. Hashes that must match Kubernetes (pod-template-hash) run over
// UTF-8 bytes instead: controllers/util/hash.ts.

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** One step: mixes one code unit (or any 16-bit tag) into `h`. */
export const fnvStep = (h: number, unit: number): number => Math.imul(h ^ unit, FNV_PRIME);

/** Mixes every code unit of `s` into `h` (a fresh hash by default). Not reduced to unsigned: `>>> 0` when a key is needed. */
export function fnv1a(s: string, h = FNV_OFFSET): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}
