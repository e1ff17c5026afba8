// What the gateway keeps in memory: the latest market state per instrument (bounded) and what changed since the last frame.

import { type Alert } from '../../contracts/schema/alerts.ts';
import { type BookDepth, type BookTop } from '../../contracts/schema/book.ts';
import { type Candle, type CandleInterval } from '../../contracts/schema/candles.ts';
import { type QueueEvent } from '../../contracts/schema/control.ts';
import { type Trade } from '../../contracts/schema/trades.ts';

/** A candle as the page gets it: prices and volumes keep the exchange's exact decimal text. */
export interface WireCandle {
  readonly time: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
  readonly trades: number;
  readonly isFinal: boolean;
}

export interface WireTrade {
  readonly time: number;
  readonly price: string;
  readonly quantity: string;
  readonly side: 'buy' | 'sell';
  readonly id: string | null;
}

export function toWireCandle(c: Candle): WireCandle {
  return {
    time: c.openTime,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    trades: c.trades,
    isFinal: c.isFinal,
  };
}

export function toWireTrade(t: Trade): WireTrade {
  return {
    time: t.timestamp,
    price: t.price,
    quantity: t.quantity,
    side: t.aggressorSide,
    id: t.tradeId ?? null,
  };
}

/** The numbered items of a list the page shows (alerts, queue events): `n` lets it drop repeats. */
export interface Numbered<T> {
  readonly n: number;
  readonly value: T;
}

/**
 * A list kept for new pages (the last `keep` items) with a queue of items not yet sent in a
 * frame. Nothing leaves the queue unseen: when it overflows (a flood larger than frames can
 * carry), the oldest queued items are dropped and counted, and frames say how many.
 */
export class NumberedList<T> {
  readonly #keep: number;
  readonly #maxQueued: number;
  readonly #recent: Numbered<T>[] = [];
  #queued: Numbered<T>[] = [];
  #next = 1;
  dropped = 0;

  constructor(keep: number, maxQueued: number) {
    this.#keep = keep;
    this.#maxQueued = maxQueued;
  }

  push(value: T): void {
    const item = { n: this.#next++, value };
    this.#recent.push(item);
    if (this.#recent.length > this.#keep * 2) this.#recent.splice(0, this.#recent.length - this.#keep);
    this.#queued.push(item);
    if (this.#queued.length > this.#maxQueued) {
      const over = this.#queued.length - this.#maxQueued;
      this.#queued.splice(0, over);
      this.dropped += over;
    }
  }

  /** Up to `max` queued items, oldest first, taken off the queue. */
  take(max: number): Numbered<T>[] {
    if (this.#queued.length <= max) {
      const all = this.#queued;
      this.#queued = [];
      return all;
    }
    return this.#queued.splice(0, max);
  }

  get queued(): number {
    return this.#queued.length;
  }

  /** How many items were ever pushed. */
  get total(): number {
    return this.#next - 1;
  }

  recent(): Numbered<T>[] {
    return this.#recent.slice(-this.#keep);
  }
}

export interface Ticker {
  readonly instrument: string;
  readonly last: string | null;
  readonly bid: string | null;
  readonly ask: string | null;
  readonly trades: number;
  readonly updatedAt: number;
}

/** Counts of updates that were replaced by a newer one before any frame carried them. */
export interface ConflationCounts {
  top: number;
  depth: number;
  candles: number;
  trades: number;
}

export class InstrumentState {
  readonly key: string;
  top: BookTop | null = null;
  depth: BookDepth | null = null;
  lastPrice: string | null = null;
  tradesSeen = 0;
  updatedAt = 0;
  readonly #candles = new Map<CandleInterval, WireCandle[]>();
  readonly #trades: WireTrade[] = [];
  readonly #keepCandles: number;
  readonly #keepTrades: number;
  // What changed since the last frame.
  topChanged = false;
  depthChanged = false;
  readonly changedCandles = new Map<CandleInterval, Map<number, WireCandle>>();
  newTrades: WireTrade[] = [];

  constructor(key: string, keepCandles: number, keepTrades: number) {
    this.key = key;
    this.#keepCandles = keepCandles;
    this.#keepTrades = keepTrades;
  }

  setTop(top: BookTop, counts: ConflationCounts): void {
    if (this.topChanged) counts.top++;
    this.top = top;
    this.topChanged = true;
    this.updatedAt = Math.max(this.updatedAt, top.localTimestamp);
  }

  setDepth(depth: BookDepth, counts: ConflationCounts): void {
    if (this.depthChanged) counts.depth++;
    this.depth = depth;
    this.depthChanged = true;
  }

  addTrade(trade: Trade, maxPerFrame: number, counts: ConflationCounts): void {
    const wire = toWireTrade(trade);
    this.lastPrice = trade.price;
    this.tradesSeen++;
    this.updatedAt = Math.max(this.updatedAt, trade.localTimestamp);
    this.#trades.push(wire);
    if (this.#trades.length > this.#keepTrades * 2)
      this.#trades.splice(0, this.#trades.length - this.#keepTrades);
    this.newTrades.push(wire);
    // Only the newest trades of a frame go out: a tape cannot show hundreds a frame.
    if (this.newTrades.length > maxPerFrame * 2) {
      counts.trades += this.newTrades.length - maxPerFrame;
      this.newTrades = this.newTrades.slice(-maxPerFrame);
    }
  }

  /** Inserts or replaces (same open time) a candle, keeping them in open-time order. */
  addCandle(interval: CandleInterval, candle: Candle, counts: ConflationCounts): void {
    const wire = toWireCandle(candle);
    let list = this.#candles.get(interval);
    if (!list) this.#candles.set(interval, (list = []));
    let i = list.length;
    while (i > 0 && list[i - 1]!.time > wire.time) i--;
    if (i > 0 && list[i - 1]!.time === wire.time) list[i - 1] = wire;
    else list.splice(i, 0, wire);
    if (list.length > this.#keepCandles * 2) list.splice(0, list.length - this.#keepCandles);
    let changed = this.changedCandles.get(interval);
    if (!changed) this.changedCandles.set(interval, (changed = new Map()));
    if (changed.has(wire.time)) counts.candles++;
    changed.set(wire.time, wire);
  }

  candles(interval: CandleInterval): WireCandle[] {
    return (this.#candles.get(interval) ?? []).slice(-this.#keepCandles);
  }

  trades(): WireTrade[] {
    return this.#trades.slice(-this.#keepTrades);
  }

  ticker(): Ticker {
    return {
      instrument: this.key,
      last: this.lastPrice,
      bid: this.top?.bid?.[0] ?? null,
      ask: this.top?.ask?.[0] ?? null,
      trades: this.tradesSeen,
      updatedAt: this.updatedAt,
    };
  }

  /** After a frame: forgets what changed; trades beyond the frame's newest `maxPerFrame` are counted as conflated. */
  clearChanges(maxPerFrame: number, counts: ConflationCounts): void {
    this.topChanged = false;
    this.depthChanged = false;
    this.changedCandles.clear();
    if (this.newTrades.length > maxPerFrame) counts.trades += this.newTrades.length - maxPerFrame;
    if (this.newTrades.length > 0) this.newTrades = [];
  }
}

/** Instruments the gateway keeps state for; Binance lists ~3,000 spot symbols, the dashboard shows a few. */
export const MAX_INSTRUMENTS = 5000;

export class MarketState {
  readonly instruments = new Map<string, InstrumentState>();
  readonly alerts: NumberedList<Alert>;
  readonly events: NumberedList<QueueEvent>;
  readonly conflated: ConflationCounts = { top: 0, depth: 0, candles: 0, trades: 0 };
  /** A new instrument appeared since the tickers were last sent. */
  instrumentsChanged = false;
  readonly #keepCandles: number;
  readonly #maxTradesPerFrame: number;

  constructor(options: { candleHistory: number; listHistory: number; maxTradesPerFrame: number }) {
    this.#keepCandles = options.candleHistory;
    this.#maxTradesPerFrame = options.maxTradesPerFrame;
    this.alerts = new NumberedList(options.listHistory, options.listHistory * 50);
    this.events = new NumberedList(options.listHistory, options.listHistory * 50);
  }

  /** Instruments beyond MAX_INSTRUMENTS, whose records were not kept. */
  refusedInstruments = 0;

  instrument(exchange: string, symbol: string): InstrumentState {
    const key = `${exchange}:${symbol}`;
    let s = this.instruments.get(key);
    if (!s) {
      // Memory stays bounded whatever keys producers invent.
      if (this.instruments.size >= MAX_INSTRUMENTS) {
        this.refusedInstruments++;
        throw new Error(`more than ${MAX_INSTRUMENTS} instruments: ${key} is not shown`);
      }
      s = new InstrumentState(key, this.#keepCandles, 200);
      this.instruments.set(key, s);
      this.instrumentsChanged = true;
    }
    return s;
  }

  get maxTradesPerFrame(): number {
    return this.#maxTradesPerFrame;
  }

  tickers(): Ticker[] {
    return [...this.instruments.values()]
      .map((s) => s.ticker())
      .sort((a, b) => (a.instrument < b.instrument ? -1 : 1));
  }
}
