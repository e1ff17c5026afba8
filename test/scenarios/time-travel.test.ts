// Time travel on Kafka with the writer on PostgreSQL: a broken candles deploy, reset to a datetime, fixed and reprocessed, topic and rows right again.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTimeTravel } from '../../src/ops/scenarios/time-travel.ts';
import { kafkaBackend } from '../helpers/backends.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';

const pgSkip = await postgresSkipReason();

describe('time travel on kafka + PostgreSQL', { skip: kafkaBackend.skip ?? pgSkip }, () => {
  it(
    'a candles version that swaps volume and quote volume is rolled back by resetting its group and store to the datetime before its deploy: the latest candles on the topic and every stored row equal the reference',
    { timeout: 240_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const schema = await tempSchema(t, 'sf_tt');
      const result = await runTimeTravel({
        bus,
        database: await postgresUrl(),
        schema,
        progress: (line) => t.diagnostic(line),
      });
      assert.deepEqual(result.differences, []);
      assert.ok(result.wrongOnTopic > 100, `wrong candles after the bad deploy: ${result.wrongOnTopic}`);
      assert.ok(result.wrongRows > 100, `wrong rows after the bad deploy: ${result.wrongRows}`);
      assert.ok(result.reference > 600, `reference candles: ${result.reference}`);
      assert.equal(result.rows, result.reference, 'one row per reference candle');
    },
  );
});
