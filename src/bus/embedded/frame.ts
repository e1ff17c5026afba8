// The on-disk batch frame: length + CRC-32 + base offset + count + timestamps, then the records.
//
// Frame layout (little endian):
//   0 u32 length of everything after this field    4 u32 crc32 of bytes [8, end)
//   8 u8 magic, 3 bytes reserved                   12 f64 base offset
//  20 u32 last offset delta                        24 u32 record count
//  28 f64 first timestamp                          36 f64 max timestamp
//  44 records: u32 offset delta, f64 timestamp, i32 key length (-1 null), key,
//     i32 value length (-1 null), value, u16 header count, per header
//     (u16 name length, name UTF-8, u32 value length, value)
// Offsets and timestamps are f64: exact for every safe integer and one instruction to read.

import { crc32 } from 'node:zlib';
import { type BusRecord, type Headers } from '../types.ts';

export const FRAME_HEADER_BYTES = 44;
export const FRAME_MAGIC = 1;
export const RECORD_OVERHEAD = 22;

export const FrameChecks = { OK: 0, INCOMPLETE: 1, CORRUPT: 2 } as const;
export type FrameCheck = (typeof FrameChecks)[keyof typeof FrameChecks];

const EMPTY_HEADERS: Headers = Object.freeze({});

export function headersSize(headers: Headers | null): number {
  if (headers === null) return 0;
  let size = 0;
  for (const name in headers) size += 6 + Buffer.byteLength(name, 'utf8') + headers[name]!.length;
  return size;
}

export function recordSize(key: Buffer | null, value: Buffer | null, headers: Headers | null): number {
  return (
    RECORD_OVERHEAD +
    (key === null ? 0 : key.length) +
    (value === null ? 0 : value.length) +
    headersSize(headers)
  );
}

/** Writes one record at `pos`; returns the position after it. */
export function writeRecord(
  buf: Buffer,
  pos: number,
  offsetDelta: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: Headers | null,
): number {
  buf.writeUInt32LE(offsetDelta, pos);
  buf.writeDoubleLE(timestamp, pos + 4);
  pos += 12;
  if (key === null) {
    buf.writeInt32LE(-1, pos);
    pos += 4;
  } else {
    buf.writeInt32LE(key.length, pos);
    buf.set(key, pos + 4);
    pos += 4 + key.length;
  }
  if (value === null) {
    buf.writeInt32LE(-1, pos);
    pos += 4;
  } else {
    buf.writeInt32LE(value.length, pos);
    buf.set(value, pos + 4);
    pos += 4 + value.length;
  }
  if (headers === null) {
    buf.writeUInt16LE(0, pos);
    return pos + 2;
  }
  const countAt = pos;
  pos += 2;
  let count = 0;
  for (const name in headers) {
    const v = headers[name]!;
    const n = buf.write(name, pos + 2, 'utf8');
    buf.writeUInt16LE(n, pos);
    pos += 2 + n;
    buf.writeUInt32LE(v.length, pos);
    pos += 4 + v.copy(buf, pos + 4);
    count++;
  }
  buf.writeUInt16LE(count, countAt);
  return pos;
}

/** Fills in the header of a frame whose records occupy [start + FRAME_HEADER_BYTES, end), then its CRC. */
export function sealFrame(
  buf: Buffer,
  start: number,
  end: number,
  baseOffset: number,
  lastOffsetDelta: number,
  count: number,
  firstTimestamp: number,
  maxTimestamp: number,
): void {
  buf.writeUInt32LE(end - start - 4, start);
  buf.writeUInt32LE(FRAME_MAGIC, start + 8);
  buf.writeDoubleLE(baseOffset, start + 12);
  buf.writeUInt32LE(lastOffsetDelta, start + 20);
  buf.writeUInt32LE(count, start + 24);
  buf.writeDoubleLE(firstTimestamp, start + 28);
  buf.writeDoubleLE(maxTimestamp, start + 36);
  buf.writeUInt32LE(crc32(buf.subarray(start + 8, end)), start + 4);
}

export function frameLength(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos) + 4;
}
export function frameBaseOffset(buf: Buffer, pos: number): number {
  return buf.readDoubleLE(pos + 12);
}
export function frameLastOffset(buf: Buffer, pos: number): number {
  return buf.readDoubleLE(pos + 12) + buf.readUInt32LE(pos + 20);
}
export function frameCount(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos + 24);
}
export function frameFirstTimestamp(buf: Buffer, pos: number): number {
  return buf.readDoubleLE(pos + 28);
}
export function frameMaxTimestamp(buf: Buffer, pos: number): number {
  return buf.readDoubleLE(pos + 36);
}

/**
 * Whether a whole, intact frame starts at `pos` given `end` bytes of valid data in `buf`.
 * A header that cannot be right (bad magic, absurd length) counts as corrupt.
 */
export function checkFrame(buf: Buffer, pos: number, end: number): FrameCheck {
  if (end - pos < FRAME_HEADER_BYTES) return FrameChecks.INCOMPLETE;
  const length = buf.readUInt32LE(pos) + 4;
  if (length < FRAME_HEADER_BYTES || buf.readUInt32LE(pos + 8) !== FRAME_MAGIC) return FrameChecks.CORRUPT;
  if (end - pos < length) return FrameChecks.INCOMPLETE;
  if (crc32(buf.subarray(pos + 8, pos + length)) !== buf.readUInt32LE(pos + 4)) return FrameChecks.CORRUPT;
  return FrameChecks.OK;
}

/** A cursor over the records of one verified frame that allocates nothing until asked to. */
export class RecordView {
  offset = 0;
  timestamp = 0;
  keyStart = 0;
  keyLength = -1;
  valueStart = 0;
  valueLength = -1;
  headersStart = 0;
  headerCount = 0;
  end = 0;

  /** Parses the record at `pos` of a frame whose base offset is `baseOffset`. */
  read(buf: Buffer, pos: number, baseOffset: number): void {
    this.offset = baseOffset + buf.readUInt32LE(pos);
    this.timestamp = buf.readDoubleLE(pos + 4);
    pos += 12;
    this.keyLength = buf.readInt32LE(pos);
    this.keyStart = pos + 4;
    pos += 4 + (this.keyLength > 0 ? this.keyLength : 0);
    this.valueLength = buf.readInt32LE(pos);
    this.valueStart = pos + 4;
    pos += 4 + (this.valueLength > 0 ? this.valueLength : 0);
    this.headerCount = buf.readUInt16LE(pos);
    pos += 2;
    this.headersStart = pos;
    for (let i = 0; i < this.headerCount; i++) {
      pos += 2 + buf.readUInt16LE(pos);
      pos += 4 + buf.readUInt32LE(pos);
    }
    this.end = pos;
  }

  key(buf: Buffer): Buffer | null {
    return this.keyLength < 0 ? null : buf.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  value(buf: Buffer): Buffer | null {
    return this.valueLength < 0 ? null : buf.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  headers(buf: Buffer): Headers {
    if (this.headerCount === 0) return EMPTY_HEADERS;
    const out: Record<string, Buffer> = {};
    let pos = this.headersStart;
    for (let i = 0; i < this.headerCount; i++) {
      const nameLength = buf.readUInt16LE(pos);
      const name = buf.toString('utf8', pos + 2, pos + 2 + nameLength);
      pos += 2 + nameLength;
      const valueLength = buf.readUInt32LE(pos);
      out[name] = buf.subarray(pos + 4, pos + 4 + valueLength);
      pos += 4 + valueLength;
    }
    return out;
  }

  /** The record as handed to consumers; key, value and header bytes are views of `buf`. */
  toRecord(buf: Buffer, topic: string, partition: number): BusRecord {
    return {
      topic,
      partition,
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key(buf),
      value: this.value(buf),
      headers: this.headers(buf),
    };
  }
}
