// The log of one topic partition: its segments, appends, rolling, offset/timestamp lookups, fsync.

import fs from 'node:fs';
import path from 'node:path';
import { BusError, BusErrorCodes } from '../errors.ts';
import { type Headers } from '../types.ts';
import {
  FRAME_HEADER_BYTES,
  RecordView,
  frameBaseOffset,
  frameMaxTimestamp,
  recordSize,
  sealFrame,
  writeRecord,
} from './frame.ts';
import { type FsyncPolicy, FsyncPolicies } from './options.ts';
import { Segment } from './segment.ts';
import { type TopicConfig } from './topic-config.ts';

/** Records of one append call, as parallel columns so the hot path allocates no per-record objects. */
export interface RecordColumns {
  readonly keys: readonly (Buffer | null)[];
  readonly values: readonly (Buffer | null)[];
  readonly headers: readonly (Headers | null)[];
  readonly timestamps: readonly number[];
}

/** Frames are cut at this many bytes so that readers and the cleaner work in bounded pieces. */
const MAX_FRAME_BYTES = 1024 * 1024;

let sizes = new Uint32Array(1024);

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  /** Ascending by base offset; the last one is the active segment. */
  segments: Segment[] = [];
  /** Changes whenever segments are removed or replaced, so readers drop cached positions. */
  epoch = 0;
  dirty = false;
  closed = false;
  readonly #config: () => TopicConfig;
  readonly #policy: FsyncPolicy;
  readonly #waiters = new Set<() => void>();
  #syncRunning: Promise<void> | null = null;
  #syncNext: Promise<void> | null = null;

  private constructor(
    dir: string,
    topic: string,
    partition: number,
    config: () => TopicConfig,
    policy: FsyncPolicy,
  ) {
    this.dir = dir;
    this.topic = topic;
    this.partition = partition;
    this.#config = config;
    this.#policy = policy;
  }

  /** Opens (recovering every segment) or creates the partition directory. */
  static open(
    dir: string,
    topic: string,
    partition: number,
    config: () => TopicConfig,
    policy: FsyncPolicy,
  ): PartitionLog {
    const log = new PartitionLog(dir, topic, partition, config, policy);
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, '.cleaning'), { recursive: true, force: true });
    const bases = fs
      .readdirSync(dir)
      .filter((name) => /^\d{20}\.log$/.test(name))
      .map((name) => Number(name.slice(0, 20)))
      .sort((a, b) => a - b);
    for (const name of fs.readdirSync(dir)) {
      // An index without its log is left over from a deleted segment.
      if (/^\d{20}\.index$/.test(name) && !bases.includes(Number(name.slice(0, 20))))
        fs.rmSync(path.join(dir, name));
    }
    for (const base of bases) log.segments.push(Segment.open(dir, base));
    if (log.segments.length === 0) log.segments.push(Segment.create(dir, 0));
    return log;
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  get logStartOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Calls `wake` once on the next append (or close); returns a function that cancels it. */
  onAppend(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }

  /**
   * Appends the records `order` picks from `columns` (in that order) as one write; returns the
   * offset of the first. Frames are encoded into one buffer: no per-record syscalls.
   */
  append(columns: RecordColumns, order: readonly number[]): number {
    if (this.closed)
      throw new BusError(BusErrorCodes.CLOSED, `Partition ${this.topic}[${this.partition}] is closed`);
    const n = order.length;
    if (sizes.length < n) sizes = new Uint32Array(Math.max(n, sizes.length * 2));
    let total = 0;
    let frameBytes = 0;
    let maxTs = -1;
    for (let i = 0; i < n; i++) {
      const r = order[i]!;
      const size = recordSize(columns.keys[r]!, columns.values[r]!, columns.headers[r]!);
      sizes[i] = size;
      if (frameBytes === 0 || frameBytes + size > MAX_FRAME_BYTES) {
        total += FRAME_HEADER_BYTES;
        frameBytes = 0;
      }
      frameBytes += size;
      total += size;
      const ts = columns.timestamps[r]!;
      if (ts > maxTs) maxTs = ts;
    }
    this.#maybeRoll(total, maxTs);
    const base = this.active.nextOffset;
    const buf = Buffer.allocUnsafe(total);
    let pos = 0;
    let i = 0;
    while (i < n) {
      const frameStart = pos;
      pos += FRAME_HEADER_BYTES;
      const frameBase = base + i;
      let frameSize = 0;
      let first = -1;
      let frameMax = -1;
      let count = 0;
      while (i < n && (count === 0 || frameSize + sizes[i]! <= MAX_FRAME_BYTES)) {
        const r = order[i]!;
        const ts = columns.timestamps[r]!;
        if (count === 0) first = ts;
        if (ts > frameMax) frameMax = ts;
        pos = writeRecord(buf, pos, count, ts, columns.keys[r]!, columns.values[r]!, columns.headers[r]!);
        frameSize += sizes[i]!;
        count++;
        i++;
      }
      sealFrame(buf, frameStart, pos, frameBase, count - 1, count, first, frameMax);
    }
    this.active.append(buf, pos);
    this.dirty = true;
    this.#wakeAll();
    return base;
  }

  /** Starts a new active segment at the log end (Kafka's roll). */
  roll(): void {
    const old = this.active;
    if (old.size === 0) return;
    if (this.#policy !== FsyncPolicies.NEVER) old.syncNow();
    this.segments.push(Segment.create(this.dir, old.nextOffset));
    if (this.#policy !== FsyncPolicies.NEVER) syncDir(this.dir);
  }

  /** Index of the segment holding `offset` (the last one whose base is <= it), 0 when before all. */
  segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Kafka's rule: the first record, in offset order, whose timestamp is >= `timestamp`; else the log end. */
  offsetForTimestamp(timestamp: number): number {
    const view = new RecordView();
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      let found = -1;
      segment.forEachFrame(segment.index.positionForTimestamp(timestamp), (frame) => {
        if (frameMaxTimestamp(frame, 0) < timestamp) return false;
        const base = frameBaseOffset(frame, 0);
        for (let pos = FRAME_HEADER_BYTES; pos < frame.length; pos = view.end) {
          view.read(frame, pos, base);
          if (view.timestamp >= timestamp) {
            found = view.offset;
            return true;
          }
        }
        return false;
      });
      if (found >= 0) return found;
    }
    return this.logEndOffset;
  }

  /** Removes the first `count` segments (retention); rolls first if that would take the active one. */
  deleteOldest(count: number): void {
    if (count <= 0) return;
    if (count >= this.segments.length) {
      if (this.active.size === 0) count = this.segments.length - 1;
      else this.roll();
    }
    for (const segment of this.segments.splice(0, count)) segment.delete();
    this.epoch++;
    this.#wakeAll();
  }

  /** Swaps a segment for its compacted copy, built in `cleaningDir` under the same base offset. */
  replaceSegment(old: Segment, cleaningDir: string): void {
    const i = this.segments.indexOf(old);
    if (i < 0 || i === this.segments.length - 1)
      throw new Error('Only a closed segment of this log can be replaced');
    old.close();
    // Index first: a crash between the renames leaves a log without an index, which recovery rebuilds.
    fs.rmSync(old.index.path, { force: true });
    fs.renameSync(path.join(cleaningDir, path.basename(old.logPath)), old.logPath);
    fs.renameSync(path.join(cleaningDir, path.basename(old.index.path)), old.index.path);
    this.segments[i] = Segment.open(this.dir, old.baseOffset);
    this.epoch++;
  }

  /** Removes closed segments that compaction left empty, except the first (it holds the log start). */
  dropEmptyClosedSegments(): void {
    const keep = this.segments.filter((s, i) => i === 0 || i === this.segments.length - 1 || s.size > 0);
    if (keep.length === this.segments.length) return;
    for (const s of this.segments) if (!keep.includes(s)) s.delete();
    this.segments = keep;
    this.epoch++;
  }

  /** Durability barrier: resolves once everything appended before the call is on disk. Calls coalesce. */
  sync(): Promise<void> {
    if (this.#syncRunning) {
      this.#syncNext ??= this.#syncRunning.then(() => {
        this.#syncNext = null;
        return this.sync();
      });
      return this.#syncNext;
    }
    this.dirty = false;
    this.#syncRunning = this.active.sync().finally(() => {
      this.#syncRunning = null;
    });
    return this.#syncRunning;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.#syncRunning?.catch(() => undefined);
    this.active.syncNow();
    for (const segment of this.segments) segment.close();
    this.#wakeAll();
  }

  /** Closes without syncing and removes the partition's files (topic deletion). */
  destroy(): void {
    this.closed = true;
    for (const segment of this.segments) segment.close();
    this.#wakeAll();
  }

  #maybeRoll(bytes: number, maxTs: number): void {
    const active = this.active;
    if (active.size === 0) return;
    const config = this.#config();
    if (active.size > config.segmentBytes - bytes || maxTs - active.firstFrameTimestamp > config.segmentMs)
      this.roll();
  }

  #wakeAll(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
