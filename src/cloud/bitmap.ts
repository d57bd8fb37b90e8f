// A bitmap of the addresses of one subnet with a next-free cursor. Finding a
// free address costs O(1) in the common case and at most a scan of a summary
// bitmap (one bit per 32 addresses) otherwise, so allocation cost stays flat
// from a /28 to a /16 instead of growing with the number of ENIs.

const FULL = 0xffffffff;

/** Lowest zero bit of a 32-bit word (word must not be FULL). */
function lowestZero(word: number): number {
  const inv = ~word;
  return 31 - Math.clz32(inv & -inv);
}

export class IpBitmap {
  private readonly words: Uint32Array;
  /** Bit w set ⇔ words[w] is full; lets the search skip 1024 addresses per summary word. */
  private readonly fullWords: Uint32Array;
  private cursor = 0;
  /** Number of set bits among the first `size` bits. */
  used = 0;

  constructor(readonly size: number) {
    const nWords = Math.ceil(size / 32);
    this.words = new Uint32Array(nWords);
    this.fullWords = new Uint32Array(Math.ceil(nWords / 32));
    // Bits past the end are permanently taken so the search never returns them.
    const tail = size % 32;
    if (tail !== 0) this.words[nWords - 1] = (FULL << tail) >>> 0;
    for (let w = nWords; w < this.fullWords.length * 32; w++) this.fullWords[w >>> 5] |= 1 << (w & 31);
    if (tail !== 0 && this.words[nWords - 1] === FULL) this.markFull(nWords - 1);
  }

  get free(): number {
    return this.size - this.used;
  }

  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Marks bit i taken; returns false if it already was. */
  set(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if (this.words[w] & bit) return false;
    this.words[w] = (this.words[w] | bit) >>> 0;
    this.used++;
    if (this.words[w] === FULL) this.markFull(w);
    return true;
  }

  /** Frees bit i; returns false if it was not taken. */
  clear(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if (!(this.words[w] & bit)) return false;
    this.words[w] = (this.words[w] & ~bit) >>> 0;
    this.used--;
    this.fullWords[w >>> 5] &= ~(1 << (w & 31));
    return true;
  }

  /**
   * The next free bit at or after the cursor, wrapping around (next-fit, so a
   * just-released address is not handed out again at once); -1 when full.
   * Does not take the bit: call set().
   */
  nextFree(): number {
    if (this.used >= this.size) return -1;
    const start = this.cursor < this.size ? this.cursor : 0;
    const w0 = start >>> 5;
    // Free bits of the cursor's word at or above the cursor.
    const above = ~this.words[w0] & (FULL << (start & 31));
    if (above !== 0) return this.take((w0 << 5) + (31 - Math.clz32(above & -above)));
    const w = this.nextNonFullWord(w0 + 1, this.words.length) ?? this.nextNonFullWord(0, w0 + 1);
    if (w === undefined) return -1;
    return this.take((w << 5) + lowestZero(this.words[w]));
  }

  private take(i: number): number {
    this.cursor = i + 1;
    return i;
  }

  private markFull(w: number): void {
    this.fullWords[w >>> 5] |= 1 << (w & 31);
  }

  /** First word index in [from, to) that is not full, via the summary bitmap. */
  private nextNonFullWord(from: number, to: number): number | undefined {
    for (let s = from >>> 5; s < this.fullWords.length && s << 5 < to; s++) {
      let free = ~this.fullWords[s];
      if (s === from >>> 5) free &= FULL << (from & 31);
      while (free !== 0) {
        const w = (s << 5) + (31 - Math.clz32(free & -free));
        if (w >= to) return undefined;
        if (w < this.words.length) return w;
        free &= free - 1;
      }
    }
    return undefined;
  }
}
