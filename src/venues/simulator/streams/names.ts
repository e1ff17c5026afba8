// Stream names the simulator serves, parsed and checked the way Binance's stream servers check them.

import { type MarketKind } from '../model/instruments.ts';
import { FUTURES_INTERVALS, SPOT_INTERVALS } from '../../binance/intervals.ts';

export const StreamTypes = {
  TRADE: 'trade',
  AGG_TRADE: 'aggTrade',
  DEPTH: 'depth',
  KLINE: 'kline',
  BOOK_TICKER: 'bookTicker',
} as const;
export type StreamType = (typeof StreamTypes)[keyof typeof StreamTypes];

export interface StreamSpec {
  readonly name: string;
  readonly type: StreamType;
  /** Upper case, as in payloads. */
  readonly symbol: string;
  /** Diff depth update speed (ms) for `depth`; kline interval for `kline`. */
  readonly speedMs?: number;
  readonly interval?: string;
}

/** At most this many streams on one connection (both APIs). */
export const MAX_STREAMS_PER_CONNECTION = 1024;

// `@depth` alone is 1000 ms on spot and 250 ms on USD-M futures.
const DEPTH_SPEEDS: Readonly<Record<MarketKind, Readonly<Record<string, number>>>> = {
  spot: { '': 1000, '@100ms': 100, '@1000ms': 1000 },
  futures: { '': 250, '@100ms': 100, '@250ms': 250, '@500ms': 500 },
};
const KLINE_INTERVALS: Readonly<Record<MarketKind, readonly string[]>> = {
  spot: SPOT_INTERVALS,
  futures: FUTURES_INTERVALS,
};

/**
 * The stream behind a name, or undefined when Binance would call it an invalid stream. Symbols
 * must be listed and written in lower case; USD-M futures have no raw `@trade` stream.
 */
export function parseStream(
  kind: MarketKind,
  name: string,
  symbols: ReadonlySet<string>,
): StreamSpec | undefined {
  const at = name.indexOf('@');
  if (at <= 0) return undefined;
  const lower = name.slice(0, at);
  const symbol = lower.toUpperCase();
  if (lower !== symbol.toLowerCase() || lower === symbol || !symbols.has(symbol)) return undefined;
  const rest = name.slice(at + 1);
  if (rest === 'trade') return kind === 'spot' ? { name, type: StreamTypes.TRADE, symbol } : undefined;
  if (rest === 'aggTrade') return { name, type: StreamTypes.AGG_TRADE, symbol };
  if (rest === 'bookTicker') return { name, type: StreamTypes.BOOK_TICKER, symbol };
  if (rest.startsWith('depth')) {
    const speedMs = DEPTH_SPEEDS[kind][rest.slice('depth'.length)];
    return speedMs === undefined ? undefined : { name, type: StreamTypes.DEPTH, symbol, speedMs };
  }
  if (rest.startsWith('kline_')) {
    const interval = rest.slice('kline_'.length);
    return KLINE_INTERVALS[kind].includes(interval)
      ? { name, type: StreamTypes.KLINE, symbol, interval }
      : undefined;
  }
  return undefined;
}
