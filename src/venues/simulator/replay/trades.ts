// The REST history of a replay: klines and aggTrades built from the capture's trades as they are replayed.

import { parseFixed } from '../model/fixed.ts';
import { History } from '../model/history.ts';
import { type Instrument } from '../model/instruments.ts';
import { SPOT_INTERVALS } from '../../binance/intervals.ts';
import { KlineSeries } from '../model/klines.ts';
import { AggregationRules, AggTradeBuilder, type AggTrade, type Trade } from '../model/trades.ts';

const SCALE = 8; // spot writes prices and quantities with 8 decimals

interface RawTrade {
  readonly t: number;
  readonly p: string;
  readonly q: string;
  readonly T: number;
  readonly m: boolean;
}

/**
 * Prices and quantities are kept in units of 10^-8 (the capture's own precision), so the text a
 * kline or aggTrade carries is exactly the capture's. Fills of one taker order are not marked in a
 * trade stream; consecutive trades with the same time, price and side are taken as one.
 */
export class ReplayTrades {
  readonly unit: Instrument;
  readonly klines = new Map<string, KlineSeries>();
  readonly aggHistory = new History<AggTrade>(200_000);
  readonly #aggs: AggTradeBuilder;
  #lastKey = '';
  #taker = 0;

  constructor(unit: Instrument) {
    this.unit = unit;
    this.#aggs = new AggTradeBuilder(AggregationRules.TAKER, 1, (a) => this.aggHistory.push(a));
  }

  /** Feeds one `trade` event payload (already parsed). */
  add(raw: RawTrade): void {
    const trade: Trade = {
      id: raw.t,
      price: parseFixed(raw.p, SCALE),
      lots: parseFixed(raw.q, SCALE),
      time: raw.T,
      buyerIsMaker: raw.m,
    };
    if (this.klines.size === 0)
      for (const i of SPOT_INTERVALS) this.klines.set(i, new KlineSeries(i, trade.time, trade.price));
    const key = `${raw.T}|${raw.p}|${raw.m}`;
    if (key !== this.#lastKey) {
      this.#aggs.takerDone();
      this.#taker++;
      this.#lastKey = key;
    }
    for (const series of this.klines.values()) {
      series.advanceTo(trade.time);
      series.add(trade);
    }
    this.#aggs.add(trade, this.#taker);
  }

  /** The capture is over: the last aggregate trade is final. */
  finish(): void {
    this.#aggs.flush();
  }
}

export function isTradePayload(value: unknown): value is RawTrade {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v['e'] === 'trade' &&
    typeof v['t'] === 'number' &&
    typeof v['p'] === 'string' &&
    typeof v['q'] === 'string' &&
    typeof v['T'] === 'number' &&
    typeof v['m'] === 'boolean'
  );
}
