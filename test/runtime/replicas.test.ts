// Three replicas of one service share a keyed stream while one crashes and another joins: nothing is lost.
//
// On Kafka the replicas are separate `streamforge run` processes and the crash is a real
// `kill -9`. The embedded log belongs to one process, so there the replicas are in-process
// group members and the crash is an instance that stops polling without leaving the group.

import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { type Bus, type RecordMetadata } from '../../src/bus/types.ts';
import { encode, trades } from '../../src/contracts/index.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { defer, embeddedBackend, eventually, kafkaBackend, tempGroup } from '../helpers/backends.ts';
import {
  capturedTrades,
  json,
  readAll,
  renamed,
  spawnPassThrough,
  tempProductTopics,
  type Trade,
} from './helpers.ts';

const RECORDS = 3000;
const BATCHES = 30;

interface Replica {
  readonly name: string;
  crash(): Promise<void>;
}

interface Scenario {
  readonly bus: Bus;
  readonly input: string;
  readonly output: string;
  readonly group: string;
  start(index: number): Promise<Replica>;
}

const idOf = (t: { readonly symbol: string; readonly tradeId?: string | undefined }): string =>
  `${t.symbol}:${t.tradeId ?? '?'}`;

async function groupMembers(bus: Bus, group: string): Promise<number> {
  const admin = bus.admin();
  try {
    return (await admin.describeGroup(group)).members.length;
  } catch {
    return 0;
  } finally {
    await admin.close();
  }
}

/** Feeds the stream, crashes replica 0 a third of the way, adds replica 3 halfway, then checks everything. */
async function runScenario(t: TestContext, s: Scenario): Promise<void> {
  const values = await capturedTrades(RECORDS);
  const replicas = [await s.start(0), await s.start(1), await s.start(2)];
  assert.ok(
    await eventually(async () => (await groupMembers(s.bus, s.group)) === 3, 60_000),
    'three members join',
  );

  const producer = s.bus.producer();
  defer(t, () => producer.close());
  const placed: Array<{ meta: RecordMetadata; id: string }> = [];
  const perBatch = RECORDS / BATCHES;
  let committedAtCrash: Map<number, number> | null = null;
  for (let b = 0; b < BATCHES; b++) {
    const chunk = values.slice(b * perBatch, (b + 1) * perBatch);
    const metas = await producer.sendBatch(
      chunk.map((v) => encode({ ...trades, topic: s.input }, v, { service: 'feed', instance: 'feed-0' })),
    );
    metas.forEach((meta, i) => placed.push({ meta, id: idOf(chunk[i]!) }));
    if (b === 10) {
      await replicas[0]!.crash();
      t.diagnostic(`replica ${replicas[0]!.name} crashed after ${placed.length} records were produced`);
      const admin = s.bus.admin();
      const lags = await admin.groupLag(s.group, [s.input]);
      await admin.close();
      committedAtCrash = new Map(lags.map((l) => [l.partition, l.committed ?? 0]));
      // Whatever is committed must already have its output: a commit never runs ahead of the work.
      const outputs = new Set(
        (await readAll(s.bus, s.output, () => false, 2000)).map((r) => idOf(json(r) as Trade)),
      );
      const missing = placed.filter(
        (p) => p.meta.offset < (committedAtCrash!.get(p.meta.partition) ?? 0) && !outputs.has(p.id),
      );
      assert.deepEqual(missing, [], 'every committed record has its output');
    }
    if (b === 15) replicas.push(await s.start(3));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(committedAtCrash, 'the crash happened mid-stream');

  const expected = new Set(placed.map((p) => p.id));
  const seen = new Map<string, number>();
  const out = await readAll(
    s.bus,
    s.output,
    (records) => {
      seen.clear();
      for (const r of records) {
        const id = idOf(json(r) as Trade);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      return [...expected].every((id) => seen.has(id));
    },
    120_000,
  );
  const lost = [...expected].filter((id) => !seen.has(id));
  assert.deepEqual(lost, [], 'every input record produced its output');
  const duplicates = out.length - seen.size;
  t.diagnostic(
    `${expected.size} records, ${out.length} outputs, ${duplicates} duplicates (replayed after the crash; ` +
      'an output topic keyed by trade id and compacted would hold each once)',
  );
  assert.ok(
    await eventually(async () => {
      const admin = s.bus.admin();
      const lags = await admin.groupLag(s.group, [s.input]);
      await admin.close();
      return lags.length > 0 && lags.every((l) => l.lag === 0);
    }, 60_000),
    'the group ends with everything committed',
  );
}

async function prepare(t: TestContext, bus: Bus): Promise<{ input: string; output: string; group: string }> {
  const input = renamed(trades, 'rep-in');
  const output = renamed(trades, 'rep-out');
  await tempProductTopics(t, bus, [input, output]);
  return { input: input.topic, output: output.topic, group: tempGroup(t, bus, 'rep') };
}

describe('replicas of a service on kafka', { skip: kafkaBackend.skip }, () => {
  it(
    'three processes, one kill -9ed and one joining mid-stream: no record lost',
    { timeout: 300_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const names = await prepare(t, bus);
      const children: ChildProcess[] = [];
      defer(t, () => {
        for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      });
      await runScenario(t, {
        bus,
        ...names,
        start: async (index) => {
          const child = spawnPassThrough(t, names, `r${index}`, { SF_TEST_DELAY_MS: '1' });
          children.push(child);
          return {
            name: `process ${child.pid}`,
            crash: async () => {
              child.kill('SIGKILL');
              await new Promise((resolve) => child.once('exit', resolve));
            },
          };
        },
      });
    },
  );
});

describe('replicas of a service on embedded', () => {
  it(
    'three in-process members, one crashing and one joining mid-stream: no record lost',
    { timeout: 300_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const names = await prepare(t, bus);
      const input = { ...trades, topic: names.input, declaration: names.input };
      const output = { ...trades, topic: names.output, declaration: names.output };
      await runScenario(t, {
        bus,
        ...names,
        start: async (index) => {
          const runner = new ServiceRunner(
            {
              name: names.group,
              description: 'copies trades',
              consumes: [input],
              produces: [output],
              maxPollRecords: 50,
              handle: async (record, ctx) => {
                await new Promise((resolve) => setTimeout(resolve, 1));
                ctx.emit(output, record.value);
              },
            },
            { bus, instance: `e${index}`, heartbeatMs: 0, sessionTimeoutMs: 2000 },
          );
          await runner.start();
          defer(t, () => runner.stop('test over'));
          return { name: runner.identity.instance, crash: () => runner.abandon() };
        },
      });
    },
  );
});
