// KeyFilter: a Bloom filter of the keys in the store, so a create can tell
// without a read that its key is new. Nearly every create is of a new key
// (generated pod names, event names), and the read it saves (a B-tree walk
// in SQLite) was a tenth of a create's cost. "Maybe present" falls back to
// the read, so the filter only ever has to be a superset: keys are added on
// every create and never removed (a deleted key costs a read, until the next
// rebuild).

import { fnv1a } from '../util/fnv.js';

const BITS_PER_KEY = 10; // with 7 probes: about 1 % false positives at capacity
const PROBES = 7;

export class KeyFilter {
  private bits: Uint32Array;
  private mask: number;
  private added = 0;

  /** Room for `capacity` keys at the intended false-positive rate. */
  constructor(readonly capacity: number) {
    let size = 1 << 16;
    while (size < capacity * BITS_PER_KEY) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** Past capacity, false positives climb: time to rebuild from the store's keys. */
  get full(): boolean {
    return this.added > this.capacity;
  }

  add(key: string): void {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < PROBES; i++) {
      const b = (h1 + i * h2) & this.mask;
      this.bits[b >>> 5] |= 1 << (b & 31);
    }
    this.added++;
  }

  /** False: the key was never added. True: it may have been. */
  mightHave(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < PROBES; i++) {
      const b = (h1 + i * h2) & this.mask;
      if ((this.bits[b >>> 5] & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }
}

const pair: [number, number] = [0, 0];

/** Two 32-bit hashes for double hashing: FNV-1a, and a murmur3 finalizer of it (odd, so probes differ). */
function hashes(key: string): [number, number] {
  const h = fnv1a(key);
  let g = h ^ (h >>> 16);
  g = Math.imul(g, 0x85ebca6b);
  g ^= g >>> 13;
  g = Math.imul(g, 0xc2b2ae35);
  g ^= g >>> 16;
  pair[0] = h >>> 0;
  pair[1] = (g | 1) >>> 0;
  return pair;
}
