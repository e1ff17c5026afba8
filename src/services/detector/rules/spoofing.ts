// Rule book.spoof: a large level placed near the top that vanishes again without trading.

import { type Trade } from '../../../contracts/schema/trades.ts';
import { evidence, type Finding, num, Rules, Severities } from '../alert.ts';
import { type LevelChange, levelsOf, type LightBook, rankOf } from '../light-book.ts';
import { type SpoofOptions } from '../options.ts';
import { type InstrumentState, type SpoofCandidate } from '../state.ts';
import { canonical, median } from './robust.ts';
import { settled } from './settle.ts';

const MAX_CANDIDATES = 32;

function medianQuantity(book: LightBook, side: LevelChange['side'], except: number): number {
  return median(
    levelsOf(book, side)
      .filter((l) => l[2] !== except)
      .map((l) => l[3]),
  );
}

/** Watches level changes: new large levels near the top become candidates, removed candidates await a verdict. */
export function spoofChanges(
  s: InstrumentState,
  o: SpoofOptions,
  changes: readonly LevelChange[],
  time: number,
  local: number,
  updateId: number | null,
): void {
  for (const c of changes) {
    const price = canonical(c.price);
    const cand = s.candidates.find((x) => x.side === c.side && x.price === price && x.removedAt === null);
    if (cand) {
      if (c.after > cand.total) cand.total = c.after;
      if (cand.total - c.after < o.removedFraction * cand.added) continue;
      const life = time - cand.appearedAt;
      if (life < o.minLifeMs || life > o.maxLifeMs) s.candidates.splice(s.candidates.indexOf(cand), 1);
      else {
        cand.removedAt = time;
        cand.removedLocal = local;
        cand.removedUpdateId = updateId;
      }
      continue;
    }
    const added = c.after - c.before;
    if (c.rank < 0 || c.rank >= o.nearLevels || added <= 0) continue;
    const typical = medianQuantity(s.book, c.side, c.priceValue);
    if (typical <= 0 || added < o.sizeMultiple * typical) continue;
    let traded = 0;
    // Trades read before this book event but printed after it count too.
    for (const [t, p, q] of s.trades) if (t >= time && p === price) traded += q;
    s.candidates.push({
      side: c.side,
      price,
      added,
      total: c.after,
      addedText: num(added, 12),
      appearedAt: time,
      rank: c.rank,
      median: typical,
      traded,
      removedAt: null,
      removedLocal: 0,
      removedUpdateId: null,
    });
    if (s.candidates.length > MAX_CANDIDATES) s.candidates.shift();
  }
  // A level that fell out of the light book or outlived maxLifeMs is no longer watched.
  s.candidates = s.candidates.filter(
    (x) =>
      x.removedAt !== null ||
      (time - x.appearedAt <= o.maxLifeMs && rankOf(s.book, x.side, Number(x.price)) >= 0),
  );
}

export function spoofTrade(s: InstrumentState, trade: Trade): void {
  if (s.candidates.length === 0) return;
  const price = canonical(trade.price);
  for (const x of s.candidates)
    if (
      x.price === price &&
      trade.timestamp >= x.appearedAt &&
      (x.removedAt === null || trade.timestamp <= x.removedAt)
    )
      x.traded += Number(trade.quantity);
}

function finding(x: SpoofCandidate, o: SpoofOptions, symbol: string): Finding {
  const removedAt = x.removedAt!;
  return {
    rule: Rules.SPOOFING,
    severity: Severities.WARNING,
    message: `${symbol}: ${x.addedText} placed on the ${x.side} at ${x.price} (level ${x.rank + 1}, ${num(x.added / x.median, 1)}x the median level) and pulled after ${removedAt - x.appearedAt} ms without trading`,
    evidence: evidence(
      {
        side: x.side,
        price: x.price,
        addedQuantity: x.addedText,
        levelRank: x.rank + 1,
        nearLevels: o.nearLevels,
        medianLevelQuantity: x.median,
        sizeMultiple: num(x.added / x.median, 2),
        minSizeMultiple: o.sizeMultiple,
        appearedAt: x.appearedAt,
        removedAt,
        lifeMs: removedAt - x.appearedAt,
        minLifeMs: o.minLifeMs,
        maxLifeMs: o.maxLifeMs,
        tradedAtPrice: x.traded,
        maxTradedFraction: o.maxTradedFraction,
        removedUpdateId: x.removedUpdateId,
      },
      12,
    ),
    timestamp: removedAt,
    localTimestamp: x.removedLocal,
    discriminator: `${x.side}:${x.price}`,
  };
}

/** Verdicts on removed candidates whose trades have all been seen. */
export function settleSpoofs(
  s: InstrumentState,
  o: SpoofOptions,
  settleMs: number,
  symbol: string,
): Finding[] {
  const out: Finding[] = [];
  s.candidates = s.candidates.filter((x) => {
    if (x.removedAt === null || !settled(s, x.removedAt, settleMs)) return true;
    if (x.traded < o.maxTradedFraction * x.added) out.push(finding(x, o, symbol));
    return false;
  });
  return out;
}
