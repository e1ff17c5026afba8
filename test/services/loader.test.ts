// The loader against the exchange simulator, on both backends: frames byte for byte, snapshots, markers, commands, parsing downstream.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawTopics, RawHeaders } from '../../src/contracts/index.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createLoader } from '../../src/services/loader/index.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { controlCommand, json, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 180_000 } as const;
const header = (r: { headers: Record<string, Buffer> }, name: string): string | undefined =>
  r.headers[name]?.toString('utf8');

for (const backend of backends) {
  describe(`loader on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'writes instruments, snapshots and stream frames as received; reconnects with markers; answers snapshot on queue-control; the parser reads it all',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const sim = await startSimulator({
          port: 0,
          seed: 7,
          symbols: ['BTCUSDT', 'ETHUSDT'],
          futuresSymbols: [],
        });
        defer(t, () => sim.close());
        const raw = renamed(rawTopics.binance, 'l-raw');
        const out = normalizedTopics('l');
        await tempProductTopics(t, bus, [raw, ...Object.values(out)]);
        const loader = createLoader({
          exchange: 'binance',
          restUrl: sim.restUrl,
          wsUrl: sim.wsUrl,
          symbols: ['BTCUSDT', 'ETHUSDT'],
          channels: ['trades', 'book', 'klines', 'instruments'],
          name: tempGroup(t, bus, 'loader'),
          product: raw,
          streams: { backoff: { initialMs: 50, maxMs: 200 } },
        });
        const queueId = `${loader.name}-q`;
        const runner = new ServiceRunner(loader, { bus, queueId, heartbeatMs: 0 });
        defer(t, () => runner.stop('test over'));
        await runner.start();

        const rest = (r: { headers: Record<string, Buffer> }) => header(r, RawHeaders.FRAME_KIND) === 'rest';
        const first = await readAll(bus, raw.topic, (r) => r.filter(rest).length >= 3 && r.length > 200);
        const sources = first.filter(rest).map((r) => header(r, RawHeaders.SOURCE));
        assert.ok(sources.includes('/api/v3/exchangeInfo'), 'exchangeInfo on start');
        assert.ok(sources.includes('/api/v3/depth?symbol=BTCUSDT&limit=1000'), 'a depth snapshot per symbol');
        assert.ok(sources.includes('/api/v3/depth?symbol=ETHUSDT&limit=1000'));
        const ws = first.filter((r) => header(r, RawHeaders.FRAME_KIND) === 'ws');
        assert.ok(ws.length > 100, 'stream frames flow');
        for (const r of ws.slice(0, 50)) {
          assert.doesNotThrow(
            () => JSON.parse(r.value!.toString('utf8')),
            'frames are the exchange JSON as sent',
          );
          assert.ok(Number(header(r, RawHeaders.RECEIVE_TIME)) > 1.7e12, 'receive time in ms');
          assert.match(r.key!.toString(), /^binance:(BTCUSDT|ETHUSDT|conn:.+)$/);
        }
        const seqs = new Map<string, number[]>();
        for (const r of ws) {
          const c = header(r, RawHeaders.CONNECTION_ID)!;
          seqs.set(c, [...(seqs.get(c) ?? []), Number(header(r, RawHeaders.CONNECTION_SEQ))]);
        }
        for (const [c, s] of seqs) {
          const sorted = [...s].sort((a, b) => a - b);
          assert.equal(new Set(sorted).size, sorted.length, `${c}: each position once`);
        }

        // A dropped connection: markers record it and the loader resubscribes.
        sim.faults.dropConnections();
        const markers = (r: { headers: Record<string, Buffer> }) =>
          header(r, RawHeaders.FRAME_KIND) === 'marker';
        const withMarkers = await readAll(bus, raw.topic, (r) => {
          const m = r.filter(markers).map((x) => json(x)['marker']);
          return (
            m.includes('disconnected') &&
            m.filter((x) => x === 'connected' || x === 'resubscribed').length >= 2
          );
        });
        const marks = withMarkers.filter(markers).map((x) => json(x));
        assert.ok(
          marks.some((m) => m['marker'] === 'disconnected'),
          'the drop is recorded',
        );
        const before = withMarkers.length;

        // The order book service's way to ask for a fresh snapshot: a command, never a call.
        const producer = bus.producer();
        defer(t, () => producer.close());
        await producer.send(
          controlCommand({
            id: 'snap-1',
            queueId,
            target: loader.name,
            command: 'snapshot',
            args: { exchange: 'binance', symbol: 'ETHUSDT', depth: 100 },
            issuedBy: 'orderbook',
          }),
        );
        const afterCommand = await readAll(bus, raw.topic, (r) =>
          r.some((x) => header(x, RawHeaders.SOURCE) === '/api/v3/depth?symbol=ETHUSDT&limit=100'),
        );
        assert.ok(afterCommand.length > before, 'frames keep flowing after the reconnect');

        // Downstream, the parser reads what the loader wrote.
        const parsing = await startParser(t, bus, {
          group: 'l-parser',
          exchanges: ['binance'],
          raw: { binance: raw },
          out,
        });
        const inst = await readAll(bus, out.instruments.topic, (r) => r.length >= 2);
        assert.deepEqual(inst.map((r) => json(r)['symbol']).sort(), ['BTCUSDT', 'ETHUSDT']);
        const books = await readAll(
          bus,
          out.bookDelta.topic,
          (r) => r.filter((x) => json(x)['isSnapshot']).length >= 3,
        );
        assert.ok(
          books.filter((x) => json(x)['isSnapshot'] === true).length >= 3,
          'two start snapshots and the asked one',
        );
        assert.ok(
          await eventually(
            async () => (await readAll(bus, out.trades.topic, (r) => r.length > 0, 500)).length > 0,
            30_000,
          ),
          'trades parsed',
        );
        // Malformed frames from the exchange: written as received, refused by the parser into the DLQ.
        sim.faults.malformedFrames(3);
        assert.ok(
          await eventually(
            async () => (await readAll(bus, `${raw.topic}.dlq`, (r) => r.length >= 3, 1000)).length >= 3,
            30_000,
          ),
          'the malformed frames are in md.raw.binance.dlq',
        );
        assert.equal(runner.lifecycle.state, 'running', 'the loader never stops on bad frames');
        assert.equal(parsing.lifecycle.state, 'running', 'nor does the parser');
      },
    );
  });
}
