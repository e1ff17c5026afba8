// Rules book.crossed, book.locked and book.stale: a top of book that cannot be, or a book that stopped while trades went on.

import { type BookDelta } from '../../../contracts/schema/book.ts';
import { type Trade } from '../../../contracts/schema/trades.ts';
import { evidence, type Finding, Rules, Severities } from '../alert.ts';
import { type LightBook } from '../light-book.ts';
import { type BookHealthOptions } from '../options.ts';
import { type InstrumentState } from '../state.ts';
import { settled } from './settle.ts';

/** A synced book whose best bid is at (locked) or above (crossed) its best ask. */
export function crossedOrLocked(book: LightBook, delta: BookDelta): Finding | undefined {
  const bid = book.bids[0];
  const ask = book.asks[0];
  if (!book.synced || bid === undefined || ask === undefined || bid[2] < ask[2]) return undefined;
  const crossed = bid[2] > ask[2];
  return {
    rule: crossed ? Rules.CROSSED : Rules.LOCKED,
    severity: crossed ? Severities.CRITICAL : Severities.WARNING,
    message: `book ${crossed ? 'crossed' : 'locked'}: best bid ${bid[0]} ${crossed ? '>' : '='} best ask ${ask[0]}`,
    evidence: evidence({
      bestBid: bid[0],
      bestBidQuantity: bid[1],
      bestAsk: ask[0],
      bestAskQuantity: ask[1],
      lastUpdateId: delta.lastUpdateId ?? null,
      snapshot: String(delta.isSnapshot),
    }),
    timestamp: delta.timestamp,
    localTimestamp: delta.localTimestamp,
    discriminator: String(delta.lastUpdateId ?? `${bid[0]}/${ask[0]}`),
  };
}

/** A delta after a silence of `staleMs` opens an interval; its trades are counted as they come. */
export function openStale(s: InstrumentState, o: BookHealthOptions, delta: BookDelta): void {
  const from = s.lastBookTime;
  if (from === null || delta.timestamp - from < o.staleMs) return;
  const to = delta.timestamp;
  let trades = 0;
  for (const [time] of s.trades) if (time > from && time < to) trades++;
  s.stale.push({ from, to, local: delta.localTimestamp, trades });
  if (s.stale.length > 8) s.stale.shift();
}

export function staleTrade(s: InstrumentState, trade: Trade): void {
  for (const i of s.stale) if (trade.timestamp > i.from && trade.timestamp < i.to) i.trades++;
}

/** Verdicts on the intervals whose trades have all been seen. */
export function settleStale(
  s: InstrumentState,
  o: BookHealthOptions,
  settleMs: number,
  symbol: string,
): Finding[] {
  const out: Finding[] = [];
  s.stale = s.stale.filter((i) => {
    if (!settled(s, i.to, settleMs)) return true;
    if (i.trades >= o.staleMinTrades)
      out.push({
        rule: Rules.STALE,
        severity: Severities.WARNING,
        message: `${symbol} book did not change for ${i.to - i.from} ms while ${i.trades} trades happened`,
        evidence: evidence({
          lastBookUpdate: i.from,
          nextBookUpdate: i.to,
          silentMs: i.to - i.from,
          tradesMeanwhile: i.trades,
          staleMs: o.staleMs,
          staleMinTrades: o.staleMinTrades,
        }),
        timestamp: i.to,
        localTimestamp: i.local,
        discriminator: String(i.from),
      });
    return false;
  });
  return out;
}
