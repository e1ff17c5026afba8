// The embedded log's directory lifecycle: lock, sharing within a process, options, close, reopen.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BusErrorCodes, isBusError } from '../../src/bus/errors.ts';
import { openEmbeddedBus } from '../../src/bus/embedded/index.ts';
import { LOCK_FILE } from '../../src/bus/embedded/lock.ts';
import { readPartition, tempDir } from './helpers.ts';

describe('embedded log lifecycle', () => {
  it('committed group offsets and topic configs survive a reopen', async (t) => {
    const dir = await tempDir(t);
    let bus = await openEmbeddedBus(dir, {});
    await bus.admin().createTopics([{ name: 't', partitions: 2, configs: { 'retention.ms': '60000' } }]);
    await bus
      .producer()
      .sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 't', key: `k${i}`, value: 'v' })));
    const consumer = bus.consumer({ groupId: 'g', autoOffsetReset: 'earliest' });
    await consumer.subscribe(['t']);
    let seen = 0;
    while (seen < 10) seen += (await consumer.poll({ timeoutMs: 500 })).length;
    await consumer.commit();
    await bus.close();

    bus = await openEmbeddedBus(dir, {});
    t.after(() => bus.close());
    const admin = bus.admin();
    const lag = await admin.groupLag('g');
    assert.equal(lag.length, 2);
    assert.ok(lag.every((l) => l.lag === 0 && l.committed === l.logEnd));
    assert.deepEqual((await admin.describeTopics(['t']))[0]!.configs, { 'retention.ms': '60000' });
    assert.deepEqual(await admin.listGroups(), [{ groupId: 'g', state: 'Empty' }]);
    const again = bus.consumer({ groupId: 'g', autoOffsetReset: 'earliest' });
    await again.subscribe(['t']);
    assert.deepEqual(await again.poll({ timeoutMs: 300 }), []);
    await again.close();
  });

  it('opening a directory twice in one process shares one log', async (t) => {
    const dir = await tempDir(t);
    const a = await openEmbeddedBus(dir, {});
    const b = await openEmbeddedBus(dir, {});
    await a.admin().createTopics([{ name: 't', partitions: 1 }]);
    await b.producer().send({ topic: 't', value: 'from b' });
    assert.equal((await readPartition(a, 't')).length, 1);
    await a.close();
    // b still works after a closed, and the lock is still held for this process.
    assert.equal((await readPartition(b, 't')).length, 1);
    assert.ok(fs.existsSync(path.join(dir, LOCK_FILE)));
    await b.close();
    assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), 'the last close releases the lock');
  });

  it('a live process holding the lock keeps others out; a dead one is taken over', async (t) => {
    const dir = await tempDir(t);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${child.pid}\n`);
    await assert.rejects(
      openEmbeddedBus(dir, {}),
      (e) =>
        isBusError(e, BusErrorCodes.LOCKED) &&
        e.message.includes(String(child.pid)) &&
        e.message.includes(dir),
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const bus = await openEmbeddedBus(dir, {});
    assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
    await bus.close();
  });

  it('rejects unknown options and bad values with INVALID_CONFIG naming them', async (t) => {
    const dir = await tempDir(t);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ fsync: 'sometimes' }, /fsync=sometimes.*always, interval, never/],
      [{ fsyncIntervalMs: '-5' }, /fsyncIntervalMs=-5.*positive integers/],
      [{ cleanerIntervalMs: 'x' }, /cleanerIntervalMs=x/],
      [{ colour: 'blue' }, /"colour".*fsync, fsyncIntervalMs, cleanerIntervalMs/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(
        openEmbeddedBus(dir, options),
        (e) => isBusError(e, BusErrorCodes.INVALID_CONFIG) && message.test(e.message),
      );
    }
  });

  it('after close, producers, consumers and admins reject with CLOSED', async (t) => {
    const dir = await tempDir(t);
    const bus = await openEmbeddedBus(dir, { fsync: 'always' });
    const admin = bus.admin();
    await admin.createTopics([{ name: 't', partitions: 1 }]);
    const producer = bus.producer();
    const consumer = bus.consumer();
    await consumer.assign([{ topic: 't', partition: 0 }]);
    await producer.send({ topic: 't', value: 'x' });
    await bus.close();
    const closed = (e: unknown): boolean => isBusError(e, BusErrorCodes.CLOSED);
    await assert.rejects(producer.send({ topic: 't', value: 'y' }), closed);
    await assert.rejects(consumer.poll({ timeoutMs: 0 }), closed);
    await assert.rejects(admin.listTopics(), closed);
    assert.throws(() => bus.producer(), closed);
  });

  it('producing to a topic that does not exist names it and how to create it', async (t) => {
    const dir = await tempDir(t);
    const bus = await openEmbeddedBus(dir, {});
    t.after(() => bus.close());
    await assert.rejects(
      bus.producer().send({ topic: 'nope', value: 'x' }),
      (e) =>
        isBusError(e, BusErrorCodes.UNKNOWN_TOPIC) && /nope.*streamforge topics create nope/.test(e.message),
    );
  });
});
