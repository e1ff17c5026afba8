// Writer test data from the real captures (trades, id-less Kraken trades, candles, book tops, alerts) and table checks.

import path from 'node:path';
import { type Alert } from '../../src/contracts/schema/alerts.ts';
import { type BookTop } from '../../src/contracts/schema/book.ts';
import { type Candle, type CandleInterval } from '../../src/contracts/schema/candles.ts';
import { CANDLE_INTERVAL_MS } from '../../src/contracts/products/candles.ts';
import { readCapture, toRawFrame } from '../../src/venues/capture/index.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { type Bus } from '../../src/bus/types.ts';
import { alerts, bookTop, candles, type Product, trades } from '../../src/contracts/index.ts';
import { type SqlDatabase } from '../../src/services/writer/index.ts';
import { capturedTrades, produceValues, type Trade } from '../runtime/helpers.ts';

const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');

export interface MarketData {
  readonly trades: Trade[];
  readonly candles: Candle[];
  readonly bookTops: BookTop[];
  readonly alerts: Alert[];
}

/**
 * Kraken v1 trades (no ids) from cryptofeed/KRAKEN.ws.48.0. The capture has no two identical
 * trades in one frame, which happens when a taker order fills two resting orders of the same
 * size; the first trade of each frame is repeated right after itself to give that case.
 */
export async function krakenTrades(): Promise<Trade[]> {
  const mapper = mapperFor('kraken');
  const out: Trade[] = [];
  let seq = 0;
  for await (const frame of readCapture(path.join(MARKET, 'cryptofeed/KRAKEN.ws.48.0'))) {
    let events;
    try {
      events = mapper.map(toRawFrame(frame, 'kraken', 'capture', seq++)).events;
    } catch {
      continue;
    }
    const frameTrades = events.flatMap((e) => (e.type === 'trade' ? [e.value] : []));
    if (frameTrades.length > 0) out.push(frameTrades[0]!, ...frameTrades);
  }
  return out;
}

/** Binance spot bookTicker frames of the BTCUSDT capture as tops of book (it has no event time: the receive time stands in). */
export async function capturedBookTops(count: number): Promise<BookTop[]> {
  const out: BookTop[] = [];
  const file = path.join(MARKET, 'binance-spot-hftbacktest/spot_btcusdt_20240808.gz');
  for await (const frame of readCapture(file)) {
    if (!frame.body.includes('@bookTicker"')) continue;
    const d = (
      JSON.parse(frame.body) as { data: { u: number; s: string; b: string; B: string; a: string; A: string } }
    ).data;
    out.push({
      exchange: 'binance',
      symbol: d.s,
      timestamp: frame.receivedAt,
      localTimestamp: frame.receivedAt,
      lastUpdateId: d.u,
      bid: [d.b, d.B],
      ask: [d.a, d.A],
    });
    if (out.length >= count) break;
  }
  return out;
}

const scaled = (text: string, scale: number): bigint => {
  const [i = '0', f = ''] = text.split('.');
  return BigInt(i + f.padEnd(scale, '0').slice(0, scale));
};
const unscaled = (v: bigint, scale: number): string => {
  const s = v.toString().padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
};

/** Candles of `interval` from trades with exact sums, an interim update every `every` trades, then the final one. */
export function candlesFrom(trades: readonly Trade[], interval: CandleInterval, every = 10): Candle[] {
  const span = CANDLE_INTERVAL_MS[interval];
  const out: Candle[] = [];
  const open = new Map<
    string,
    { c: Candle; n: number; vol: bigint; quote: bigint; buy: bigint; buyQuote: bigint }
  >();
  const close = (key: string): void => {
    const s = open.get(key);
    if (s) out.push({ ...s.c, isFinal: true });
    open.delete(key);
  };
  for (const t of trades) {
    const key = `${t.exchange}:${t.symbol}`;
    const openTime = t.timestamp - (t.timestamp % span);
    let s = open.get(key);
    if (s && s.c.openTime !== openTime) {
      close(key);
      s = undefined;
    }
    const q = scaled(t.quantity, 8);
    const quote = scaled(t.price, 8) * q;
    const buy = t.aggressorSide === 'buy';
    if (!s) {
      s = {
        c: {
          exchange: t.exchange,
          symbol: t.symbol,
          timestamp: t.timestamp,
          localTimestamp: t.localTimestamp,
          interval,
          openTime,
          closeTime: openTime + span - 1,
          open: t.price,
          high: t.price,
          low: t.price,
          close: t.price,
          volume: '0',
          quoteVolume: '0',
          trades: 0,
          takerBuyVolume: '0',
          takerBuyQuoteVolume: '0',
          isFinal: false,
        },
        n: 0,
        vol: 0n,
        quote: 0n,
        buy: 0n,
        buyQuote: 0n,
      };
      open.set(key, s);
    }
    s.vol += q;
    s.quote += quote;
    if (buy) {
      s.buy += q;
      s.buyQuote += quote;
    }
    s.n++;
    const p = scaled(t.price, 8);
    s.c = {
      ...s.c,
      timestamp: t.timestamp,
      localTimestamp: t.localTimestamp,
      high: p > scaled(s.c.high, 8) ? t.price : s.c.high,
      low: p < scaled(s.c.low, 8) ? t.price : s.c.low,
      close: t.price,
      volume: unscaled(s.vol, 8),
      quoteVolume: unscaled(s.quote, 16),
      trades: s.n,
      takerBuyVolume: unscaled(s.buy, 8),
      takerBuyQuoteVolume: unscaled(s.buyQuote, 16),
    };
    if (s.n % every === 0) out.push(s.c);
  }
  for (const key of [...open.keys()]) close(key);
  return out;
}

/** An alert for every `every`-th trade, with the trade as evidence: the shape the detector publishes. */
export function alertsFrom(trades: readonly Trade[], every = 50): Alert[] {
  return trades
    .filter((_, i) => i % every === 0)
    .map((t, i) => ({
      exchange: t.exchange,
      symbol: t.symbol,
      timestamp: t.timestamp,
      localTimestamp: t.localTimestamp,
      alertId: `test-${t.exchange}-${t.symbol}-${t.timestamp}-${i}`,
      rule: 'test.sampled-trade',
      severity: i % 7 === 0 ? 'warning' : 'info',
      message: `sampled trade ${t.tradeId ?? '(no id)'} at ${t.price}`,
      evidence: [
        { name: 'price', value: t.price },
        { name: 'quantity', value: t.quantity },
      ],
    }));
}

/** `tradeCount` Binance trades plus the Kraken ones, their 1s and 1m candles, book tops and alerts. */
export async function marketData(tradeCount: number, bookTopCount: number): Promise<MarketData> {
  const binance = await capturedTrades(tradeCount);
  const kraken = await krakenTrades();
  return {
    trades: [...binance, ...kraken],
    candles: [...candlesFrom(binance, '1s'), ...candlesFrom(binance, '1m')],
    bookTops: await capturedBookTops(bookTopCount),
    alerts: alertsFrom(binance),
  };
}

export interface Expected {
  readonly trades: number;
  readonly candles: number;
  readonly bookTop: number;
  readonly alerts: number;
}

/** Row counts per table; zeros while the writer has not created its tables yet. */
export async function counts(db: SqlDatabase): Promise<Expected> {
  const [r] = await db
    .query<Record<string, string | number>>(
      `SELECT (SELECT count(*) FROM trades) AS trades, (SELECT count(*) FROM candles) AS candles,
            (SELECT count(*) FROM book_top) AS book_top, (SELECT count(*) FROM alerts) AS alerts`,
    )
    .catch((error: unknown) => {
      if ((error as { code?: unknown }).code === '42P01')
        return [{ trades: 0, candles: 0, book_top: 0, alerts: 0 }];
      throw error;
    });
  return {
    trades: Number(r!['trades']),
    candles: Number(r!['candles']),
    bookTop: Number(r!['book_top']),
    alerts: Number(r!['alerts']),
  };
}

/** md5 over every stored row in key order: equal checksums, equal tables. */
export async function checksum(db: SqlDatabase): Promise<string> {
  const [r] = await db.query<Record<string, string>>(
    `SELECT
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY exchange, symbol, trade_key), '')) FROM trades t) AS trades,
       (SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY exchange, symbol, interval, open_time), '')) FROM candles c) AS candles,
       (SELECT md5(coalesce(string_agg(b::text, '|' ORDER BY exchange, symbol, sample_time), '')) FROM book_top b) AS book_top,
       (SELECT md5(coalesce(string_agg(a::text, '|' ORDER BY alert_id), '')) FROM alerts a) AS alerts`,
  );
  return JSON.stringify(r);
}

/**
 * The writer's topics (trades, 1s and 1m candles, book tops, alerts), each renamed by `name`
 * from its suffix: unique per test in-process, fixed where a child process must know them.
 */
export function writerTopics(name: <P extends Product>(product: P, suffix: string) => P) {
  return {
    trades: name(trades, 'trades'),
    candles: { '1s': name(candles['1s'], 'c1s'), '1m': name(candles['1m'], 'c1m') },
    bookTop: name(bookTop, 'top'),
    alerts: name(alerts, 'alerts'),
  };
}
export type WriterTopics = ReturnType<typeof writerTopics>;

/** Every value of `data` onto its topic. */
export async function produceAll(bus: Bus, topics: WriterTopics, data: MarketData): Promise<void> {
  await produceValues(bus, topics.trades, data.trades);
  await produceValues(
    bus,
    topics.candles['1s'],
    data.candles.filter((c) => c.interval === '1s'),
  );
  await produceValues(
    bus,
    topics.candles['1m'],
    data.candles.filter((c) => c.interval === '1m'),
  );
  await produceValues(bus, topics.bookTop, data.bookTops);
  await produceValues(bus, topics.alerts, data.alerts);
}
