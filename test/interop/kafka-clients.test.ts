// Interoperability with clients nobody here wrote: kcat (librdkafka) and Kafka's own Java tools.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { partitionForKey } from '../../src/bus/murmur2.ts';
import { openBus } from '../../src/bus/open.ts';
import { type Bus, type BusRecord } from '../../src/bus/types.ts';
import { runKafkaTool } from '../../src/ops/kafka/index.ts';
import { defer, kafkaBootstrap, kafkaSkipReason, tempGroup, tempTopic } from '../helpers/backends.ts';

const run = promisify(execFile);
const skip = kafkaSkipReason();
const TIMEOUT = { timeout: 90_000 } as const;
// Recent timestamps: records from 2024 would fall to the broker's 7-day retention at once.
const T0 = Date.now() - 1000;

async function kcatAvailable(): Promise<string | undefined> {
  try {
    await run('kcat', ['-V']);
    return undefined;
  } catch {
    if (process.env['STREAMFORGE_REQUIRE_KAFKA'] === '1')
      throw new Error('kcat is not installed (apt-get install kcat); CI requires it');
    return 'kcat is not installed (apt-get install kcat)';
  }
}

async function openKafka(t: TestContext): Promise<Bus> {
  const bus = await openBus(`kafka://${kafkaBootstrap()}`);
  defer(t, () => bus.close());
  return bus;
}

/** Real Binance trade frames (from the shared capture) used as record values. */
const frames = [
  '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161254123,"s":"BTCUSDT","t":3712497381,"p":"61786.01000000","q":"0.00010000","T":1723161254122,"m":true,"M":true}}',
  '{"stream":"ethusdt@trade","data":{"e":"trade","E":1723161254231,"s":"ETHUSDT","t":1531622190,"p":"2611.73000000","q":"0.00460000","T":1723161254230,"m":false,"M":true}}',
];

describe('interop with kcat and the Kafka tools', { skip }, async () => {
  const noKcat = skip ? undefined : await kcatAvailable();

  it(
    'kcat reads what StreamForge produced: partition, offset, key, value, headers, timestamp',
    { ...TIMEOUT, skip: noKcat },
    async (t) => {
      const bus = await openKafka(t);
      const topic = await tempTopic(t, bus, { partitions: 3, prefix: 'interop' });
      const producer = bus.producer();
      defer(t, () => producer.close());
      const sent = await producer.sendBatch(
        frames.map((value, i) => ({
          topic,
          key: i === 0 ? 'binance:BTCUSDT' : 'binance:ETHUSDT',
          value,
          timestamp: T0 + i,
          headers: { 'schema-id': 'md.raw/1', producer: 'streamforge-test' },
        })),
      );
      const { stdout } = await run('kcat', [
        '-b',
        kafkaBootstrap()!,
        '-C',
        '-t',
        topic,
        '-e',
        '-q',
        '-o',
        'beginning',
        '-f',
        '%p\t%o\t%k\t%T\t%h\t%s\n',
      ]);
      const lines = stdout.trim().split('\n').sort();
      const expected = sent
        .map(
          (m, i) =>
            `${m.partition}\t${m.offset}\t${i === 0 ? 'binance:BTCUSDT' : 'binance:ETHUSDT'}\t${T0 + i}\tschema-id=md.raw/1,producer=streamforge-test\t${frames[i]}`,
        )
        .sort();
      assert.deepEqual(lines, expected);
    },
  );

  it(
    "StreamForge reads what kcat produced, on the partition Kafka's murmur2 partitioner picks",
    { ...TIMEOUT, skip: noKcat },
    async (t) => {
      const bus = await openKafka(t);
      const topic = await tempTopic(t, bus, { partitions: 6, prefix: 'interop' });
      const keys = [
        'binance:BTCUSDT',
        'binance:ETHUSDT',
        'okx:BTC-USDT',
        'kraken:XBT/USD',
        'coinbase:ETH-USD',
        'k5',
      ];
      const input = keys.map((k, i) => `${k}|${frames[i % 2]}`).join('\n') + '\n';
      const child = execFile('kcat', [
        '-b',
        kafkaBootstrap()!,
        '-P',
        '-t',
        topic,
        '-K',
        '|',
        '-H',
        'origin=kcat',
        '-X',
        'topic.partitioner=murmur2_random',
      ]);
      child.stdin!.end(input);
      await new Promise<void>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`)))),
      );
      const consumer = bus.consumer({ groupId: tempGroup(t, bus, 'interop'), autoOffsetReset: 'earliest' });
      defer(t, () => consumer.close());
      await consumer.subscribe([topic]);
      const records: BusRecord[] = [];
      const deadline = Date.now() + 20_000;
      while (records.length < keys.length && Date.now() < deadline)
        records.push(...(await consumer.poll({ timeoutMs: 250 })));
      assert.equal(records.length, keys.length);
      for (const r of records) {
        const key = r.key!.toString();
        assert.equal(
          r.partition,
          partitionForKey(Buffer.from(key), 6),
          `kcat and StreamForge agree on the partition of ${key}`,
        );
        assert.equal(r.value!.toString(), frames[keys.indexOf(key) % 2]);
        assert.equal(r.headers['origin']?.toString(), 'kcat');
      }
    },
  );

  it(
    'StreamForge reads batches kcat compressed with gzip, snappy, lz4 and zstd',
    { ...TIMEOUT, skip: noKcat },
    async (t) => {
      const bus = await openKafka(t);
      const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
      for (const codec of codecs) {
        const topic = await tempTopic(t, bus, { partitions: 1, prefix: `interop-${codec}` });
        // Many records per batch, so that the codec has something to compress.
        const values = Array.from({ length: 500 }, (_, i) => `${frames[i % 2]} #${i}`);
        const child = execFile('kcat', ['-b', kafkaBootstrap()!, '-P', '-t', topic, '-z', codec, '-K', '|']);
        child.stdin!.end(values.map((v, i) => `k${i}|${v}`).join('\n') + '\n');
        await new Promise<void>((resolve, reject) =>
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`)))),
        );
        const consumer = bus.consumer();
        defer(t, () => consumer.close());
        await consumer.assign([{ topic, partition: 0 }]);
        await consumer.seekToBeginning();
        const records: BusRecord[] = [];
        const deadline = Date.now() + 20_000;
        while (records.length < values.length && Date.now() < deadline)
          records.push(...(await consumer.poll({ timeoutMs: 250 })));
        assert.equal(records.length, values.length, `${codec}: every record arrives`);
        records.forEach((r, i) => {
          assert.equal(r.offset, i, `${codec}: offsets in order`);
          assert.equal(r.key?.toString(), `k${i}`);
          assert.equal(r.value?.toString(), values[i]);
        });
      }
    },
  );

  it("Kafka's console consumer reads what StreamForge produced", TIMEOUT, async (t) => {
    const bus = await openKafka(t);
    const topic = await tempTopic(t, bus, { partitions: 2, prefix: 'interop' });
    const producer = bus.producer();
    defer(t, () => producer.close());
    const sent = await producer.sendBatch(
      frames.map((value, i) => ({
        topic,
        key: `key-${i}`,
        value,
        headers: { h: `v${i}` },
        timestamp: T0 + i,
      })),
    );
    const result = await runKafkaTool(
      'console-consumer',
      [
        '--topic',
        topic,
        '--from-beginning',
        '--max-messages',
        String(frames.length),
        '--timeout-ms',
        '30000',
        '--property',
        'print.key=true',
        '--property',
        'print.partition=true',
        '--property',
        'print.offset=true',
        '--property',
        'print.timestamp=true',
        '--property',
        'print.headers=true',
        '--property',
        'key.separator=|',
      ],
      { bootstrap: kafkaBootstrap()!, timeoutMs: 60_000 },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').sort();
    const expected = sent
      .map(
        (m, i) =>
          `CreateTime:${T0 + i}|Partition:${m.partition}|Offset:${m.offset}|h:v${i}|key-${i}|${frames[i]}`,
      )
      .sort();
    assert.deepEqual(lines, expected);
  });

  it('committed offsets and lag match what kafka-consumer-groups --describe reports', TIMEOUT, async (t) => {
    const bus = await openKafka(t);
    const topic = await tempTopic(t, bus, { partitions: 3, prefix: 'interop' });
    const groupId = tempGroup(t, bus, 'interop-lag');
    const producer = bus.producer();
    defer(t, () => producer.close());
    await producer.sendBatch(
      Array.from({ length: 30 }, (_, i) => ({ topic, value: String(i), partition: i % 3 })),
    );
    const consumer = bus.consumer({ groupId, autoOffsetReset: 'earliest' });
    await consumer.subscribe([topic]);
    let read = 0;
    const deadline = Date.now() + 20_000;
    while (read < 30 && Date.now() < deadline) read += (await consumer.poll({ timeoutMs: 250 })).length;
    await consumer.commit([
      { topic, partition: 0, offset: 4 },
      { topic, partition: 1, offset: 10 },
      { topic, partition: 2, offset: 7 },
    ]);
    await consumer.close();
    const admin = bus.admin();
    defer(t, () => admin.close());
    const ours = await admin.groupLag(groupId, [topic]);
    const result = await runKafkaTool('consumer-groups', ['--describe', '--group', groupId], {
      bootstrap: kafkaBootstrap()!,
      timeoutMs: 60_000,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    const theirs = result.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols[0] === groupId && cols[1] === topic)
      .map((cols) => ({
        partition: Number(cols[2]),
        committed: Number(cols[3]),
        logEnd: Number(cols[4]),
        lag: Number(cols[5]),
      }))
      .sort((a, b) => a.partition - b.partition);
    assert.deepEqual(
      theirs,
      ours.map((l) => ({ partition: l.partition, committed: l.committed, logEnd: l.logEnd, lag: l.lag })),
    );
    assert.deepEqual(
      theirs.map((x) => x.lag),
      [6, 0, 3],
    );
  });
});
