// The record codec: round trips, and a distinct, classified error for every way a record can be bad.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BusRecord, type ProduceRecord } from '../../src/bus/types.ts';
import { catalog } from '../../src/contracts/catalog.ts';
import { decode, decodeBytes, decodeCompacted } from '../../src/contracts/decode.ts';
import { DeadLetterHeaders, toDeadLetter } from '../../src/contracts/dlq.ts';
import { encode, encodeBytes, encodeTombstone } from '../../src/contracts/encode.ts';
import { ContractError, type ContractErrorCode } from '../../src/contracts/errors.ts';
import { HeaderNames } from '../../src/contracts/headers.ts';
import { type BytesProduct, type JsonProduct } from '../../src/contracts/product.ts';
import { instruments } from '../../src/contracts/products/reference.ts';
import { queueEvents } from '../../src/contracts/products/control.ts';
import { trades } from '../../src/contracts/products/market.ts';
import { rawTopics } from '../../src/contracts/products/raw.ts';
import { RawHeaders } from '../../src/contracts/raw-headers.ts';
import { parseTraceparent } from '../../src/contracts/traceparent.ts';

const producer = { service: 'parser', instance: 'parser-0' };

/** What a consumer would receive for a produced record, at partition 3, offset 1234. */
function consumed(record: ProduceRecord, changes: Partial<BusRecord> = {}): BusRecord {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(record.headers ?? {})) headers[k] = Buffer.from(v);
  const value = record.value === null ? null : Buffer.from(record.value);
  return {
    topic: record.topic,
    partition: 3,
    offset: 1234,
    timestamp: 1723161256000,
    key: record.key === undefined || record.key === null ? null : Buffer.from(record.key),
    value,
    headers,
    ...changes,
  };
}

function withHeaders(record: BusRecord, headers: Record<string, string | undefined>): BusRecord {
  const out: Record<string, Buffer> = { ...record.headers };
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) delete out[k];
    else out[k] = Buffer.from(v);
  }
  return { ...record, headers: out };
}

/** Asserts a ContractError with `code`, canRetry false, the location in the message, and `path`. */
function rejects(fn: () => unknown, code: ContractErrorCode, message: RegExp, path?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ContractError, String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.canRetry, false);
    assert.match(error.message, message);
    if (path !== undefined) assert.equal(error.path, path);
    return true;
  });
}

const good = consumed(encode(trades, trades.value.example, producer));

describe('encode', () => {
  it('builds the record with the key from the value and every standard header', () => {
    const record = encode(trades, trades.value.example, producer);
    assert.equal(record.topic, 'md.trades');
    assert.equal(record.key, 'binance:BTCUSDT');
    assert.deepEqual(JSON.parse(String(record.value)), trades.value.example);
    const h = record.headers!;
    assert.equal(h[HeaderNames.SCHEMA_ID], 'md.trades');
    assert.equal(h[HeaderNames.SCHEMA_VERSION], '1');
    assert.equal(h[HeaderNames.PRODUCER_SERVICE], 'parser');
    assert.equal(h[HeaderNames.PRODUCER_INSTANCE], 'parser-0');
    assert.equal(h[HeaderNames.EVENT_TIME], '1723161255342');
    assert.ok(parseTraceparent(String(h[HeaderNames.TRACEPARENT])));
  });

  it('keeps a given traceparent and writes the current version of a versioned product', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const record = encode(queueEvents, queueEvents.value.example, producer, { traceparent });
    assert.equal(record.headers![HeaderNames.TRACEPARENT], traceparent);
    assert.equal(record.headers![HeaderNames.SCHEMA_VERSION], String(queueEvents.value.versions.length));
  });

  it('refuses a value that breaks the schema, naming the path', () =>
    rejects(
      () => encode(trades, { ...trades.value.example, price: '6.1e4' }, producer),
      'SCHEMA_VIOLATION',
      /md\.trades: value breaks md\.trades v1 at \/price/,
      '/price',
    ));

  it('refuses an invalid traceparent and an oversized value', () => {
    rejects(
      () => encode(trades, trades.value.example, producer, { traceparent: '00-0-0-01' }),
      'INVALID_HEADER',
      /traceparent/,
    );
    const small = { ...trades, maxValueBytes: 50 } as JsonProduct<typeof trades.value.example>;
    rejects(() => encode(small, trades.value.example, producer), 'OVERSIZED', /allows 50/);
  });

  it('a tombstone only on a compacted product', () => {
    const record = encodeTombstone(instruments, 'coinbase:BTC-GBP', producer);
    assert.equal(record.value, null);
    rejects(() => encodeTombstone(trades, 'binance:BTCUSDT', producer), 'MISSING_VALUE', /not compacted/);
  });
});

describe('decode', () => {
  it('round-trips every JSON product example with its metadata', () => {
    for (const product of catalog.products) {
      if (product.value.format !== 'json') continue;
      const p = product as JsonProduct;
      const decoded = decode(p, consumed(encode(p, p.value.example, producer)));
      assert.deepEqual(decoded.value, p.value.example, p.topic);
      assert.equal(decoded.version, p.value.versions.length);
      assert.deepEqual(decoded.producer, producer);
      assert.ok(decoded.trace);
    }
  });

  it('reads a record written with an older version by its own schema', () => {
    const v1 = withHeaders(consumed(encode(queueEvents, queueEvents.value.example, producer)), {
      [HeaderNames.SCHEMA_VERSION]: '1',
    });
    assert.equal(decode(queueEvents, v1).version, 1);
    // heartbeat exists only from v2: a v1 record cannot carry it.
    const { service, instance, queue_id, time } = queueEvents.value.example;
    const heartbeat = { service, instance, queue_id, time, event: 'heartbeat', state: 'idle' } as const;
    const hb = consumed(encode(queueEvents, heartbeat, producer));
    assert.equal(decode(queueEvents, hb).version, queueEvents.value.versions.length);
    rejects(
      () => decode(queueEvents, withHeaders(hb, { [HeaderNames.SCHEMA_VERSION]: '1' })),
      'SCHEMA_VIOLATION',
      /queue-events v1/,
    );
  });

  it('missing schema headers', () => {
    rejects(
      () => decode(trades, withHeaders(good, { [HeaderNames.SCHEMA_VERSION]: undefined })),
      'MISSING_HEADER',
      /^md\.trades\[3\]@1234: header sf-schema-version is missing/,
      HeaderNames.SCHEMA_VERSION,
    );
    rejects(
      () => decode(trades, withHeaders(good, { [HeaderNames.SCHEMA_ID]: undefined })),
      'MISSING_HEADER',
      /sf-schema-id is missing/,
    );
  });

  it('an unknown version', () =>
    rejects(
      () => decode(trades, withHeaders(good, { [HeaderNames.SCHEMA_VERSION]: '7' })),
      'UNKNOWN_VERSION',
      /md\.trades\[3\]@1234: schema version 7 of md\.trades is unknown here \(known: 1\)/,
    ));

  it('a malformed version header or event time', () => {
    rejects(
      () => decode(trades, withHeaders(good, { [HeaderNames.SCHEMA_VERSION]: 'v1' })),
      'INVALID_HEADER',
      /sf-schema-version must be a non-negative integer/,
    );
    rejects(
      () => decode(trades, withHeaders(good, { [HeaderNames.EVENT_TIME]: '-5' })),
      'INVALID_HEADER',
      /sf-event-time/,
    );
  });

  it('the schema id of another product', () =>
    rejects(
      () => decode(trades, withHeaders(good, { [HeaderNames.SCHEMA_ID]: 'md.book.delta' })),
      'SCHEMA_MISMATCH',
      /"md\.book\.delta", this topic holds md\.trades/,
    ));

  it('malformed JSON and bytes that are not UTF-8', () => {
    rejects(
      () => decode(trades, { ...good, value: Buffer.from('{"exchange":') }),
      'MALFORMED_JSON',
      /@1234: value is not UTF-8 JSON/,
    );
    rejects(
      () => decode(trades, { ...good, value: Buffer.from([0x7b, 0xff, 0x7d]) }),
      'MALFORMED_JSON',
      /UTF-8/,
    );
  });

  it('a schema violation names the failing path', () => {
    const bad = { ...trades.value.example, aggressorSide: 'maker' };
    rejects(
      () => decode(trades, { ...good, value: Buffer.from(JSON.stringify(bad)) }),
      'SCHEMA_VIOLATION',
      /md\.trades\[3\]@1234: value breaks md\.trades v1 at \/aggressorSide/,
      '/aggressorSide',
    );
    const nested = { ...catalog.get('md.book.delta') } as JsonProduct;
    const example = nested.value.example as { bids: string[][] };
    const badLevel = { ...example, bids: [['61737.63000000', '1e-8']] };
    const record = consumed(encode(nested, nested.value.example, producer));
    rejects(
      () => decode(nested, { ...record, value: Buffer.from(JSON.stringify(badLevel)) }),
      'SCHEMA_VIOLATION',
      /at \/bids\/0\/1/,
      '/bids/0/1',
    );
  });

  it('an oversized record', () => {
    const huge = Buffer.alloc(trades.maxValueBytes + 1, 0x20);
    rejects(
      () => decode(trades, { ...good, value: huge }),
      'OVERSIZED',
      /1000001 bytes, the product allows 1000000/,
    );
  });

  it('a null value: an error on a delete topic, a deletion on a compacted one', () => {
    rejects(() => decode(trades, { ...good, value: null }), 'MISSING_VALUE', /not compacted/);
    const tombstone = consumed(encodeTombstone(instruments, 'coinbase:BTC-GBP', producer));
    rejects(() => decode(instruments, tombstone), 'MISSING_VALUE', /decodeCompacted/);
    assert.equal(decodeCompacted(instruments, tombstone).value, null);
    const live = consumed(encode(instruments, instruments.value.example, producer));
    assert.deepEqual(decodeCompacted(instruments, live).value, instruments.value.example);
  });

  it('an invalid traceparent never costs the record: the trace is dropped', () => {
    const decoded = decode(trades, withHeaders(good, { [HeaderNames.TRACEPARENT]: 'garbage' }));
    assert.equal(decoded.trace, undefined);
    assert.deepEqual(decoded.value, trades.value.example);
  });

  it('the JSON codec on a bytes product is a WRONG_FORMAT error', () => {
    const raw = rawTopics.binance as unknown as JsonProduct;
    rejects(() => decode(raw, good), 'WRONG_FORMAT', /bytes values, not json/);
  });
});

describe('bytes products', () => {
  const raw: BytesProduct = rawTopics.binance;
  const frame = raw.value.example;

  it('every raw example round-trips byte for byte with its headers', () => {
    for (const product of Object.values(rawTopics)) {
      const ex = product.value.example;
      const record = encodeBytes(product, ex.value, ex.key, ex.headers, {
        service: 'loader',
        instance: 'l-0',
      });
      const decoded = decodeBytes(product, consumed(record));
      assert.equal(decoded.value.toString('utf8'), ex.value);
      assert.deepEqual(decoded.headers, ex.headers);
      assert.equal(decoded.producer?.service, 'loader');
    }
  });

  it('a missing or malformed raw header is refused on produce and on consume', () => {
    const { [RawHeaders.CONNECTION_SEQ]: _seq, ...noSeq } = frame.headers;
    rejects(
      () => encodeBytes(raw, frame.value, frame.key, noSeq, producer),
      'MISSING_HEADER',
      /sf-connection-seq/,
    );
    rejects(
      () =>
        encodeBytes(
          raw,
          frame.value,
          frame.key,
          { ...frame.headers, [RawHeaders.RECEIVE_TIME]: '1.5' },
          producer,
        ),
      'INVALID_HEADER',
      /sf-receive-time/,
    );
    const record = consumed(encodeBytes(raw, frame.value, frame.key, frame.headers, producer));
    rejects(
      () => decodeBytes(raw, withHeaders(record, { [RawHeaders.CONNECTION_ID]: undefined })),
      'MISSING_HEADER',
      /md\.raw\.binance\[3\]@1234: header sf-connection-id is missing/,
    );
  });
});

describe('dead letters', () => {
  it('keep the original key, value and headers and add the failure', () => {
    const bad = { ...good, value: Buffer.from('{"exchange":') };
    let failure: ContractError | undefined;
    try {
      decode(trades, bad);
    } catch (error) {
      failure = error as ContractError;
    }
    assert.ok(failure);
    const dead = toDeadLetter(
      bad,
      { code: failure.code, reason: failure.message, attempts: 1 },
      producer,
      42,
    );
    assert.equal(dead.topic, 'md.trades.dlq');
    assert.deepEqual(dead.key, bad.key);
    assert.deepEqual(dead.value, bad.value);
    const h = dead.headers!;
    assert.equal(h[DeadLetterHeaders.CODE], 'MALFORMED_JSON');
    assert.match(String(h[DeadLetterHeaders.REASON]), /md\.trades\[3\]@1234/);
    assert.equal(h[DeadLetterHeaders.TOPIC], 'md.trades');
    assert.equal(h[DeadLetterHeaders.PARTITION], '3');
    assert.equal(h[DeadLetterHeaders.OFFSET], '1234');
    assert.equal(h[DeadLetterHeaders.ATTEMPTS], '1');
    assert.equal(h[DeadLetterHeaders.TIME], '42');
    assert.deepEqual(h[HeaderNames.SCHEMA_ID], bad.headers[HeaderNames.SCHEMA_ID]);
    // The dead letter is itself a valid record of the .dlq product.
    const dlq = catalog.get('md.trades.dlq') as BytesProduct;
    const again = decodeBytes(dlq, consumed(dead as ProduceRecord));
    assert.equal(again.headers[DeadLetterHeaders.OFFSET], '1234');
  });
});
