// Scenario plumbing on any bus: products under unique names, feeding trades, reading a topic whole, waiting for a group.

import { type Admin, type Bus, type BusRecord } from '../../bus/types.ts';
import { deadLetterProduct, encode, type JsonProduct, type Product } from '../../contracts/index.ts';
import { ensureTopics } from '../../runtime/index.ts';
import { isCommitMarker } from '../../runtime/state/index.ts';
import { type Progress } from './types.ts';

let counter = 0;

/** A name no other scenario run uses, also across processes: `<prefix>-<pid>-<time>-<n>`. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A catalog product under another topic name (a scenario's own copy of md.trades, md.candles.1m...). */
export function renamed<P extends Product>(product: P, topic: string): P {
  return { ...product, topic, declaration: topic };
}

/** Creates the products' topics and DLQs (as a service host would); returns what deletes them again. */
export async function createTopics(
  bus: Bus,
  products: readonly Product[],
  extra: readonly string[] = [],
): Promise<() => Promise<void>> {
  await ensureTopics(bus, products);
  return async () => {
    await withAdmin(bus, (admin) =>
      admin.deleteTopics([...products.flatMap((p) => [p.topic, deadLetterProduct(p).topic]), ...extra]),
    ).catch(() => undefined);
  };
}

export async function withAdmin<R>(bus: Bus, fn: (admin: Admin) => Promise<R>): Promise<R> {
  const admin = bus.admin();
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** Sends values in batches of `chunk`, the way a feed does; resolves once all are acknowledged. */
export async function produceAll<T>(
  bus: Bus,
  product: JsonProduct<T>,
  values: readonly T[],
  chunk = 2000,
): Promise<void> {
  const producer = bus.producer();
  try {
    for (let i = 0; i < values.length; i += chunk)
      await producer.sendBatch(
        values
          .slice(i, i + chunk)
          .map((v) => encode(product, v, { service: 'scenario-feed', instance: 'scenario-feed-0' })),
      );
  } finally {
    await producer.close();
  }
}

/**
 * A feed that keeps producing `values` at `perSecond` in the background (batches every 50 ms),
 * as live data keeps arriving whatever a consumer does. `done` resolves when all are acknowledged.
 */
export function startFeed<T>(
  bus: Bus,
  product: JsonProduct<T>,
  values: readonly T[],
  perSecond: number,
  onProgress?: (sent: number) => void,
): { readonly done: Promise<void>; sent(): number } {
  let sent = 0;
  const done = (async () => {
    const producer = bus.producer();
    try {
      const started = Date.now();
      while (sent < values.length) {
        const due = Math.min(values.length, Math.ceil(((Date.now() - started + 50) / 1000) * perSecond));
        if (due > sent) {
          await producer.sendBatch(
            values
              .slice(sent, due)
              .map((v) => encode(product, v, { service: 'scenario-feed', instance: 'scenario-feed-0' })),
          );
          sent = due;
          onProgress?.(sent);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await producer.close();
    }
  })();
  return { done, sent: () => sent };
}

/** Everything on `topic` up to the end offsets it has when called, partition by partition. */
export async function readTopic(bus: Bus, topic: string, timeoutMs = 120_000): Promise<BusRecord[]> {
  const ends = await withAdmin(bus, (admin) => admin.listOffsets(topic, 'latest'));
  const starts = await withAdmin(bus, (admin) => admin.listOffsets(topic, 'earliest'));
  const remaining = new Map(ends.map((e) => [e.partition, e.offset]));
  let expected = 0;
  for (const e of ends) expected += e.offset - (starts.find((s) => s.partition === e.partition)?.offset ?? 0);
  const consumer = bus.consumer();
  const records: BusRecord[] = [];
  try {
    await consumer.assign(ends.map((e) => ({ topic, partition: e.partition })));
    await consumer.seekToBeginning();
    const deadline = Date.now() + timeoutMs;
    const last = new Map<number, number>();
    const pending = () => [...remaining].some(([p, end]) => end > 0 && (last.get(p) ?? -1) < end - 1);
    while (pending()) {
      if (Date.now() > deadline)
        throw new Error(`${topic}: read ${records.length} of ${expected} records in ${timeoutMs} ms`);
      for (const r of await consumer.poll({ timeoutMs: 200 })) {
        if (r.offset >= remaining.get(r.partition)!) continue;
        records.push(r);
        last.set(r.partition, r.offset);
      }
    }
    return records;
  } finally {
    await consumer.close();
  }
}

/**
 * The latest value per key of a (compacted) topic such as a store's changelog; tombstones
 * delete. A changelog's commit markers are not store state and are left out.
 */
export async function latestByKey(bus: Bus, topic: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of await readTopic(bus, topic)) {
    if (isCommitMarker(r.key)) continue;
    const key = r.key?.toString('utf8') ?? '';
    if (r.value === null) out.delete(key);
    else out.set(key, r.value.toString('utf8'));
  }
  return out;
}

/** Records of the group's topics it has not committed yet (null: it has committed nothing on some partition with data). */
export async function groupLag(bus: Bus, group: string, topics: readonly string[]): Promise<number | null> {
  const lag = await withAdmin(bus, (admin) => admin.groupLag(group, topics));
  let total = 0;
  for (const p of lag) {
    if (p.committed === null && p.logEnd > p.logStart) return null;
    total += p.lag;
  }
  return total;
}

/** Waits until the group has committed everything on `topics`; returns how long that took. */
export async function waitCaughtUp(
  bus: Bus,
  group: string,
  topics: readonly string[],
  options: { readonly timeoutMs?: number; readonly progress?: Progress; readonly what?: string } = {},
): Promise<number> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 180_000);
  let reported = 0;
  for (;;) {
    const lag = await groupLag(bus, group, topics);
    if (lag === 0) return Date.now() - started;
    if (Date.now() > deadline)
      throw new Error(
        `${options.what ?? group}: still ${lag ?? 'uncommitted'} records behind on ${topics.join(', ')} after ${Date.now() - started} ms`,
      );
    if (options.progress && Date.now() - reported > 2000) {
      reported = Date.now();
      options.progress(`${options.what ?? group}: ${lag ?? 'nothing committed yet,'} records behind`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
