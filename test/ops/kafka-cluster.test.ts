// Real-cluster test: a 3-broker KRaft cluster keeps accepting acks=all writes after losing a broker, and loses nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findBrokerProcesses,
  runKafkaTool,
  startKafka,
  stopKafka,
  type KafkaRunning,
} from '../../src/ops/kafka/index.ts';
import { assertKafkaAvailable, needsKafka, tempHome } from './kafka-env.ts';

const TOPIC = 'sf-ha';
const BATCH = 5000;

interface PartitionState {
  readonly leader: number;
  readonly replicas: number[];
  readonly isr: number[];
}

const ids = (list: string | undefined) => (list ? list.split(',').map(Number) : []);

async function describePartition0(running: KafkaRunning): Promise<PartitionState> {
  const result = await runKafkaTool('topics', ['--describe', '--topic', TOPIC], {
    bootstrap: running.bootstrap,
  });
  assert.equal(result.exitCode, 0, result.stderr);
  const match = /Partition: 0\s+Leader: (-?\d+)\s+Replicas: ([\d,]+)\s+Isr: ([\d,]*)/.exec(result.stdout);
  assert.ok(match, `unexpected describe output:\n${result.stdout}`);
  return { leader: Number(match[1]), replicas: ids(match[2]), isr: ids(match[3]) };
}

async function produce(running: KafkaRunning): Promise<void> {
  const result = await runKafkaTool(
    'producer-perf-test',
    [
      '--topic',
      TOPIC,
      '--num-records',
      String(BATCH),
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--producer-props',
      'acks=all',
    ],
    { bootstrap: running.bootstrap, timeoutMs: 120_000 },
  );
  assert.equal(result.exitCode, 0, result.stderr);
  // ProducerPerformance counts only acknowledged records in its summary line.
  assert.match(result.stdout, new RegExp(`^${BATCH} records sent`, 'm'), result.stdout + result.stderr);
}

test(
  'kafka cluster (3 brokers, RF 3, min ISR 2): acks=all writes survive a SIGKILLed leader, ISR shrinks to 2, every record reads back',
  { ...needsKafka, timeout: 300_000 },
  async (t) => {
    assertKafkaAvailable();
    let mark = Date.now();
    // Where the minute goes, in the TAP output: JVM starts dominate on a small machine.
    const lap = (what: string) => {
      t.diagnostic(`${what}: ${((Date.now() - mark) / 1000).toFixed(1)} s`);
      mark = Date.now();
    };
    const home = await tempHome(t, 'cluster');
    const running = await startKafka({ mode: 'cluster', home, port: 0 });
    assert.equal(running.brokers.length, 3);
    assert.equal(running.bootstrap.split(',').length, 3);
    lap('start cluster');

    const created = await runKafkaTool(
      'topics',
      ['--create', '--topic', TOPIC, '--partitions', '1', '--replication-factor', '3'],
      {
        bootstrap: running.bootstrap,
      },
    );
    assert.equal(created.exitCode, 0, created.stderr);
    const before = await describePartition0(running);
    assert.equal(before.replicas.length, 3);
    assert.deepEqual([...before.isr].sort(), [1, 2, 3]);

    lap('create + describe topic');
    await produce(running);
    lap('produce before the kill');

    // Killing the leader (not just any follower) also proves leader failover.
    const victim = running.brokers.find((b) => b.nodeId === before.leader);
    assert.ok(victim, `leader ${before.leader} is not one of our brokers`);
    process.kill(victim.pid, 'SIGKILL');

    // The controller fences the dead broker after broker.session.timeout.ms (9 s) and drops it from the ISR.
    const deadline = Date.now() + 60_000;
    let after = await describePartition0(running);
    while (after.isr.length !== 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      after = await describePartition0(running);
    }
    assert.equal(after.isr.length, 2, `ISR did not shrink: ${after.isr.join(',')}`);
    assert.ok(!after.isr.includes(victim.nodeId));
    assert.notEqual(after.leader, victim.nodeId);
    lap('kill leader, wait for ISR 2');

    // ISR (2) == min.insync.replicas (2): acks=all must still succeed.
    await produce(running);
    lap('produce with ISR 2');

    const consumed = await runKafkaTool(
      'console-consumer',
      [
        '--topic',
        TOPIC,
        '--partition',
        '0',
        '--offset',
        'earliest',
        '--max-messages',
        String(2 * BATCH),
        '--timeout-ms',
        '30000',
      ],
      { bootstrap: running.bootstrap, timeoutMs: 120_000 },
    );
    assert.equal(consumed.exitCode, 0, consumed.stderr);
    const lines = consumed.stdout.split('\n').filter((line) => line.length > 0);
    assert.equal(lines.length, 2 * BATCH);
    lap('consume all');

    await stopKafka({ home });
    assert.deepEqual(await findBrokerProcesses(home), [], 'no java process of this home is left');
    lap('stop');
  },
);
