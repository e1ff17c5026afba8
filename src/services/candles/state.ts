// The candles service's per-instrument state: the working form (exact BigInt decimals) and the stored form (JSON text).

import { type Dec, formatDecimal, parseDecimal } from '../../contracts/decimal.ts';
import { type CandleInterval } from '../../contracts/schema/candles.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';

/** A candle that has trades and is not published as final yet. */
export interface OpenCandle {
  readonly openTime: number;
  open: Dec;
  /** Event time of the trade that set `open`: an earlier trade arriving within grace replaces it. */
  openAt: number;
  high: Dec;
  low: Dec;
  close: Dec;
  /** Event time of the trade that set `close`; equal times keep arrival order (the later arrival closes). */
  closeAt: number;
  /** Receive time of that trade: the candle's `localTimestamp`. */
  closeLocal: number;
  volume: Dec;
  quoteVolume: Dec;
  trades: number;
  takerBuyVolume: Dec;
  takerBuyQuoteVolume: Dec;
  /** Changed since the last interim update was sent; working state only, never stored. */
  touched: boolean;
}

/** One interval's candles of one instrument. */
export interface Series {
  readonly interval: CandleInterval;
  readonly size: number;
  /** Start of the oldest interval not yet published; every earlier one is final. -1 before the first trade. */
  next: number;
  /** Close of the last published candle: the price of flat candles. Null before the first candle closes. */
  prevClose: Dec | null;
  /** Candles with trades, ascending by openTime, all at or after `next`. */
  readonly open: OpenCandle[];
  /** Trades refused as late (their interval was already published), since the key's first trade. */
  late: number;
}

/** Everything the service keeps about one instrument (`exchange:symbol`). */
export interface KeyState {
  readonly exchange: Exchange;
  readonly symbol: string;
  /** Highest trade event time seen; the watermark is this minus the grace. -1 before the first trade. */
  maxEventTime: number;
  /** In the order of the service's configured intervals. */
  readonly series: Series[];
}

interface StoredCandle {
  readonly openTime: number;
  readonly open: string;
  readonly openAt: number;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly closeAt: number;
  readonly closeLocal: number;
  readonly volume: string;
  readonly quoteVolume: string;
  readonly trades: number;
  readonly takerBuyVolume: string;
  readonly takerBuyQuoteVolume: string;
}

interface StoredSeries {
  readonly next: number;
  readonly prevClose: string | null;
  readonly late: number;
  readonly open: readonly StoredCandle[];
}

/**
 * What goes into the store (and its changelog): plain JSON with decimals as text. Series are
 * by interval name, so a restart with other intervals keeps the ones it still has and starts
 * the new ones at their next trade.
 */
export interface StoredKeyState {
  readonly v: 1;
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly maxEventTime: number;
  readonly series: Readonly<Partial<Record<CandleInterval, StoredSeries>>>;
}

export function emptySeries(interval: CandleInterval, size: number): Series {
  return { interval, size, next: -1, prevClose: null, open: [], late: 0 };
}

export function toStored(state: KeyState): StoredKeyState {
  const series: Partial<Record<CandleInterval, StoredSeries>> = {};
  for (const s of state.series) {
    series[s.interval] = {
      next: s.next,
      prevClose: s.prevClose === null ? null : formatDecimal(s.prevClose),
      late: s.late,
      open: s.open.map((c) => ({
        openTime: c.openTime,
        open: formatDecimal(c.open),
        openAt: c.openAt,
        high: formatDecimal(c.high),
        low: formatDecimal(c.low),
        close: formatDecimal(c.close),
        closeAt: c.closeAt,
        closeLocal: c.closeLocal,
        volume: formatDecimal(c.volume),
        quoteVolume: formatDecimal(c.quoteVolume),
        trades: c.trades,
        takerBuyVolume: formatDecimal(c.takerBuyVolume),
        takerBuyQuoteVolume: formatDecimal(c.takerBuyQuoteVolume),
      })),
    };
  }
  return { v: 1, exchange: state.exchange, symbol: state.symbol, maxEventTime: state.maxEventTime, series };
}

/** The working state of `stored` for the configured intervals; a fresh one when nothing is stored. */
export function fromStored(
  stored: StoredKeyState | undefined,
  identity: { readonly exchange: Exchange; readonly symbol: string },
  intervals: readonly { readonly interval: CandleInterval; readonly size: number }[],
): KeyState {
  return {
    exchange: stored?.exchange ?? identity.exchange,
    symbol: stored?.symbol ?? identity.symbol,
    maxEventTime: stored?.maxEventTime ?? -1,
    series: intervals.map(({ interval, size }) => {
      const s = stored?.series[interval];
      if (!s) return emptySeries(interval, size);
      return {
        interval,
        size,
        next: s.next,
        prevClose: s.prevClose === null ? null : parseDecimal(s.prevClose),
        late: s.late,
        open: s.open.map((c) => ({
          openTime: c.openTime,
          open: parseDecimal(c.open),
          openAt: c.openAt,
          high: parseDecimal(c.high),
          low: parseDecimal(c.low),
          close: parseDecimal(c.close),
          closeAt: c.closeAt,
          closeLocal: c.closeLocal,
          volume: parseDecimal(c.volume),
          quoteVolume: parseDecimal(c.quoteVolume),
          trades: c.trades,
          takerBuyVolume: parseDecimal(c.takerBuyVolume),
          takerBuyQuoteVolume: parseDecimal(c.takerBuyQuoteVolume),
          touched: false,
        })),
      };
    }),
  };
}
