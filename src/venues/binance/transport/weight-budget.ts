// The REST request-weight budget of one Binance host: what this minute has used, and how long to wait before the next request.

const MINUTE_MS = 60_000;

export interface WeightBudgetOptions {
  /** Binance's request-weight limit per minute per IP. */
  readonly limitPerMinute: number;
  /** Fraction of the limit left unused (0.1 = stop at 90%), for other clients on the same IP and estimate error. */
  readonly safetyMargin: number;
  /**
   * How long after a local minute boundary this budget still counts the old minute. Binance counts
   * per server clock minute; a local clock a little ahead would otherwise send a burst of "new
   * minute" requests that the server still charges to the full old one.
   */
  readonly clockSlackMs?: number;
  readonly now?: () => number;
}

/** Answer of `WeightBudget.check`: send now, or wait this long and ask again. */
export type BudgetDecision =
  { readonly ok: true } | { readonly ok: false; readonly waitMs: number; readonly why: string };

export class WeightBudget {
  readonly limit: number;
  /** The most this client lets a minute use: `limit * (1 - safetyMargin)`. */
  readonly budget: number;
  readonly #slack: number;
  readonly #now: () => number;
  #window = -1;
  #used = 0;
  #blockedUntil = 0;
  #blockReason = '';
  #lastHeader: number | undefined;

  constructor(options: WeightBudgetOptions) {
    const { limitPerMinute, safetyMargin } = options;
    if (!Number.isInteger(limitPerMinute) || limitPerMinute <= 0) {
      throw new RangeError(`weightLimitPerMinute must be a positive integer, got ${limitPerMinute}`);
    }
    if (!(safetyMargin >= 0 && safetyMargin < 1)) {
      throw new RangeError(`safetyMargin must be within [0, 1), got ${safetyMargin}`);
    }
    this.limit = limitPerMinute;
    this.budget = Math.max(1, Math.floor(limitPerMinute * (1 - safetyMargin)));
    this.#slack = options.clockSlackMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Index of the minute `at` falls in, shifted by the clock slack. */
  windowOf(at: number = this.#now()): number {
    return Math.floor((at - this.#slack) / MINUTE_MS);
  }

  #roll(): void {
    const window = this.windowOf();
    if (window !== this.#window) {
      this.#window = window;
      this.#used = 0;
    }
  }

  /** Weight used in the current minute as far as this client knows (its own requests and Binance's header). */
  get used(): number {
    this.#roll();
    return this.#used;
  }

  /** The last X-MBX-USED-WEIGHT-1M value Binance sent, for metrics. */
  get lastReported(): number | undefined {
    return this.#lastHeader;
  }

  /** Until when (ms since the epoch) no request may be sent because Binance said so (429 Retry-After, 418 ban). */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /** Whether a request of `weight` may go now; the caller books it with `take` when it sends. */
  check(weight: number): BudgetDecision {
    const now = this.#now();
    if (now < this.#blockedUntil)
      return { ok: false, waitMs: this.#blockedUntil - now, why: this.#blockReason };
    this.#roll();
    // A request heavier than the whole budget still goes alone in an empty minute rather than never.
    if (this.#used === 0 || this.#used + weight <= this.budget) return { ok: true };
    const nextWindowAt = (this.#window + 1) * MINUTE_MS + this.#slack;
    return {
      ok: false,
      waitMs: Math.max(1, nextWindowAt - now),
      why: `weight ${this.#used} + ${weight} would exceed ${this.budget} of ${this.limit} this minute`,
    };
  }

  /** Books a request being sent now; returns the window it counts in, for `observe`. */
  take(weight: number): number {
    this.#roll();
    this.#used += weight;
    return this.#window;
  }

  /**
   * Takes Binance's X-MBX-USED-WEIGHT-1M from an answer to a request booked in `window`. The larger
   * of the two counts wins: the header sees other clients on the same IP (and this process's
   * previous life), the local count sees requests still in flight. A header from a request sent in
   * an earlier window says nothing about this one and is ignored.
   */
  observe(reported: number, window: number): void {
    this.#lastHeader = reported;
    this.#roll();
    if (window === this.#window && reported > this.#used) this.#used = reported;
  }

  /** Nothing goes to the host before `until` (ms since the epoch). */
  block(until: number, reason: string): void {
    if (until > this.#blockedUntil) {
      this.#blockedUntil = until;
      this.#blockReason = reason;
    }
  }
}
