// Decodes Kafka record batches (magic v2) of a fetch answer straight into bus records.
//
// The client's own decoder builds an object per record with BigInt timestamps and allocates
// an array per varint; on the consumer's hot path that was most of the CPU per record. This
// one reads the contiguous answer buffer once, keys and values stay zero-copy views into it,
// and each record costs one object. Compressed batches go through the client's decoder,
// which knows the codecs.

import { Reader, readRecordsBatch } from '@platformatic/kafka';
import { BusError, BusErrorCodes } from '../errors.ts';
import { type BusRecord, type Headers } from '../types.ts';

/** Shared by every record without headers (most market data), to save an object per record. */
const NO_HEADERS: Headers = Object.freeze({});
const EMPTY = Buffer.alloc(0);

/** baseOffset(8) + batchLength(4): what precedes the part `batchLength` counts. */
const LOG_OVERHEAD = 12;
/** Bytes from the batch start to the first record (through the record count). */
const RECORDS_START = 61;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;
const LAST_OFFSET_DELTA_AT = 23;
const FIRST_TIMESTAMP_AT = 27;
const RECORD_COUNT_AT = 57;
const COMPRESSION_MASK = 0x07;
const CONTROL_FLAG = 0x20;

/** Where a decoder stands in the buffer; varint readers advance it. */
interface Cursor {
  pos: number;
}

function corrupt(what: string): BusError {
  return new BusError(BusErrorCodes.BACKEND, `Corrupt record batch from Kafka: ${what}`);
}

/** Zigzag varint of at most 32 bits, as a number. */
function varint(buf: Buffer, c: Cursor): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    if (c.pos >= buf.length || shift > 28) throw corrupt('varint past the end of the batch');
    byte = buf[c.pos++]!;
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** Zigzag varlong as a number; exact while it stays within 2^53 (timestamps do). */
function varlong(buf: Buffer, c: Cursor): number {
  let result = 0;
  let scale = 1;
  let byte: number;
  do {
    if (c.pos >= buf.length || scale > 2 ** 63) throw corrupt('varlong past the end of the batch');
    byte = buf[c.pos++]!;
    result += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  // Zigzag: even values are non-negative, odd ones negative.
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/** A varint-length-prefixed byte string (-1 for null), as a view into `buf`. */
function bytes(buf: Buffer, c: Cursor): Buffer | null {
  const length = varint(buf, c);
  if (length < 0) return null;
  const end = c.pos + length;
  if (end > buf.length) throw corrupt('a key, value or header runs past the end of the batch');
  const out = length === 0 ? EMPTY : buf.subarray(c.pos, end);
  c.pos = end;
  return out;
}

export interface DecodedRecords {
  readonly records: BusRecord[];
  /** The offset after the last batch seen (control batches included): where to fetch next. */
  readonly next: number;
}

/**
 * Decodes every complete batch in `buf` (a broker may end an answer with a partial batch,
 * which is ignored and fetched again), keeping records at or after `from` (a batch may
 * start before the fetch offset). Control batches (transaction markers) move `next` on but
 * yield no record.
 */
export function decodeRecordBatches(
  topic: string,
  partition: number,
  buf: Buffer,
  from: number,
): DecodedRecords {
  const records: BusRecord[] = [];
  let next = from;
  let start = 0;
  const c: Cursor = { pos: 0 };
  while (buf.length - start >= LOG_OVERHEAD) {
    const batchLength = buf.readInt32BE(start + 8);
    const end = start + LOG_OVERHEAD + batchLength;
    if (end > buf.length) break;
    if (batchLength < RECORDS_START - LOG_OVERHEAD) throw corrupt(`batch length ${batchLength}`);
    const magic = buf[start + MAGIC_AT]!;
    if (magic !== 2) throw corrupt(`magic ${magic} (only v2 record batches are supported)`);
    const base = Number(buf.readBigInt64BE(start));
    const last = base + buf.readInt32BE(start + LAST_OFFSET_DELTA_AT);
    if (last + 1 > next) next = last + 1;
    const attributes = buf.readInt16BE(start + ATTRIBUTES_AT);
    if (!(attributes & CONTROL_FLAG) && last >= from) {
      if (attributes & COMPRESSION_MASK)
        decodeCompressed(topic, partition, buf.subarray(start, end), from, records);
      else decodeRecords(topic, partition, buf, start, end, base, from, records, c);
    }
    start = end;
  }
  return { records, next };
}

function decodeRecords(
  topic: string,
  partition: number,
  buf: Buffer,
  start: number,
  end: number,
  base: number,
  from: number,
  out: BusRecord[],
  c: Cursor,
): void {
  const firstTimestamp = Number(buf.readBigInt64BE(start + FIRST_TIMESTAMP_AT));
  const count = buf.readInt32BE(start + RECORD_COUNT_AT);
  const batch = buf.subarray(0, end);
  c.pos = start + RECORDS_START;
  for (let i = 0; i < count; i++) {
    const length = varint(batch, c);
    const recordEnd = c.pos + length;
    if (length < 0 || recordEnd > end) throw corrupt(`record length ${length}`);
    c.pos++; // attributes: unused in v2
    const timestamp = firstTimestamp + varlong(batch, c);
    const offset = base + varint(batch, c);
    const key = bytes(batch, c);
    const value = bytes(batch, c);
    const headerCount = varint(batch, c);
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      const h: Record<string, Buffer> = {};
      for (let j = 0; j < headerCount; j++) {
        const name = bytes(batch, c);
        const headerValue = bytes(batch, c);
        if (name !== null) h[name.toString('utf8')] = headerValue ?? EMPTY;
      }
      headers = h;
    }
    if (c.pos !== recordEnd)
      throw corrupt(`record at offset ${offset} has ${recordEnd - c.pos} stray byte(s)`);
    if (offset >= from) out.push({ topic, partition, offset, timestamp, key, value, headers });
  }
}

function decodeCompressed(
  topic: string,
  partition: number,
  batchBytes: Buffer,
  from: number,
  out: BusRecord[],
): void {
  const batch = readRecordsBatch(Reader.from(batchBytes));
  const base = Number(batch.firstOffset);
  const firstTimestamp = Number(batch.firstTimestamp);
  for (const record of batch.records) {
    const offset = base + record.offsetDelta;
    if (offset < from) continue;
    let headers: Headers = NO_HEADERS;
    if (record.headers.length > 0) {
      const h: Record<string, Buffer> = {};
      for (const [name, value] of record.headers)
        if (name !== null) h[name.toString('utf8')] = value ?? EMPTY;
      headers = h;
    }
    out.push({
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
