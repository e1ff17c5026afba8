// Acceptance: kill -9 of the writer at random points of a replay, restarted each time, ends with exactly the rows of an uninterrupted run.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { openBus } from '../../src/bus/open.ts';
import { type Bus } from '../../src/bus/types.ts';
import { deadLetterProduct } from '../../src/contracts/index.ts';
import { ensureTopics, ServiceRunner } from '../../src/runtime/index.ts';
import { createWriter, openDatabase, type SqlDatabase } from '../../src/services/writer/index.ts';
import { defer, eventually, kafkaBackend, kafkaBootstrap, uniqueName } from '../helpers/backends.ts';
import { killMidway, spawnService, untilQuiet, withBus } from '../helpers/killable.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';
import { checksum, counts, type Expected, marketData, produceAll, writerTopics } from './writer-data.ts';

const pgSkip = await postgresSkipReason();
const FIXTURE = path.resolve(import.meta.dirname, 'writer-fixture.ts');
const KILLS = 3;

const named = <P extends { topic: string }>(p: P, topic: string): P => ({ ...p, topic, declaration: topic });

const spawnWriter = (t: TestContext, busUri: string, env: Record<string, string>) =>
  spawnService(t, { fixture: FIXTURE, busUri, env, batchPrefix: 'wrote ' });

interface CrashStack {
  readonly name: string;
  readonly skip: string | undefined;
  /** The bus address the children use, and a way to open it in this process while no child runs. */
  bus(t: TestContext): Promise<string>;
  /** The database address of a fresh store, and its schema. */
  database(t: TestContext, label: string): Promise<{ url: string; schema: string }>;
}

const stacks: readonly CrashStack[] = [
  {
    name: 'Kafka + PostgreSQL',
    skip: kafkaBackend.skip ?? pgSkip,
    bus: async () => `kafka://${kafkaBootstrap()}`,
    database: async (t) => ({ url: await postgresUrl(), schema: await tempSchema(t, 'sf_crash') }),
  },
  {
    name: 'embedded log + PGlite',
    skip: undefined,
    async bus(t) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-crash-bus-'));
      defer(t, () => rm(dir, { recursive: true, force: true }));
      return `embedded:${dir}`;
    },
    async database(t, label) {
      const dir = await mkdtemp(path.join(os.tmpdir(), `sf-crash-${label}-`));
      defer(t, () => rm(dir, { recursive: true, force: true }));
      return { url: `pglite:${dir}`, schema: 'md' };
    },
  },
];

/** Opens, uses and closes: the embedded log and PGlite allow one process at a time. */
async function withDb<T>(
  db: { url: string; schema: string },
  fn: (db: SqlDatabase) => Promise<T>,
): Promise<T> {
  const open = await openDatabase(db.url, { schema: db.schema });
  try {
    return await fn(open);
  } finally {
    await open.close();
  }
}

/** Records of `topics` the group has not committed yet. */
async function lagOf(bus: Bus, group: string, topics: readonly string[]): Promise<number> {
  const admin = bus.admin();
  try {
    return (await admin.groupLag(group, topics)).reduce((s, l) => s + l.lag, 0);
  } finally {
    await admin.close();
  }
}

for (const stack of stacks) {
  describe(`writer crash on ${stack.name}`, { skip: stack.skip }, () => {
    it(
      `kill -9 at ${KILLS} random points of a replay, restarted each time, ends with the rows of an uninterrupted run (counts and md5 of every table)`,
      { timeout: 420_000 },
      async (t) => {
        const busUri = await stack.bus(t);
        const prefix = uniqueName('wcrash');
        const topics = writerTopics((product, suffix) => named(product, `${prefix}-${suffix}`));
        const products = [topics.trades, ...Object.values(topics.candles), topics.bookTop, topics.alerts];
        const topicNames = products.map((p) => p.topic);
        const data = await marketData(6000, 6000);
        const reference = await stack.database(t, 'ref');
        const crashed = await stack.database(t, 'crash');
        let expected: Expected;
        let referenceSum: string;

        // The uninterrupted run, in this process; then the bus is closed for the children.
        {
          const bus = await openBus(busUri);
          try {
            await ensureTopics(bus, products);
            // On a bus of its own by then: the embedded log takes one process at a time.
            defer(t, () =>
              withBus(busUri, async (b) => {
                const admin = b.admin();
                await admin
                  .deleteTopics(products.flatMap((p) => [p.topic, deadLetterProduct(p).topic]))
                  .catch(() => undefined);
                await admin.close();
              }),
            );
            await produceAll(bus, topics, data);
            const db = await openDatabase(reference.url, { schema: reference.schema });
            try {
              const runner = new ServiceRunner(
                createWriter({
                  name: uniqueName('wcrash-ref'),
                  database: db,
                  topics,
                  only: true,
                  maxPollRecords: 100,
                }),
                { bus, heartbeatMs: 0, control: false, lagIntervalMs: 0 },
              );
              await runner.start();
              const total =
                data.trades.length + data.candles.length + data.bookTops.length + data.alerts.length;
              let last = '';
              // Done when the row counts stop moving and the group has read every record.
              assert.ok(
                await eventually(
                  async () => {
                    const now = JSON.stringify(await counts(db));
                    const lag = await lagOf(bus, runner.groupId, topicNames);
                    const settled = now === last && lag === 0;
                    last = now;
                    return settled;
                  },
                  120_000,
                  1000,
                ),
                'the reference run finished',
              );
              await runner.stop('reference done');
              expected = await counts(db);
              referenceSum = await checksum(db);
              assert.ok(
                expected.trades > 6000 && total > 12_000,
                `a real replay: ${JSON.stringify(expected)}`,
              );
            } finally {
              await db.close();
            }
          } finally {
            await bus.close();
          }
        }

        const env = {
          SF_WRITER_TOPICS: prefix,
          SF_WRITER_GROUP: uniqueName('wcrash-group'),
          SF_WRITER_DB: crashed.url,
          SF_WRITER_SCHEMA: crashed.schema,
        };
        let killedMidway = 0;
        for (let kill = 0; kill < KILLS; kill++) {
          const child = spawnWriter(t, busUri, env);
          // Wait until it is writing (1 to 6 committed batches), then kill at a random moment:
          // inside a transaction, between commit and offset commit, or between batches.
          await killMidway(child, { maxBatches: 6, maxDelayMs: 60, busy: `writer ${kill} is writing` });
          killedMidway++;
        }
        // The last one runs to the end of the topics, then stops gracefully.
        const last = spawnWriter(t, busUri, env);
        await untilQuiet(last, 4000, 240_000);
        last.process.kill('SIGTERM');
        assert.equal(await last.exited, 0, 'the last writer stopped cleanly');

        await withBus(busUri, async (bus) => {
          assert.equal(await lagOf(bus, env.SF_WRITER_GROUP, topicNames), 0, 'every record was committed');
          const admin = bus.admin();
          await admin.deleteGroup(env.SF_WRITER_GROUP).catch(() => undefined);
          await admin.close();
        });
        await withDb(crashed, async (db) => {
          assert.deepEqual(await counts(db), expected!);
          assert.equal(await checksum(db), referenceSum!);
        });
        assert.equal(killedMidway, KILLS);
      },
    );
  });
}
