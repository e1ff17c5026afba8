// The job worker on the embedded log and PGlite: the runtime's per-queue job hook, idempotent starts, refused
// arguments, and the feature formulas on values worked out by hand.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { queueEvents, rawTopics } from '../../src/contracts/index.ts';
import { ServiceHost } from '../../src/runtime/index.ts';
import { computeFeatures, createJobs } from '../../src/services/jobs/index.ts';
import { openDatabase } from '../../src/services/writer/index.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { defer, embeddedBackend, eventually, uniqueName } from '../helpers/backends.ts';
import { controlCommand, follow, json, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { type BinanceRestKline } from '../../src/venues/binance/raw-types.ts';

const CAPTURE = path.resolve(
  import.meta.dirname,
  '../../../shared/data/market/binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
);

describe('job worker on embedded and PGlite', () => {
  it(
    'runs a backfill job once for two starts, answers a start for a finished job at once, refuses bad args on the job queue, and keeps start/stop of its own queue',
    { timeout: 120_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const sim = await startSimulator({ port: 0, replay: { files: [CAPTURE], speed: 'max' } });
      defer(t, () => sim.close());
      const subscriber = new WebSocket(`${sim.wsUrl}/ws/btcusdt@trade`);
      subscriber.on('error', () => undefined);
      assert.ok(await eventually(() => sim.stats().replay?.done === true, 60_000));
      subscriber.terminate();
      const klines = (await (
        await fetch(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=1000`)
      ).json()) as BinanceRestKline[];

      const db = await openDatabase('pglite:memory');
      defer(t, () => db.close());
      const raw = renamed(rawTopics.binance, 'jobs-raw');
      await tempProductTopics(t, bus, [raw]);
      const name = uniqueName('jobs');
      const worker = (instancePrefix: string) =>
        new ServiceHost({
          bus,
          services: [
            {
              definition: createJobs({
                name,
                database: db,
                restUrls: { binance: sim.restUrl, 'binance-futures': sim.futuresRestUrl },
                pageLimit: 5,
                progressMs: 50,
                topics: { raw: { binance: raw } },
              }),
            },
          ],
          instancePrefix,
          logLevel: 'silent',
          heartbeatMs: 0,
          lagIntervalMs: 0,
        });
      const host = worker('w1');
      defer(t, () => host.stop('test over'));
      await host.start();
      const events = await follow(bus, queueEvents.topic);
      defer(t, () => events.stop());
      const producer = bus.producer();
      defer(t, () => producer.close());
      const of = (queueId: string) => events.records.map(json).filter((e) => e['queue_id'] === queueId);

      const queue = `wf-${uniqueName('t').replace(/[^a-z0-9]/g, '')}-backfill`;
      const args = {
        job: 'backfill',
        exchange: 'binance',
        symbol: 'BTCUSDT',
        interval: '1s',
        from: klines[0]![0],
        to: klines.at(-1)![0],
        attempt: 1,
      };
      // Two starts at once: the second finds the job running and is answered without a second run.
      await producer.sendBatch([
        controlCommand({ id: 'start-1', queueId: queue, target: name, command: 'start', args }),
        controlCommand({ id: 'start-2', queueId: queue, target: name, command: 'start', args }),
      ]);
      assert.ok(
        await eventually(() => of(queue).some((e) => e['event'] === 'finished'), 60_000),
        JSON.stringify(of(queue)),
      );
      const first = of(queue);
      assert.deepEqual(
        first
          .filter((e) => e['event'] === 'started')
          .map((e) => e['command_id'])
          .sort(),
        ['start-1', 'start-2'],
      );
      assert.ok(
        first.some((e) => e['event'] === 'loading'),
        'progress was reported',
      );
      assert.equal(first.filter((e) => e['event'] === 'finished').length, 1, 'the job ran once');
      assert.equal(first.find((e) => e['event'] === 'finished')!['loaded'], klines.length);
      const pages = await readAll(bus, raw.topic, () => false, 1000);
      const rows = pages.reduce((n, r) => n + (JSON.parse(r.value!.toString()) as unknown[]).length, 0);
      assert.equal(rows, klines.length, 'every kline written once to md.raw');

      // A start for the finished job is answered at once, and nothing is loaded again.
      await producer.send(
        controlCommand({ id: 'start-3', queueId: queue, target: name, command: 'start', args }),
      );
      assert.ok(await eventually(() => of(queue).some((e) => e['command_id'] === 'start-3'), 30_000));
      const third = of(queue).find((e) => e['command_id'] === 'start-3')!;
      assert.deepEqual([third['event'], third['loaded']], ['finished', klines.length]);
      assert.equal((await readAll(bus, raw.topic, () => false, 500)).length, pages.length);
      const [row] = await db.query<{ state: string; loaded: string }>(
        'SELECT state, loaded::text AS loaded FROM jobs WHERE queue_id = $1',
        [queue],
      );
      assert.deepEqual(row, { state: 'finished', loaded: String(klines.length) });

      // Bad arguments: an error on the job's own queue naming the field.
      const badQueue = `${queue.slice(0, -'backfill'.length)}persist`;
      await producer.send(
        controlCommand({
          id: 'bad-1',
          queueId: badQueue,
          target: name,
          command: 'start',
          args: { from: 1, to: 2 },
        }),
      );
      assert.ok(await eventually(() => of(badQueue).length > 0, 30_000));
      assert.equal(of(badQueue)[0]!['event'], 'error');
      assert.match(
        of(badQueue)[0]!['reason'] as string,
        /args\.job is missing; give one of backfill, persist, features/,
      );

      // A second worker process (its own definition, the same database): each job runs in one of them.
      const second = worker('w2');
      defer(t, () => second.stop('test over'));
      await second.start();
      const half = `${queue.slice(0, -'-backfill'.length)}x-backfill`;
      const halfArgs = { ...args, from: klines[100]![0] };
      await producer.send(
        controlCommand({ id: 'both-1', queueId: half, target: name, command: 'start', args: halfArgs }),
      );
      assert.ok(await eventually(() => of(half).some((e) => e['event'] === 'finished'), 60_000));
      await producer.send(controlCommand({ id: 'both-ping', queueId: name, target: name, command: 'ping' }));
      assert.ok(
        await eventually(() => of(name).filter((e) => e['command_id'] === 'both-ping').length === 2, 30_000),
        'both workers handled everything before the ping',
      );
      assert.deepEqual(
        of(half)
          .map((e) => e['event'])
          .filter((e) => e !== 'loading'),
        ['started', 'finished'],
        'one worker claimed the job, the other left it alone',
      );
      const after = await readAll(bus, raw.topic, () => false, 1000);
      const added = after
        .slice(pages.length)
        .reduce((n, r) => n + (JSON.parse(r.value!.toString()) as unknown[]).length, 0);
      assert.equal(added, klines.length - 100, 'the half range was loaded once');

      // The instance's own queue keeps the runtime's meaning; a stop for a job it does not run leaves it alone.
      await producer.send(controlCommand({ id: 'own-start', queueId: name, target: name, command: 'start' }));
      await producer.send(
        controlCommand({ id: 'idle-stop', queueId: badQueue, target: name, command: 'stop' }),
      );
      assert.ok(await eventually(() => of(name).some((e) => e['command_id'] === 'own-start'), 30_000));
      assert.equal(of(name).find((e) => e['command_id'] === 'own-start')!['event'], 'started');
      // Commands are handled in order: once the ping after the stop is answered, the stop has been handled.
      await producer.send(controlCommand({ id: 'after-stop', queueId: name, target: name, command: 'ping' }));
      assert.ok(await eventually(() => of(name).some((e) => e['command_id'] === 'after-stop'), 30_000));
      assert.equal(host.runners[0]!.lifecycle.state, 'running', 'a job stop does not stop the instance');
    },
  );

  it('computes the features of a series worked out by hand', () => {
    // Closes 1..25, volume 2 each, quote volume = close x volume.
    const series = Array.from({ length: 25 }, (_, i) => ({
      openTime: i * 1000,
      close: `${i + 1}.00`,
      volume: '2',
      quoteVolume: `${2 * (i + 1)}`,
    }));
    const f = computeFeatures(series);
    assert.equal(f[0]!.logReturn, null);
    assert.equal(f[1]!.logReturn, Math.log(2));
    assert.equal(f[18]!.sma20, null);
    assert.equal(f[19]!.sma20, '10.500000000000000000'); // (1 + ... + 20) / 20
    assert.equal(f[20]!.sma20, '11.500000000000000000');
    assert.equal(f[19]!.ema20, '10.500000000000000000'); // seeded with the SMA
    assert.equal(f[20]!.ema20, '11.500000000000000000'); // 10.5 + (21 - 10.5) x 2/21 = 11.5
    assert.equal(f[13]!.rsi14, null);
    assert.equal(f[14]!.rsi14, '100.000000000000000000'); // no losses
    assert.equal(f[19]!.vwap20, '10.500000000000000000'); // equal volumes: the mean close
    assert.equal(f[19]!.volatility20, null);
    assert.ok(f[20]!.volatility20! > 0);
    const down = computeFeatures([
      ...Array.from({ length: 15 }, (_, i) => ({
        openTime: i,
        close: String(i + 1),
        volume: '1',
        quoteVolume: null,
      })),
      { openTime: 15, close: '14', volume: '1', quoteVolume: null },
    ]);
    // After 14 gains of 1: G = 1, L = 0; then a loss of 1: G = 13/14 and L = 1/14, each rounded at 18 digits
    // (0.928571428571428571 and 0.071428571428571429, summing to exactly 1), so RSI = 100 G / (G + L).
    assert.equal(down[14]!.rsi14, '100.000000000000000000');
    assert.equal(down[15]!.rsi14, '92.857142857142857100');
  });
});
