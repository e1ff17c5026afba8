// Reads stored rows back as the records they came from, by instrument and time range (streamforge query).

import { type Alert } from '../../contracts/schema/alerts.ts';
import { type Candle, type CandleInterval } from '../../contracts/schema/candles.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { type SqlDatabase } from './db/types.ts';

export interface RangeQuery {
  readonly symbol: string;
  readonly exchange?: string;
  /** Inclusive, epoch ms. */
  readonly from: number;
  /** Exclusive, epoch ms. */
  readonly to: number;
  readonly limit: number;
}

/** A stored trade: the record's fields, plus the key it is stored under. */
export type StoredTrade = Trade & { readonly tradeKey: string };

// Both drivers return bigint as text (node-postgres) or number (PGlite): read either.
const ms = (v: unknown): number => Number(v);

/** The writer has not created its tables in this schema: say so rather than "relation does not exist". */
async function run<R>(db: SqlDatabase, sql: string, params: unknown[]): Promise<R[]> {
  try {
    return await db.query<R>(sql, params);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01')
      throw new Error(
        `${db.description} has no writer tables: run the writer against it first, or pass the --db/--schema it writes to`,
        { cause: error },
      );
    throw error;
  }
}

// Each filter matches an index: (symbol, ts), (symbol, interval, open_time).
const where = (column: string): string =>
  `symbol = $1 AND ($2::text IS NULL OR exchange = $2) AND ${column} >= $3 AND ${column} < $4`;

export async function readTrades(db: SqlDatabase, q: RangeQuery): Promise<StoredTrade[]> {
  const rows = await run<Record<string, unknown>>(
    db,
    `SELECT exchange, symbol, trade_key, trade_id, ts, local_ts, price::text, quantity::text, aggressor_side, sequence
       FROM trades WHERE ${where('ts')} ORDER BY ts, exchange, trade_key LIMIT $5`,
    [q.symbol, q.exchange ?? null, q.from, q.to, q.limit],
  );
  return rows.map((r) => ({
    exchange: r['exchange'] as Trade['exchange'],
    symbol: r['symbol'] as string,
    timestamp: ms(r['ts']),
    localTimestamp: ms(r['local_ts']),
    ...(r['trade_id'] === null ? {} : { tradeId: r['trade_id'] as string }),
    price: r['price'] as string,
    quantity: r['quantity'] as string,
    aggressorSide: r['aggressor_side'] as Trade['aggressorSide'],
    ...(r['sequence'] === null ? {} : { sequence: ms(r['sequence']) }),
    tradeKey: r['trade_key'] as string,
  }));
}

export async function readCandles(
  db: SqlDatabase,
  q: RangeQuery & { readonly interval: CandleInterval },
): Promise<Candle[]> {
  const rows = await run<Record<string, unknown>>(
    db,
    `SELECT exchange, symbol, interval, open_time, close_time, open::text, high::text, low::text, close::text,
            volume::text, quote_volume::text, trades, taker_buy_volume::text, taker_buy_quote_volume::text,
            is_final, ts, local_ts
       FROM candles WHERE ${where('open_time')} AND interval = $6 ORDER BY open_time, exchange LIMIT $5`,
    [q.symbol, q.exchange ?? null, q.from, q.to, q.limit, q.interval],
  );
  return rows.map((r) => ({
    exchange: r['exchange'] as Candle['exchange'],
    symbol: r['symbol'] as string,
    timestamp: ms(r['ts']),
    localTimestamp: ms(r['local_ts']),
    interval: r['interval'] as CandleInterval,
    openTime: ms(r['open_time']),
    closeTime: ms(r['close_time']),
    open: r['open'] as string,
    high: r['high'] as string,
    low: r['low'] as string,
    close: r['close'] as string,
    volume: r['volume'] as string,
    quoteVolume: r['quote_volume'] as string,
    trades: ms(r['trades']),
    takerBuyVolume: r['taker_buy_volume'] as string,
    takerBuyQuoteVolume: r['taker_buy_quote_volume'] as string,
    isFinal: r['is_final'] as boolean,
  }));
}

export async function readAlerts(db: SqlDatabase, q: RangeQuery): Promise<Alert[]> {
  const rows = await run<Record<string, unknown>>(
    db,
    `SELECT alert_id, exchange, symbol, ts, local_ts, rule, severity, message, evidence::text
       FROM alerts WHERE ${where('ts')} ORDER BY ts, alert_id LIMIT $5`,
    [q.symbol, q.exchange ?? null, q.from, q.to, q.limit],
  );
  return rows.map((r) => ({
    exchange: r['exchange'] as Alert['exchange'],
    symbol: r['symbol'] as string,
    timestamp: ms(r['ts']),
    localTimestamp: ms(r['local_ts']),
    alertId: r['alert_id'] as string,
    rule: r['rule'] as string,
    severity: r['severity'] as Alert['severity'],
    message: r['message'] as string,
    evidence: JSON.parse(r['evidence'] as string) as Alert['evidence'],
  }));
}
