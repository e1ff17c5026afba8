// Time travel for state: puts a store's changelog back to the values it held at a datetime, to go with a group reset to it.

import { type Bus, type BusRecord, type ProduceRecord } from '../../bus/types.ts';
import { COMMIT_MARKER_KEY, encodeCommitMarker, isCommitMarker } from '../../runtime/state/index.ts';
import { readTopic, withAdmin } from './topics.ts';

export interface RewindResult {
  /** Keys whose latest value changed back to their value at the datetime. */
  readonly restored: number;
  /** Keys first written after the datetime, deleted (a tombstone). */
  readonly deleted: number;
  /** Keys already at their value of the datetime. */
  readonly unchanged: number;
}

/**
 * A group reset to a datetime reprocesses its inputs from there; a stateful service must also
 * start from its state of that moment, or it would apply the replayed records a second time.
 * This appends to the changelog, per key, the last value written before `datetime` (by record
 * timestamp), or a tombstone for a key that had none, so a restore ends on the old state. Run it
 * while the service is stopped, with the group reset to the same datetime.
 *
 * It needs the changelog's history before the datetime: compaction keeps only the latest value
 * per key (outside the active segment). When the offsets before the datetime have a hole, the
 * older values may be gone and it refuses, naming the partition, instead of rebuilding a wrong
 * state: reset the group to earliest and delete the changelog then.
 *
 * Exact when the service had committed every input record older than the datetime when it was
 * noted (a caught-up service at deploy time), since inputs and state then stop at one point.
 *
 * Every partition ends with a commit marker naming no input position: the rewound state is that
 * of the group's reset offsets, so the restarted service resumes at them (the runtime would
 * otherwise drop the rewound values as an unfinished batch, or resume after the positions of
 * the newest marker, skipping the replay).
 */
export async function rewindChangelog(bus: Bus, topic: string, datetime: number): Promise<RewindResult> {
  if (!Number.isSafeInteger(datetime) || datetime <= 0)
    throw new Error(`rewind ${topic}: datetime must be epoch milliseconds, got ${datetime}`);
  const starts = await withAdmin(bus, (admin) => admin.listOffsets(topic, 'earliest'));
  for (const s of starts)
    if (s.offset !== 0)
      throw new Error(
        `rewind ${topic}: partition ${s.partition} starts at offset ${s.offset}, its history was deleted; reset the group to earliest and delete the changelog instead`,
      );
  const byPartition = new Map<number, BusRecord[]>();
  for (const r of await readTopic(bus, topic)) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r);
    byPartition.set(r.partition, list);
  }
  const out: ProduceRecord[] = [];
  let restored = 0;
  let deleted = 0;
  let unchanged = 0;
  for (const [partition, records] of byPartition) {
    records.sort((a, b) => a.offset - b.offset);
    const then = new Map<string, Buffer | null>();
    const now = new Map<string, Buffer | null>();
    let expected = 0;
    for (const r of records) {
      const before = r.timestamp < datetime;
      if (before && r.offset !== expected)
        throw new Error(
          `rewind ${topic}: partition ${partition} has no record at offsets ${expected}..${r.offset - 1} (compacted): its values before ${new Date(datetime).toISOString()} are gone; reset the group to earliest and delete the changelog instead`,
        );
      expected = r.offset + 1;
      if (isCommitMarker(r.key)) continue;
      const key = r.key?.toString('utf8') ?? '';
      if (before) then.set(key, r.value);
      now.set(key, r.value);
    }
    for (const [key, value] of now) {
      const old = then.get(key) ?? null;
      if (old === null && value === null) continue;
      if (old !== null && value !== null && old.equals(value)) {
        unchanged++;
        continue;
      }
      out.push({ topic, partition, key, value: old });
      if (old === null) deleted++;
      else restored++;
    }
    out.push({ topic, partition, key: COMMIT_MARKER_KEY, value: encodeCommitMarker(new Map()) });
  }
  if (out.length > 0) {
    const producer = bus.producer();
    try {
      await producer.sendBatch(out);
    } finally {
      await producer.close();
    }
  }
  return { restored, deleted, unchanged };
}
