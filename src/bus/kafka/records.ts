// Turns the record batches of one fetched partition into bus records.

import { type fetchV17 } from '@platformatic/kafka';
import { type BusRecord, type Headers } from '../types.ts';

/** Shared by every record without headers (most market data), to save an object per record. */
const NO_HEADERS: Headers = Object.freeze({});

/**
 * Returns the records at or after `from` (a batch may start before the fetch offset) and
 * the next offset to fetch. Control batches (transaction markers) advance the offset but
 * yield no record.
 */
export function decodeFetchedPartition(
  topic: string,
  part: fetchV17.FetchResponsePartition,
  from: number,
  controlFlag: number,
): { records: BusRecord[]; next: number } {
  const records: BusRecord[] = [];
  let next = from;
  const partition = part.partitionIndex;
  for (const batch of part.records ?? []) {
    const base = Number(batch.firstOffset);
    const last = base + batch.lastOffsetDelta;
    if (last + 1 > next) next = last + 1;
    if (batch.attributes & controlFlag) continue;
    const firstTimestamp = Number(batch.firstTimestamp);
    for (const record of batch.records) {
      const offset = base + record.offsetDelta;
      if (offset < from) continue;
      let headers: Headers = NO_HEADERS;
      if (record.headers.length > 0) {
        const h: Record<string, Buffer> = {};
        for (const [name, value] of record.headers) {
          if (name !== null) h[name.toString('utf8')] = value ?? Buffer.alloc(0);
        }
        headers = h;
      }
      records.push({
        topic,
        partition,
        offset,
        timestamp: firstTimestamp + Number(record.timestampDelta),
        key: record.key ?? null,
        value: record.value ?? null,
        headers,
      });
    }
  }
  return { records, next };
}
