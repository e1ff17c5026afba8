// Collects a book's level changes between two depth-diff publications (one collector per update speed).

import { Sides, type Side } from './book.ts';

/** What one `depthUpdate` carries: the changed levels at their new totals (0 = removed), in ticks and lots. */
export interface DepthDiff {
  /** First and last update id folded into it, and the last id of the previous diff of the same stream. */
  readonly firstId: number;
  readonly lastId: number;
  readonly previousLastId: number;
  /** Bids best (highest) first, asks best (lowest) first, as Binance orders them. */
  readonly bids: readonly (readonly [number, number])[];
  readonly asks: readonly (readonly [number, number])[];
}

export class DiffCollector {
  readonly intervalMs: number;
  #bids = new Map<number, number>();
  #asks = new Map<number, number>();
  #firstId = -1;
  #lastId = -1;
  #previousLastId: number;

  constructor(intervalMs: number, startId: number) {
    this.intervalMs = intervalMs;
    this.#previousLastId = startId;
  }

  record(side: Side, price: number, total: number, updateId: number): void {
    (side === Sides.BID ? this.#bids : this.#asks).set(price, total);
    if (this.#firstId < 0) this.#firstId = updateId;
    this.#lastId = updateId;
  }

  /** The diff since the last take, or undefined when nothing changed (Binance sends no empty diffs). */
  take(): DepthDiff | undefined {
    if (this.#firstId < 0) return undefined;
    const diff: DepthDiff = {
      firstId: this.#firstId,
      lastId: this.#lastId,
      previousLastId: this.#previousLastId,
      bids: [...this.#bids].sort((a, b) => b[0] - a[0]),
      asks: [...this.#asks].sort((a, b) => a[0] - b[0]),
    };
    this.#previousLastId = this.#lastId;
    this.#firstId = -1;
    this.#bids = new Map();
    this.#asks = new Map();
    return diff;
  }
}
