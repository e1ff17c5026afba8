// The candles service as its own process for candles-kill.test.ts (`streamforge run <this file>`): names from the environment.

import { candles, trades } from '../../src/contracts/index.ts';
import { SCENARIO_INTERVALS } from '../../src/ops/scenarios/candles.ts';
import { type ServiceDefinition } from '../../src/runtime/index.ts';
import { createCandles } from '../../src/services/candles/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: candles-kill.test.ts passes the topic and group names`);
  return value;
};
const named = <P extends { topic: string }>(product: P, topic: string): P => ({
  ...product,
  topic,
  declaration: topic,
});

const service = createCandles({
  name: env('SF_CANDLES_GROUP'),
  intervals: SCENARIO_INTERVALS,
  topics: {
    trades: named(trades, env('SF_CANDLES_TRADES')),
    candles: {
      '1s': named(candles['1s'], env('SF_CANDLES_1S')),
      '1m': named(candles['1m'], env('SF_CANDLES_1M')),
    },
  },
});

/** Says on stdout when a batch was handled, so the test knows the service is mid-stream. */
const withProgress: ServiceDefinition = {
  ...service,
  // Smaller polls (SF_CANDLES_MAX_POLL) make more batches, so more kills land between a batch's changelog and its commit.
  maxPollRecords: Number(process.env['SF_CANDLES_MAX_POLL'] ?? service.maxPollRecords ?? 500),
  async afterBatch(ctx) {
    await service.afterBatch!(ctx);
    process.stdout.write(`batch ${ctx.records}\n`);
  },
};

export default withProgress;
