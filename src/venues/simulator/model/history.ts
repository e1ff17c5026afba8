// A bounded history (ring buffer) of records in time order, searchable by time, for the REST history endpoints.

export class History<T> {
  readonly #items: (T | undefined)[];
  #head = 0; // index of the oldest item
  #size = 0;

  constructor(capacity: number) {
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    const capacity = this.#items.length;
    this.#items[(this.#head + this.#size) % capacity] = item;
    if (this.#size < capacity) this.#size++;
    else this.#head = (this.#head + 1) % capacity;
  }

  /** The i-th oldest item still held (0 = oldest). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.#size) return undefined;
    return this.#items[(this.#head + i) % this.#items.length];
  }

  last(): T | undefined {
    return this.at(this.#size - 1);
  }

  /** Index of the first item for which `atOrAfter` holds; items must be ordered so that it flips once. */
  lowerBound(atOrAfter: (item: T) => boolean): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (atOrAfter(this.at(mid)!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Up to `limit` items from index `from` on. */
  slice(from: number, limit: number): T[] {
    const out: T[] = [];
    for (let i = Math.max(0, from); i < this.#size && out.length < limit; i++) out.push(this.at(i)!);
    return out;
  }
}
