// Real-broker test: single-node Kafka start (idempotent), status and stop in a temp home on free ports.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import {
  findBrokerProcesses,
  isKafkaOpsError,
  kafkaStatus,
  startKafka,
  stopKafka,
} from '../../src/ops/kafka/index.ts';
import { assertKafkaAvailable, needsKafka, tempHome } from './kafka-env.ts';

test(
  'kafka single mode: start serves Metadata, a second start returns the same broker, stop leaves no process',
  needsKafka,
  async (t) => {
    assertKafkaAvailable();
    const home = await tempHome(t, 'single');
    const running = await startKafka({ mode: 'single', home, port: 0 });
    assert.equal(running.mode, 'single');
    assert.equal(running.brokers.length, 1);
    const [broker] = running.brokers;
    assert.ok(
      broker && broker.port > 0 && broker.controllerPort > 0 && broker.port !== broker.controllerPort,
    );
    assert.equal(running.bootstrap, `127.0.0.1:${broker.port}`);

    const admin = new Admin({ clientId: 'sf-test', bootstrapBrokers: [running.bootstrap] });
    try {
      const metadata = await admin.metadata({ topics: [] });
      assert.equal(metadata.brokers.size, 1);
    } finally {
      await admin.close();
    }

    assert.deepEqual(await kafkaStatus({ home }), running);
    assert.deepEqual(
      await startKafka({ mode: 'single', home, port: 0 }),
      running,
      'second start is idempotent',
    );
    assert.deepEqual(await findBrokerProcesses(home), [broker.pid]);

    const stopped = await stopKafka({ home });
    assert.deepEqual(stopped.stopped, [broker.pid]);
    assert.deepEqual(stopped.killed, [], 'controlled shutdown within the grace period');
    assert.equal(await kafkaStatus({ home }), null);
    assert.deepEqual(await findBrokerProcesses(home), []);
    assert.deepEqual(
      await stopKafka({ home }),
      { stopped: [], killed: [] },
      'stop when nothing runs is a no-op',
    );
  },
);

test('kafka start refuses a port held by another process and names it', needsKafka, async (t) => {
  assertKafkaAvailable();
  const home = await tempHome(t, 'port');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  await assert.rejects(
    startKafka({ mode: 'single', home, port }),
    (e: unknown) =>
      isKafkaOpsError(e, 'PORT_IN_USE') && e.message.includes(`127.0.0.1:${port} is already in use`),
  );
  assert.deepEqual(await findBrokerProcesses(home), []);
});
