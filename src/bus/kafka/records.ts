// Turns the record batches of one fetched partition into bus records.

import { type fetchV17 } from '@platformatic/kafka';
import { type BusRecord } from '../types.ts';
import { decodeRecordBatches } from './record-batch.ts';

/**
 * Returns the records at or after `from` (a batch may start before the fetch offset) and
 * the next offset to fetch. Control batches (transaction markers) advance the offset but
 * yield no record.
 */
export function decodeFetchedPartition(
  topic: string,
  part: fetchV17.FetchResponsePartition,
  from: number,
): { records: BusRecord[]; next: number } {
  if (!part.recordsBuffer) return { records: [], next: from };
  return decodeRecordBatches(topic, part.partitionIndex, part.recordsBuffer, from);
}
