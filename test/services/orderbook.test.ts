// The orderbook service end to end: a gap resyncs through queue-control and the loader; a restart resumes from the store.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import { bookDepth, bookTop, queueControl, rawTopics } from '../../src/contracts/index.ts';
import { type BookTop } from '../../src/contracts/schema/book.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createLoader } from '../../src/services/loader/index.ts';
import {
  createOrderbook,
  type OrderbookEvent,
  type OrderbookOptions,
} from '../../src/services/orderbook/index.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { follow, json, produceValues, readToEnd, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 240_000 } as const;

async function startOrderbook(t: TestContext, bus: Bus, options: OrderbookOptions, instance?: string) {
  const runner = new ServiceRunner(createOrderbook(options), {
    bus,
    heartbeatMs: 0,
    control: false,
    ...(instance ? { instance } : {}),
  });
  defer(t, () => runner.stop('test over'));
  await runner.start();
  return runner;
}

const values = <T>(records: readonly { value: Buffer | null }[]) =>
  records.map((r) => JSON.parse(r.value!.toString()) as T);

for (const backend of backends) {
  describe(`orderbook service on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'a sequence gap makes the book invalid, a snapshot command reaches the loader on queue-control, and the book resyncs from its answer; tops always equal the exchange bookTicker',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const sim = await startSimulator({ port: 0, seed: 11, symbols: ['BTCUSDT'], futuresSymbols: [] });
        defer(t, () => sim.close());
        const raw = renamed(rawTopics.binance, 'obg-raw');
        const out = normalizedTopics('obg');
        const top = renamed(bookTop, 'obg-top');
        const depth = renamed(bookDepth, 'obg-depth');
        await tempProductTopics(t, bus, [raw, ...Object.values(out), top, depth, queueControl]);
        const loader = createLoader({
          exchange: 'binance',
          restUrl: sim.restUrl,
          wsUrl: sim.wsUrl,
          symbols: ['BTCUSDT'],
          channels: ['book', 'top'],
          name: tempGroup(t, bus, 'obg-loader'),
          product: raw,
          streams: { backoff: { initialMs: 50, maxMs: 200 } },
        });
        const queueId = `${loader.name}-q`;
        const loaderRunner = new ServiceRunner(loader, { bus, queueId, heartbeatMs: 0 });
        defer(t, () => loaderRunner.stop('test over'));
        const commands = await follow(bus, queueControl.topic);
        defer(t, () => commands.stop());
        await loaderRunner.start();
        await startParser(t, bus, {
          group: 'obg-parser',
          exchanges: ['binance'],
          raw: { binance: raw },
          out,
        });
        const events: OrderbookEvent[] = [];
        const ob = await startOrderbook(t, bus, {
          name: tempGroup(t, bus, 'obg-ob'),
          topics: { bookDelta: out.bookDelta, bookTop: top, bookDepth: depth },
          loaderOf: () => ({ service: loader.name, queueId }),
          observe: (e) => events.push(e),
        });
        const tops = await follow(bus, top.topic);
        defer(t, () => tops.stop());
        assert.ok(
          await eventually(() => tops.records.length > 20, 60_000),
          'tops flow from the first snapshot',
        );
        assert.equal(events.filter((e) => e.outcome === 'gap').length, 0, 'no gap before the fault');

        sim.faults.sequenceGap('BTCUSDT');
        assert.ok(
          await eventually(() => events.some((e) => e.outcome === 'gap'), 60_000),
          'the gap is detected',
        );
        const gap = events.find((e) => e.outcome === 'gap')!;
        assert.match(gap.problem!, /expected U=\d+/);
        const findCommand = () =>
          commands.records
            .map((r) => json(r))
            .find((c) => c['command'] === 'snapshot' && c['queue_id'] === queueId);
        assert.ok(await eventually(() => findCommand() !== undefined, 30_000));
        const command = findCommand()!;
        assert.ok(command, 'a snapshot command on queue-control, addressed to the loader');
        assert.equal(command['target_service'], loader.name);
        assert.deepEqual(command['args'], { exchange: 'binance', symbol: 'BTCUSDT' });
        assert.equal(command['issued_by'], ob.groupId);
        assert.ok(
          await eventually(
            () => events.some((e) => e.outcome === 'synced' && e.lastUpdateId > gap.lastUpdateId),
            60_000,
          ),
          'resynced from the loader snapshot',
        );
        const synced = events.find((e) => e.outcome === 'synced' && e.lastUpdateId > gap.lastUpdateId)!;
        assert.ok(
          await eventually(
            () =>
              tops.records.filter((r) => (json(r)['lastUpdateId'] as number) > synced.lastUpdateId).length >=
              60,
            60_000,
          ),
          'tops flow again after the resync',
        );
        await loaderRunner.stop('test over');
        await ob.stop('test over');

        // Every top published, at every diff whose u is a bookTicker's u, equals that bookTicker;
        // nothing is published between the gap and the resync.
        const published = values<BookTop>(await readToEnd(bus, top.topic));
        const rawFrames = (await readToEnd(bus, raw.topic))
          .map((r) => r.value?.toString() ?? '')
          .filter((s) => s.startsWith('{"stream"'))
          .map((s) => (JSON.parse(s) as { data: Record<string, unknown> }).data);
        const diffIds = new Set(
          rawFrames.filter((d) => d['e'] === 'depthUpdate').map((d) => d['u'] as number),
        );
        const lostFrom = gap.lastUpdateId;
        const backAt = synced.lastUpdateId;
        assert.ok(
          published.every((p) => p.lastUpdateId! <= lostFrom || p.lastUpdateId! >= backAt),
          'no top published while the book was invalid',
        );
        let checked = 0;
        let j = -1;
        const firstTop = published[0]!.lastUpdateId!;
        for (const ticker of rawFrames.filter((d) => 'A' in d && 'u' in d && !('e' in d))) {
          const u = ticker['u'] as number;
          if (!diffIds.has(u) || u < firstTop || (u > lostFrom && u < backAt)) continue;
          const at = published.findLastIndex((p) => p.lastUpdateId! <= u);
          j = Math.max(j, at);
          const p = published[at]!;
          assert.deepEqual(
            { bid: p.bid, ask: p.ask },
            { bid: [ticker['b'], ticker['B']], ask: [ticker['a'], ticker['A']] },
            `top at u=${u}`,
          );
          checked++;
        }
        assert.ok(checked >= 20, `bookTickers compared: ${checked}`);
        for (const p of published) assert.ok(Number(p.bid![0]) < Number(p.ask![0]), 'never crossed');
      },
    );

    it(
      'a restarted instance resumes from its store without a resync and publishes what an uninterrupted one does',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const { deltas } = await import('./orderbook-fixtures.ts').then((m) => m.btcusdtDeltas());
        const input = renamed(normalizedTopics('obr').bookDelta, 'obr');
        const topA = renamed(bookTop, 'obr-top-a');
        const topB = renamed(bookTop, 'obr-top-b');
        const depth = renamed(bookDepth, 'obr-depth');
        const control = renamed(queueControl, 'obr-ctl');
        await tempProductTopics(t, bus, [input, topA, topB, depth, control]);
        const half = Math.floor(deltas.length / 2);
        await produceValues(bus, input, deltas.slice(0, half));
        const drained = async (group: string) => {
          const admin = bus.admin();
          try {
            const lag = await admin.groupLag(group, [input.topic]);
            return lag.length > 0 && lag.every((l) => l.lag === 0);
          } finally {
            await admin.close();
          }
        };
        const options = (name: string, top: typeof bookTop, events: OrderbookEvent[]): OrderbookOptions => ({
          name,
          topics: { bookDelta: input, bookTop: top, bookDepth: depth, control },
          observe: (e) => events.push(e),
        });
        const restartedName = tempGroup(t, bus, 'obr-restarted');
        const first: OrderbookEvent[] = [];
        const a = await startOrderbook(t, bus, options(restartedName, topA, first), `${restartedName}-a`);
        assert.ok(await eventually(() => drained(restartedName), 60_000));
        await a.stop('restart');
        assert.equal(first.filter((e) => e.outcome === 'synced').length, 1, 'the first instance synced once');

        await produceValues(bus, input, deltas.slice(half));
        const second: OrderbookEvent[] = [];
        await startOrderbook(t, bus, options(restartedName, topA, second), `${restartedName}-b`);
        assert.ok(await eventually(() => drained(restartedName), 60_000));
        assert.deepEqual(second, [], 'no resync, no gap, no snapshot request after the restart');

        const whole = tempGroup(t, bus, 'obr-whole');
        await startOrderbook(t, bus, options(whole, topB, []));
        assert.ok(await eventually(() => drained(whole), 60_000));
        const strip = (v: BookTop[]) => v.map(({ bid, ask, lastUpdateId }) => ({ bid, ask, lastUpdateId }));
        assert.deepEqual(
          strip(values<BookTop>(await readToEnd(bus, topA.topic))),
          strip(values<BookTop>(await readToEnd(bus, topB.topic))),
          'restarted and uninterrupted runs publish the same tops',
        );
        assert.deepEqual(values(await readToEnd(bus, control.topic)), [], 'no snapshot was asked for');
      },
    );
  });
}
