// The Kafka record-batch codec on the hot paths: the one-pass encoder (patched into the client) and our decoder.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createRecordsBatch,
  createRecordsBatchGeneric,
  crc32c,
  type MessageRecord,
  Reader,
  readRecordsBatch,
} from '@platformatic/kafka';
import { BusError } from '../../src/bus/errors.ts';
import { decodeRecordBatches } from '../../src/bus/kafka/record-batch.ts';

const T = 1_723_161_254_123n;
const frame = (i: number): string =>
  `{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":${3712497381 + i},"p":"61786.01000000","q":"0.00010000"}}`;

/** Records that exercise every field width: null and empty payloads, multi-byte varints, headers, a timestamp before the first. */
function messages(far = true): MessageRecord[] {
  return [
    { topic: 't', value: Buffer.from(frame(0)), key: Buffer.from('binance:BTCUSDT'), timestamp: T },
    { topic: 't', value: Buffer.alloc(0), timestamp: T + 5n },
    { topic: 't', value: Buffer.alloc(20_000, 7), key: Buffer.alloc(300, 1), timestamp: T - 1000n },
    {
      topic: 't',
      value: Buffer.from(frame(3)),
      headers: new Map([
        [Buffer.from('sf.schema'), Buffer.from('md.trades@1')],
        [Buffer.from('empty'), Buffer.alloc(0)],
      ]),
      // 30 days after the first: a delta past 2^31 needs a true 64-bit varint.
      timestamp: far ? T + 86_400_000n * 30n : T + 1n,
    },
  ];
}

const options = { producerId: 42n, producerEpoch: 3, partitionLeaderEpoch: 0 };

function withOffset(batch: Buffer, base: bigint): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(base, 0);
  return copy;
}

test('the one-pass encoder writes the same bytes as the client its own encoder', () => {
  // Not with the 30-day delta: the client's encoder writes deltas past 2^31 ms with a wrong
  // zigzag sign bit (0x81... where 0x80... is right); the decoding test below proves ours.
  const fast = createRecordsBatch(messages(false), options).buffer;
  const generic = createRecordsBatchGeneric(messages(false), options).buffer;
  assert.deepEqual(fast, generic);
  assert.equal(fast.readUInt32BE(17), crc32c(fast.subarray(21)), 'the CRC covers attributes to the end');
});

test('decoding gives back every key, value, header, timestamp and offset', () => {
  const input = messages();
  const batch = withOffset(createRecordsBatch(messages(), options).buffer, 1000n);
  const { records, next } = decodeRecordBatches('md.trades', 2, batch, 1000);
  assert.equal(next, 1004);
  assert.equal(records.length, input.length);
  records.forEach((r, i) => {
    const m = input[i]!;
    assert.equal(r.topic, 'md.trades');
    assert.equal(r.partition, 2);
    assert.equal(r.offset, 1000 + i);
    assert.equal(r.timestamp, Number(m.timestamp));
    assert.deepEqual(r.key, m.key ?? null);
    assert.deepEqual(r.value, m.value);
    assert.deepEqual(
      Object.entries(r.headers).map(([k, v]) => [k, v.toString()]),
      [...(m.headers ?? new Map<Buffer, Buffer>())].map(([k, v]) => [k.toString(), v.toString()]),
    );
  });
  // The client's own decoder agrees with ours on the same bytes.
  const reference = readRecordsBatch(Reader.from(batch));
  assert.deepEqual(
    reference.records.map((r) => r.value),
    records.map((r) => r.value),
  );
});

test('records before the fetch offset are skipped, a trailing partial batch is left for the next fetch', () => {
  const first = withOffset(createRecordsBatch(messages(), options).buffer, 0n);
  const second = withOffset(createRecordsBatch(messages(), options).buffer, 4n);
  const both = Buffer.concat([first, second.subarray(0, second.length - 10)]);
  const { records, next } = decodeRecordBatches('t', 0, both, 2);
  assert.deepEqual(
    records.map((r) => r.offset),
    [2, 3],
  );
  assert.equal(next, 4, 'the partial batch is fetched again from its start');
});

test('a control batch (transaction marker) moves the offset on and yields no record', () => {
  const batch = withOffset(createRecordsBatch(messages(), options).buffer, 10n);
  batch.writeInt16BE(0x20 | 0x10, 21);
  const { records, next } = decodeRecordBatches('t', 0, batch, 10);
  assert.equal(records.length, 0);
  assert.equal(next, 14);
});

test('a gzip-compressed batch is decoded through the client codecs', () => {
  const batch = withOffset(createRecordsBatch(messages(), { ...options, compression: 'gzip' }).buffer, 7n);
  assert.equal(batch.readInt16BE(21) & 0x07, 1, 'the batch is marked gzip');
  const { records } = decodeRecordBatches('t', 0, batch, 7);
  assert.deepEqual(
    records.map((r) => [r.offset, r.value?.length]),
    [
      [7, frame(0).length],
      [8, 0],
      [9, 20_000],
      [10, frame(3).length],
    ],
  );
});

test('corrupt batches fail with a clear error instead of yielding garbage', () => {
  const good = withOffset(createRecordsBatch(messages(), options).buffer, 0n);
  const badMagic = Buffer.from(good);
  badMagic[16] = 1;
  assert.throws(
    () => decodeRecordBatches('t', 0, badMagic, 0),
    (e: unknown) => {
      assert.ok(e instanceof BusError);
      assert.match(e.message, /magic 1/);
      return true;
    },
  );
  // A record that claims more bytes than the batch holds.
  const tooLong = Buffer.from(good);
  tooLong[61] = 0x7e; // zigzag varint 63 where the first record is longer: its fields run past it
  assert.throws(() => decodeRecordBatches('t', 0, tooLong, 0), /Corrupt record batch/);
  const badLength = Buffer.from(good);
  badLength.writeInt32BE(10, 8);
  assert.throws(() => decodeRecordBatches('t', 0, badLength, 0), /batch length 10/);
});
