// The writer as its own process for writer-crash.test.ts (`streamforge run <this file>`): names from the environment.

import { alerts, bookTop, candles, type Product, trades } from '../../src/contracts/index.ts';
import { type ServiceDefinition } from '../../src/runtime/index.ts';
import { createWriter } from '../../src/services/writer/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: writer-crash.test.ts passes the topic, group and database`);
  return value;
};
const named = <P extends Product>(product: P, topic: string): P => ({
  ...product,
  topic,
  declaration: topic,
});
const prefix = env('SF_WRITER_TOPICS');

const writer = createWriter({
  name: env('SF_WRITER_GROUP'),
  database: env('SF_WRITER_DB'),
  schema: env('SF_WRITER_SCHEMA'),
  only: true,
  // Small polls: many transactions, so that kills land before, inside and after them.
  maxPollRecords: Number(process.env['SF_WRITER_MAX_POLL'] ?? '100'),
  topics: {
    trades: named(trades, `${prefix}-trades`),
    candles: { '1s': named(candles['1s'], `${prefix}-c1s`), '1m': named(candles['1m'], `${prefix}-c1m`) },
    bookTop: named(bookTop, `${prefix}-top`),
    alerts: named(alerts, `${prefix}-alerts`),
  },
});

/** Says on stdout when a batch's transaction has committed, so the test knows the writer is mid-stream. */
const service: ServiceDefinition = {
  ...writer,
  async afterBatch(ctx) {
    await writer.afterBatch!(ctx);
    process.stdout.write(`wrote ${ctx.records}\n`);
  },
};

export default service;
