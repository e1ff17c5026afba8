// Rule price.jump: a trade's move from the last bucket close, as a robust z-score (median/MAD) over a rolling window of returns.

import { type Trade } from '../../../contracts/schema/trades.ts';
import { evidence, type Finding, Rules, Severities } from '../alert.ts';
import { type PriceJumpOptions } from '../options.ts';
import { type PriceJumpState } from '../state.ts';
import { mad, MAD_TO_SIGMA, median } from './robust.ts';

/**
 * Returns are taken between bucket closes rather than trade to trade: consecutive trades mostly
 * print the same price, which would make the MAD zero. The move of every trade is judged at once
 * against the window of closed buckets, so the alert comes with the trade that made the jump.
 */
export function priceJump(s: PriceJumpState, o: PriceJumpOptions, trade: Trade): Finding | undefined {
  const price = Number(trade.price);
  const bucket = Math.floor(trade.timestamp / o.bucketMs);
  if (s.bucket === null) {
    s.bucket = bucket;
    s.last = price;
    s.lastText = trade.price;
    return undefined;
  }
  if (bucket > s.bucket) {
    if (s.close !== null) {
      s.returns.push(Math.log(s.last / s.close));
      if (s.returns.length > o.window) s.returns.splice(0, s.returns.length - o.window);
      s.median = median(s.returns);
      s.scale = MAD_TO_SIGMA * mad(s.returns, s.median);
    }
    s.close = s.last;
    s.closeText = s.lastText;
    s.bucket = bucket;
  }
  s.last = price;
  s.lastText = trade.price;
  if (s.close === null || s.returns.length < o.minSamples) return undefined;
  const move = Math.log(price / s.close);
  const scale = Math.max(s.scale, o.minScaleBps / 10_000);
  const z = (move - s.median) / scale;
  const moveBps = move * 10_000;
  if (Math.abs(z) < o.zThreshold || Math.abs(moveBps) < o.minMoveBps) return undefined;
  const windowTo = s.bucket * o.bucketMs;
  return {
    rule: Rules.PRICE_JUMP,
    severity: Math.abs(z) >= 2 * o.zThreshold ? Severities.CRITICAL : Severities.WARNING,
    message: `price ${move > 0 ? 'jumped' : 'dropped'} ${Math.abs(moveBps).toFixed(1)} bps from ${s.closeText} to ${trade.price} (robust z ${z.toFixed(1)}, threshold ${o.zThreshold})`,
    evidence: evidence({
      price: trade.price,
      referencePrice: s.closeText,
      tradeId: trade.tradeId ?? null,
      moveBps,
      robustZ: z,
      zThreshold: o.zThreshold,
      minMoveBps: o.minMoveBps,
      medianReturnBps: s.median * 10_000,
      robustScaleBps: scale * 10_000,
      returnsInWindow: s.returns.length,
      bucketMs: o.bucketMs,
      windowFrom: windowTo - s.returns.length * o.bucketMs,
      windowTo,
    }),
    timestamp: trade.timestamp,
    localTimestamp: trade.localTimestamp,
    discriminator: trade.tradeId ?? trade.price,
  };
}
