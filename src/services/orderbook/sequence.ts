// Venue sequencing rules: whether a book delta follows the last one applied, is stale, or leaves a gap.

import { type BookDelta } from '../../contracts/schema/book.ts';
import { type Exchange, Exchanges } from '../../contracts/schema/primitives.ts';

export const SequenceRules = {
  /** Binance spot: drop u <= lastUpdateId; the first event spans lastUpdateId + 1; then U == previous u + 1. */
  BINANCE_SPOT: 'binance-spot',
  /** Binance USD-M futures: drop u < lastUpdateId; the first event spans lastUpdateId; then pu == previous u. */
  BINANCE_FUTURES: 'binance-futures',
  /** OKX: each update's prevSeqId is the previous seqId (equal ids: an update without changes). */
  PREVIOUS_ID: 'previous-id',
  /** No sequence ids (Kraken v1, Coinbase level2): every update applies; a checksum, where sent, checks. */
  NONE: 'none',
} as const;
export type SequenceRule = (typeof SequenceRules)[keyof typeof SequenceRules];

export function sequenceRuleOf(exchange: Exchange): SequenceRule {
  switch (exchange) {
    case Exchanges.BINANCE:
      return SequenceRules.BINANCE_SPOT;
    case Exchanges.BINANCE_FUTURES:
      return SequenceRules.BINANCE_FUTURES;
    case Exchanges.OKX:
      return SequenceRules.PREVIOUS_ID;
    default:
      return SequenceRules.NONE;
  }
}

export const Verdicts = { APPLY: 'apply', STALE: 'stale', GAP: 'gap' } as const;
export type Verdict = (typeof Verdicts)[keyof typeof Verdicts];

/** A gap's explanation, for logs and metrics: what was expected and what came. */
export function gapReason(rule: SequenceRule, delta: BookDelta, last: number, first: boolean): string {
  const ids = `U=${delta.firstUpdateId ?? '-'} u=${delta.lastUpdateId ?? '-'} pu=${delta.prevLastUpdateId ?? '-'}`;
  switch (rule) {
    case SequenceRules.BINANCE_SPOT:
      return first
        ? `first event after the snapshot (lastUpdateId ${last}) must span ${last + 1}; got ${ids}`
        : `expected U=${last + 1}; got ${ids}`;
    case SequenceRules.BINANCE_FUTURES:
      return first
        ? `first event after the snapshot (lastUpdateId ${last}) must span it; got ${ids}`
        : `expected pu=${last}; got ${ids}`;
    default:
      return `expected prevSeqId=${last}; got ${ids}`;
  }
}

/**
 * `last` is the last update id applied (the snapshot's while `first`); -1 when the venue's
 * snapshot carried none. A delta without the ids its rule needs is a gap: the book cannot be
 * proven whole.
 */
export function verdict(rule: SequenceRule, delta: BookDelta, last: number, first: boolean): Verdict {
  const u = delta.lastUpdateId;
  switch (rule) {
    case SequenceRules.NONE:
      return Verdicts.APPLY;
    case SequenceRules.BINANCE_SPOT: {
      const U = delta.firstUpdateId;
      if (u === undefined || U === undefined) return Verdicts.GAP;
      if (u <= last) return Verdicts.STALE;
      if (first) return U <= last + 1 ? Verdicts.APPLY : Verdicts.GAP;
      return U === last + 1 ? Verdicts.APPLY : Verdicts.GAP;
    }
    case SequenceRules.BINANCE_FUTURES: {
      const U = delta.firstUpdateId;
      if (u === undefined || U === undefined) return Verdicts.GAP;
      if (u < last) return Verdicts.STALE;
      if (first) return U <= last && u >= last ? Verdicts.APPLY : Verdicts.GAP;
      if (u <= last) return Verdicts.STALE;
      return delta.prevLastUpdateId === last ? Verdicts.APPLY : Verdicts.GAP;
    }
    case SequenceRules.PREVIOUS_ID: {
      const prev = delta.prevLastUpdateId;
      if (prev === last) return Verdicts.APPLY;
      // OKX books before seqId existed (2022 and older captures): only the checksum can tell.
      if (prev === undefined && u === undefined && last === -1) return Verdicts.APPLY;
      if (u !== undefined && u <= last && (prev === undefined || prev < last)) return Verdicts.STALE;
      return Verdicts.GAP;
    }
  }
}
