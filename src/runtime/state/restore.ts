// Reads changelog partitions from their beginning to the end offsets of the moment, for a restore.

import { type Admin, type Bus, type BusRecord, type TopicPartition } from '../../bus/types.ts';
import { StateError, StateErrorCodes } from './errors.ts';

export interface RestoreTarget extends TopicPartition {
  /** Applies one changelog record; throws when the record cannot be read back. */
  apply(record: BusRecord): void;
}

export interface RestoreResult extends TopicPartition {
  readonly records: number;
  /** From the start of the restore until this partition reached its end offset. */
  readonly seconds: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/**
 * Replays every target partition up to the end offset listed when the restore starts. Later
 * records are left alone: the partition is ours from now on, so anything after that end was
 * written by a previous owner that has not noticed yet, for inputs it will not commit.
 */
export async function restorePartitions(
  bus: Bus,
  admin: Admin,
  targets: readonly RestoreTarget[],
): Promise<RestoreResult[]> {
  if (targets.length === 0) return [];
  const started = performance.now();
  const ends = new Map<string, number>();
  for (const topic of new Set(targets.map((t) => t.topic))) {
    for (const { partition, offset } of await admin.listOffsets(topic, 'latest'))
      ends.set(tpKey(topic, partition), offset);
  }
  const byKey = new Map(targets.map((t) => [tpKey(t.topic, t.partition), t]));
  const counts = new Map<string, number>();
  const results: RestoreResult[] = [];
  const consumer = bus.consumer();
  try {
    const partitions = targets.map(({ topic, partition }) => ({ topic, partition }));
    await consumer.assign(partitions);
    await consumer.seekToBeginning(partitions);
    const pending = new Set(byKey.keys());
    const finish = (): void => {
      for (const key of pending) {
        const target = byKey.get(key)!;
        if (consumer.position(target) < endOf(ends, target)) continue;
        pending.delete(key);
        results.push({
          topic: target.topic,
          partition: target.partition,
          records: counts.get(key) ?? 0,
          seconds: (performance.now() - started) / 1000,
        });
      }
    };
    finish();
    while (pending.size > 0) {
      for (const record of await consumer.poll({ timeoutMs: 200 })) {
        const key = tpKey(record.topic, record.partition);
        const target = byKey.get(key)!;
        if (record.offset >= endOf(ends, target)) continue;
        try {
          target.apply(record);
        } catch (error) {
          throw corruptChangelog(record, error);
        }
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      finish();
    }
  } finally {
    await consumer.close();
  }
  return results;
}

/** The error of a changelog record that cannot be read back, naming where it is. */
export function corruptChangelog(record: BusRecord, error: unknown): StateError {
  if (error instanceof StateError && error.code === StateErrorCodes.CORRUPT_CHANGELOG) return error;
  return new StateError(
    StateErrorCodes.CORRUPT_CHANGELOG,
    `changelog ${record.topic}[${record.partition}] offset ${record.offset}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      hint: "the store's serde must read what it wrote; fix the serde, or delete the changelog topic to start the store empty",
    },
  );
}

function endOf(ends: ReadonlyMap<string, number>, tp: TopicPartition): number {
  const end = ends.get(tpKey(tp.topic, tp.partition));
  if (end === undefined) {
    throw new StateError(
      StateErrorCodes.CHANGELOG_MISMATCH,
      `changelog ${tp.topic} has no partition ${tp.partition}`,
      { hint: `raise ${tp.topic} to the partition count of the input` },
    );
  }
  return end;
}
