// The bus contract: the same tests, unchanged, against the embedded log and a real Kafka broker.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BusErrorCodes, isBusError } from '../../src/bus/errors.ts';
import { partitionForKey } from '../../src/bus/murmur2.ts';
import { type Bus, type BusRecord, type Consumer, type TopicPartition } from '../../src/bus/types.ts';
import { backends, defer, eventually, tempGroup, tempTopic, uniqueName } from '../helpers/backends.ts';

/** Polls until `count` records arrived (or the time is up) and returns them. */
async function pollAtLeast(consumer: Consumer, count: number, timeoutMs = 20_000): Promise<BusRecord[]> {
  const out: BusRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 250 })));
  return out;
}

function consumerFor(t: TestContext, bus: Bus, options: Parameters<Bus['consumer']>[0]): Consumer {
  const consumer = bus.consumer({ sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, ...options });
  defer(t, () => consumer.close());
  return consumer;
}

const TIMEOUT = { timeout: 60_000 } as const;

const sameTp = (a: TopicPartition, b: TopicPartition): boolean =>
  a.topic === b.topic && a.partition === b.partition;

for (const backend of backends) {
  describe(`bus contract on ${backend.name}`, { skip: backend.skip }, () => {
    it('a record round-trips key, value, headers and timestamp', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 1 });
      const producer = bus.producer();
      defer(t, () => producer.close());
      const value = Buffer.from([0, 1, 2, 255, 10, 13]);
      const meta = await producer.send({
        topic,
        key: 'binance:BTCUSDT',
        value,
        headers: { 'schema-id': 'md.trades/1', bin: Buffer.from([0, 9]) },
        timestamp: 1723161253937,
      });
      assert.deepEqual(
        { topic: meta.topic, partition: meta.partition, offset: meta.offset },
        { topic, partition: 0, offset: 0 },
      );
      const consumer = consumerFor(t, bus, {});
      await consumer.assign([{ topic, partition: 0 }]);
      await consumer.seekToBeginning();
      const [record] = await pollAtLeast(consumer, 1);
      assert.ok(record, 'the record was read back');
      assert.equal(record.key?.toString(), 'binance:BTCUSDT');
      assert.deepEqual(record.value, value);
      assert.equal(record.timestamp, 1723161253937);
      assert.equal(record.offset, 0);
      assert.equal(record.headers['schema-id']?.toString(), 'md.trades/1');
      assert.deepEqual(record.headers['bin'], Buffer.from([0, 9]));
    });

    it('a null key and a null value (tombstone) round-trip as null', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 1 });
      const producer = bus.producer();
      defer(t, () => producer.close());
      await producer.sendBatch([
        { topic, key: null, value: 'no key' },
        { topic, key: 'gone', value: null },
      ]);
      const consumer = consumerFor(t, bus, {});
      await consumer.assign([{ topic, partition: 0 }]);
      await consumer.seekToBeginning();
      const records = await pollAtLeast(consumer, 2);
      assert.equal(records.length, 2);
      assert.equal(records[0]!.key, null);
      assert.equal(records[0]!.value?.toString(), 'no key');
      assert.equal(records[1]!.key?.toString(), 'gone');
      assert.equal(records[1]!.value, null);
    });

    it('records of one key stay in order on one partition with consecutive offsets', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 4 });
      const producer = bus.producer({ lingerMs: 1, maxBatchRecords: 100 });
      defer(t, () => producer.close());
      const sent = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          producer.send({ topic, key: 'okx:ETH-USDT', value: String(i) }),
        ),
      );
      const partition = partitionForKey(Buffer.from('okx:ETH-USDT'), 4);
      assert.ok(sent.every((m) => m.partition === partition));
      assert.deepEqual(
        sent.map((m) => m.offset),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      const consumer = consumerFor(t, bus, {
        groupId: tempGroup(t, bus, 'order'),
        autoOffsetReset: 'earliest',
      });
      await consumer.subscribe([topic]);
      const records = await pollAtLeast(consumer, 1000);
      assert.deepEqual(
        records.map((r) => r.value?.toString()),
        Array.from({ length: 1000 }, (_, i) => String(i)),
      );
      assert.deepEqual(
        records.map((r) => r.offset),
        Array.from({ length: 1000 }, (_, i) => i),
      );
    });

    it("keys land on the partition Kafka's default (murmur2) partitioner picks", TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 6 });
      const producer = bus.producer();
      defer(t, () => producer.close());
      const keys = [
        'binance:BTCUSDT',
        'binance:ETHUSDT',
        'kraken:XBT/USD',
        'okx:BTC-USDT',
        'coinbase:BTC-USD',
        'k0',
        'k1',
        'k2',
        'k5',
        '',
      ];
      for (let i = 0; i < 40; i++) keys.push(`sym-${i}`);
      const sent = await producer.sendBatch(keys.map((key) => ({ topic, key, value: key })));
      sent.forEach((m, i) =>
        assert.equal(m.partition, partitionForKey(Buffer.from(keys[i]!), 6), `key ${keys[i]}`),
      );
      const consumer = consumerFor(t, bus, {
        groupId: tempGroup(t, bus, 'part'),
        autoOffsetReset: 'earliest',
      });
      await consumer.subscribe([topic]);
      const records = await pollAtLeast(consumer, keys.length);
      assert.equal(records.length, keys.length);
      for (const r of records) assert.equal(r.partition, partitionForKey(r.key!, 6));
    });

    it(
      'an explicit partition is used as given; a partition that does not exist is refused',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 3 });
        const producer = bus.producer();
        defer(t, () => producer.close());
        const meta = await producer.send({ topic, key: 'binance:BTCUSDT', value: 'x', partition: 2 });
        assert.equal(meta.partition, 2);
        await assert.rejects(producer.send({ topic, value: 'x', partition: 3 }), (e) =>
          isBusError(e, BusErrorCodes.INVALID_ARGUMENT),
        );
      },
    );

    it('a group resumes from its committed offsets after all members left', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 2 });
      const groupId = tempGroup(t, bus, 'resume');
      const producer = bus.producer();
      defer(t, () => producer.close());
      await producer.sendBatch(
        Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i % 5}`, value: String(i) })),
      );
      const first = bus.consumer({ groupId, autoOffsetReset: 'earliest', heartbeatIntervalMs: 500 });
      await first.subscribe([topic]);
      const all = await pollAtLeast(first, 20);
      assert.equal(all.length, 20);
      // Commit only part: the first three records of each partition.
      const commits = [0, 1].map((partition) => ({ topic, partition, offset: 3 }));
      await first.commit(commits);
      assert.deepEqual(
        (
          await first.committed([
            { topic, partition: 0 },
            { topic, partition: 1 },
          ])
        ).map((c) => c.offset),
        [3, 3],
      );
      await first.close();
      const second = consumerFor(t, bus, { groupId, autoOffsetReset: 'earliest' });
      await second.subscribe([topic]);
      const rest = await pollAtLeast(second, 20 - 6);
      assert.equal(rest.length, 14);
      assert.ok(rest.every((r) => r.offset >= 3));
      const expected = all
        .filter((r) => r.offset >= 3)
        .map((r) => `${r.partition}:${r.offset}`)
        .sort();
      assert.deepEqual(rest.map((r) => `${r.partition}:${r.offset}`).sort(), expected);
    });

    it('commit() without arguments commits the position after the last polled record', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 1 });
      const groupId = tempGroup(t, bus, 'position');
      const producer = bus.producer();
      defer(t, () => producer.close());
      await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic, value: String(i) })));
      const consumer = consumerFor(t, bus, { groupId, autoOffsetReset: 'earliest' });
      await consumer.subscribe([topic]);
      let got: BusRecord[] = [];
      assert.ok(
        await eventually(
          async () => (got = await consumer.poll({ maxRecords: 4, timeoutMs: 250 })).length > 0,
          20_000,
        ),
      );
      const last = got[got.length - 1]!.offset;
      assert.equal(consumer.position({ topic, partition: 0 }), last + 1);
      const [before] = await consumer.committed([{ topic, partition: 0 }]);
      assert.equal(before!.offset, null, 'nothing is committed before commit()');
      await consumer.commit();
      const [after] = await consumer.committed([{ topic, partition: 0 }]);
      assert.equal(after!.offset, last + 1);
    });

    it(
      'a second member joining splits the partitions; when it leaves the first takes them back; nothing is lost',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 4 });
        const groupId = tempGroup(t, bus, 'rebalance');
        const producer = bus.producer();
        defer(t, () => producer.close());
        const seen = new Map<string, string>();
        const revokedFromA: TopicPartition[] = [];
        let rebalanceRefusals = 0;
        const a = consumerFor(t, bus, { groupId, autoOffsetReset: 'earliest' });
        await a.subscribe([topic], {
          onRevoked: async (partitions) => {
            revokedFromA.push(...partitions);
            await a
              .commit(partitions.map((tp) => ({ ...tp, offset: a.position(tp) })))
              .catch((e: unknown) => {
                if (!isBusError(e, BusErrorCodes.REBALANCE_IN_PROGRESS)) throw e;
                rebalanceRefusals++;
              });
          },
        });
        const take = async (c: Consumer): Promise<void> => {
          for (const r of await c.poll({ timeoutMs: 100 }))
            seen.set(`${r.partition}:${r.offset}`, r.value!.toString());
          // A commit may be refused while the group rebalances; the records then come again.
          await c.commit().catch((e: unknown) => {
            if (!isBusError(e, BusErrorCodes.REBALANCE_IN_PROGRESS)) throw e;
            rebalanceRefusals++;
          });
        };
        assert.ok(
          await eventually(async () => (await take(a), a.assignment().length === 4), 30_000),
          'the only member owns all 4 partitions',
        );

        await producer.sendBatch(
          Array.from({ length: 100 }, (_, i) => ({ topic, key: `k${i}`, value: `a${i}` })),
        );
        const b = bus.consumer({
          groupId,
          autoOffsetReset: 'earliest',
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 500,
        });
        await b.subscribe([topic]);
        const split = await eventually(async () => {
          await take(a);
          await take(b);
          const owned = [...a.assignment(), ...b.assignment()];
          return (
            a.assignment().length === 2 &&
            b.assignment().length === 2 &&
            [0, 1, 2, 3].every((p) => owned.some((tp) => sameTp(tp, { topic, partition: p })))
          );
        }, 45_000);
        assert.ok(
          split,
          `partitions split between members: a=${JSON.stringify(a.assignment())} b=${JSON.stringify(b.assignment())}`,
        );
        assert.ok(revokedFromA.length >= 2, 'the first member was told which partitions it lost');

        await producer.sendBatch(
          Array.from({ length: 100 }, (_, i) => ({ topic, key: `k${i}`, value: `b${i}` })),
        );
        assert.ok(
          await eventually(async () => (await take(a), await take(b), seen.size >= 200), 30_000),
          'both members consume',
        );
        await b.close();
        await producer.sendBatch(
          Array.from({ length: 100 }, (_, i) => ({ topic, key: `k${i}`, value: `c${i}` })),
        );
        assert.ok(
          await eventually(
            async () => (await take(a), a.assignment().length === 4 && seen.size >= 300),
            45_000,
          ),
          'the remaining member took all partitions back and read everything',
        );
        t.diagnostic(`commits refused during rebalances: ${rebalanceRefusals}`);
        const values = new Set(seen.values());
        for (const prefix of ['a', 'b', 'c'])
          for (let i = 0; i < 100; i++) assert.ok(values.has(`${prefix}${i}`), `${prefix}${i} was consumed`);
      },
    );

    it(
      'members joining and leaving a group that consumes a live stream hand partitions over: no record is handled twice, none is lost',
      { timeout: 120_000 },
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 4 });
        const groupId = tempGroup(t, bus, 'handover');
        const producer = bus.producer();
        defer(t, () => producer.close());
        /** `partition:offset` -> how many times a member handled it. */
        const handled = new Map<string, number>();
        const members: Array<{ name: string; consumer: Consumer; running: Promise<void>; stop: boolean }> =
          [];

        // A member as a service runs one: poll, handle, commit what it handled; on a rebalance,
        // commit before the partitions move (the listener), as the runtime's runner does.
        const join = async (name: string): Promise<void> => {
          const consumer = bus.consumer({
            groupId,
            clientId: name,
            autoOffsetReset: 'earliest',
            sessionTimeoutMs: 10_000,
            heartbeatIntervalMs: 300,
            maxPollRecords: 7,
          });
          const processed = new Map<string, TopicPartition & { offset: number }>();
          const commitProcessed = async (): Promise<void> => {
            const offsets = [...processed.values()];
            processed.clear();
            if (offsets.length > 0) await consumer.commit(offsets);
          };
          await consumer.subscribe([topic], {
            onRebalancing: commitProcessed,
            onRevoked: commitProcessed,
          });
          const member = { name, consumer, running: Promise.resolve(), stop: false };
          member.running = (async () => {
            while (!member.stop) {
              const records = await consumer.poll({ timeoutMs: 100 });
              for (const r of records) {
                const id = `${r.partition}:${r.offset}`;
                handled.set(id, (handled.get(id) ?? 0) + 1);
                processed.set(`${r.partition}`, { topic, partition: r.partition, offset: r.offset + 1 });
              }
              // A little work per batch, so that batches are in flight when the group rebalances.
              await new Promise((resolve) => setTimeout(resolve, 5));
              await commitProcessed();
            }
            await commitProcessed();
            await consumer.close();
          })();
          members.push(member);
        };
        const leave = async (name: string): Promise<void> => {
          const member = members.find((m) => m.name === name)!;
          member.stop = true;
          await member.running;
          members.splice(members.indexOf(member), 1);
        };
        defer(t, async () => {
          for (const m of [...members]) await leave(m.name).catch(() => undefined);
        });

        let sent = 0;
        let feeding = true;
        const feed = (async () => {
          while (feeding) {
            await producer.sendBatch(
              Array.from({ length: 10 }, (_, i) => ({
                topic,
                key: `k${(sent + i) % 40}`,
                value: `v${sent + i}`,
              })),
            );
            sent += 10;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        const settled = async (count: number): Promise<boolean> =>
          eventually(async () => {
            const owned = members.flatMap((m) => m.consumer.assignment());
            return (
              members.every((m) => m.consumer.assignment().length > 0) &&
              owned.length === 4 &&
              new Set(owned.map((tp) => tp.partition)).size === 4 &&
              members.length === count
            );
          }, 60_000);

        await join('m1');
        assert.ok(await settled(1), 'the first member owns every partition');
        await join('m2');
        assert.ok(await settled(2), 'a second member takes half the partitions');
        await join('m3');
        assert.ok(await settled(3), 'a third member takes its share');
        await leave('m1');
        assert.ok(await settled(2), 'the others take over what the member that left held');
        feeding = false;
        await feed;

        const admin = bus.admin();
        defer(t, () => admin.close());
        assert.ok(
          await eventually(
            async () => (await admin.groupLag(groupId, [topic])).every((p) => p.lag === 0),
            60_000,
          ),
          'the group reads to the end',
        );
        const repeats = [...handled].filter(([, n]) => n > 1);
        t.diagnostic(`${sent} records, ${handled.size} handled, ${repeats.length} more than once`);
        assert.equal(handled.size, sent, 'every record was handled');
        assert.deepEqual(repeats, [], 'no record was handled twice');
      },
    );

    it(
      'a member that stops polling does not hold up a rebalance past its session timeout',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 4 });
        const groupId = tempGroup(t, bus, 'stalled');
        const a = consumerFor(t, bus, { groupId, autoOffsetReset: 'earliest' });
        await a.subscribe([topic]);
        assert.ok(
          await eventually(
            async () => (await a.poll({ timeoutMs: 100 }), a.assignment().length === 4),
            30_000,
          ),
          'the first member owns every partition',
        );
        // `a` stops polling but stays open (its process is busy elsewhere); `b` joins.
        const b = consumerFor(t, bus, { groupId, autoOffsetReset: 'earliest' });
        const joined = Date.now();
        await b.subscribe([topic]);
        assert.ok(
          await eventually(
            async () => (await b.poll({ timeoutMs: 100 }), b.assignment().length >= 2),
            30_000,
          ),
          `the joining member gets partitions (it has ${JSON.stringify(b.assignment())})`,
        );
        t.diagnostic(
          `the joining member got ${b.assignment().length} partitions after ${Date.now() - joined} ms`,
        );
      },
    );

    it('seek to the beginning, the end and an offset; pause and resume a partition', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 2 });
      const producer = bus.producer();
      defer(t, () => producer.close());
      await producer.sendBatch(
        Array.from({ length: 10 }, (_, i) => ({ topic, value: String(i), partition: 0 })),
      );
      await producer.sendBatch(
        Array.from({ length: 5 }, (_, i) => ({ topic, value: `p1-${i}`, partition: 1 })),
      );
      const p0 = { topic, partition: 0 };
      const p1 = { topic, partition: 1 };
      const consumer = consumerFor(t, bus, {});
      await consumer.assign([p0, p1]);
      await consumer.seekToEnd();
      assert.equal(consumer.position(p0), 10);
      assert.equal(consumer.position(p1), 5);
      assert.deepEqual(await consumer.poll({ timeoutMs: 300 }), []);
      consumer.seek(p0, 7);
      assert.deepEqual(
        (await pollAtLeast(consumer, 3)).map((r) => r.value?.toString()),
        ['7', '8', '9'],
      );
      await consumer.seekToBeginning();
      consumer.pause([p1]);
      assert.deepEqual(consumer.paused(), [p1]);
      const fromP0 = await pollAtLeast(consumer, 10);
      assert.ok(
        fromP0.every((r) => r.partition === 0),
        'a paused partition yields nothing',
      );
      assert.equal(fromP0.length, 10);
      assert.deepEqual(await consumer.poll({ timeoutMs: 300 }), []);
      consumer.resume([p1]);
      assert.deepEqual(
        (await pollAtLeast(consumer, 5)).map((r) => r.value?.toString()),
        ['p1-0', 'p1-1', 'p1-2', 'p1-3', 'p1-4'],
      );
    });

    it(
      'seek and listOffsets by timestamp find the first record at or after that time',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 1 });
        const producer = bus.producer();
        defer(t, () => producer.close());
        const base = Date.now() - 60_000;
        await producer.sendBatch(
          Array.from({ length: 10 }, (_, i) => ({ topic, value: String(i), timestamp: base + i * 1000 })),
        );
        const admin = bus.admin();
        defer(t, () => admin.close());
        assert.deepEqual(await admin.listOffsets(topic, { timestamp: base + 4500 }), [
          { partition: 0, offset: 5 },
        ]);
        assert.deepEqual(await admin.listOffsets(topic, { timestamp: base + 4000 }), [
          { partition: 0, offset: 4 },
        ]);
        assert.deepEqual(
          await admin.listOffsets(topic, { timestamp: base + 999_999 }),
          [{ partition: 0, offset: 10 }],
          'none that late: the end',
        );
        assert.deepEqual(await admin.listOffsets(topic, 'earliest'), [{ partition: 0, offset: 0 }]);
        assert.deepEqual(await admin.listOffsets(topic, 'latest'), [{ partition: 0, offset: 10 }]);
        const consumer = consumerFor(t, bus, {});
        await consumer.assign([{ topic, partition: 0 }]);
        await consumer.seekToTimestamp(base + 6000);
        const [first] = await pollAtLeast(consumer, 1);
        assert.equal(first?.offset, 6);
        assert.equal(first?.timestamp, base + 6000);
      },
    );

    it(
      'compaction keeps the last value of every key, at its original offset',
      { timeout: 120_000 },
      async (t) => {
        const bus = await backend.open(t);
        const configs = {
          'cleanup.policy': 'compact',
          'segment.ms': '100',
          'min.cleanable.dirty.ratio': '0.01',
          'delete.retention.ms': '100',
          'min.compaction.lag.ms': '0',
        };
        const topic = await tempTopic(t, bus, { partitions: 1, configs });
        const producer = bus.producer();
        defer(t, () => producer.close());
        await producer.sendBatch([
          { topic, key: 'binance:BTCUSDT', value: 'v1' },
          { topic, key: 'binance:ETHUSDT', value: 'e1' },
          { topic, key: 'binance:BTCUSDT', value: 'v2' },
          { topic, key: 'binance:XRPUSDT', value: 'x1' },
          { topic, key: 'binance:BTCUSDT', value: 'v3' },
        ]);
        // A later record rolls the segment: only closed segments are compacted.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await producer.send({ topic, key: 'roll', value: 'r' });
        const readAll = async (): Promise<BusRecord[]> => {
          const c = bus.consumer({});
          try {
            await c.assign([{ topic, partition: 0 }]);
            await c.seekToBeginning();
            const out: BusRecord[] = [];
            for (let i = 0; i < 20 && out.at(-1)?.key?.toString() !== 'roll'; i++)
              out.push(...(await c.poll({ timeoutMs: 250 })));
            return out;
          } finally {
            await c.close();
          }
        };
        let records: BusRecord[] = [];
        const compacted = await eventually(
          async () => (records = await readAll()).length === 4,
          90_000,
          1000,
        );
        assert.ok(
          compacted,
          `compacted to the last value per key, got ${records.map((r) => `${r.offset}:${r.key}=${r.value}`).join(' ')}`,
        );
        assert.deepEqual(
          records.map((r) => `${r.offset}:${r.key?.toString()}=${r.value?.toString()}`),
          ['1:binance:ETHUSDT=e1', '3:binance:XRPUSDT=x1', '4:binance:BTCUSDT=v3', '5:roll=r'],
        );
      },
    );

    it(
      'retention deletes segments older than retention.ms and moves the log start',
      { timeout: 120_000 },
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, {
          partitions: 1,
          configs: { 'retention.ms': '60000', 'segment.ms': '1000' },
        });
        const producer = bus.producer();
        defer(t, () => producer.close());
        const old = Date.now() - 3_600_000;
        await producer.sendBatch(
          Array.from({ length: 5 }, (_, i) => ({ topic, value: `old${i}`, timestamp: old + i })),
        );
        await producer.send({ topic, value: 'new' });
        const admin = bus.admin();
        defer(t, () => admin.close());
        const moved = await eventually(
          async () => (await admin.listOffsets(topic, 'earliest'))[0]!.offset === 5,
          90_000,
          500,
        );
        assert.ok(moved, 'the log start moved past the expired records');
        const consumer = consumerFor(t, bus, {});
        await consumer.assign([{ topic, partition: 0 }]);
        await consumer.seekToBeginning();
        const records = await pollAtLeast(consumer, 1);
        assert.deepEqual(
          records.map((r) => r.value?.toString()),
          ['new'],
        );
      },
    );

    it(
      'resetting a stopped group to a datetime replays from there; a group with members is refused',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 1 });
        const groupId = tempGroup(t, bus, 'travel');
        const producer = bus.producer();
        defer(t, () => producer.close());
        const base = Date.now() - 100_000;
        await producer.sendBatch(
          Array.from({ length: 10 }, (_, i) => ({ topic, value: String(i), timestamp: base + i * 1000 })),
        );
        const admin = bus.admin();
        defer(t, () => admin.close());

        const active = bus.consumer({ groupId, autoOffsetReset: 'earliest', heartbeatIntervalMs: 500 });
        await active.subscribe([topic]);
        assert.equal((await pollAtLeast(active, 10)).length, 10);
        await active.commit();
        await assert.rejects(admin.resetGroupOffsets(groupId, [topic], { datetime: base }), (e) =>
          isBusError(e, BusErrorCodes.GROUP_NOT_EMPTY),
        );
        await active.close();

        const moved = await admin.resetGroupOffsets(groupId, [topic], { datetime: base + 5000 });
        assert.deepEqual(moved, [{ topic, partition: 0, offset: 5 }]);
        const replay = consumerFor(t, bus, { groupId, autoOffsetReset: 'latest' });
        await replay.subscribe([topic]);
        const records = await pollAtLeast(replay, 5);
        assert.deepEqual(
          records.map((r) => r.value?.toString()),
          ['5', '6', '7', '8', '9'],
        );
        await admin
          .resetGroupOffsets(groupId, [topic], 'earliest')
          .catch((e) => assert.ok(isBusError(e, BusErrorCodes.GROUP_NOT_EMPTY)));
      },
    );

    it('group lag counts the records after the committed offset', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const topic = await tempTopic(t, bus, { partitions: 2 });
      const groupId = tempGroup(t, bus, 'lag');
      const producer = bus.producer();
      defer(t, () => producer.close());
      await producer.sendBatch(
        Array.from({ length: 10 }, (_, i) => ({ topic, value: String(i), partition: i % 2 })),
      );
      const consumer = consumerFor(t, bus, { groupId, autoOffsetReset: 'earliest' });
      await consumer.subscribe([topic]);
      await pollAtLeast(consumer, 10);
      await consumer.commit([
        { topic, partition: 0, offset: 2 },
        { topic, partition: 1, offset: 5 },
      ]);
      const admin = bus.admin();
      defer(t, () => admin.close());
      const lag = await admin.groupLag(groupId, [topic]);
      assert.deepEqual(
        lag.map((l) => ({ p: l.partition, c: l.committed, end: l.logEnd, lag: l.lag })),
        [
          { p: 0, c: 2, end: 5, lag: 3 },
          { p: 1, c: 5, end: 5, lag: 0 },
        ],
      );
      assert.ok((await admin.listGroups()).some((g) => g.groupId === groupId));
      const described = await admin.describeGroup(groupId);
      assert.equal(described.members.length, 1);
      assert.deepEqual(
        [...described.members[0]!.assignment].sort((x, y) => x.partition - y.partition),
        [
          { topic, partition: 0 },
          { topic, partition: 1 },
        ],
      );
    });

    it('errors name the problem: unknown topic, existing topic, bad partition count', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const admin = bus.admin();
      defer(t, () => admin.close());
      const producer = bus.producer();
      defer(t, () => producer.close());
      const missing = uniqueName('missing');
      await assert.rejects(
        producer.send({ topic: missing, value: 'x' }),
        (e) => isBusError(e, BusErrorCodes.UNKNOWN_TOPIC) && e.message.includes(missing),
      );
      await assert.rejects(admin.describeTopics([missing]), (e) =>
        isBusError(e, BusErrorCodes.UNKNOWN_TOPIC),
      );
      const topic = await tempTopic(t, bus, { partitions: 1 });
      await assert.rejects(admin.createTopics([{ name: topic, partitions: 1 }]), (e) =>
        isBusError(e, BusErrorCodes.TOPIC_EXISTS),
      );
      await admin.createTopics([{ name: topic, partitions: 1 }], { ifNotExists: true });
      await assert.rejects(admin.createTopics([{ name: uniqueName('zero'), partitions: 0 }]), (e) =>
        isBusError(e, BusErrorCodes.INVALID_ARGUMENT),
      );
    });

    it(
      'describe shows partitions and configs; configs can be altered and partitions added',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const topic = await tempTopic(t, bus, { partitions: 2, configs: { 'retention.ms': '3600000' } });
        const admin = bus.admin();
        defer(t, () => admin.close());
        let [d] = await admin.describeTopics([topic]);
        assert.equal(d!.partitions.length, 2);
        assert.equal(d!.configs['retention.ms'], '3600000');
        await admin.alterTopicConfigs(topic, { 'retention.ms': '7200000', 'cleanup.policy': 'compact' });
        await admin.createPartitions(topic, 3);
        assert.ok(
          await eventually(async () => {
            [d] = await admin.describeTopics([topic]);
            return (
              d!.partitions.length === 3 &&
              d!.configs['retention.ms'] === '7200000' &&
              d!.configs['cleanup.policy'] === 'compact'
            );
          }, 10_000),
          `altered: ${JSON.stringify(d)}`,
        );
        assert.ok((await admin.listTopics()).includes(topic));
        await assert.rejects(admin.createPartitions(topic, 2), (e) =>
          isBusError(e, BusErrorCodes.INVALID_ARGUMENT),
        );
      },
    );
  });
}
