// One side of an order book: a price ladder (a typed array indexed by price) near the top, a map beyond it; the exchange's text kept per level.

/** Price units the ladder spans (per side, 128 KiB): BTCUSDT at 0.01 holds $327 of book in it. */
const LADDER = 1 << 15;
/** Room left above the best level when the ladder is placed, so the best can rise before a move. */
const HEADROOM = LADDER >> 2;
const EMPTY = -1;

/**
 * Levels by `key` (bids: price, asks: -price, both exact scaled integers), best = highest.
 * Levels from `base` to `base + LADDER - 1` live in a ladder: cell `key - base` holds the
 * level's slot, so finding, adding or removing a level is one array access, and the best is a
 * cell index that moves down to the next filled cell when the best level goes. Levels below the
 * ladder (far from the top; a Binance diff touches them as often as the top) live in a Map from
 * key to slot. Every far key is worse than every ladder key, so the best is in the ladder
 * whenever it holds a level; when a better price arrives above it, or it empties, the ladder is
 * placed again around the new best. The price and quantity text of a level stay where the
 * decoded record put them, in a slot pool: an update allocates nothing (save a far level whose
 * scaled price is not a small integer) and the text published is the exchange's own.
 */
export class BookSide {
  readonly isBid: boolean;
  #cells = new Int32Array(0);
  #base = 0;
  /** The best level's cell, EMPTY when the ladder holds none. */
  #top = EMPTY;
  #count = 0;
  readonly #far = new Map<number, number>();
  readonly #priceText: string[] = [];
  readonly #qtyText: string[] = [];
  #free = new Int32Array(256);
  #freeCount = 0;
  #scratch = new Float64Array(256);

  constructor(isBid: boolean) {
    this.isBid = isBid;
  }

  get size(): number {
    return this.#count + this.#far.size;
  }

  /** Sets the level at scaled `price` (removes it when `zero`); returns whether the side changed. */
  set(price: number, priceText: string, qtyText: string, zero: boolean): boolean {
    const key = this.isBid ? price : -price;
    const cells = this.#cells;
    const i = key - this.#base;
    if (i >= 0 && i < cells.length) {
      const slot = cells[i]!;
      if (slot !== EMPTY) {
        if (!zero) return this.#rewrite(slot, priceText, qtyText);
        cells[i] = EMPTY;
        this.#release(slot);
        this.#count--;
        if (i === this.#top) this.#topFrom(i - 1);
        return true;
      }
      if (zero) return false;
      cells[i] = this.#take(priceText, qtyText);
      this.#count++;
      if (i > this.#top) this.#top = i;
      return true;
    }
    if (i < 0 && this.#count > 0) return this.#setFar(key, priceText, qtyText, zero);
    // Above the ladder, or the ladder is empty: a level that is not here cannot be removed.
    if (zero) return i < 0 ? this.#setFar(key, priceText, qtyText, zero) : false;
    this.#place(this.#far.size > 0 ? Math.max(key, this.#farBest()) : key);
    return this.set(price, priceText, qtyText, zero);
  }

  #setFar(key: number, priceText: string, qtyText: string, zero: boolean): boolean {
    const far = this.#far;
    const slot = far.get(key);
    if (slot !== undefined) {
      if (!zero) return this.#rewrite(slot, priceText, qtyText);
      far.delete(key);
      this.#release(slot);
      return true;
    }
    if (zero) return false;
    far.set(key, this.#take(priceText, qtyText));
    return true;
  }

  /** The best cell at or below `from`; when the ladder empties, the best far levels move in. */
  #topFrom(from: number): void {
    const cells = this.#cells;
    let i = from;
    while (i >= 0 && cells[i] === EMPTY) i--;
    this.#top = i;
    if (i === EMPTY && this.#far.size > 0) this.#place(this.#farBest());
  }

  #farBest(): number {
    let best = Number.NEGATIVE_INFINITY;
    for (const key of this.#far.keys()) if (key > best) best = key;
    return best;
  }

  /** Places the ladder so that `best` sits HEADROOM below its top; levels move between it and the map. */
  #place(best: number): void {
    if (this.#cells.length === 0) this.#cells = new Int32Array(LADDER).fill(EMPTY);
    const cells = this.#cells;
    const far = this.#far;
    if (this.#count > 0)
      for (let i = 0; i < cells.length; i++) if (cells[i] !== EMPTY) far.set(this.#base + i, cells[i]!);
    cells.fill(EMPTY);
    this.#count = 0;
    this.#top = EMPTY;
    const base = best - (LADDER - HEADROOM);
    this.#base = base;
    for (const [key, slot] of far) {
      const i = key - base;
      if (i < 0 || i >= LADDER) continue;
      cells[i] = slot;
      far.delete(key);
      this.#count++;
      if (i > this.#top) this.#top = i;
    }
  }

  /** Empties the side, keeping its arrays. */
  clear(): void {
    if (this.#count > 0) {
      const cells = this.#cells;
      for (let i = 0; i < cells.length; i++)
        if (cells[i] !== EMPTY) {
          this.#release(cells[i]!);
          cells[i] = EMPTY;
        }
    }
    for (const slot of this.#far.values()) this.#release(slot);
    this.#far.clear();
    this.#count = 0;
    this.#top = EMPTY;
  }

  /** Keeps the best `depth` levels (Kraken keeps its book truncated to the subscribed depth). */
  truncate(depth: number): void {
    let drop = this.size - depth;
    if (drop <= 0) return;
    if (this.#far.size > 0) {
      const sorted = this.#farKeysAscending();
      const n = Math.min(drop, sorted.length);
      for (let i = 0; i < n; i++) {
        this.#release(this.#far.get(sorted[i]!)!);
        this.#far.delete(sorted[i]!);
      }
      drop -= n;
    }
    const cells = this.#cells;
    for (let i = 0; drop > 0 && i < cells.length; i++)
      if (cells[i] !== EMPTY) {
        this.#release(cells[i]!);
        cells[i] = EMPTY;
        this.#count--;
        drop--;
      }
    if (this.#count === 0) this.#top = EMPTY;
  }

  /** Scaled price of the best level; NaN when the side is empty. */
  bestPrice(): number {
    if (this.#top === EMPTY) return NaN;
    const key = this.#base + this.#top;
    return this.isBid ? key : -key;
  }

  /** The best level's price text; call only when the side is not empty. */
  bestPriceText(): string {
    return this.#priceText[this.#cells[this.#top]!]!;
  }

  /** The best level's quantity text; call only when the side is not empty. */
  bestQtyText(): string {
    return this.#qtyText[this.#cells[this.#top]!]!;
  }

  /** The best `depth` levels as [price, quantity] text, best first (allocates: for publishing). */
  levels(depth: number): [string, string][] {
    const out: [string, string][] = [];
    const cells = this.#cells;
    for (let i = this.#top; i >= 0 && out.length < depth; i--) {
      const slot = cells[i]!;
      if (slot !== EMPTY) out.push([this.#priceText[slot]!, this.#qtyText[slot]!]);
    }
    if (out.length < depth && this.#far.size > 0) {
      const sorted = this.#farKeysAscending();
      for (let i = sorted.length - 1; i >= 0 && out.length < depth; i--) {
        const slot = this.#far.get(sorted[i]!)!;
        out.push([this.#priceText[slot]!, this.#qtyText[slot]!]);
      }
    }
    return out;
  }

  /** Multiplies every key by `factor` (10^k): the book's price scale grew. False if a key would pass 2^53. */
  rescale(factor: number): boolean {
    const entries: [number, number][] = [];
    const cells = this.#cells;
    for (let i = 0; i < cells.length; i++) if (cells[i] !== EMPTY) entries.push([this.#base + i, cells[i]!]);
    for (const entry of this.#far) entries.push(entry);
    let max = 0;
    for (const [key] of entries) max = Math.max(max, Math.abs(key));
    if (max * factor > Number.MAX_SAFE_INTEGER) return false;
    cells.fill(EMPTY);
    this.#count = 0;
    this.#top = EMPTY;
    this.#far.clear();
    let best = Number.NEGATIVE_INFINITY;
    for (const [key, slot] of entries) {
      this.#far.set(key * factor, slot);
      best = Math.max(best, key * factor);
    }
    if (entries.length > 0) this.#place(best);
    return true;
  }

  /** The far keys sorted ascending, in a scratch array valid until the next call. */
  #farKeysAscending(): Float64Array {
    const n = this.#far.size;
    if (this.#scratch.length < n) this.#scratch = new Float64Array(n * 2);
    let i = 0;
    for (const key of this.#far.keys()) this.#scratch[i++] = key;
    return this.#scratch.subarray(0, n).sort();
  }

  /** A level's new text; false when it is what the level already had. */
  #rewrite(slot: number, priceText: string, qtyText: string): boolean {
    if (this.#qtyText[slot] === qtyText && this.#priceText[slot] === priceText) return false;
    this.#qtyText[slot] = qtyText;
    this.#priceText[slot] = priceText;
    return true;
  }

  /** A free slot holding this text (the pool grows only when none is free). */
  #take(priceText: string, qtyText: string): number {
    if (this.#freeCount > 0) {
      const slot = this.#free[--this.#freeCount]!;
      this.#priceText[slot] = priceText;
      this.#qtyText[slot] = qtyText;
      return slot;
    }
    this.#priceText.push(priceText);
    this.#qtyText.push(qtyText);
    return this.#priceText.length - 1;
  }

  #release(slot: number): void {
    if (this.#freeCount === this.#free.length) {
      const free = new Int32Array(this.#free.length * 2);
      free.set(this.#free);
      this.#free = free;
    }
    this.#free[this.#freeCount++] = slot;
    this.#priceText[slot] = '';
    this.#qtyText[slot] = '';
  }
}
