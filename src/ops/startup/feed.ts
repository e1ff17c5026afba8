// Watches the gateway's feed as the dashboard page does and resolves once it carries plausible candles, book levels and trades.

import WebSocket from 'ws';
import { compareDecimal, type Dec, parseDecimal, signDecimal } from '../../contracts/decimal.ts';
import { type BookDepth, type BookTop } from '../../contracts/schema/book.ts';
import { type CandleInterval } from '../../contracts/schema/candles.ts';
import { type WireCandle, type WireTrade } from '../../services/gateway/state.ts';

/** The feed carried a value no market can have: the probe stops at the first one. */
export class ImplausibleDataError extends Error {
  readonly code = 'IMPLAUSIBLE_DATA';
  readonly canRetry = false;
}

/** The feed did not carry every kind in time, or could not be read. */
export class FeedProbeError extends Error {
  readonly code = 'NO_LIVE_DATA';
  readonly canRetry = false;
}

export const FeedKinds = { CANDLES: 'candles', BOOK: 'book', TRADES: 'trades' } as const;
export type FeedKind = (typeof FeedKinds)[keyof typeof FeedKinds];

export interface LiveFeed {
  /** The instrument the probe watched: the first of the gateway's tickers, as the page picks it. */
  readonly instrument: string;
  readonly interval: CandleInterval;
  /** performance.now() when each kind first arrived with plausible values. */
  readonly firstAt: Readonly<Record<FeedKind, number>>;
  /** The newest of each kind when the last one arrived. */
  readonly candle: WireCandle;
  readonly depth: BookDepth;
  readonly trade: WireTrade;
  /** How many of each the probe checked, book tops included. */
  readonly checked: {
    readonly candles: number;
    readonly depths: number;
    readonly tops: number;
    readonly trades: number;
  };
}

interface FeedMessage {
  readonly t: 'snapshot' | 'frame' | 'error';
  readonly seq: number;
  readonly instrument?: string | null;
  readonly message?: string;
  readonly m?: {
    readonly candles?: readonly WireCandle[];
    readonly top?: BookTop | null;
    readonly depth?: BookDepth | null;
    readonly trades?: readonly WireTrade[];
  } | null;
  readonly g?: { readonly tickers?: ReadonlyArray<{ readonly instrument: string }> } | null;
}

function implausible(what: string, value: unknown, why: string): never {
  throw new ImplausibleDataError(`${what} ${JSON.stringify(value)}: ${why}`);
}

/** Exact decimal text greater than zero (prices, trade quantities, book sizes). */
function positive(what: string, text: unknown): Dec {
  if (typeof text !== 'string') implausible(what, text, 'not decimal text');
  let value: Dec;
  try {
    value = parseDecimal(text);
  } catch (error) {
    implausible(what, text, (error as Error).message);
  }
  if (signDecimal(value) <= 0) implausible(what, text, 'not greater than zero');
  return value;
}

export function checkCandle(c: WireCandle): void {
  const open = positive('candle open', c.open);
  const high = positive('candle high', c.high);
  const low = positive('candle low', c.low);
  const close = positive('candle close', c.close);
  let volume: Dec;
  try {
    volume = parseDecimal(c.volume);
  } catch (error) {
    implausible('candle volume', c.volume, (error as Error).message);
  }
  if (signDecimal(volume) < 0) implausible('candle volume', c.volume, 'negative');
  if (compareDecimal(high, low) < 0) implausible('candle', c, 'high below low');
  for (const [name, p] of [
    ['open', open],
    ['close', close],
  ] as const)
    if (compareDecimal(p, high) > 0 || compareDecimal(p, low) < 0)
      implausible('candle', c, `${name} outside [low, high]`);
  if (!Number.isSafeInteger(c.time) || c.time <= 0) implausible('candle time', c.time, 'not a time');
}

export function checkTop(top: BookTop): void {
  const bid = top.bid === null ? null : positive('best bid', top.bid[0]);
  const ask = top.ask === null ? null : positive('best ask', top.ask[0]);
  if (top.bid) positive('best bid size', top.bid[1]);
  if (top.ask) positive('best ask size', top.ask[1]);
  if (bid && ask && compareDecimal(bid, ask) >= 0)
    implausible('book top', top, 'best bid not below best ask');
}

export function checkDepth(depth: BookDepth): void {
  const side = (levels: BookDepth['bids'], name: 'bid' | 'ask'): Dec[] =>
    levels.map(([price, size], i) => {
      positive(`${name} size`, size);
      const p = positive(`${name} price`, price);
      if (i > 0) {
        const previous = parseDecimal(levels[i - 1]![0]);
        // Best first: bids fall, asks rise.
        if (compareDecimal(p, previous) !== (name === 'bid' ? -1 : 1))
          implausible(`${name} levels`, [levels[i - 1], levels[i]], 'not in best-first order');
      }
      return p;
    });
  const bids = side(depth.bids, 'bid');
  const asks = side(depth.asks, 'ask');
  if (bids.length > 0 && asks.length > 0 && compareDecimal(bids[0]!, asks[0]!) >= 0)
    implausible('book depth', [depth.bids[0], depth.asks[0]], 'best bid not below best ask');
}

export function checkTrade(t: WireTrade): void {
  positive('trade price', t.price);
  positive('trade quantity', t.quantity);
  if (t.side !== 'buy' && t.side !== 'sell') implausible('trade side', t.side, 'neither buy nor sell');
}

/**
 * Opens `<dashboardUrl>/ws` as the page does (interval 1s, the first instrument of the tickers),
 * acknowledges every message, checks every candle, top, depth and trade it carries, and resolves
 * once candles, a book with levels on both sides and trades have all arrived. Rejects with an
 * ImplausibleDataError at the first impossible value, and with a FeedProbeError naming what is
 * missing after `timeoutMs`.
 */
export function probeFeed(
  dashboardUrl: string,
  options: { readonly timeoutMs: number; readonly interval?: CandleInterval },
): Promise<LiveFeed> {
  const interval = options.interval ?? '1s';
  const ws = new WebSocket(`${dashboardUrl.replace(/^http/, 'ws')}/ws?interval=${interval}`);
  let instrument: string | null = null;
  let subscribed = false;
  const firstAt: Partial<Record<FeedKind, number>> = {};
  const checked = { candles: 0, depths: 0, tops: 0, trades: 0 };
  let candle: WireCandle | null = null;
  let depth: BookDepth | null = null;
  let trade: WireTrade | null = null;

  const take = (m: NonNullable<FeedMessage['m']>): void => {
    const now = performance.now();
    for (const c of m.candles ?? []) {
      checkCandle(c);
      checked.candles++;
      candle = c;
      firstAt.candles ??= now;
    }
    if (m.top) {
      checkTop(m.top);
      checked.tops++;
    }
    if (m.depth) {
      checkDepth(m.depth);
      checked.depths++;
      if (m.depth.bids.length > 0 && m.depth.asks.length > 0) {
        depth = m.depth;
        firstAt.book ??= now;
      }
    }
    for (const t of m.trades ?? []) {
      checkTrade(t);
      checked.trades++;
      trade = t;
      firstAt.trades ??= now;
    }
  };

  return new Promise<LiveFeed>((resolve, reject) => {
    let done = false;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners('message');
      ws.terminate();
      if (error) return reject(error);
      resolve({
        instrument: instrument!,
        interval,
        firstAt: firstAt as Record<FeedKind, number>,
        candle: candle!,
        depth: depth!,
        trade: trade!,
        checked,
      });
    };
    const timer = setTimeout(() => {
      const missing = Object.values(FeedKinds).filter((k) => firstAt[k] === undefined);
      finish(
        new FeedProbeError(
          `no ${missing.join(', ')} on ${dashboardUrl}/ws within ${options.timeoutMs} ms ` +
            `(instrument ${instrument ?? 'none: no tickers yet'}; checked ${JSON.stringify(checked)})`,
        ),
      );
    }, options.timeoutMs);
    ws.on('error', (error) => finish(new FeedProbeError(`feed ${dashboardUrl}/ws: ${error.message}`)));
    ws.on('close', (code) => finish(new FeedProbeError(`feed ${dashboardUrl}/ws closed (${code})`)));
    ws.on('message', (data) => {
      try {
        const msg = JSON.parse(String(data)) as FeedMessage;
        if (msg.t === 'error') throw new FeedProbeError(`the gateway refused the probe: ${msg.message}`);
        ws.send(JSON.stringify({ t: 'ack', seq: msg.seq }));
        // The page's default: the first instrument the tickers list (they come sorted).
        const first = msg.g?.tickers?.[0]?.instrument;
        if (!instrument && first) {
          instrument = first;
          ws.send(JSON.stringify({ t: 'subscribe', instrument, interval }));
        }
        // Market data counts from the snapshot of the subscription on: earlier frames are of none.
        if (msg.t === 'snapshot' && instrument !== null && msg.instrument === instrument) subscribed = true;
        if (subscribed && msg.m) take(msg.m);
        if (Object.values(FeedKinds).every((k) => firstAt[k] !== undefined)) finish(null);
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}
