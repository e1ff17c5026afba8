// Turns a product's cleanup declaration into the Kafka topic configs `topics apply` sets.

import { type Cleanup, DAY_MS, HOUR_MS } from './product.ts';

/**
 * Kafka deletes and compacts whole closed segments only, and rolls a segment after 7 days by
 * default. So a 1-day retention would keep up to 8 days of data, and a compacted topic would
 * not compact for a week: the segment is rolled at a fraction of the retention instead.
 */
function segmentMs(cleanup: Cleanup): number {
  if (cleanup.policy === 'compact') return HOUR_MS;
  return Math.min(DAY_MS, Math.max(HOUR_MS, Math.floor(cleanup.retentionMs / 8)));
}

export function topicConfigs(cleanup: Cleanup): Record<string, string> {
  if (cleanup.policy === 'delete') {
    return {
      'cleanup.policy': 'delete',
      'retention.ms': String(cleanup.retentionMs),
      'segment.ms': String(segmentMs(cleanup)),
    };
  }
  return {
    'cleanup.policy': 'compact',
    'delete.retention.ms': String(cleanup.deleteRetentionMs),
    'min.compaction.lag.ms': String(cleanup.minCompactionLagMs),
    'segment.ms': String(segmentMs(cleanup)),
  };
}
