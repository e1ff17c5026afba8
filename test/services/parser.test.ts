// Real captures through replay -> md.raw -> parser -> normalized topics, on both backends; bad frames to the DLQ.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  bookDelta,
  DeadLetterHeaders,
  encodeBytes,
  rawTopics,
  RawHeaders,
  trades,
} from '../../src/contracts/index.ts';
import { replayCaptures } from '../../src/services/replay/index.ts';
import { backends, defer } from '../helpers/backends.ts';
import { json, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 300_000 } as const;
const CAPTURES = path.resolve(import.meta.dirname, '../../../shared/data/market');
const BTC = ['spot_btcusdt_20240808.gz', 'spot_btcusdt_20240809.gz'].map((f) =>
  path.join(CAPTURES, 'binance-spot-hftbacktest', f),
);

for (const backend of backends) {
  describe(`parser on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'turns the replayed BTCUSDT capture into every trade and depth diff of the capture, exact and in order',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const raw = renamed(rawTopics.binance, 'p-raw');
        const out = normalizedTopics('p');
        await tempProductTopics(t, bus, [raw, ...Object.values(out)]);
        const replayed = await replayCaptures(bus, BTC, { product: raw });
        assert.deepEqual(
          replayed.map((r) => r.exchange),
          ['binance', 'binance'],
          'the venue is detected from the frames',
        );
        const frames = replayed.reduce((n, r) => n + r.frames, 0);

        const runner = await startParser(t, bus, {
          group: 'parser',
          exchanges: ['binance'],
          raw: { binance: raw },
          out,
        });

        // README of the capture: 19,904 trades with contiguous ids, 6,495 depth diffs, one REST snapshot.
        const tradeRecords = await readAll(bus, out.trades.topic, (r) => r.length >= 19_904);
        const books = await readAll(bus, out.bookDelta.topic, (r) => r.length >= 6_496);
        assert.equal(tradeRecords.length, 19_904, `every trade of the capture (${frames} frames replayed)`);
        const ids = tradeRecords.map((r) => Number(json(r)['tradeId'])).sort((a, b) => a - b);
        assert.equal(ids[ids.length - 1]! - ids[0]! + 1, ids.length, 'trade ids contiguous, none twice');
        const first = json(tradeRecords[0]!);
        assert.equal(first['exchange'], 'binance');
        assert.equal(first['symbol'], 'BTCUSDT');
        assert.match(String(first['price']), /^\d+\.\d{8}$/, 'price as the exchange wrote it (8 decimals)');
        assert.ok(['buy', 'sell'].includes(String(first['aggressorSide'])));

        assert.equal(books.length, 6_496, '6,495 diffs and the REST snapshot');
        const snapshots = books.filter((r) => json(r)['isSnapshot'] === true);
        assert.equal(snapshots.length, 1, 'the REST depth snapshot');
        const diffs = books.map(json).filter((v) => v['isSnapshot'] === false);
        for (let i = 1; i < diffs.length; i++)
          assert.equal(
            diffs[i]!['firstUpdateId'],
            Number(diffs[i - 1]!['lastUpdateId']) + 1,
            'diffs in order, U = previous u + 1 (the capture has no gap)',
          );
        assert.equal(runner.lifecycle.state, 'running');
      },
    );

    it(
      'sends a frame it cannot read to md.raw.<exchange>.dlq with the reason and keeps going',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const raw = renamed(rawTopics.binance, 'p-bad');
        const out = { trades: renamed(trades, 'p-bad-trades'), bookDelta: renamed(bookDelta, 'p-bad-book') };
        await tempProductTopics(t, bus, [raw, ...Object.values(out)]);
        const producer = bus.producer();
        defer(t, () => producer.close());
        const identity = { service: 'loader', instance: 'loader-test' };
        const headers = (seq: number) => ({
          [RawHeaders.RECEIVE_TIME]: '1723161254087',
          [RawHeaders.CONNECTION_ID]: 'binance-ws-1',
          [RawHeaders.CONNECTION_SEQ]: String(seq),
        });
        const good = rawTopics.binance.value.example.value;
        await producer.sendBatch([
          encodeBytes(
            raw,
            '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343',
            'binance:BTCUSDT',
            headers(0),
            identity,
          ),
          encodeBytes(
            raw,
            good.replace('"61837.63000000"', '"6.1e4"'),
            'binance:BTCUSDT',
            headers(1),
            identity,
          ),
          encodeBytes(raw, good, 'binance:BTCUSDT', headers(2), identity),
        ]);
        const runner = await startParser(t, bus, {
          group: 'parser-bad',
          exchanges: ['binance'],
          raw: { binance: raw },
          out,
        });
        const parsed = await readAll(bus, out.trades.topic, (r) => r.length >= 1);
        assert.equal(parsed.length, 1, 'the good frame after two bad ones is parsed');
        const dlq = await readAll(bus, `${raw.topic}.dlq`, (r) => r.length >= 2);
        assert.equal(dlq.length, 2);
        const reasons = dlq.map((r) => r.headers[DeadLetterHeaders.REASON]?.toString() ?? '');
        const codes = dlq.map((r) => r.headers[DeadLetterHeaders.CODE]?.toString());
        assert.deepEqual(codes, ['not-json', 'bad-value']);
        assert.match(reasons[1]!, /6\.1e4/, 'the reason names the bad value');
        assert.equal(runner.lifecycle.state, 'running');
      },
    );
  });
}
