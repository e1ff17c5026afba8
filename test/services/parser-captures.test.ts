// Every shared capture through replay -> md.raw -> parser gives exactly the mapper's events; a fuzz run of 100k mutated frames.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import {
  bookDelta,
  type BytesProduct,
  encode,
  encodeBytes,
  instruments,
  type JsonProduct,
  klines,
  rawTopics,
  trades,
} from '../../src/contracts/index.ts';
import { type Exchange, exchangeNames } from '../../src/contracts/schema/primitives.ts';
import { replayCaptures } from '../../src/services/replay/index.ts';
import { detectVenue, readCapture, toRawFrame, type CaptureFrame } from '../../src/venues/capture/index.ts';
import { FrameError } from '../../src/venues/errors.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { rawHeaders, rawKey } from '../../src/venues/raw-record.ts';
import { embeddedBackend, defer, eventually } from '../helpers/backends.ts';
import { readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 300_000 } as const;
const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');
const FILES = [
  'binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
  'binance-spot-hftbacktest/spot_btcusdt_20240809.gz',
  'binance-spot-hftbacktest/spot_ethusdt_20240808.gz',
  'binance-spot-hftbacktest/spot_ethusdt_20240809.gz',
  'cryptofeed/BINANCE.ws.1.0',
  'cryptofeed/BINANCE.http.0.0',
  'cryptofeed/KRAKEN.ws.48.0',
  'cryptofeed/KRAKEN.ws.49.0',
  'cryptofeed/KRAKEN.ws.50.0',
  'cryptofeed/OKX.ws.1.0',
  'cryptofeed/COINBASE.ws.28.0',
];

async function frames(file: string): Promise<CaptureFrame[]> {
  const out: CaptureFrame[] = [];
  for await (const f of readCapture(file)) out.push(f);
  return out;
}

/** The parser has committed everything on the raw topic. */
async function drained(bus: Bus, group: string, topic: string): Promise<boolean> {
  const admin = bus.admin();
  try {
    const lag = await admin.groupLag(group, [topic]);
    return lag.length > 0 && lag.every((l) => l.lag === 0);
  } finally {
    await admin.close();
  }
}

describe('every shared capture through replay and the parser (embedded)', () => {
  for (const name of FILES) {
    it(
      `${name}: the normalized events are exactly the mapper's, none lost, none in the DLQ`,
      TIMEOUT,
      async (t) => {
        const file = path.join(MARKET, name);
        const captured = await frames(file);
        const exchange = detectVenue(file, captured.slice(0, 50));
        const mapper = mapperFor(exchange);
        const expected = {
          trade: [] as unknown[],
          book: [] as unknown[],
          kline: [] as unknown[],
          instrument: [] as unknown[],
        };
        let skipped = 0;
        captured.forEach((f, i) => {
          const result = mapper.map(toRawFrame(f, exchange, `replay:${path.basename(file)}`, i));
          if (result.skipped !== undefined) skipped++;
          for (const e of result.events) expected[e.type].push(e.value);
        });
        const bus = await embeddedBackend.open(t);
        const raw = renamed(rawTopics[exchange], 'pc-raw');
        const out = normalizedTopics('pc');
        await tempProductTopics(t, bus, [raw, ...Object.values(out)]);
        const [result] = await replayCaptures(bus, [file], { product: raw });
        assert.equal(result!.frames, captured.length, 'every frame of the file replayed');
        const runner = await startParser(t, bus, {
          group: 'pc-parser',
          exchanges: [exchange],
          raw: { [exchange]: raw },
          out,
        });
        assert.ok(
          await eventually(() => drained(bus, runner.groupId, raw.topic), 120_000, 250),
          'parser caught up',
        );
        const read = async (topic: string) =>
          (await readAll(bus, topic, () => false, 300)).map(
            (r) => JSON.parse(r.value!.toString()) as unknown,
          );
        const byKey = (values: unknown[]) => {
          // Order is kept per instrument (its partition), not across instruments.
          const m = new Map<string, unknown[]>();
          for (const v of values) {
            const k = `${(v as { exchange: string }).exchange}:${(v as { symbol: string }).symbol}`;
            m.set(k, [...(m.get(k) ?? []), v]);
          }
          return m;
        };
        assert.deepEqual(
          byKey(await read(out.trades.topic)),
          byKey(expected.trade),
          'trades, exact text and both times',
        );
        assert.deepEqual(byKey(await read(out.bookDelta.topic)), byKey(expected.book), 'book deltas');
        assert.deepEqual(byKey(await read(out.klines.topic)), byKey(expected.kline), 'klines');
        assert.equal((await read(out.instruments.topic)).length, expected.instrument.length, 'instruments');
        assert.equal(
          (await readAll(bus, `${raw.topic}.dlq`, () => false, 300)).length,
          0,
          'no frame of a real capture is refused',
        );
        assert.ok(
          expected.trade.length + expected.book.length + expected.kline.length > 0 ||
            skipped === captured.length,
          'the file has events, or only frames with nothing to normalize (a channel the platform does not carry)',
        );
      },
    );
  }

  it(
    'a fuzz run: 100,000 mutated real frames never stop the parser, and every rejected one is in the DLQ',
    TIMEOUT,
    async (t) => {
      // Seeds: real frames of every venue; each is mutated 100 ways, deterministically.
      const seeds: Array<{ exchange: Exchange; frame: CaptureFrame }> = [];
      for (const name of [
        'cryptofeed/BINANCE.ws.1.0',
        'cryptofeed/KRAKEN.ws.50.0',
        'cryptofeed/OKX.ws.1.0',
        'cryptofeed/COINBASE.ws.28.0',
      ]) {
        const file = path.join(MARKET, name);
        const all = await frames(file);
        const exchange = detectVenue(file, all.slice(0, 50));
        for (let i = 0; i < 250; i++)
          seeds.push({ exchange, frame: all[Math.floor((i * all.length) / 250)]! });
      }
      let state = 12345;
      const random = (n: number): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return state % n;
      };
      const mutate = (text: string): string => {
        switch (random(6)) {
          case 0:
            return text.slice(0, random(text.length)); // truncated
          case 1: {
            const i = random(text.length); // one character replaced
            return text.slice(0, i) + String.fromCharCode(32 + random(95)) + text.slice(i + 1);
          }
          case 2:
            return text.replace(/"-?\d+\.\d+"/, ['"1e-8"', '"NaN"', '"-0.5"', '""', '"1.2.3"'][random(5)]!); // a number
          case 3:
            return text.replace(/"[a-zA-Z_]+":/, '"zz":'); // a field renamed
          case 4:
            return text.replace(/\[/, '{'); // structure broken
          default:
            return text; // unchanged
        }
      };
      const bus = await embeddedBackend.open(t);
      const raws = new Map<Exchange, BytesProduct>();
      for (const e of exchangeNames) raws.set(e, renamed(rawTopics[e], `fz-${e}`));
      const out = normalizedTopics('pc');
      await tempProductTopics(t, bus, [...raws.values(), ...Object.values(out)]);
      const producer = bus.producer();
      defer(t, () => producer.close());
      // A frame is refused by its mapper (FrameError) or, when the mapper lets a bad value
      // through, by the product schema when the parser emits it: both land in the DLQ.
      let rejected = 0;
      const schemaRejected: string[] = [];
      const productOf = { trade: trades, book: bookDelta, kline: klines, instrument: instruments } as const;
      let n = 0;
      const identity = { service: 'fuzz', instance: 'fuzz-0' };
      const ROUNDS = Number(process.env['SF_FUZZ_ROUNDS'] ?? '100');
      for (let round = 0; round < ROUNDS; round++) {
        const batch = seeds.map(({ exchange, frame }) => {
          const body = mutate(frame.body);
          const raw = toRawFrame({ ...frame, body }, exchange, 'fuzz', n++);
          try {
            for (const e of mapperFor(exchange).map(raw).events)
              encode(productOf[e.type] as JsonProduct<unknown>, e.value, identity);
          } catch (error) {
            rejected++;
            if (!(error instanceof FrameError))
              schemaRejected.push(`${(error as Error).message} <- ${body.slice(0, 300)}`);
          }
          return encodeBytes(
            raws.get(exchange)!,
            Buffer.from(raw.body),
            rawKey(mapperFor(exchange), raw),
            rawHeaders(raw),
            identity,
          );
        });
        await producer.sendBatch(batch);
      }
      assert.equal(n, ROUNDS * 1000);
      assert.ok(rejected > n / 4, `the mutations reject many frames (${rejected} of ${n})`);
      const runner = await startParser(t, bus, { group: 'fz-parser', raw: Object.fromEntries(raws), out });
      // DLQ topics are new: their end offsets are their record counts.
      const dlqCount = async (): Promise<number> => {
        const admin = bus.admin();
        try {
          let c = 0;
          for (const raw of raws.values())
            for (const p of await admin.listOffsets(`${raw.topic}.dlq`, 'latest')) c += p.offset;
          return c;
        } finally {
          await admin.close();
        }
      };
      const topics = [...raws.values()].map((r) => r.topic);
      const consumedAll = async (): Promise<boolean> => {
        const admin = bus.admin();
        try {
          const lag = await admin.groupLag(runner.groupId, topics);
          return lag.length > 0 && lag.reduce((sum, l) => sum + l.lag, 0) === 0;
        } finally {
          await admin.close();
        }
      };
      assert.ok(await eventually(consumedAll, 240_000, 1000), 'the parser consumed every frame');
      assert.equal(await dlqCount(), rejected, 'every rejected frame is in a DLQ, and only those');
      assert.deepEqual(schemaRejected, [], 'the mappers refuse every bad value themselves, at the boundary');
      assert.equal(runner.lifecycle.state, 'running', 'the parser never stopped');
    },
  );
});
