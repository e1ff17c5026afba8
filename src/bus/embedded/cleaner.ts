// Retention (delete old segments) and compaction (keep the last record per key) of one partition,
// run by the background cleaner on closed segments, as Kafka's log cleaner does.

import fs from 'node:fs';
import path from 'node:path';
import { FRAME_HEADER_BYTES, RecordView, sealFrame } from './frame.ts';
import { type PartitionLog } from './partition-log.ts';
import { Segment } from './segment.ts';
import { type TopicConfig } from './topic-config.ts';

/** Per-partition memory of the cleaner, so an idle log is not re-read every run. */
export interface CleanState {
  /** Offsets below this were compacted with nothing left to remove. */
  cleanEnd: number;
  /** When a kept tombstone becomes removable (Infinity when none is waiting). */
  tombstoneDue: number;
}

/**
 * Kafka's rules: delete from the oldest segment on while it is older than retention.ms (by its
 * largest timestamp), then while the log stays over retention.bytes without it. The active segment
 * counts too; taking it rolls the log first. Returns the number of segments deleted.
 */
export function applyRetention(log: PartitionLog, config: TopicConfig, now: number): number {
  if (!config.delete) return 0;
  const segments = log.segments;
  let count = 0;
  if (config.retentionMs >= 0) {
    while (count < segments.length) {
      const s = segments[count]!;
      if (s === log.active && s.size === 0) break;
      const newest = s.size > 0 ? s.maxTimestamp : s.createdAt;
      if (now - newest <= config.retentionMs) break;
      count++;
    }
  }
  if (config.retentionBytes >= 0) {
    let excess = log.sizeBytes - config.retentionBytes;
    for (let i = 0; i < count; i++) excess -= segments[i]!.size;
    while (count < segments.length && excess - segments[count]!.size >= 0 && segments[count]!.size > 0) {
      excess -= segments[count]!.size;
      count++;
    }
  }
  log.deleteOldest(count);
  return count;
}

/**
 * Keeps the last record of every key in the closed segments old enough for min.compaction.lag.ms
 * (offsets preserved, so readers see gaps); removes a tombstone once its segment is older than
 * delete.retention.ms. Returns the number of segments rewritten.
 */
export function compactLog(log: PartitionLog, config: TopicConfig, state: CleanState, now: number): number {
  if (!config.compact) return 0;
  const closed = log.segments.slice(0, -1);
  let n = 0;
  while (n < closed.length && now - closed[n]!.maxTimestamp >= config.minCompactionLagMs) n++;
  if (n === 0) return 0;
  const end = closed[n - 1]!.nextOffset;
  if (end <= state.cleanEnd && now < state.tombstoneDue) return 0;
  const cleanable = closed.slice(0, n);
  const view = new RecordView();
  // Pass 1: the last offset of every key in the cleanable range.
  const latest = new Map<string, number>();
  for (const segment of cleanable) {
    forEachRecord(segment, view, (buf) => {
      if (view.keyLength >= 0)
        latest.set(buf.toString('latin1', view.keyStart, view.keyStart + view.keyLength), view.offset);
    });
  }
  // Pass 2: rewrite every segment that holds something to drop.
  let rewritten = 0;
  let tombstoneDue = Infinity;
  const cleaningDir = path.join(log.dir, '.cleaning');
  for (const segment of cleanable) {
    const dropTombstones = now - segment.maxTimestamp > config.deleteRetentionMs;
    const keep = (buf: Buffer): boolean => {
      if (view.keyLength < 0) return true;
      const key = buf.toString('latin1', view.keyStart, view.keyStart + view.keyLength);
      if (latest.get(key) !== view.offset) return false;
      return view.valueLength >= 0 || !dropTombstones;
    };
    let drops = 0;
    let tombstones = 0;
    forEachRecord(segment, view, (buf) => {
      if (!keep(buf)) drops++;
      else if (view.valueLength < 0 && view.keyLength >= 0) tombstones++;
    });
    if (tombstones > 0)
      tombstoneDue = Math.min(tombstoneDue, segment.maxTimestamp + config.deleteRetentionMs + 1);
    if (drops === 0) continue;
    fs.mkdirSync(cleaningDir, { recursive: true });
    const copy = Segment.create(cleaningDir, segment.baseOffset);
    segment.forEachFrame(0, (frame) => {
      const out = Buffer.allocUnsafe(frame.length);
      let pos = FRAME_HEADER_BYTES;
      let base = -1;
      let last = 0;
      let count = 0;
      let first = 0;
      let max = -1;
      const frameBase = frame.readDoubleLE(12);
      for (let at = FRAME_HEADER_BYTES; at < frame.length; at = view.end) {
        view.read(frame, at, frameBase);
        if (!keep(frame)) continue;
        if (base < 0) {
          base = view.offset;
          first = view.timestamp;
        }
        frame.copy(out, pos, at, view.end);
        last = view.offset - base;
        out.writeUInt32LE(last, pos);
        pos += view.end - at;
        if (view.timestamp > max) max = view.timestamp;
        count++;
      }
      if (count === 0) return;
      sealFrame(out, 0, pos, base, last, count, first, max);
      copy.append(out, pos);
    });
    copy.syncNow();
    copy.close();
    log.replaceSegment(segment, cleaningDir);
    rewritten++;
  }
  // Segments compaction emptied are dropped (except the first, which holds the log start offset).
  log.dropEmptyClosedSegments();
  state.cleanEnd = end;
  state.tombstoneDue = tombstoneDue;
  return rewritten;
}

function forEachRecord(segment: Segment, view: RecordView, fn: (frame: Buffer) => void): void {
  segment.forEachFrame(0, (frame) => {
    const base = frame.readDoubleLE(12);
    for (let at = FRAME_HEADER_BYTES; at < frame.length; at = view.end) {
      view.read(frame, at, base);
      fn(frame);
    }
  });
}
