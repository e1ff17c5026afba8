// Rule trade.wash: a run of same-size trades whose aggressor side alternates, each within milliseconds of the last.

import { type Trade } from '../../../contracts/schema/trades.ts';
import { evidence, type Finding, Rules, Severities } from '../alert.ts';
import { type WashTradeOptions } from '../options.ts';
import { type WashRun } from '../state.ts';
import { canonical } from './robust.ts';

/**
 * One party buying and selling the same size back and forth prints exactly this; genuine flow
 * rarely repeats a size on alternating sides at machine speed. A run is reported once, when it
 * reaches `minTrades`. Returns the run to keep (null when none) and the finding, if any.
 */
export function washTrades(
  run: WashRun | null,
  o: WashTradeOptions,
  trade: Trade,
): { run: WashRun; finding: Finding | undefined } {
  const quantity = canonical(trade.quantity);
  const price = Number(trade.price);
  const extends_ =
    run !== null &&
    run.quantity === quantity &&
    run.side !== trade.aggressorSide &&
    trade.timestamp - run.last <= o.maxGapMs &&
    trade.timestamp >= run.last;
  if (!extends_) {
    return {
      run: {
        quantity,
        side: trade.aggressorSide,
        first: trade.timestamp,
        last: trade.timestamp,
        count: 1,
        firstId: trade.tradeId ?? null,
        lastId: trade.tradeId ?? null,
        low: price,
        high: price,
        lowText: trade.price,
        highText: trade.price,
        reported: false,
      },
      finding: undefined,
    };
  }
  run.side = trade.aggressorSide;
  run.last = trade.timestamp;
  run.count++;
  run.lastId = trade.tradeId ?? null;
  if (price < run.low) [run.low, run.lowText] = [price, trade.price];
  if (price > run.high) [run.high, run.highText] = [price, trade.price];
  if (run.reported || run.count < o.minTrades) return { run, finding: undefined };
  run.reported = true;
  return {
    run,
    finding: {
      rule: Rules.WASH_TRADES,
      severity: run.count >= 2 * o.minTrades ? Severities.CRITICAL : Severities.WARNING,
      message: `${run.count} trades of ${trade.quantity} alternating buy/sell within ${run.last - run.first} ms (gaps <= ${o.maxGapMs} ms)`,
      evidence: evidence({
        quantity: trade.quantity,
        trades: run.count,
        minTrades: o.minTrades,
        maxGapMs: o.maxGapMs,
        windowFrom: run.first,
        windowTo: run.last,
        durationMs: run.last - run.first,
        lowPrice: run.lowText,
        highPrice: run.highText,
        firstTradeId: run.firstId,
        lastTradeId: run.lastId,
      }),
      timestamp: trade.timestamp,
      localTimestamp: trade.localTimestamp,
      discriminator: trade.tradeId ?? String(run.first),
    },
  };
}
