// Walks klines and aggTrades history page by page with no duplicate and no hole at page boundaries.

import { BinanceTransportError, TransportErrorCodes } from './errors.ts';
import { type AggTradeRow, type KlineRow, type RestResult } from './rest-bodies.ts';

export interface KlinesQuery {
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit?: number;
}

export interface AggTradesQuery {
  readonly fromId?: number;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit?: number;
}

/** Where an aggTrades walk starts: an aggregate trade id, or the first trade at or after a time. */
export type AggTradesStart = { readonly fromId: number } | { readonly startTime: number };

/** The two page requests a walk needs (BinanceRest provides them). */
export interface PageSource {
  klines(symbol: string, interval: string, query: KlinesQuery): Promise<RestResult<readonly KlineRow[]>>;
  aggTrades(symbol: string, query: AggTradesQuery): Promise<RestResult<readonly AggTradeRow[]>>;
}

// Binance refuses an aggTrades startTime/endTime window of an hour or more.
const AGG_WINDOW_MS = 60 * 60_000 - 1;

/**
 * Pages of klines with open times in [from, to]. Each next page starts 1 ms after the previous page's
 * last open time: Binance returns klines whose open time is >= startTime, so the next kline is the
 * first row of the next page (no duplicate) and nothing between is skipped (no hole), whatever the
 * interval's length (1M months differ). Stops at an empty or short page or past `to`.
 */
export async function* walkKlines(
  source: PageSource,
  symbol: string,
  interval: string,
  from: number,
  to: number,
  limit: number,
): AsyncGenerator<RestResult<readonly KlineRow[]>> {
  let cursor = from;
  while (cursor <= to) {
    const page = await source.klines(symbol, interval, { startTime: cursor, endTime: to, limit });
    const rows = page.json;
    const first = rows[0];
    if (first === undefined) return;
    if (first[0] < cursor)
      throw backwards(page.path, symbol, `kline open time ${first[0]} is before startTime ${cursor}`);
    yield page;
    const last = rows[rows.length - 1] as KlineRow;
    if (rows.length < limit) return;
    cursor = last[0] + 1;
  }
}

/**
 * Pages of aggregate trades from `start` on, each next page asked `fromId` = last id + 1, until a
 * page ends after `until` (trade time, ms, inclusive) or is short (the present is reached). From a
 * start time, the first trade is found with hour-long startTime/endTime windows (Binance's maximum),
 * then the walk continues by id alone: Binance advises against mixing fromId with times.
 */
export async function* walkAggTrades(
  source: PageSource,
  symbol: string,
  start: AggTradesStart,
  until: number | undefined,
  limit: number,
): AsyncGenerator<RestResult<readonly AggTradeRow[]>> {
  let fromId: number;
  if ('fromId' in start) {
    fromId = start.fromId;
  } else {
    const found = yield* findFirst(source, symbol, start.startTime, until, limit);
    if (found === undefined) return;
    fromId = found;
  }
  while (true) {
    const page = await source.aggTrades(symbol, { fromId, limit });
    const rows = page.json;
    const first = rows[0];
    if (first === undefined) return;
    if (first.a < fromId)
      throw backwards(page.path, symbol, `aggregate trade id ${first.a} is before fromId ${fromId}`);
    yield page;
    const last = rows[rows.length - 1] as AggTradeRow;
    if (rows.length < limit || (until !== undefined && last.T > until)) return;
    fromId = last.a + 1;
  }
}

/** Yields the first non-empty time-window page; returns the id after its last row, or undefined if none by `until`. */
async function* findFirst(
  source: PageSource,
  symbol: string,
  startTime: number,
  until: number | undefined,
  limit: number,
): AsyncGenerator<RestResult<readonly AggTradeRow[]>, number | undefined> {
  const stop = until ?? Date.now();
  for (let from = startTime; from <= stop; from += AGG_WINDOW_MS + 1) {
    const page = await source.aggTrades(symbol, { startTime: from, endTime: from + AGG_WINDOW_MS, limit });
    const last = page.json[page.json.length - 1];
    if (last === undefined) continue;
    yield page;
    // A short window page is not the end: trades after the window come by id from here on.
    return until !== undefined && last.T > until ? undefined : last.a + 1;
  }
  return undefined;
}

function backwards(path: string, symbol: string, what: string): BinanceTransportError {
  return new BinanceTransportError(TransportErrorCodes.BAD_RESPONSE, `${what}; refusing to page backwards`, {
    endpoint: path,
    symbol,
  });
}
