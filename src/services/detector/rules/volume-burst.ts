// Rule volume.burst: the traded quantity of the current event-time bucket against the mean of the buckets before it.

import { type Trade } from '../../../contracts/schema/trades.ts';
import { evidence, type Finding, Rules, Severities } from '../alert.ts';
import { type VolumeBurstOptions } from '../options.ts';
import { type VolumeState } from '../state.ts';

function close(s: VolumeState, o: VolumeBurstOptions, upTo: number): void {
  // Empty buckets count as zero volume: a quiet market followed by a rush is exactly a burst.
  const empty = Math.min(upTo - s.bucket! - 1, o.window);
  s.history.push(s.volume);
  for (let i = 0; i < empty; i++) s.history.push(0);
  if (s.history.length > o.window) s.history.splice(0, s.history.length - o.window);
  let sum = 0;
  for (const v of s.history) sum += v;
  s.mean = sum / s.history.length;
  s.volume = 0;
  s.trades = 0;
}

export function volumeBurst(s: VolumeState, o: VolumeBurstOptions, trade: Trade): Finding | undefined {
  const bucket = Math.floor(trade.timestamp / o.bucketMs);
  if (s.bucket === null) s.bucket = bucket;
  else if (bucket > s.bucket) {
    close(s, o, bucket);
    s.bucket = bucket;
  }
  s.volume += Number(trade.quantity);
  s.trades++;
  if (s.reported === s.bucket) return undefined;
  if (s.history.length < o.minSamples || s.trades < o.minTrades || s.mean <= 0) return undefined;
  const ratio = s.volume / s.mean;
  if (ratio < o.multiple) return undefined;
  s.reported = s.bucket;
  const from = s.bucket * o.bucketMs;
  return {
    rule: Rules.VOLUME_BURST,
    severity: ratio >= 4 * o.multiple ? Severities.CRITICAL : Severities.WARNING,
    message: `${s.trades} trades for ${s.volume.toPrecision(6)} in ${o.bucketMs} ms, ${ratio.toFixed(1)}x the mean of the last ${s.history.length} buckets (threshold ${o.multiple}x)`,
    evidence: evidence({
      bucketVolume: s.volume,
      bucketTrades: s.trades,
      baselineMean: s.mean,
      ratio,
      multiple: o.multiple,
      minTrades: o.minTrades,
      baselineBuckets: s.history.length,
      bucketMs: o.bucketMs,
      bucketFrom: from,
      bucketTo: from + o.bucketMs,
      baselineFrom: from - s.history.length * o.bucketMs,
    }),
    timestamp: trade.timestamp,
    localTimestamp: trade.localTimestamp,
    discriminator: trade.tradeId ?? String(s.trades),
  };
}
