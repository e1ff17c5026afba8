// Helpers shared by both backends for turning user-facing record fields into bytes.

import { BusError, BusErrorCodes } from './errors.ts';
import { partitionForKey } from './murmur2.ts';
import { type Headers, type ProduceRecord } from './types.ts';

export function toBytes(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export function toHeaders(headers: ProduceRecord['headers']): Headers {
  if (!headers) return {};
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }
  return out;
}

/** Validates what a backend must reject before anything is written. */
export function checkProduceRecord(record: ProduceRecord): void {
  if (typeof record.topic !== 'string' || record.topic.length === 0) {
    throw new BusError(BusErrorCodes.INVALID_ARGUMENT, 'A record needs a topic name');
  }
  if (record.timestamp !== undefined && (!Number.isSafeInteger(record.timestamp) || record.timestamp < 0)) {
    throw new BusError(
      BusErrorCodes.INVALID_ARGUMENT,
      `Record timestamp ${String(record.timestamp)} for topic ${record.topic} is not a non-negative integer of milliseconds`,
    );
  }
  if (record.partition !== undefined && (!Number.isInteger(record.partition) || record.partition < 0)) {
    throw new BusError(
      BusErrorCodes.INVALID_ARGUMENT,
      `Record partition ${String(record.partition)} for topic ${record.topic} is not a non-negative integer`,
    );
  }
}

/**
 * Chooses the partition: explicit, else murmur2 of the key, else sticky round-robin for
 * null keys (one partition per batch, as Kafka's sticky partitioner does).
 */
export function choosePartition(
  record: ProduceRecord,
  key: Buffer | null,
  partitionCount: number,
  stickyPartition: number,
): number {
  if (record.partition !== undefined) {
    if (record.partition >= partitionCount) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `Partition ${record.partition} does not exist: topic ${record.topic} has ${partitionCount} partition(s)`,
      );
    }
    return record.partition;
  }
  if (key !== null) return partitionForKey(key, partitionCount);
  return stickyPartition % partitionCount;
}

/** Throws unless `n` is an offset or count a backend can represent exactly. */
export function checkOffset(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BusError(
      BusErrorCodes.INVALID_ARGUMENT,
      `${what} must be a non-negative integer, got ${String(n)}`,
    );
  }
}
