// Helpers for the embedded log's own tests: temp directories and reading a whole partition back.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { type Bus, type BusRecord } from '../../src/bus/types.ts';

/** A fresh directory under the OS temp dir, removed after the test. */
export async function tempDir(t: TestContext, prefix = 'sf-embedded-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every record of a partition from its log start, read with a manual assignment. */
export async function readPartition(bus: Bus, topic: string, partition = 0): Promise<BusRecord[]> {
  const consumer = bus.consumer({ autoOffsetReset: 'earliest' });
  try {
    await consumer.assign([{ topic, partition }]);
    await consumer.seekToBeginning();
    const out: BusRecord[] = [];
    while (true) {
      const batch = await consumer.poll({ timeoutMs: 0, maxRecords: 100_000 });
      if (batch.length === 0) return out;
      out.push(...batch);
    }
  } finally {
    await consumer.close();
  }
}

export function segmentPath(
  dir: string,
  topic: string,
  partition: number,
  base: number,
  ext = '.log',
): string {
  return path.join(dir, 'topics', topic, String(partition), `${String(base).padStart(20, '0')}${ext}`);
}
