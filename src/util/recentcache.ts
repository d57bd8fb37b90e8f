// RecentCache: a bounded map that keeps what was used recently, for the
// store's read cache and the event correlator (client-go keeps an LRU in
// both places). It holds two generations: entries go into `young`; once
// young holds half the budget (entries or weight) it becomes `old` and the
// previous old generation is dropped; an old entry read again moves back
// into young. Every operation is O(1). A single Map trimmed from its front
// (the obvious LRU) is not: each delete leaves a hole that iteration from
// the front walks over until the table is rebuilt, and a hit costs a delete
// plus an insert.

export class RecentCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private youngWeight = 0;
  private oldWeight = 0;

  /**
   * @param maxEntries at most this many entries in all
   * @param maxWeight at most this much weight in all (e.g. bytes of JSON)
   * @param weigh the weight of a value (default 0: entries alone bound the cache)
   */
  constructor(private maxEntries: number, private maxWeight = Infinity, private weigh: (v: V) => number = () => 0) {}

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(k: string): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) this.set(k, o);
    return o;
  }

  set(k: string, v: V): void {
    if (this.maxEntries <= 0) return;
    this.delete(k);
    const w = this.weigh(v);
    if (w > this.maxWeight / 2) return; // too big to keep
    if (this.young.size + 1 > this.maxEntries / 2 || this.youngWeight + w > this.maxWeight / 2) {
      this.old = this.young;
      this.oldWeight = this.youngWeight;
      this.young = new Map();
      this.youngWeight = 0;
    }
    this.young.set(k, v);
    this.youngWeight += w;
  }

  delete(k: string): void {
    const y = this.young.get(k);
    if (y !== undefined) {
      this.young.delete(k);
      this.youngWeight -= this.weigh(y);
      return;
    }
    const o = this.old.get(k);
    if (o !== undefined) {
      this.old.delete(k);
      this.oldWeight -= this.weigh(o);
    }
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.youngWeight = this.oldWeight = 0;
  }
}
