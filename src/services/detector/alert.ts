// A rule's finding, and how it becomes an AlertV1 record with a deterministic id.

import { createHash } from 'node:crypto';
import { type Alert } from '../../contracts/schema/alerts.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';

export const Severities = { INFO: 'info', WARNING: 'warning', CRITICAL: 'critical' } as const;
export type Severity = (typeof Severities)[keyof typeof Severities];

export const Rules = {
  PRICE_JUMP: 'price.jump',
  VOLUME_BURST: 'volume.burst',
  WASH_TRADES: 'trade.wash',
  TRADE_ID_GAP: 'trade.id-gap',
  SPOOFING: 'book.spoof',
  CROSSED: 'book.crossed',
  LOCKED: 'book.locked',
  STALE: 'book.stale',
  SEQUENCE_GAP: 'sequence.gap',
} as const;
export type RuleId = (typeof Rules)[keyof typeof Rules];

export type Evidence = readonly { readonly name: string; readonly value: string }[];

/** What a rule reports; the engine adds the instrument, applies the cooldown and builds the alert. */
export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly message: string;
  readonly evidence: Evidence;
  /** Times of the market event that made the rule fire. */
  readonly timestamp: number;
  readonly localTimestamp: number;
  /** Tells apart two findings of a rule in the same millisecond (a trade id, an update id, a price). */
  readonly discriminator: string;
}

/** Evidence entries from a record of values; numbers become text with at most `digits` fraction digits. */
export function evidence(values: Readonly<Record<string, string | number | null>>, digits = 6): Evidence {
  return Object.entries(values)
    .filter(([, v]) => v !== null)
    .map(([name, v]) => ({ name, value: typeof v === 'number' ? num(v, digits) : (v as string) }));
}

/** A number as short text: integers as they are, others rounded to `digits` fraction digits. */
export function num(v: number, digits = 6): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toFixed(digits)));
}

/**
 * Built only from the market event and the rule, never from the clock or a counter, so a replay
 * of the same input yields the same id (and a sink upserting by it keeps one row).
 */
export function alertId(
  rule: string,
  exchange: string,
  symbol: string,
  timestamp: number,
  discriminator: string,
): string {
  const id = `${rule}:${exchange}:${symbol}:${timestamp}:${discriminator}`;
  if (id.length <= 128) return id;
  return `${rule}:${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

export function toAlert(exchange: Exchange, symbol: string, f: Finding, held: number): Alert {
  const extra = held > 0 ? [{ name: 'heldBackSinceLastAlert', value: String(held) }] : [];
  return {
    exchange,
    symbol,
    timestamp: f.timestamp,
    localTimestamp: f.localTimestamp,
    alertId: alertId(f.rule, exchange, symbol, f.timestamp, f.discriminator),
    rule: f.rule,
    severity: f.severity,
    message: f.message.slice(0, 1024),
    evidence: [...f.evidence, ...extra].slice(0, 64),
  };
}
