// Unit tests for Kafka tool argument handling: bootstrap injection per tool, unknown tools, CLI argv splitting.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { splitToolArgv } from '../../src/apps/cli/commands/kafka.ts';
import { isKafkaOpsError, KAFKA_TOOLS, runKafkaTool, withBootstrap } from '../../src/ops/kafka/index.ts';
import { needsBootstrap, producerConfigHasBootstrap } from '../../src/ops/kafka/tools.ts';

const B = '127.0.0.1:9092';

test('tools that take --bootstrap-server get it in front of their args', () => {
  for (const tool of [
    'topics',
    'consumer-groups',
    'console-consumer',
    'console-producer',
    'consumer-perf-test',
    'get-offsets',
    'metadata-quorum',
    'configs',
  ] as const) {
    assert.deepEqual(withBootstrap(tool, ['--list'], B), ['--bootstrap-server', B, '--list'], tool);
  }
});

test('an explicit --bootstrap-server (either spelling) or --bootstrap-controller is left alone', () => {
  assert.deepEqual(withBootstrap('topics', ['--bootstrap-server', 'h:1', '--list'], B), [
    '--bootstrap-server',
    'h:1',
    '--list',
  ]);
  assert.deepEqual(withBootstrap('topics', ['--bootstrap-server=h:1', '--list'], B), [
    '--bootstrap-server=h:1',
    '--list',
  ]);
  assert.deepEqual(withBootstrap('metadata-quorum', ['--bootstrap-controller', 'h:2', 'describe'], B), [
    '--bootstrap-controller',
    'h:2',
    'describe',
  ]);
});

test('help and version requests and dump-log get no bootstrap', () => {
  assert.deepEqual(withBootstrap('topics', ['--help'], B), ['--help']);
  assert.deepEqual(withBootstrap('topics', ['--version'], B), ['--version']);
  assert.deepEqual(withBootstrap('dump-log', ['--files', 'x.log'], B), ['--files', 'x.log']);
  assert.equal(needsBootstrap('dump-log', []), false);
});

test('producer-perf-test gets bootstrap.servers through --producer-props, joining an existing list', () => {
  assert.deepEqual(withBootstrap('producer-perf-test', ['--topic', 't'], B), [
    '--producer-props',
    `bootstrap.servers=${B}`,
    '--topic',
    't',
  ]);
  assert.deepEqual(
    withBootstrap('producer-perf-test', ['--topic', 't', '--producer-props', 'acks=all', 'linger.ms=5'], B),
    ['--topic', 't', '--producer-props', `bootstrap.servers=${B}`, 'acks=all', 'linger.ms=5'],
  );
  const own = ['--producer-props', 'acks=all', 'bootstrap.servers=h:1', '--topic', 't'];
  assert.deepEqual(withBootstrap('producer-perf-test', own, B), own);
});

test('every short name maps to a Kafka 4.1 main class', () => {
  assert.deepEqual(Object.keys(KAFKA_TOOLS).sort(), [
    'configs',
    'console-consumer',
    'console-producer',
    'consumer-groups',
    'consumer-perf-test',
    'dump-log',
    'get-offsets',
    'metadata-quorum',
    'producer-perf-test',
    'topics',
  ]);
});

test('an unknown tool is rejected with the list of known ones', async () => {
  await assert.rejects(
    runKafkaTool('kafka-topics.sh', []),
    (e: unknown) => isKafkaOpsError(e, 'UNKNOWN_TOOL') && /topics, consumer-groups/.test(e.message),
  );
});

test('a tool needing a broker fails clearly when none is given or running', async (t) => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'sf-tools-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  await assert.rejects(
    runKafkaTool('topics', ['--list'], { home }),
    (e: unknown) => isKafkaOpsError(e, 'NO_BOOTSTRAP') && /kafka start/.test(e.message),
  );
});

test('a --producer.config file with bootstrap.servers counts as the bootstrap for producer-perf-test', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-tools-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const withServers = path.join(dir, 'with.properties');
  const without = path.join(dir, 'without.properties');
  await writeFile(withServers, 'acks=all\n  bootstrap.servers = h:1\n');
  await writeFile(without, 'acks=all\n# bootstrap.servers=h:1\n');
  assert.equal(
    await producerConfigHasBootstrap('producer-perf-test', ['--producer.config', withServers]),
    true,
  );
  assert.equal(await producerConfigHasBootstrap('producer-perf-test', ['--producer.config', without]), false);
  assert.equal(
    await producerConfigHasBootstrap('producer-perf-test', ['--producer.config', path.join(dir, 'missing')]),
    false,
  );
  assert.equal(await producerConfigHasBootstrap('topics', ['--producer.config', withServers]), false);
});

test('CLI argv: options before the tool name are ours, everything after goes to the tool', () => {
  const argv = [
    'node',
    'sf',
    '--bus',
    'kafka://x',
    'kafka',
    'tool',
    '--home',
    '/h',
    'topics',
    '--list',
    '--help',
    '--home',
    'z',
  ];
  assert.deepEqual(splitToolArgv(argv, 'topics'), {
    ours: ['--home', '/h'],
    theirs: ['--list', '--help', '--home', 'z'],
  });
  assert.deepEqual(splitToolArgv(['kafka', 'tool', '--list'], undefined), { ours: ['--list'], theirs: [] });
  assert.deepEqual(splitToolArgv(['kafka', 'tool', '--home', 'topics', 'topics', '-x'], 'topics'), {
    ours: ['--home', 'topics'],
    theirs: ['-x'],
  });
  assert.equal(splitToolArgv(['other'], 'topics'), undefined);
});
