// Retention and compaction of the embedded log, driven by running the cleaner directly.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { EmbeddedConsumer } from '../../src/bus/embedded/consumer.ts';
import { EmbeddedLog } from '../../src/bus/embedded/embedded-log.ts';
import { parseEmbeddedOptions } from '../../src/bus/embedded/options.ts';
import { EmbeddedProducer } from '../../src/bus/embedded/producer.ts';
import { type BusRecord } from '../../src/bus/types.ts';
import { segmentPath, tempDir } from './helpers.ts';

async function openLog(t: TestContext): Promise<{ log: EmbeddedLog; dir: string }> {
  const dir = await tempDir(t);
  const log = EmbeddedLog.open(dir, parseEmbeddedOptions({ cleanerIntervalMs: '3600000' }));
  t.after(() => log.close());
  return { log, dir };
}

async function readAll(log: EmbeddedLog, topic: string): Promise<BusRecord[]> {
  const consumer = new EmbeddedConsumer(log, { autoOffsetReset: 'earliest' }, () => undefined);
  await consumer.assign([{ topic, partition: 0 }]);
  await consumer.seekToBeginning();
  const out: BusRecord[] = [];
  for (
    let batch = await consumer.poll({ timeoutMs: 0 });
    batch.length > 0;
    batch = await consumer.poll({ timeoutMs: 0 })
  ) {
    out.push(...batch);
  }
  await consumer.close();
  return out;
}

const show = (records: readonly BusRecord[]): string[] =>
  records.map((r) => `${r.offset}:${r.key?.toString() ?? ''}=${r.value?.toString() ?? 'null'}`);

describe('embedded log cleaner', () => {
  it('rolls a segment when a record is more than segment.ms after its first, and by segment.bytes', async (t) => {
    const { log, dir } = await openLog(t);
    log.createTopics(
      [{ name: 't', partitions: 1, configs: { 'segment.ms': '1000', 'segment.bytes': '100000' } }],
      false,
    );
    const producer = new EmbeddedProducer(log, {}, () => undefined);
    await producer.sendBatch([{ topic: 't', key: 'a', value: '1', timestamp: 10_000 }]);
    await producer.sendBatch([{ topic: 't', key: 'a', value: '2', timestamp: 10_500 }]);
    await producer.sendBatch([{ topic: 't', key: 'a', value: '3', timestamp: 11_001 }]);
    assert.deepEqual(
      log.partition('t', 0).segments.map((s) => s.baseOffset),
      [0, 2],
    );
    await producer.sendBatch(
      Array.from({ length: 2000 }, () => ({
        topic: 't',
        key: 'b',
        value: 'x'.repeat(100),
        timestamp: 11_002,
      })),
    );
    await producer.sendBatch([{ topic: 't', key: 'c', value: 'y', timestamp: 11_003 }]);
    assert.deepEqual(
      log.partition('t', 0).segments.map((s) => s.baseOffset),
      // The big batch does not fit the active segment, so it starts one; so does the next record.
      [0, 2, 3, 2003],
    );
    assert.ok(fs.existsSync(segmentPath(dir, 't', 0, 2003)));
  });

  it('retention.ms deletes whole old segments (the active one too, by rolling) and moves the log start', async (t) => {
    const { log } = await openLog(t);
    log.createTopics(
      [{ name: 't', partitions: 1, configs: { 'retention.ms': '1000', 'segment.ms': '100' } }],
      false,
    );
    const producer = new EmbeddedProducer(log, {}, () => undefined);
    const now = Date.now();
    await producer.sendBatch([0, 1, 2].map((i) => ({ topic: 't', value: `old${i}`, timestamp: now - 5000 })));
    await producer.sendBatch([{ topic: 't', value: 'new', timestamp: now }]);
    log.runCleaner(now);
    assert.equal(log.partition('t', 0).logStartOffset, 3);
    assert.deepEqual(show(await readAll(log, 't')), ['3:=new']);
    log.runCleaner(now + 2000);
    assert.equal(log.partition('t', 0).logStartOffset, 4);
    assert.equal(log.partition('t', 0).logEndOffset, 4);
    assert.deepEqual(await readAll(log, 't'), []);
    const meta = await producer.send({ topic: 't', value: 'next' });
    assert.equal(meta.offset, 4);
  });

  it('retention.bytes deletes the oldest segments the log can do without', async (t) => {
    const { log } = await openLog(t);
    log.createTopics(
      [{ name: 't', partitions: 1, configs: { 'retention.bytes': '300', 'segment.bytes': '200' } }],
      false,
    );
    const producer = new EmbeddedProducer(log, {}, () => undefined);
    for (let i = 0; i < 10; i++) await producer.sendBatch([{ topic: 't', value: 'x'.repeat(100) }]);
    const before = log.partition('t', 0).sizeBytes;
    log.runCleaner();
    const p = log.partition('t', 0);
    // Kafka's rule: delete the oldest while the rest still holds at least retention.bytes.
    assert.ok(p.sizeBytes < before && p.sizeBytes - p.segments[0]!.size < 300, `size ${p.sizeBytes}`);
    assert.equal(p.logEndOffset, 10);
    assert.equal((await readAll(log, 't')).length, 10 - p.logStartOffset);
  });

  it('compaction keeps the last record per key at its offset; tombstones go after delete.retention.ms', async (t) => {
    const { log } = await openLog(t);
    log.createTopics(
      [
        {
          name: 't',
          partitions: 1,
          configs: { 'cleanup.policy': 'compact', 'segment.ms': '100', 'delete.retention.ms': '1000' },
        },
      ],
      false,
    );
    const producer = new EmbeddedProducer(log, {}, () => undefined);
    const now = Date.now();
    await producer.sendBatch([
      { topic: 't', key: 'a', value: 'a1', timestamp: now - 10_000 },
      { topic: 't', key: 'b', value: 'b1', timestamp: now - 10_000 },
      { topic: 't', key: 'a', value: 'a2', timestamp: now - 10_000 },
    ]);
    await producer.sendBatch([
      { topic: 't', key: 'b', value: null, timestamp: now - 500 },
      { topic: 't', key: 'c', value: 'c1', timestamp: now - 500 },
    ]);
    // The active segment (offset 5) is never compacted, so c2 does not hide c1 yet.
    await producer.sendBatch([{ topic: 't', key: 'c', value: 'c2', timestamp: now }]);
    log.runCleaner(now);
    assert.deepEqual(show(await readAll(log, 't')), ['2:a=a2', '3:b=null', '4:c=c1', '5:c=c2']);
    log.runCleaner(now + 1000);
    assert.deepEqual(show(await readAll(log, 't')), ['2:a=a2', '4:c=c1', '5:c=c2']);
    assert.equal(log.partition('t', 0).logStartOffset, 0, 'compaction does not move the log start');
    // Compacted segments survive a reopen with their offsets.
    const dir = log.dir;
    await log.close();
    const reopened = EmbeddedLog.open(dir, parseEmbeddedOptions({}));
    t.after(() => reopened.close());
    assert.deepEqual(show(await readAll(reopened, 't')), ['2:a=a2', '4:c=c1', '5:c=c2']);
    const [ts] = [reopened.partition('t', 0).offsetForTimestamp(now - 600)];
    assert.equal(ts, 4);
  });

  it('min.compaction.lag.ms leaves recent segments alone', async (t) => {
    const { log } = await openLog(t);
    log.createTopics(
      [
        {
          name: 't',
          partitions: 1,
          configs: { 'cleanup.policy': 'compact', 'segment.ms': '100', 'min.compaction.lag.ms': '60000' },
        },
      ],
      false,
    );
    const producer = new EmbeddedProducer(log, {}, () => undefined);
    const now = Date.now();
    await producer.sendBatch([
      { topic: 't', key: 'a', value: 'a1', timestamp: now - 1000 },
      { topic: 't', key: 'a', value: 'a2', timestamp: now - 1000 },
    ]);
    await producer.sendBatch([{ topic: 't', key: 'z', value: 'roll', timestamp: now }]);
    log.runCleaner(now);
    assert.equal((await readAll(log, 't')).length, 3);
    log.runCleaner(now + 60_000);
    assert.deepEqual(show(await readAll(log, 't')), ['1:a=a2', '2:z=roll']);
  });
});
