// A sequential reader over one partition that keeps its place between polls (no index lookups
// or re-reads while a consumer tails the log) and hands out records as views of what it read.

import { type BusRecord } from '../types.ts';
import { FRAME_HEADER_BYTES, RecordView, frameBaseOffset, frameLastOffset, frameLength } from './frame.ts';
import { type PartitionLog } from './partition-log.ts';
import { type Segment } from './segment.ts';

export class PartitionReader {
  readonly #log: PartitionLog;
  readonly #view = new RecordView();
  #epoch = -1;
  #segmentIndex = 0;
  #segment: Segment | null = null;
  /** The bytes read so far from the segment, starting at file position #bufStart. */
  #buf: Buffer = Buffer.alloc(0);
  #bufStart = 0;
  /** Position in #buf of the next frame, or of the next record while inside a frame. */
  #pos = 0;
  #frameEnd = 0;
  #frameBase = 0;
  #frameLast = 0;
  /** The next offset this reader will return (it skips what compaction removed). */
  #next = -1;

  constructor(log: PartitionLog) {
    this.#log = log;
  }

  /**
   * Appends up to `max` records from `offset` on to `out`; returns the offset to read next,
   * which moves past gaps left by compaction.
   */
  read(offset: number, max: number, out: BusRecord[]): number {
    const log = this.#log;
    if (log.closed) return offset;
    if (
      offset !== this.#next ||
      this.#epoch !== log.epoch ||
      this.#segment === null ||
      this.#segment.closed
    ) {
      this.#seek(offset);
    }
    const view = this.#view;
    const { topic, partition } = log;
    let count = 0;
    while (count < max) {
      if (this.#pos < this.#frameEnd) {
        view.read(this.#buf, this.#pos, this.#frameBase);
        this.#pos = view.end;
        if (view.offset >= this.#next) {
          out.push(view.toRecord(this.#buf, topic, partition));
          this.#next = view.offset + 1;
          count++;
        }
        if (this.#pos >= this.#frameEnd && this.#frameLast + 1 > this.#next) this.#next = this.#frameLast + 1;
        continue;
      }
      const segment = this.#segment!;
      const filePos = this.#bufStart + this.#pos;
      if (filePos >= segment.size) {
        if (this.#segmentIndex >= log.segments.length - 1) break;
        this.#segmentIndex++;
        this.#segment = log.segments[this.#segmentIndex]!;
        this.#buf = Buffer.alloc(0);
        this.#bufStart = 0;
        this.#pos = 0;
        this.#frameEnd = 0;
        if (this.#segment.baseOffset > this.#next) this.#next = this.#segment.baseOffset;
        continue;
      }
      this.#ensure(FRAME_HEADER_BYTES);
      const bytes = frameLength(this.#buf, this.#pos);
      this.#ensure(bytes);
      segment.verify(this.#buf.subarray(0, this.#pos + bytes), this.#pos, filePos);
      const last = frameLastOffset(this.#buf, this.#pos);
      if (last < this.#next) {
        this.#pos += bytes;
        continue;
      }
      this.#frameBase = frameBaseOffset(this.#buf, this.#pos);
      this.#frameLast = last;
      this.#frameEnd = this.#pos + bytes;
      this.#pos += FRAME_HEADER_BYTES;
    }
    return this.#next;
  }

  #seek(offset: number): void {
    const log = this.#log;
    this.#epoch = log.epoch;
    this.#segmentIndex = log.segmentIndexFor(offset);
    this.#segment = log.segments[this.#segmentIndex]!;
    this.#bufStart = this.#segment.index.positionForOffset(offset);
    this.#buf = Buffer.alloc(0);
    this.#pos = 0;
    this.#frameEnd = 0;
    this.#next = Math.max(offset, this.#segment.baseOffset);
  }

  // Makes #buf hold `bytes` bytes from #pos, reading a fresh window (old records keep the old one).
  #ensure(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    const start = this.#bufStart + this.#pos;
    this.#buf = this.#segment!.readWindow(start, bytes);
    this.#bufStart = start;
    this.#pos = 0;
    this.#frameEnd = 0;
  }
}
