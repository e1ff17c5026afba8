// The orchestrator's acceptance test: a backfill -> persist -> features workflow against the simulator, on Kafka and
// PostgreSQL, with the orchestrator restarted in the middle of the backfill.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Backend, embeddedBackend, kafkaBackend } from '../helpers/backends.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { getWorkflow, orchestratorStack, post, waitFor } from './orchestrator-fixture.ts';

const pgSkip = await postgresSkipReason();

const stacks: [Backend, 'postgres' | 'pglite', string | undefined][] = [
  [kafkaBackend, 'postgres', kafkaBackend.skip ?? pgSkip],
  [embeddedBackend, 'pglite', undefined],
];

for (const [backend, store, skip] of stacks)
  describe(`orchestrator on ${backend.name} and ${store}`, { skip }, () => {
    it(
      'runs backfill, persist and features to success across an orchestrator restart mid-backfill, with the klines in SQL equal to the exchange REST klines value for value',
      { timeout: 240_000 },
      async (t) => {
        const bus = await backend.open(t);
        const stack = await orchestratorStack(t, bus, 'orch-acc', store);
        await stack.startParser();
        await stack.startJobs();
        const first = await stack.startOrchestrator({ deadlineMs: 20_000 });
        const from = stack.klines[0]![0];
        const to = stack.klines[stack.klines.length - 1]![0];

        // Binance answers the backfill's first request with 429 and Retry-After 3 s: the backfill is
        // surely still running when the orchestrator goes down.
        stack.sim.faults.rateLimit(429, 1, 3);
        const created = await post(`${first.url}/api/workflows`, {
          type: 'backfill-persist-features',
          exchange: 'binance',
          symbol: 'BTCUSDT',
          interval: '1s',
          from: new Date(from).toISOString(),
          to,
        });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const id = created.json['id'] as string;
        assert.equal(created.json['state'], 'running');
        await waitFor(
          () => first.url,
          id,
          (w) => w.history.some((h) => h.event === 'started' && h.step === 'backfill'),
          'the job worker started the backfill',
        );
        const before = await getWorkflow(first.url, id);
        assert.equal(before.steps[0]!.state, 'running', 'stopped in the middle of the backfill');
        await first.host.stop('restarted by the test');

        const second = await stack.startOrchestrator({ deadlineMs: 20_000 });
        const done = await waitFor(
          () => second.url,
          id,
          (w) => w.state !== 'running' && w.state !== 'pending',
          'the workflow ended',
        );
        assert.equal(done.state, 'succeeded', JSON.stringify(done.history.slice(-10)));
        assert.deepEqual(
          done.steps.map((s) => [s.name, s.state]),
          [
            ['backfill', 'succeeded'],
            ['persist', 'succeeded'],
            ['features', 'succeeded'],
          ],
        );
        assert.ok(
          done.history.some((h) => h.event === 'resumed' && h.step === 'backfill'),
          'the new instance took the running backfill over from the compacted topic',
        );
        assert.equal(
          done.steps[0]!.loaded,
          stack.klines.length,
          'the backfill loaded every kline of the range',
        );
        assert.equal(done.steps[1]!.loaded, stack.klines.length, 'persist stored every kline');
        // Progress is kept as the latest entry of a run of progress, not one entry per tick.
        assert.ok(done.history.some((h) => h.event === 'loading' && h.step === 'backfill'));
        done.history.forEach((h, i) => {
          const before = done.history[i - 1];
          assert.ok(
            !(h.event === 'loading' && before?.event === 'loading' && before.step === h.step),
            `history ${i}: two progress entries in a row`,
          );
        });

        const rows = await stack.db.query<Record<string, string>>(
          `SELECT open_time::text, close_time::text, open::text, high::text, low::text, close::text, volume::text,
                quote_volume::text, trades::text, taker_buy_volume::text, taker_buy_quote_volume::text
         FROM klines WHERE symbol = 'BTCUSDT' AND interval = '1s' ORDER BY open_time`,
        );
        assert.equal(rows.length, stack.klines.length);
        rows.forEach((r, i) => {
          const k = stack.klines[i]!;
          assert.deepEqual(
            [
              r['open_time'],
              r['open'],
              r['high'],
              r['low'],
              r['close'],
              r['volume'],
              r['close_time'],
              r['quote_volume'],
              r['trades'],
              r['taker_buy_volume'],
              r['taker_buy_quote_volume'],
            ],
            [String(k[0]), k[1], k[2], k[3], k[4], k[5], String(k[6]), k[7], String(k[8]), k[9], k[10]],
            `kline ${i} (${new Date(k[0]).toISOString()})`,
          );
        });
        const [features] = await stack.db.query<{ n: string; sma: string; first_sma: string | null }>(
          `SELECT count(*)::text AS n, count(sma_20)::text AS sma FROM kline_features WHERE symbol = 'BTCUSDT' AND interval = '1s'`,
        );
        assert.equal(Number(features!.n), stack.klines.length, 'one features row per kline');
        assert.equal(Number(features!.sma), stack.klines.length - 19, 'SMA 20 from the 20th kline on');
        assert.equal(done.steps[2]!.loaded, stack.klines.length);
      },
    );
  });
