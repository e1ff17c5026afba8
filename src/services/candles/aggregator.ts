// Event-time OHLCV aggregation of one instrument's trades: fold, watermark, close, flat candles. Pure logic, no bus.

import { addDecimal, compareDecimal, type Dec, formatDecimal, ZERO } from '../../contracts/decimal.ts';
import { type Candle } from '../../contracts/schema/candles.ts';
import { type KeyState, type OpenCandle, type Series } from './state.ts';
import { type TradeFacts } from './trade.ts';

export interface AggregatorOptions {
  /** How long after an interval's end (in event time) its late trades are still folded in. */
  readonly graceMs: number;
  /** Most flat candles one series publishes for one gap; the rest of the gap is skipped and reported. */
  readonly maxFlatCandles: number;
}

/** Where the aggregator's results go, in the order they happen. */
export interface AggregatorSink {
  /** A final candle: one with trades, or a flat one at the previous close. */
  closed(series: Series, candle: Candle): void;
  /** A trade whose interval of `series` was already published: not folded into that series. */
  late(series: Series, trade: TradeFacts): void;
  /** `count` empty intervals from `from` (inclusive) to `to` (exclusive) published no flat candle (the cap). */
  skipped(series: Series, from: number, to: number, count: number): void;
}

/**
 * Folds one trade into every series of its instrument, then publishes what the new watermark
 * closes. Per series, a trade is late when its interval was already published; it is then
 * counted and reported, not folded, but still folded into the longer intervals it is in time
 * for (a 1s candle may be final while its 1m candle is still open).
 */
export function addTrade(
  state: KeyState,
  trade: TradeFacts,
  options: AggregatorOptions,
  sink: AggregatorSink,
): void {
  if (trade.time > state.maxEventTime) state.maxEventTime = trade.time;
  const watermark = state.maxEventTime - options.graceMs;
  for (const series of state.series) {
    const start = floorTo(trade.time, series.size);
    // The first trade opens the series where its watermark stands, not at its own interval: a
    // trade arriving next within grace may belong to an earlier interval, which is still open.
    if (series.next < 0) series.next = Math.min(start, floorTo(Math.max(0, watermark), series.size));
    if (start < series.next) {
      series.late++;
      sink.late(series, trade);
    } else fold(series, start, trade);
    closeThrough(state, series, watermark, options, sink);
  }
}

function floorTo(time: number, size: number): number {
  return time - (time % size);
}

function fold(series: Series, start: number, t: TradeFacts): void {
  const open = series.open;
  let i = open.length - 1;
  while (i >= 0 && open[i]!.openTime > start) i--;
  const candle = i >= 0 && open[i]!.openTime === start ? open[i]! : undefined;
  if (!candle) {
    open.splice(i + 1, 0, {
      openTime: start,
      open: t.price,
      openAt: t.time,
      high: t.price,
      low: t.price,
      close: t.price,
      closeAt: t.time,
      closeLocal: t.local,
      volume: t.quantity,
      quoteVolume: t.quote,
      trades: 1,
      takerBuyVolume: t.takerBuy ? t.quantity : ZERO,
      takerBuyQuoteVolume: t.takerBuy ? t.quote : ZERO,
      touched: true,
    });
    return;
  }
  candle.trades++;
  candle.volume = addDecimal(candle.volume, t.quantity);
  candle.quoteVolume = addDecimal(candle.quoteVolume, t.quote);
  if (t.takerBuy) {
    candle.takerBuyVolume = addDecimal(candle.takerBuyVolume, t.quantity);
    candle.takerBuyQuoteVolume = addDecimal(candle.takerBuyQuoteVolume, t.quote);
  }
  if (compareDecimal(t.price, candle.high) > 0) candle.high = t.price;
  if (compareDecimal(t.price, candle.low) < 0) candle.low = t.price;
  // Open and close go by event time, not arrival: a trade folded in within grace may be earlier.
  if (t.time < candle.openAt) {
    candle.open = t.price;
    candle.openAt = t.time;
  }
  if (t.time >= candle.closeAt) {
    candle.close = t.price;
    candle.closeAt = t.time;
    candle.closeLocal = t.local;
  }
  candle.touched = true;
}

/** Publishes every interval of `series` that ends at or before `watermark`, oldest first. */
function closeThrough(
  state: KeyState,
  series: Series,
  watermark: number,
  options: AggregatorOptions,
  sink: AggregatorSink,
): void {
  const size = series.size;
  while (series.next + size <= watermark) {
    const first = series.open[0];
    if (first !== undefined && first.openTime === series.next) {
      series.open.shift();
      first.touched = false;
      series.prevClose = first.close;
      sink.closed(series, candleOf(state, series, first, true));
      series.next += size;
      continue;
    }
    // Empty intervals up to the next candle with trades, or to the last one the watermark closes.
    const closable = floorTo(watermark, size);
    const gapEnd = first === undefined ? closable : Math.min(first.openTime, closable);
    const count = (gapEnd - series.next) / size;
    // Before the instrument's first candle there is no previous close to repeat.
    if (series.prevClose !== null) {
      const flats = Math.min(count, options.maxFlatCandles);
      for (let n = 0; n < flats; n++)
        sink.closed(series, flatCandle(state, series, series.next + n * size, series.prevClose));
      if (count > flats) sink.skipped(series, series.next + flats * size, gapEnd, count - flats);
    }
    series.next = gapEnd;
  }
}

/** The published form of a candle with trades. */
export function candleOf(state: KeyState, series: Series, c: OpenCandle, isFinal: boolean): Candle {
  return {
    exchange: state.exchange,
    symbol: state.symbol,
    timestamp: c.closeAt,
    localTimestamp: c.closeLocal,
    interval: series.interval,
    openTime: c.openTime,
    closeTime: c.openTime + series.size - 1,
    open: formatDecimal(c.open),
    high: formatDecimal(c.high),
    low: formatDecimal(c.low),
    close: formatDecimal(c.close),
    volume: formatDecimal(c.volume),
    quoteVolume: formatDecimal(c.quoteVolume),
    trades: c.trades,
    takerBuyVolume: formatDecimal(c.takerBuyVolume),
    takerBuyQuoteVolume: formatDecimal(c.takerBuyQuoteVolume),
    isFinal,
  };
}

/** An interval without trades: flat at the previous close, every sum "0", timed at the interval's last ms. */
export function flatCandle(state: KeyState, series: Series, openTime: number, price: Dec): Candle {
  const text = formatDecimal(price);
  const closeTime = openTime + series.size - 1;
  return {
    exchange: state.exchange,
    symbol: state.symbol,
    timestamp: closeTime,
    localTimestamp: closeTime,
    interval: series.interval,
    openTime,
    closeTime,
    open: text,
    high: text,
    low: text,
    close: text,
    volume: '0',
    quoteVolume: '0',
    trades: 0,
    takerBuyVolume: '0',
    takerBuyQuoteVolume: '0',
    isFinal: true,
  };
}

/** Interim (isFinal false) updates of the still-open candles changed since the last call; clears the marks. */
export function interimUpdates(state: KeyState, emit: (series: Series, candle: Candle) => void): void {
  for (const series of state.series)
    for (const c of series.open)
      if (c.touched) {
        c.touched = false;
        emit(series, candleOf(state, series, c, false));
      }
}
