// StreamForge's Kafka backend measured through the public bus interface, as a service would use it.

import { openBus } from '../src/bus/open.ts';
import { type Bus, type ProduceRecord } from '../src/bus/types.ts';
import { valuePool } from './payload.ts';
import { type Figure, figure } from './types.ts';

/** `sendBatch` chunk size (the producer's default maxBatchRecords) and how many chunks may be outstanding. */
export const SF_PRODUCE = { chunk: 10_000, outstanding: 4 } as const;
export const SF_CONSUME = { maxPollRecords: 10_000 } as const;

export async function openKafka(bootstrap: string): Promise<Bus> {
  return openBus(`kafka://${bootstrap}?clientId=streamforge-bench`);
}

export async function sfProduce(
  bus: Bus,
  topic: string,
  records: number,
  recordSize: number,
): Promise<Figure> {
  const values = valuePool(recordSize);
  const producer = bus.producer();
  const outstanding = new Set<Promise<unknown>>();
  const start = performance.now();
  try {
    for (let sent = 0; sent < records;) {
      const n = Math.min(SF_PRODUCE.chunk, records - sent);
      const chunk: ProduceRecord[] = new Array<ProduceRecord>(n);
      for (let i = 0; i < n; i++) chunk[i] = { topic, key: null, value: values[(sent + i) % values.length]! };
      sent += n;
      const p = producer.sendBatch(chunk);
      outstanding.add(p);
      void p.then(
        () => outstanding.delete(p),
        () => outstanding.delete(p),
      );
      if (outstanding.size >= SF_PRODUCE.outstanding) await Promise.race(outstanding);
    }
    await Promise.all(outstanding);
    await producer.flush();
  } finally {
    await producer.close();
  }
  const seconds = (performance.now() - start) / 1000;
  return figure(
    records,
    records * recordSize,
    seconds,
    `sendBatch of ${SF_PRODUCE.chunk} records, up to ${SF_PRODUCE.outstanding} outstanding; acks=all, idempotent, 1 request in flight`,
  );
}

/** Measures from the moment `subscribe` (which joins the group) resolves until the N-th record. */
export async function sfConsume(
  bus: Bus,
  topic: string,
  records: number,
  group: string,
): Promise<{ fetch: Figure; total: Figure }> {
  const consumer = bus.consumer({
    groupId: group,
    autoOffsetReset: 'earliest',
    maxPollRecords: SF_CONSUME.maxPollRecords,
  });
  const begin = performance.now();
  let count = 0;
  let bytes = 0;
  let start: number;
  try {
    await consumer.subscribe([topic]);
    start = performance.now();
    let idleSince = performance.now();
    while (count < records) {
      const batch = await consumer.poll({ maxRecords: SF_CONSUME.maxPollRecords, timeoutMs: 1000 });
      if (batch.length === 0) {
        if (performance.now() - idleSince > 60_000)
          throw new Error(`StreamForge consumer got no record for 60 s after ${count} of ${records}`);
        continue;
      }
      idleSince = performance.now();
      count += batch.length;
      for (const r of batch) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    }
  } finally {
    await consumer.close();
  }
  const end = performance.now();
  const note = `subscribe + poll({ maxRecords: ${SF_CONSUME.maxPollRecords} }), no commit`;
  return {
    fetch: figure(count, bytes, (end - start) / 1000, `${note}; after group join`),
    total: figure(count, bytes, (end - begin) / 1000, `${note}; including group join`),
  };
}
