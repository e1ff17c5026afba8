// Rules sequence.gap and trade.id-gap: book update ids that skip (Binance U/u, futures pu), trade ids that skip.

import { type BookDelta } from '../../../contracts/schema/book.ts';
import { type Trade } from '../../../contracts/schema/trades.ts';
import { tradeSequence } from '../../../contracts/trade-id.ts';
import { evidence, type Finding, Rules, Severities } from '../alert.ts';
import { type InstrumentState } from '../state.ts';

/**
 * The chain runs over deltas only. After a snapshot the next delta starts a new chain unchecked:
 * a REST snapshot is not on the stream's chain (Binance), and an in-stream one (OKX) resets it.
 * A delta whose last id is not above the chain's is a repeat and is neither checked nor chained.
 * Returns `stale: true` for such repeats, so the caller skips them.
 */
export function bookSequence(
  seq: InstrumentState['seq'],
  delta: BookDelta,
): { finding: Finding | undefined; repeat: boolean } {
  const u = delta.lastUpdateId;
  if (delta.isSnapshot) {
    seq.restart = true;
    seq.last = null;
    return { finding: undefined, repeat: false };
  }
  if (u === undefined) return { finding: undefined, repeat: false };
  const last = seq.last;
  if (last !== null && u <= last) return { finding: undefined, repeat: true };
  let finding: Finding | undefined;
  if (last !== null && !seq.restart) {
    const pu = delta.prevLastUpdateId;
    const U = delta.firstUpdateId;
    // Futures ids jump between events, so only `pu` chains them; spot chains on U = previous u + 1.
    const broken = pu !== undefined ? pu !== last : U !== undefined && U > last + 1;
    if (broken) {
      const missing = pu === undefined && U !== undefined ? U - last - 1 : null;
      finding = {
        rule: Rules.SEQUENCE_GAP,
        severity: Severities.WARNING,
        message:
          pu !== undefined
            ? `book delta chain broken: pu ${pu} != previous u ${last}`
            : `book delta ids skipped ${missing}: U ${U} != previous u ${last} + 1`,
        evidence: evidence({
          previousLastUpdateId: last,
          expected: pu !== undefined ? `pu = ${last}` : `U = ${last + 1}`,
          firstUpdateId: U ?? null,
          prevLastUpdateId: pu ?? null,
          lastUpdateId: u,
          missingIds: missing,
        }),
        timestamp: delta.timestamp,
        localTimestamp: delta.localTimestamp,
        discriminator: String(u),
      };
    }
  }
  seq.last = u;
  seq.restart = false;
  return { finding, repeat: false };
}

/** Only for venues whose ids are consecutive per instrument; older ids (repeats) are ignored. */
export function tradeIdGap(ids: Record<string, number>, trade: Trade): Finding | undefined {
  const sequence = tradeSequence(trade.tradeId);
  if (sequence === undefined) return undefined;
  const { space, number: id } = sequence;
  const last = ids[space];
  if (last !== undefined && id <= last) return undefined;
  ids[space] = id;
  if (last === undefined || id === last + 1) return undefined;
  const missing = id - last - 1;
  return {
    rule: Rules.TRADE_ID_GAP,
    severity: missing >= 100 ? Severities.CRITICAL : Severities.WARNING,
    message: `${missing} trade id${missing === 1 ? '' : 's'} missing between ${space}${last} and ${trade.tradeId}`,
    evidence: evidence({
      previousTradeId: `${space}${last}`,
      tradeId: trade.tradeId!,
      missingIds: missing,
    }),
    timestamp: trade.timestamp,
    localTimestamp: trade.localTimestamp,
    discriminator: trade.tradeId!,
  };
}
