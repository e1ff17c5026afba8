// Acceptance: the candles service as its own process, kill -9 at random moments while trades flow, ends with the candles of an uninterrupted run.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  candlesPair,
  createPairTopics,
  diffCandles,
  readCandleOutput,
  SCENARIO_INTERVALS,
} from '../../src/ops/scenarios/candles.ts';
import { loadCapturedTrades } from '../../src/ops/scenarios/data.ts';
import { startInstance, stopAll } from '../../src/ops/scenarios/service.ts';
import { groupLag, produceAll, startFeed, waitCaughtUp } from '../../src/ops/scenarios/topics.ts';
import { createCandles } from '../../src/services/candles/index.ts';
import { silentLogger } from '../../src/runtime/index.ts';
import { defer, kafkaBackend, kafkaBootstrap } from '../helpers/backends.ts';
import { killMidway, spawnService, untilQuiet, withBus } from '../helpers/killable.ts';

const FIXTURE = path.resolve(import.meta.dirname, 'candles-fixture.ts');
const KILLS = 6;
/** Captured trades fed, and how fast: slow enough that the feed outlasts every kill and restart. */
const TRADES = 12_000;
const RATE = 150;

const spawnCandles = (t: TestContext, env: Record<string, string>, busUri = `kafka://${kafkaBootstrap()}`) =>
  spawnService(t, { fixture: FIXTURE, busUri, env, batchPrefix: 'batch ' });

describe('candles killed with SIGKILL on kafka', { skip: kafkaBackend.skip }, () => {
  it(
    `kill -9 at ${KILLS} random moments while trades flow, restarted each time: its candles equal an uninterrupted run's, field for field (no trade counted twice)`,
    { timeout: 420_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const { trades: values } = await loadCapturedTrades({ limit: TRADES });
      const [reference, live] = candlesPair('sfkill-ref', 'sfkill-live');
      const input = [reference.topics.trades.topic];
      defer(t, await createPairTopics(bus, [reference, live]));
      const progress = (line: string): void => t.diagnostic(line);
      const referenceRunner = await startInstance(
        bus,
        createCandles({
          name: reference.name,
          intervals: SCENARIO_INTERVALS,
          topics: reference.topics,
          log: silentLogger,
        }),
        progress,
      );
      defer(t, () => stopAll(bus, [referenceRunner], [reference.name, live.name]));

      const env = {
        SF_CANDLES_GROUP: live.name,
        SF_CANDLES_TRADES: reference.topics.trades.topic,
        SF_CANDLES_1S: live.topics.candles['1s'].topic,
        SF_CANDLES_1M: live.topics.candles['1m'].topic,
      };
      const feed = startFeed(bus, reference.topics.trades, values, RATE);
      const kills: string[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const child = spawnCandles(t, env);
        // Mid-stream: 1 to 8 batches handled (its restore and the catch-up of what came while it
        // was down included), then a random moment inside or between batches.
        await killMidway(child, {
          maxBatches: 8,
          maxDelayMs: 20,
          busy: `candles ${kill} is handling trades`,
        });
        kills.push(`after ${child.batches()} batches, ${feed.sent()} trades sent`);
      }
      progress(`killed: ${kills.join('; ')}`);
      const stillFlowing = feed.sent() < values.length;
      const last = spawnCandles(t, env);
      await feed.done;
      await waitCaughtUp(bus, live.name, input, {
        timeoutMs: 240_000,
        progress,
        what: 'candles (last restart)',
      });
      await waitCaughtUp(bus, reference.name, input, { progress, what: 'reference' });
      last.process.kill('SIGTERM');
      assert.equal(await last.exited, 0, 'the last instance stopped cleanly');
      assert.equal(await groupLag(bus, live.name, input), 0, 'every trade was committed');

      const want = await readCandleOutput(bus, reference.topics);
      const got = await readCandleOutput(bus, live.topics);
      const differences = diffCandles(want, got);
      progress(
        `reference: ${want.size} candles; killed ${KILLS} times: ${got.size}; ${differences.length} differences`,
      );
      assert.ok(stillFlowing, 'every kill happened while the feed was still sending');
      assert.ok(want.size > 300, `reference candles: ${want.size}`);
      assert.deepEqual(differences, []);
    },
  );
});

describe('candles killed with SIGKILL on the embedded log', () => {
  it(
    `kill -9 at ${KILLS} random moments while it works off a backlog, restarted each time: its candles equal an uninterrupted run's`,
    { timeout: 420_000 },
    async (t) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-candles-kill-'));
      defer(t, () => rm(dir, { recursive: true, force: true }));
      // fsync=always, the durable setting: a produce and a commit each wait for their fdatasync.
      const busUri = `embedded:${dir}?fsync=always`;
      const { trades: values } = await loadCapturedTrades({ limit: TRADES });
      const [reference, live] = candlesPair('sfkill-ref', 'sfkill-live');
      const input = [reference.topics.trades.topic];
      // The whole feed is on the log first (no second process may open it while the service
      // runs); the reference works it off uninterrupted in this process.
      await withBus(busUri, async (bus) => {
        await createPairTopics(bus, [reference, live]);
        await produceAll(bus, reference.topics.trades, values);
        const runner = await startInstance(
          bus,
          createCandles({
            name: reference.name,
            intervals: SCENARIO_INTERVALS,
            topics: reference.topics,
            log: silentLogger,
          }),
          (line) => t.diagnostic(line),
        );
        await waitCaughtUp(bus, reference.name, input, { what: 'reference' });
        await runner.stop('reference done');
      });

      const env = {
        SF_CANDLES_GROUP: live.name,
        SF_CANDLES_TRADES: reference.topics.trades.topic,
        SF_CANDLES_1S: live.topics.candles['1s'].topic,
        SF_CANDLES_1M: live.topics.candles['1m'].topic,
        SF_CANDLES_MAX_POLL: '100',
      };
      const kills: string[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const child = spawnCandles(t, env, busUri);
        await killMidway(child, {
          maxBatches: 8,
          maxDelayMs: 20,
          busy: `candles ${kill} is handling trades`,
        });
        kills.push(`after ${child.batches()} batches`);
      }
      t.diagnostic(`killed: ${kills.join('; ')}`);
      // The last one works off the rest; done when no batch came for 3 s.
      const last = spawnCandles(t, env, busUri);
      await untilQuiet(last, 3000, 240_000);
      last.process.kill('SIGTERM');
      assert.equal(await last.exited, 0, 'the last instance stopped cleanly');

      await withBus(busUri, async (bus) => {
        assert.equal(await groupLag(bus, live.name, input), 0, 'every trade was committed');
        const want = await readCandleOutput(bus, reference.topics);
        const got = await readCandleOutput(bus, live.topics);
        const differences = diffCandles(want, got);
        t.diagnostic(
          `reference: ${want.size} candles; killed ${KILLS} times: ${got.size}; ${differences.length} differences`,
        );
        assert.ok(want.size > 300, `reference candles: ${want.size}`);
        assert.deepEqual(differences, []);
      });
    },
  );
});
