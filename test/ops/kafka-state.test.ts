// Unit tests for the recorded broker state: parsing, round trip, liveness checks, and the home lock.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { kafkaStatus, type KafkaRunning } from '../../src/ops/kafka/index.ts';
import { withHomeLock } from '../../src/ops/kafka/lock.ts';
import { homeFiles } from '../../src/ops/kafka/paths.ts';
import { clearState, isBrokerCommand, parseState, readState, writeState } from '../../src/ops/kafka/state.ts';

async function tmp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sample = (home: string, pid: number): KafkaRunning => ({
  mode: 'single',
  version: '4.1.2',
  bootstrap: '127.0.0.1:9092',
  brokers: [
    { nodeId: 1, port: 9092, controllerPort: 9192, pid, logFile: path.join(home, 'node-1/kafka.log') },
  ],
  home,
});

test('state round-trips through state.json and clears', async (t) => {
  const home = await tmp(t);
  await writeState(sample(home, 4242));
  assert.deepEqual(await readState(home), sample(home, 4242));
  await clearState(home);
  assert.equal(await readState(home), undefined);
});

test('malformed or foreign state files read as "nothing recorded"', async (t) => {
  const home = await tmp(t);
  await writeFile(homeFiles.state(home), '{ not json');
  assert.equal(await readState(home), undefined);
  assert.equal(parseState({ ...sample(home, 1), mode: 'triple' }), undefined);
  assert.equal(parseState({ ...sample(home, 1), brokers: [] }), undefined);
  assert.equal(parseState({ ...sample(home, 1), brokers: [{ nodeId: 1, port: '9092' }] }), undefined);
  assert.equal(parseState(null), undefined);
});

test('status is null when the recorded pid is dead', async (t) => {
  const home = await tmp(t);
  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  await writeState(sample(home, child.pid ?? 1));
  assert.equal(await kafkaStatus({ home }), null);
});

test('status is null when the recorded pid is alive but not a java broker of this home', async (t) => {
  const home = await tmp(t);
  await writeState(sample(home, process.pid)); // this node process: alive, not java
  assert.equal(await kafkaStatus({ home }), null);
});

test('a broker command line is recognised by java + its server.properties path', () => {
  const argv = ['/usr/bin/java', '-Xmx512m', '-cp', 'a.jar', 'kafka.Kafka', '/h/node-2/server.properties'];
  assert.equal(isBrokerCommand(argv, '/h', 2), true);
  assert.equal(isBrokerCommand(argv, '/h', 1), false);
  assert.equal(isBrokerCommand(argv, '/h'), true);
  assert.equal(isBrokerCommand(argv, '/other'), false);
  assert.equal(isBrokerCommand(['node', '/h/node-2/server.properties'], '/h'), false);
});

test('the home lock serialises work and is taken over from a dead owner', async (t) => {
  const home = await tmp(t);
  const order: string[] = [];
  await Promise.all([
    withHomeLock(home, async () => {
      order.push('a-in');
      await new Promise((r) => setTimeout(r, 300));
      order.push('a-out');
    }),
    new Promise((r) => setTimeout(r, 50)).then(() => withHomeLock(home, async () => void order.push('b'))),
  ]);
  assert.deepEqual(order, ['a-in', 'a-out', 'b']);

  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  await writeFile(homeFiles.lock(home), String(child.pid));
  assert.equal(await withHomeLock(home, async () => 'taken over', 5000), 'taken over');
  await assert.rejects(readFile(homeFiles.lock(home)), /ENOENT/);
});
