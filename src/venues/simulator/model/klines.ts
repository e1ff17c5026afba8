// Klines (candlesticks) aggregated from a symbol's trades, one series per interval, with a bounded history.

import { intervalClose, intervalStart } from '../../binance/intervals.ts';
import { History } from './history.ts';
import { type Trade } from './trades.ts';

export interface Kline {
  readonly openTime: number;
  readonly closeTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume in lots; quote volume as ticks x lots (exact, may exceed 2^53). */
  volume: number;
  quote: bigint;
  trades: number;
  takerBuyVolume: number;
  takerBuyQuote: bigint;
  /** -1 while the kline has no trade. */
  firstId: number;
  lastId: number;
}

const HISTORY = 1500; // the largest `limit` either API accepts

/** One interval's klines: the open one and the closed ones, flat (at the last close) when nothing traded. */
export class KlineSeries {
  readonly interval: string;
  readonly #history = new History<Kline>(HISTORY);
  #current: Kline;

  constructor(interval: string, now: number, price: number) {
    this.interval = interval;
    this.#current = this.#flat(intervalStart(interval, now), price);
  }

  get current(): Kline {
    return this.#current;
  }

  /** Closes every kline that ended before `now`; returns them oldest first (usually none or one). */
  advanceTo(now: number): Kline[] {
    const closed: Kline[] = [];
    while (this.#current.closeTime < now) {
      const done = this.#current;
      this.#history.push(done);
      closed.push(done);
      this.#current = this.#flat(done.closeTime + 1, done.close);
    }
    return closed;
  }

  add(trade: Trade): void {
    const k = this.#current;
    const quote = BigInt(trade.price) * BigInt(trade.lots);
    if (k.trades === 0) {
      // The open of a kline is its first trade, not the previous close (as Binance's klines are).
      k.open = k.high = k.low = trade.price;
      k.firstId = trade.id;
    } else {
      if (trade.price > k.high) k.high = trade.price;
      if (trade.price < k.low) k.low = trade.price;
    }
    k.close = trade.price;
    k.volume += trade.lots;
    k.quote += quote;
    k.trades++;
    k.lastId = trade.id;
    if (!trade.buyerIsMaker) {
      k.takerBuyVolume += trade.lots;
      k.takerBuyQuote += quote;
    }
  }

  /**
   * Binance's selection: klines whose open time is within [startTime, endTime]; without a start,
   * the latest `limit` up to the end; with a start, the first `limit` from it. The open kline counts.
   */
  query(startTime: number | undefined, endTime: number | undefined, limit: number): Kline[] {
    const all: Kline[] = [];
    for (let i = 0; i < this.#history.size; i++) all.push(this.#history.at(i)!);
    all.push(this.#current);
    const inRange = all.filter(
      (k) =>
        (startTime === undefined || k.openTime >= startTime) &&
        (endTime === undefined || k.openTime <= endTime),
    );
    return startTime === undefined ? inRange.slice(-limit) : inRange.slice(0, limit);
  }

  #flat(openTime: number, price: number): Kline {
    return {
      openTime,
      closeTime: intervalClose(this.interval, openTime),
      open: price,
      high: price,
      low: price,
      close: price,
      volume: 0,
      quote: 0n,
      trades: 0,
      takerBuyVolume: 0,
      takerBuyQuote: 0n,
      firstId: -1,
      lastId: -1,
    };
  }
}
