// When a verdict that needs trades can be given: md.trades and md.book.delta are read at different paces.

import { type InstrumentState } from '../state.ts';

/**
 * True once every trade up to event time `t` has been seen: the trade stream of the instrument
 * (in order within its partition) has passed `t`, or, for an instrument whose trades stopped,
 * the book has moved `settleMs` beyond it.
 */
export function settled(s: InstrumentState, t: number, settleMs: number): boolean {
  return (
    (s.tradeTime !== null && s.tradeTime >= t) || (s.lastBookTime !== null && s.lastBookTime >= t + settleMs)
  );
}
