// Records to table rows: the natural keys, sampled book tops, and the checks SQL adds to the schemas.

import { createHash } from 'node:crypto';
import { type Alert } from '../../contracts/schema/alerts.ts';
import { type BookTop } from '../../contracts/schema/book.ts';
import { type Candle } from '../../contracts/schema/candles.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { PermanentError } from '../../runtime/index.ts';

export const WriterErrorCodes = { BAD_VALUE: 'WRITER_BAD_VALUE' } as const;

export interface TradeRow {
  readonly exchange: string;
  readonly symbol: string;
  /** The exchange's id; for a trade without one, set when the batch is written (runs.ts). */
  tradeKey: string;
  readonly tradeId: string | null;
  readonly ts: number;
  readonly localTs: number;
  readonly price: string;
  readonly quantity: string;
  readonly side: string;
  readonly sequence: number | null;
}

export interface CandleRow extends Omit<Candle, 'timestamp' | 'localTimestamp'> {
  readonly ts: number;
  readonly localTs: number;
}

export interface BookTopRow {
  readonly exchange: string;
  readonly symbol: string;
  readonly sampleTime: number;
  readonly ts: number;
  readonly localTs: number;
  readonly lastUpdateId: number | null;
  readonly bidPrice: string | null;
  readonly bidQuantity: string | null;
  readonly askPrice: string | null;
  readonly askQuantity: string | null;
}

export interface AlertRow {
  readonly alertId: string;
  readonly exchange: string;
  readonly symbol: string;
  readonly ts: number;
  readonly localTs: number;
  readonly rule: string;
  readonly severity: string;
  readonly message: string;
  /** As JSON text, which both drivers pass to jsonb unchanged. */
  readonly evidence: string;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which the schemas allow in free text. Such a
 * record would fail its whole batch on every attempt; refused here, it goes to the DLQ alone.
 */
function sqlText(value: string, field: string): string {
  if (value.includes('\u0000'))
    throw new PermanentError(
      WriterErrorCodes.BAD_VALUE,
      `${field} contains U+0000, which PostgreSQL text cannot store`,
    );
  return value;
}

export function tradeRow(t: Trade): TradeRow {
  return {
    exchange: t.exchange,
    symbol: t.symbol,
    tradeKey: t.tradeId === undefined ? '' : sqlText(t.tradeId, 'tradeId'),
    tradeId: t.tradeId ?? null,
    ts: t.timestamp,
    localTs: t.localTimestamp,
    price: t.price,
    quantity: t.quantity,
    side: t.aggressorSide,
    sequence: t.sequence ?? null,
  };
}

/** What tells apart two id-less trades of one frame: everything the venue sends about them. */
export function tradeContentHash(t: TradeRow): string {
  return createHash('sha1').update(`${t.ts}|${t.price}|${t.quantity}|${t.side}`).digest('hex').slice(0, 16);
}

export function candleRow(c: Candle): CandleRow {
  const { timestamp, localTimestamp, ...rest } = c;
  return { ...rest, ts: timestamp, localTs: localTimestamp };
}

/** Sampled in event time: the row of period floor(timestamp / sampleMs), so replays pick the same rows. */
export function bookTopRow(b: BookTop, sampleMs: number): BookTopRow {
  return {
    exchange: b.exchange,
    symbol: b.symbol,
    sampleTime: sampleMs > 1 ? b.timestamp - (b.timestamp % sampleMs) : b.timestamp,
    ts: b.timestamp,
    localTs: b.localTimestamp,
    lastUpdateId: b.lastUpdateId ?? null,
    bidPrice: b.bid?.[0] ?? null,
    bidQuantity: b.bid?.[1] ?? null,
    askPrice: b.ask?.[0] ?? null,
    askQuantity: b.ask?.[1] ?? null,
  };
}

/** Whether `next` is the later state of the same sample period: event time, then update id; ties go to the later record. */
export function bookTopSupersedes(next: BookTopRow, current: BookTopRow): boolean {
  if (next.ts !== current.ts) return next.ts > current.ts;
  return (next.lastUpdateId ?? -1) >= (current.lastUpdateId ?? -1);
}

/** A final candle is never replaced by an interim one of the same interval; otherwise the later wins. */
export function candleSupersedes(next: CandleRow, current: CandleRow): boolean {
  return next.isFinal || !current.isFinal;
}

export function alertRow(a: Alert): AlertRow {
  for (const e of a.evidence) {
    sqlText(e.name, 'evidence name');
    sqlText(e.value, `evidence ${e.name}`);
  }
  return {
    alertId: sqlText(a.alertId, 'alertId'),
    exchange: a.exchange,
    symbol: a.symbol,
    ts: a.timestamp,
    localTs: a.localTimestamp,
    rule: a.rule,
    severity: a.severity,
    message: sqlText(a.message, 'message'),
    evidence: JSON.stringify(a.evidence),
  };
}
