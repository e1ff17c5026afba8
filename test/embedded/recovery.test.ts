// Recovery of the embedded log: torn tails and flipped bytes are cut off, indexes are rebuilt.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { BusErrorCodes, isBusError } from '../../src/bus/errors.ts';
import { openEmbeddedBus } from '../../src/bus/embedded/index.ts';
import { readPartition, segmentPath, tempDir } from './helpers.ts';

async function writeBatches(dir: string, batches: number, perBatch: number): Promise<void> {
  const bus = await openEmbeddedBus(dir, {});
  await bus.admin().createTopics([{ name: 't', partitions: 1 }], { ifNotExists: true });
  const producer = bus.producer();
  for (let b = 0; b < batches; b++) {
    await producer.sendBatch(
      Array.from({ length: perBatch }, (_, i) => ({
        topic: 't',
        key: `k${i}`,
        value: `b${b}-r${i}`,
        timestamp: 1000 + b,
      })),
    );
  }
  await bus.close();
}

describe('embedded log recovery', () => {
  it('cuts a torn last frame and keeps every whole frame before it', async (t) => {
    const dir = await tempDir(t);
    await writeBatches(dir, 3, 10);
    const log = segmentPath(dir, 't', 0, 0);
    const size = fs.statSync(log).size;
    fs.truncateSync(log, size - 7);
    const bus = await openEmbeddedBus(dir, {});
    t.after(() => bus.close());
    const records = await readPartition(bus, 't');
    assert.equal(records.length, 20);
    assert.deepEqual(
      records.map((r) => r.offset),
      Array.from({ length: 20 }, (_, i) => i),
    );
    const [end] = await bus.admin().listOffsets('t', 'latest');
    assert.equal(end!.offset, 20);
    // The log continues right after the cut.
    const meta = await bus.producer().send({ topic: 't', value: 'after' });
    assert.equal(meta.offset, 20);
    assert.ok(fs.statSync(log).size < size);
  });

  it('cuts the log at a frame whose CRC fails (a flipped byte in the tail)', async (t) => {
    const dir = await tempDir(t);
    await writeBatches(dir, 3, 10);
    const log = segmentPath(dir, 't', 0, 0);
    const data = fs.readFileSync(log);
    data[data.length - 3]! ^= 0x40;
    fs.writeFileSync(log, data);
    const bus = await openEmbeddedBus(dir, {});
    t.after(() => bus.close());
    const records = await readPartition(bus, 't');
    assert.equal(records.length, 20);
    assert.ok(records.every((r, i) => r.value?.toString() === `b${Math.floor(i / 10)}-r${i % 10}`));
  });

  it('garbage appended after the last frame is removed', async (t) => {
    const dir = await tempDir(t);
    await writeBatches(dir, 2, 5);
    fs.appendFileSync(segmentPath(dir, 't', 0, 0), Buffer.alloc(100, 0xab));
    const bus = await openEmbeddedBus(dir, {});
    t.after(() => bus.close());
    assert.equal((await readPartition(bus, 't')).length, 10);
  });

  it('a corrupt frame before the recovery checkpoint is reported as CORRUPT, never returned', async (t) => {
    const dir = await tempDir(t);
    // Enough data for several index entries, so the first frame lies before the last checkpoint.
    await writeBatches(dir, 20, 100);
    const log = segmentPath(dir, 't', 0, 0);
    const data = fs.readFileSync(log);
    data[100]! ^= 0x01;
    fs.writeFileSync(log, data);
    const bus = await openEmbeddedBus(dir, {});
    t.after(() => bus.close());
    await assert.rejects(
      readPartition(bus, 't'),
      (e) => isBusError(e, BusErrorCodes.CORRUPT) && /byte 0/.test(e.message),
    );
  });

  it('rebuilds a missing or damaged index and reads the same records', async (t) => {
    const dir = await tempDir(t);
    await writeBatches(dir, 50, 100);
    const index = segmentPath(dir, 't', 0, 0, '.index');
    assert.ok(fs.statSync(index).size > 0, 'the index has entries');
    for (const damage of ['delete', 'garbage'] as const) {
      if (damage === 'delete') fs.rmSync(index);
      else fs.writeFileSync(index, Buffer.alloc(240, 0x11));
      const bus = await openEmbeddedBus(dir, {});
      const records = await readPartition(bus, 't');
      assert.equal(records.length, 5000, `after ${damage}`);
      // Seeking into the middle uses the rebuilt index.
      const consumer = bus.consumer();
      await consumer.assign([{ topic: 't', partition: 0 }]);
      consumer.seek({ topic: 't', partition: 0 }, 4321);
      const [first] = await consumer.poll({ timeoutMs: 0, maxRecords: 1 });
      assert.equal(first?.offset, 4321);
      assert.equal(first?.value?.toString(), 'b43-r21');
      const [byTime] = await bus.admin().listOffsets('t', { timestamp: 1030 });
      assert.equal(byTime!.offset, 3000);
      await bus.close();
      assert.ok(fs.statSync(index).size > 0, `the index was rebuilt after ${damage}`);
    }
  });
});
