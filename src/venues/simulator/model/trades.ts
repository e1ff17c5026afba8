// Trades and aggregate trades as the matching engine makes them, and the rule that groups fills into aggTrades.

export interface Trade {
  /** Contiguous per symbol. */
  readonly id: number;
  readonly price: number;
  readonly lots: number;
  readonly time: number;
  /** Binance's `m`: true when the taker sold (the buyer's order was resting). */
  readonly buyerIsMaker: boolean;
}

export interface AggTrade {
  readonly id: number;
  readonly price: number;
  lots: number;
  readonly firstId: number;
  lastId: number;
  /** Time of its first fill. */
  readonly time: number;
  readonly buyerIsMaker: boolean;
}

export const AggregationRules = {
  /** Spot: the fills of one taker order at one price. */
  TAKER: 'taker',
  /** USD-M futures: consecutive fills with the same price and taker side within a 100 ms window. */
  WINDOW: 'window',
} as const;
export type AggregationRule = (typeof AggregationRules)[keyof typeof AggregationRules];

const WINDOW_MS = 100;

/** Groups a symbol's fills into aggregate trades, handing each one over when it can no longer grow. */
export class AggTradeBuilder {
  readonly #rule: AggregationRule;
  readonly #emit: (agg: AggTrade) => void;
  /** Windows are counted from here (the engine's start), so the same seed groups fills the same way. */
  readonly #origin: number;
  #nextId: number;
  #open: AggTrade | undefined;
  #openTaker = -1;

  constructor(rule: AggregationRule, firstId: number, emit: (agg: AggTrade) => void, origin = 0) {
    this.#rule = rule;
    this.#origin = origin;
    this.#nextId = firstId;
    this.#emit = emit;
  }

  add(trade: Trade, takerOrder: number): void {
    const open = this.#open;
    if (open && this.#extends(open, trade, takerOrder)) {
      open.lots += trade.lots;
      open.lastId = trade.id;
      return;
    }
    this.flush();
    this.#open = {
      id: this.#nextId++,
      price: trade.price,
      lots: trade.lots,
      firstId: trade.id,
      lastId: trade.id,
      time: trade.time,
      buyerIsMaker: trade.buyerIsMaker,
    };
    this.#openTaker = takerOrder;
  }

  /** The taker order is done (spot closes its aggregate here). */
  takerDone(): void {
    if (this.#rule === AggregationRules.TAKER) this.flush();
  }

  /** Time has reached `now`: a futures aggregate whose window is over is closed. */
  advanceTo(now: number): void {
    const open = this.#open;
    if (open && this.#rule === AggregationRules.WINDOW && this.#window(now) > this.#window(open.time))
      this.flush();
  }

  flush(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    this.#emit(open);
  }

  #extends(open: AggTrade, trade: Trade, takerOrder: number): boolean {
    if (open.price !== trade.price || open.buyerIsMaker !== trade.buyerIsMaker) return false;
    return this.#rule === AggregationRules.TAKER
      ? takerOrder === this.#openTaker
      : this.#window(open.time) === this.#window(trade.time);
  }

  #window(time: number): number {
    return Math.floor((time - this.#origin) / WINDOW_MS);
  }
}
