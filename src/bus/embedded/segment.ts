// One segment of a partition: `<baseOffset>.log` (CRC'd frames) and its index; append, read, recover.

import fs from 'node:fs';
import path from 'node:path';
import { BusError, BusErrorCodes } from '../errors.ts';
import {
  FRAME_HEADER_BYTES,
  FrameChecks,
  checkFrame,
  frameBaseOffset,
  frameLastOffset,
  frameLength,
  frameMaxTimestamp,
} from './frame.ts';
import { INDEX_INTERVAL_BYTES, SegmentIndex } from './index-file.ts';

/** Bytes read at a time when scanning or reading a segment sequentially. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export function segmentFileName(baseOffset: number, ext: string): string {
  return `${String(baseOffset).padStart(20, '0')}${ext}`;
}

export interface RecoveryReport {
  /** Bytes cut off the end of the log because they were torn or failed their CRC. */
  readonly truncatedBytes: number;
  readonly indexRebuilt: boolean;
}

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly index: SegmentIndex;
  /** Bytes of whole, valid frames; appends go here. */
  size = 0;
  /** The offset after the last record in this segment (its base offset when empty). */
  nextOffset: number;
  /** Largest record timestamp in the segment, -1 when empty. */
  maxTimestamp = -1;
  /** Max timestamp of the first frame: segment.ms counts from it, as Kafka's rolling base. */
  firstFrameTimestamp = -1;
  /** Wall-clock creation (or load) time, used for an empty segment's age. */
  readonly createdAt = Date.now();
  recovery: RecoveryReport = { truncatedBytes: 0, indexRebuilt: false };
  #fd: number;
  #bytesSinceIndex = INDEX_INTERVAL_BYTES;
  #pendingSyncs = 0;
  #closeWhenSynced = false;
  #closed = false;

  private constructor(dir: string, baseOffset: number, create: boolean) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.logPath = path.join(dir, segmentFileName(baseOffset, '.log'));
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | (create ? fs.constants.O_TRUNC : 0);
    this.#fd = fs.openSync(this.logPath, flags, 0o644);
    const indexPath = path.join(dir, segmentFileName(baseOffset, '.index'));
    if (create) fs.rmSync(indexPath, { force: true });
    this.index = new SegmentIndex(indexPath);
  }

  static create(dir: string, baseOffset: number): Segment {
    return new Segment(dir, baseOffset, true);
  }

  /** Opens an existing segment, trusting its index where it checks out and scanning the rest. */
  static open(dir: string, baseOffset: number): Segment {
    const segment = new Segment(dir, baseOffset, false);
    segment.#recover();
    return segment;
  }

  get closed(): boolean {
    return this.#closed || this.#closeWhenSynced;
  }

  /** Appends whole frames (`buf[0, length)`) in one write and indexes them. */
  append(buf: Buffer, length: number): void {
    let written = 0;
    while (written < length) {
      written += fs.writeSync(this.#fd, buf, written, length - written, this.size + written);
    }
    for (let pos = 0; pos < length;) {
      const frameBytes = frameLength(buf, pos);
      this.#noteFrame(buf, pos, this.size + pos, frameBytes);
      pos += frameBytes;
    }
    this.size += length;
    this.index.flush();
  }

  /** Reads up to `length` bytes at `position` into `buf` at `at`; returns the bytes read. */
  readInto(buf: Buffer, at: number, length: number, position: number): number {
    const end = Math.min(this.size, position + length);
    let done = 0;
    while (position + done < end) {
      const n = fs.readSync(this.#fd, buf, at + done, end - position - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** Reads a window of at least `min` bytes (when the segment has them) starting at `position`. */
  readWindow(position: number, min: number): Buffer {
    const length = Math.min(this.size - position, Math.max(min, READ_CHUNK_BYTES));
    const buf = Buffer.allocUnsafe(Math.max(length, 0));
    const n = this.readInto(buf, 0, length, position);
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  /** Throws CORRUPT unless a whole intact frame starts at `pos` of `buf` (file position `position`). */
  verify(buf: Buffer, pos: number, position: number): void {
    if (checkFrame(buf, pos, buf.length) !== FrameChecks.OK) {
      throw new BusError(BusErrorCodes.CORRUPT, `Corrupt frame in ${this.logPath} at byte ${position}`, {
        hint: 'the data before it is intact; restore this segment from a copy or delete the topic',
      });
    }
  }

  /**
   * Calls `fn` with every verified frame from file position `start` on, reading in large windows;
   * stops early when `fn` returns true.
   */
  forEachFrame(start: number, fn: (frame: Buffer, position: number) => boolean | void): void {
    let window: Buffer = Buffer.alloc(0);
    let windowStart = start;
    for (let position = start; position < this.size;) {
      let rel = position - windowStart;
      if (rel + FRAME_HEADER_BYTES > window.length) {
        window = this.readWindow(position, FRAME_HEADER_BYTES);
        windowStart = position;
        rel = 0;
      }
      const bytes = frameLength(window, rel);
      if (rel + bytes > window.length) {
        window = this.readWindow(position, bytes);
        windowStart = position;
        rel = 0;
      }
      const frame = window.subarray(rel, rel + bytes);
      this.verify(frame, 0, position);
      if (fn(frame, position) === true) return;
      position += bytes;
    }
  }

  /** Forces the log's data to disk. Safe against a concurrent close: the fd outlives the sync. */
  async sync(): Promise<void> {
    if (this.closed) return;
    this.#pendingSyncs++;
    try {
      await new Promise<void>((resolve, reject) =>
        fs.fdatasync(this.#fd, (e) => (e ? reject(e) : resolve())),
      );
    } finally {
      this.#pendingSyncs--;
      if (this.#closeWhenSynced && this.#pendingSyncs === 0) this.#closeNow();
    }
  }

  syncNow(): void {
    if (this.closed) return;
    fs.fdatasyncSync(this.#fd);
    this.index.sync();
  }

  close(): void {
    if (this.closed) return;
    if (this.#pendingSyncs > 0) this.#closeWhenSynced = true;
    else this.#closeNow();
  }

  /** Closes and removes the segment's files. */
  delete(): void {
    this.close();
    fs.rmSync(this.logPath, { force: true });
    fs.rmSync(this.index.path, { force: true });
  }

  #closeNow(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
    this.index.close();
  }

  #noteFrame(buf: Buffer, pos: number, filePosition: number, frameBytes: number): void {
    if (this.#bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.index.add(frameBaseOffset(buf, pos), filePosition, this.maxTimestamp);
      this.#bytesSinceIndex = 0;
    }
    this.#bytesSinceIndex += frameBytes;
    const maxTs = frameMaxTimestamp(buf, pos);
    if (maxTs > this.maxTimestamp) this.maxTimestamp = maxTs;
    if (this.firstFrameTimestamp < 0) this.firstFrameTimestamp = maxTs;
    this.nextOffset = frameLastOffset(buf, pos) + 1;
  }

  // Starts from the last index entry whose frame is intact, validates every frame after it and
  // cuts the log at the first torn or corrupt one: nothing after it can be trusted.
  #recover(): void {
    const fileSize = fs.fstatSync(this.#fd).size;
    this.size = fileSize;
    this.index.load(fileSize);
    let start = 0;
    let indexRebuilt = false;
    if (this.index.count > 0) {
      const at = this.index.lastPosition();
      const window = this.readWindow(at, FRAME_HEADER_BYTES);
      const ok =
        window.length >= FRAME_HEADER_BYTES &&
        frameLength(window, 0) <= fileSize - at &&
        checkFrame(this.readWindow(at, frameLength(window, 0)), 0, frameLength(window, 0)) ===
          FrameChecks.OK &&
        frameBaseOffset(window, 0) === this.index.lastOffset();
      if (ok) {
        start = at;
        this.maxTimestamp = this.index.lastMaxTsBefore();
        this.#bytesSinceIndex = 0;
        const first = this.readWindow(0, FRAME_HEADER_BYTES);
        this.firstFrameTimestamp = frameMaxTimestamp(first, 0);
      } else {
        this.index.truncateFrom(0);
        indexRebuilt = true;
      }
    } else if (fileSize > 0) {
      indexRebuilt = true;
    }
    let position = start;
    let expected = this.baseOffset;
    let window: Buffer = Buffer.alloc(0);
    let windowStart = 0;
    while (position < fileSize) {
      let rel = position - windowStart;
      if (rel + FRAME_HEADER_BYTES > window.length) {
        window = this.readWindow(position, FRAME_HEADER_BYTES);
        windowStart = position;
        rel = 0;
      }
      if (window.length - rel < FRAME_HEADER_BYTES) break;
      const frameBytes = frameLength(window, rel);
      if (frameBytes > fileSize - position) break;
      if (rel + frameBytes > window.length) {
        window = this.readWindow(position, frameBytes);
        windowStart = position;
        rel = 0;
      }
      if (checkFrame(window, rel, window.length) !== FrameChecks.OK) break;
      if (frameBaseOffset(window, rel) < expected) break;
      expected = frameLastOffset(window, rel) + 1;
      this.#noteFrame(window, rel, position, frameBytes);
      position += frameBytes;
    }
    this.index.flush();
    if (position < fileSize) {
      fs.ftruncateSync(this.#fd, position);
      this.index.truncateFrom(position);
    }
    this.size = position;
    if (this.size === 0) {
      this.maxTimestamp = -1;
      this.firstFrameTimestamp = -1;
    }
    this.recovery = { truncatedBytes: fileSize - position, indexRebuilt };
  }
}
