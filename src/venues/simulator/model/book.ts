// A price-time order book side: price levels best-first, each a FIFO queue of resting order sizes (in lots).

export const Sides = { BID: 0, ASK: 1 } as const;
export type Side = (typeof Sides)[keyof typeof Sides];

export interface Level {
  readonly price: number;
  /** Sum of `orders`, kept so that depth answers do not re-add queues. */
  total: number;
  /** Resting orders oldest first; a fill takes from the front. */
  readonly orders: number[];
}

/** Called with the level's new total (0 when it is gone) after every change. */
export type LevelListener = (side: Side, price: number, total: number) => void;

export class BookSide {
  readonly side: Side;
  /** Prices in ticks, best first: descending for bids, ascending for asks. */
  readonly prices: number[] = [];
  readonly levels = new Map<number, Level>();
  #orders = 0;
  readonly #listener: LevelListener;

  constructor(side: Side, listener: LevelListener) {
    this.side = side;
    this.#listener = listener;
  }

  get orderCount(): number {
    return this.#orders;
  }

  get depth(): number {
    return this.prices.length;
  }

  best(): Level | undefined {
    const p = this.prices[0];
    return p === undefined ? undefined : this.levels.get(p);
  }

  /** `a` is strictly better than `b` on this side. */
  better(a: number, b: number): boolean {
    return this.side === Sides.BID ? a > b : a < b;
  }

  /** Queues a resting order at `price`, creating the level if needed. */
  add(price: number, lots: number): void {
    let level = this.levels.get(price);
    if (!level) {
      level = { price, total: 0, orders: [] };
      this.levels.set(price, level);
      this.prices.splice(this.#insertionIndex(price), 0, price);
    }
    level.orders.push(lots);
    level.total += lots;
    this.#orders++;
    this.#listener(this.side, price, level.total);
  }

  /** Cancels the `index`-th order of the level at `price`. */
  cancel(price: number, index: number): void {
    const level = this.levels.get(price);
    if (!level) return;
    const [lots] = level.orders.splice(index, 1);
    if (lots === undefined) return;
    level.total -= lots;
    this.#orders--;
    if (level.orders.length === 0) this.#drop(level);
    else this.#listener(this.side, price, level.total);
  }

  /** Removes a whole level (every order on it), as when the book is trimmed to its maximum depth. */
  removeLevel(price: number): void {
    const level = this.levels.get(price);
    if (!level) return;
    this.#orders -= level.orders.length;
    this.#drop(level);
  }

  /**
   * Takes up to `lots` from the front of the best level and reports each maker fill. Returns the
   * lots filled (less than asked only when the level runs out).
   */
  takeFromBest(lots: number, onFill: (price: number, lots: number) => void): number {
    const level = this.best();
    if (!level) return 0;
    let filled = 0;
    while (filled < lots && level.orders.length > 0) {
      const head = level.orders[0]!;
      const take = Math.min(head, lots - filled);
      onFill(level.price, take);
      filled += take;
      level.total -= take;
      if (take === head) {
        level.orders.shift();
        this.#orders--;
      } else level.orders[0] = head - take;
    }
    if (level.orders.length === 0) this.#drop(level);
    else this.#listener(this.side, level.price, level.total);
    return filled;
  }

  #drop(level: Level): void {
    this.levels.delete(level.price);
    this.prices.splice(this.#indexOf(level.price), 1);
    level.total = 0;
    this.#listener(this.side, level.price, 0);
  }

  #insertionIndex(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(this.prices[mid]!, price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #indexOf(price: number): number {
    const i = this.#insertionIndex(price);
    return this.prices[i] === price ? i : -1;
  }
}
