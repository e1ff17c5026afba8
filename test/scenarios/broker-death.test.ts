// A broker dies: a 3-broker cluster loses the leader of the busiest partitions (or the writer group's coordinator) mid-stream; the writer's PostgreSQL sink ends with every trade exactly once.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { findBrokerProcesses, stopKafka } from '../../src/ops/kafka/index.ts';
import { runBrokerDeath } from '../../src/ops/scenarios/broker-death.ts';
import { assertKafkaAvailable, needsKafka } from '../ops/kafka-env.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';

const pgSkip = await postgresSkipReason();

async function brokerDeath(t: TestContext, victim: 'busiest-leader' | 'group-coordinator'): Promise<void> {
  assertKafkaAvailable();
  const home = await mkdtemp(path.join(os.tmpdir(), 'sf-broker-death-'));
  t.after(async () => {
    await stopKafka({ home, graceMs: 5000 });
    await rm(home, { recursive: true, force: true });
  });
  const schema = await tempSchema(t, 'sf_bd');
  const result = await runBrokerDeath({
    home,
    database: await postgresUrl(),
    schema,
    victim,
    progress: (line) => t.diagnostic(line),
  });
  assert.deepEqual(result.differences, []);
  assert.equal(result.rows, result.produced, 'one row per trade produced');
  assert.equal(result.distinct, result.produced);
  assert.ok(result.produced > 30_000, `trades: ${result.produced}`);
  assert.ok(
    result.sentBeforeKill > 0 && result.sentBeforeKill < result.produced / 2,
    `killed mid-stream, after ${result.sentBeforeKill} of ${result.produced}`,
  );
  assert.ok(result.onLog >= result.produced, `the log holds ${result.onLog} records`);
  t.diagnostic(result.checks.join('; '));
  assert.deepEqual(await findBrokerProcesses(home), [], 'the cluster is stopped');
}

const options = { skip: needsKafka.skip || pgSkip || false, timeout: 240_000 };

test(
  'broker death (3 brokers, RF 3, min.insync.replicas=2): the leader of the busiest partitions is SIGKILLed mid-stream, the feed and the writer carry on after the election, and PostgreSQL holds every trade exactly once, as sent',
  options,
  (t) => brokerDeath(t, 'busiest-leader'),
);

// The group's coordinator dying used to stop the writer for good: the Kafka client kept the dead
// coordinator's id and every commit failed reading its address (patched, see patches/).
test(
  "broker death: the writer group's coordinator is SIGKILLed mid-stream; commits and heartbeats find the new coordinator, and PostgreSQL holds every trade exactly once",
  options,
  (t) => brokerDeath(t, 'group-coordinator'),
);
