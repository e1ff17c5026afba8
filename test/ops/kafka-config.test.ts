// Unit tests for the generated broker configuration (single node and 3-node cluster) and log4j2 files.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { portsFrom, renderProperties, serverProperties } from '../../src/ops/kafka/config.ts';
import { brokerLog4j2, NOISY_LOGGERS, toolsLog4j2 } from '../../src/ops/kafka/log4j.ts';
import { parseJavaMajor } from '../../src/ops/kafka/prerequisites.ts';
import { newClusterId } from '../../src/ops/kafka/storage.ts';
import { kafkaVersionOf } from '../../src/ops/kafka/classpath.ts';

test('single mode is one combined broker+controller with replication 1', () => {
  const nodes = portsFrom('single', 9092);
  assert.deepEqual(nodes, [{ nodeId: 1, port: 9092, controllerPort: 9192 }]);
  const p = serverProperties('single', nodes, 1, '/h');
  assert.equal(p['process.roles'], 'broker,controller');
  assert.equal(p['node.id'], '1');
  assert.equal(p['controller.quorum.voters'], '1@127.0.0.1:9192');
  assert.equal(p['listeners'], 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9192');
  assert.equal(p['advertised.listeners'], 'PLAINTEXT://127.0.0.1:9092');
  assert.equal(p['log.dirs'], '/h/node-1/data');
  assert.equal(p['offsets.topic.replication.factor'], '1');
  assert.equal(p['transaction.state.log.min.isr'], '1');
  assert.equal(p['auto.create.topics.enable'], 'false');
  assert.equal(p['group.initial.rebalance.delay.ms'], '0');
});

test('cluster mode is three voters on consecutive broker ports with RF 3 and min ISR 2', () => {
  const nodes = portsFrom('cluster', 29092);
  assert.deepEqual(
    nodes.map((n) => [n.port, n.controllerPort]),
    [
      [29092, 29192],
      [29093, 29193],
      [29094, 29194],
    ],
  );
  for (const { nodeId, port, controllerPort } of nodes) {
    const p = serverProperties('cluster', nodes, nodeId, '/h');
    assert.equal(p['node.id'], String(nodeId));
    assert.equal(p['controller.quorum.voters'], '1@127.0.0.1:29192,2@127.0.0.1:29193,3@127.0.0.1:29194');
    assert.equal(p['listeners'], `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`);
    assert.equal(p['log.dirs'], `/h/node-${nodeId}/data`);
    assert.equal(p['default.replication.factor'], '3');
    assert.equal(p['min.insync.replicas'], '2');
    assert.equal(p['offsets.topic.replication.factor'], '3');
    assert.equal(p['transaction.state.log.replication.factor'], '3');
    assert.equal(p['transaction.state.log.min.isr'], '2');
  }
});

test('both modes use few threads and fast retention/compaction checks', () => {
  for (const mode of ['single', 'cluster'] as const) {
    const p = serverProperties(mode, portsFrom(mode, 9092), 1, '/h');
    assert.equal(p['num.network.threads'], '2');
    assert.equal(p['num.io.threads'], '2');
    assert.equal(p['background.threads'], '2');
    assert.equal(p['log.cleaner.threads'], '1');
    assert.equal(p['log.retention.check.interval.ms'], '1000');
    assert.equal(p['log.cleaner.backoff.ms'], '1000');
    assert.equal(p['num.partitions'], '1');
  }
});

test('asking for a node outside the layout is an error naming the nodes', () => {
  assert.throws(
    () => serverProperties('single', portsFrom('single', 9092), 2, '/h'),
    /node 2 is not one of 1/,
  );
});

test('properties render one key=value per line and escape backslashes', () => {
  assert.equal(renderProperties({ a: '1', 'log.dirs': 'C:\\k' }, 'hi'), '# hi\na=1\nlog.dirs=C:\\\\k\n');
});

test('broker log4j2 writes INFO to a file per node and quiets the noisy loggers', () => {
  const text = brokerLog4j2();
  assert.match(text, /^rootLogger\.level=INFO$/m);
  assert.match(text, /fileName=\$\{sys:kafka\.logs\.dir\}\/kafka\.log$/m);
  for (const name of NOISY_LOGGERS) assert.ok(text.includes(`=${name}\n`), name);
  assert.match(toolsLog4j2(), /^rootLogger\.level=WARN$/m);
  assert.match(toolsLog4j2(), /target=SYSTEM_ERR$/m);
});

test('cluster ids look like Kafka Uuids and never start with a dash', () => {
  for (let i = 0; i < 200; i++) assert.match(newClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
});

test('java versions parse for modern and 1.x version strings', () => {
  assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15'), 17);
  assert.equal(parseJavaMajor('java version "1.8.0_392"'), 8);
  assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
  assert.equal(parseJavaMajor('nonsense'), undefined);
});

test('the Kafka version comes from the pom property', () => {
  assert.equal(kafkaVersionOf('<properties><kafka.version>4.1.2</kafka.version></properties>'), '4.1.2');
  assert.throws(() => kafkaVersionOf('<project/>', 'x/pom.xml'), /x\/pom\.xml has no <kafka\.version>/);
});
