// The embedded durable log: append and read throughput of 100-byte records in a temporary directory.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseEmbeddedOptions } from '../src/bus/embedded/options.ts';
import { openBus } from '../src/bus/open.ts';
import { type Bus, type ProduceRecord } from '../src/bus/types.ts';
import { valuePool } from './payload.ts';
import { best, type Figure, figure, progress } from './types.ts';

export interface EmbeddedResult {
  readonly fsync: string;
  readonly fsyncIntervalMs: number;
  readonly batch: number;
  readonly append: Figure;
  readonly read: Figure;
}

const RECORD_SIZE = 100;
const READ_MAX = 10_000;

async function append(bus: Bus, topic: string, records: number, batch: number): Promise<Figure> {
  const values = valuePool(RECORD_SIZE);
  const producer = bus.producer();
  const start = performance.now();
  for (let sent = 0; sent < records;) {
    const n = Math.min(batch, records - sent);
    const chunk: ProduceRecord[] = new Array<ProduceRecord>(n);
    for (let i = 0; i < n; i++) chunk[i] = { topic, key: null, value: values[(sent + i) % values.length]! };
    sent += n;
    await producer.sendBatch(chunk);
  }
  await producer.close();
  const seconds = (performance.now() - start) / 1000;
  return figure(records, records * RECORD_SIZE, seconds, `sendBatch of ${batch}, awaited one by one`);
}

async function read(bus: Bus, topic: string, records: number): Promise<Figure> {
  const consumer = bus.consumer({
    groupId: `read-${topic}`,
    autoOffsetReset: 'earliest',
    maxPollRecords: READ_MAX,
  });
  const start = performance.now();
  let count = 0;
  let bytes = 0;
  try {
    await consumer.subscribe([topic]);
    while (count < records) {
      const batch = await consumer.poll({ maxRecords: READ_MAX, timeoutMs: 5000 });
      if (batch.length === 0) throw new Error(`embedded read stalled after ${count} of ${records}`);
      count += batch.length;
      for (const r of batch) bytes += r.value?.length ?? 0;
    }
  } finally {
    await consumer.close();
  }
  const seconds = (performance.now() - start) / 1000;
  return figure(count, bytes, seconds, `subscribe + poll({ maxRecords: ${READ_MAX} }) from the beginning`);
}

export async function benchEmbedded(
  records: number,
  batch: number,
  warmup: number,
  rounds: number,
): Promise<EmbeddedResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'streamforge-bench-'));
  const defaults = parseEmbeddedOptions({});
  try {
    const bus = await openBus(`embedded:${dir}`);
    try {
      const admin = bus.admin();
      const topics = ['warmup', ...Array.from({ length: rounds }, (_, i) => `bench-${i + 1}`)];
      await admin.createTopics(topics.map((name) => ({ name, partitions: 1 })));
      progress(`embedded: warm-up, ${warmup} records`);
      await append(bus, 'warmup', warmup, batch);
      await read(bus, 'warmup', warmup);
      const appends: Figure[] = [];
      const reads: Figure[] = [];
      for (let r = 1; r <= rounds; r++) {
        progress(`embedded: appending ${records} x ${RECORD_SIZE} B (round ${r}/${rounds})`);
        appends.push(await append(bus, `bench-${r}`, records, batch));
        progress(`embedded: reading them back`);
        reads.push(await read(bus, `bench-${r}`, records));
      }
      return {
        fsync: defaults.fsync,
        fsyncIntervalMs: defaults.fsyncIntervalMs,
        batch,
        append: best(appends),
        read: best(reads),
      };
    } finally {
      await bus.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
