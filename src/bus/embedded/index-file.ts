// The sparse offset + time index of one segment: in memory for lookups, appended to `<base>.index`.
//
// One file holds both columns so that one CRC'd entry keeps them consistent. Entry (24 bytes):
// f64 offset of a frame, f64 max timestamp of every record before that frame in the segment
// (-1 if none), u32 file position of the frame, u32 crc32 of the previous 20 bytes. The index is
// only a hint: recovery checks it against the log and rebuilds whatever it cannot trust.

import fs from 'node:fs';
import { crc32 } from 'node:zlib';

export const INDEX_ENTRY_BYTES = 24;
/** Bytes of log between index entries, as Kafka's index.interval.bytes. */
export const INDEX_INTERVAL_BYTES = 4096;

export class SegmentIndex {
  readonly path: string;
  #fd: number;
  #offsets: Float64Array = new Float64Array(64);
  #maxTsBefore: Float64Array = new Float64Array(64);
  #positions: Float64Array = new Float64Array(64);
  #count = 0;
  #pending: Buffer[] = [];

  constructor(path: string) {
    this.path = path;
    this.#fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  get count(): number {
    return this.#count;
  }
  lastOffset(): number {
    return this.#offsets[this.#count - 1]!;
  }
  lastPosition(): number {
    return this.#positions[this.#count - 1]!;
  }
  lastMaxTsBefore(): number {
    return this.#maxTsBefore[this.#count - 1]!;
  }

  /** Reads the entries that are intact, ascending and inside a log of `logSize` bytes. */
  load(logSize: number): void {
    const data = fs.readFileSync(this.path);
    this.#count = 0;
    let ok = 0;
    for (let pos = 0; pos + INDEX_ENTRY_BYTES <= data.length; pos += INDEX_ENTRY_BYTES) {
      if (crc32(data.subarray(pos, pos + 20)) !== data.readUInt32LE(pos + 20)) break;
      const offset = data.readDoubleLE(pos);
      const maxTs = data.readDoubleLE(pos + 8);
      const position = data.readUInt32LE(pos + 16);
      if (position >= logSize) break;
      if (this.#count > 0 && (offset <= this.lastOffset() || position <= this.lastPosition())) break;
      this.#push(offset, position, maxTs);
      ok = pos + INDEX_ENTRY_BYTES;
    }
    if (ok !== data.length) fs.ftruncateSync(this.#fd, ok);
  }

  /** Drops every entry at or after `position` of the log (the log is being truncated there). */
  truncateFrom(position: number): void {
    let n = this.#count;
    while (n > 0 && this.#positions[n - 1]! >= position) n--;
    this.#count = n;
    this.#pending = [];
    fs.ftruncateSync(this.#fd, n * INDEX_ENTRY_BYTES);
  }

  add(offset: number, position: number, maxTsBefore: number): void {
    this.#push(offset, position, maxTsBefore);
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
    entry.writeDoubleLE(offset, 0);
    entry.writeDoubleLE(maxTsBefore, 8);
    entry.writeUInt32LE(position, 16);
    entry.writeUInt32LE(crc32(entry.subarray(0, 20)), 20);
    this.#pending.push(entry);
  }

  /** Appends the entries added since the last flush, in one write. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const data = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    fs.writeSync(
      this.#fd,
      data,
      0,
      data.length,
      (this.#count - data.length / INDEX_ENTRY_BYTES) * INDEX_ENTRY_BYTES,
    );
  }

  /** File position of the last indexed frame at or before `offset` (0 when none). */
  positionForOffset(offset: number): number {
    const i = this.#floor(this.#offsets, offset, true);
    return i < 0 ? 0 : this.#positions[i]!;
  }

  /** File position from which every record before it is known to have a timestamp < `timestamp`. */
  positionForTimestamp(timestamp: number): number {
    const i = this.#floor(this.#maxTsBefore, timestamp, false);
    return i < 0 ? 0 : this.#positions[i]!;
  }

  sync(): void {
    fs.fdatasyncSync(this.#fd);
  }

  close(): void {
    fs.closeSync(this.#fd);
  }

  // Last index whose value is <= target (inclusive) or < target; the columns ascend.
  #floor(column: Float64Array, target: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.#count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = column[mid]!;
      if (inclusive ? v <= target : v < target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  #push(offset: number, position: number, maxTs: number): void {
    if (this.#count === this.#offsets.length) {
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#offsets = grow(this.#offsets);
      this.#maxTsBefore = grow(this.#maxTsBefore);
      this.#positions = grow(this.#positions);
    }
    this.#offsets[this.#count] = offset;
    this.#maxTsBefore[this.#count] = maxTs;
    this.#positions[this.#count] = position;
    this.#count++;
  }
}
