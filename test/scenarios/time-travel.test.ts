// Time travel on Kafka with the writer on PostgreSQL, and on the embedded log with PGlite: a broken candles deploy, reset to a datetime, fixed, reprocessed.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { runTimeTravel } from '../../src/ops/scenarios/time-travel.ts';
import { defer, embeddedBackend, kafkaBackend } from '../helpers/backends.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';

const pgSkip = await postgresSkipReason();

const TITLE =
  'a candles version that swaps volume and quote volume is rolled back by resetting its group and store to the datetime before its deploy: the latest candles on the topic and every stored row equal the reference';

async function check(t: TestContext, result: Awaited<ReturnType<typeof runTimeTravel>>): Promise<void> {
  assert.deepEqual(result.differences, []);
  assert.ok(result.wrongOnTopic > 100, `wrong candles after the bad deploy: ${result.wrongOnTopic}`);
  assert.ok(result.wrongRows > 100, `wrong rows after the bad deploy: ${result.wrongRows}`);
  assert.ok(result.reference > 600, `reference candles: ${result.reference}`);
  assert.equal(result.rows, result.reference, 'one row per reference candle');
  t.diagnostic(result.checks.join('; '));
}

describe('time travel on kafka + PostgreSQL', { skip: kafkaBackend.skip ?? pgSkip }, () => {
  it(TITLE, { timeout: 240_000 }, async (t) => {
    const bus = await kafkaBackend.open(t);
    const schema = await tempSchema(t, 'sf_tt');
    const database = await postgresUrl();
    await check(t, await runTimeTravel({ bus, database, schema, progress: (line) => t.diagnostic(line) }));
  });
});

describe('time travel on embedded + PGlite', () => {
  it(TITLE, { timeout: 240_000 }, async (t) => {
    const bus = await embeddedBackend.open(t);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-tt-db-'));
    defer(t, () => rm(dir, { recursive: true, force: true }));
    await check(
      t,
      await runTimeTravel({ bus, database: `pglite:${dir}`, progress: (line) => t.diagnostic(line) }),
    );
  });
});
