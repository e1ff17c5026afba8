// `applyCatalog` against both backends: create, idempotence, partition raise, config alteration, drift.

import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { type Admin, type Bus } from '../../src/bus/types.ts';
import { applyCatalog, DriftKinds } from '../../src/contracts/apply.ts';
import {
  type Cleanup,
  DAY_MS,
  HOUR_MS,
  jsonProduct,
  marketKeySpec,
  type Product,
  Teams,
} from '../../src/contracts/product.ts';
import { TradeV1 } from '../../src/contracts/schema/trades.ts';
import { trades } from '../../src/contracts/products/market.ts';
import { topicConfigs } from '../../src/contracts/topic-config.ts';
import { backends, defer, uniqueName } from '../helpers/backends.ts';

const TIMEOUT = { timeout: 60_000 } as const;

function product(topic: string, partitions: number, cleanup: Cleanup): Product {
  return jsonProduct({
    name: topic,
    owner: Teams.PLATFORM,
    description: 'a uniquely named product for an applyCatalog test',
    key: marketKeySpec,
    partitions,
    cleanup,
    schemaId: 'md.trades',
    versions: [{ schema: TradeV1, change: 'initial' }],
    example: trades.value.example,
  });
}

/** An admin whose topics named in `names` are deleted after the test. */
function adminFor(t: TestContext, bus: Bus, names: () => readonly string[]): Admin {
  const admin = bus.admin();
  defer(t, async () => {
    const existing = new Set(await admin.listTopics());
    const mine = names().filter((n) => existing.has(n));
    if (mine.length > 0) await admin.deleteTopics(mine).catch(() => undefined);
    await admin.close();
  });
  return admin;
}

const week: Cleanup = { policy: 'delete', retentionMs: 7 * DAY_MS };

describe('applyCatalog', () => {
  for (const backend of backends) {
    test(
      `${backend.name}: creates missing topics, then a second run changes nothing`,
      { ...TIMEOUT, skip: backend.skip },
      async (t) => {
        const bus = await backend.open(t);
        const products = [
          product(uniqueName('sf-apply-a'), 3, week),
          product(uniqueName('sf-apply-b'), 2, {
            policy: 'compact',
            deleteRetentionMs: DAY_MS,
            minCompactionLagMs: HOUR_MS,
          }),
        ];
        const admin = adminFor(t, bus, () => products.map((p) => p.topic));

        const dry = await applyCatalog(admin, products, { replicationFactor: 1, dryRun: true });
        assert.equal(dry.created.length, 2);
        assert.equal(dry.changed, true);
        const listed = new Set(await admin.listTopics());
        assert.ok(
          products.every((p) => !listed.has(p.topic)),
          'a dry run creates nothing',
        );

        const first = await applyCatalog(admin, products, { replicationFactor: 1 });
        assert.deepEqual(
          first.created.map((c) => c.topic),
          products.map((p) => p.topic),
        );
        assert.equal(first.changed, true);
        const described = await admin.describeTopics(products.map((p) => p.topic));
        for (const [i, d] of described.entries()) {
          assert.equal(d.partitions.length, products[i]!.partitions);
          assert.deepEqual(d.configs, topicConfigs(products[i]!.cleanup));
        }

        const second = await applyCatalog(admin, products, { replicationFactor: 1 });
        assert.equal(second.changed, false);
        assert.deepEqual(second.created, []);
        assert.deepEqual(second.altered, []);
        assert.deepEqual(second.partitionsRaised, []);
        assert.deepEqual(second.drift, []);
        assert.deepEqual([...second.unchanged].sort(), products.map((p) => p.topic).sort());
      },
    );

    test(
      `${backend.name}: raises partitions and restores configs that differ`,
      { ...TIMEOUT, skip: backend.skip },
      async (t) => {
        const bus = await backend.open(t);
        const topic = uniqueName('sf-apply-c');
        const admin = adminFor(t, bus, () => [topic]);
        await applyCatalog(admin, [product(topic, 1, week)], { replicationFactor: 1 });
        await admin.alterTopicConfigs(topic, { 'retention.ms': '1000' });

        const wider = product(topic, 4, { policy: 'delete', retentionMs: 14 * DAY_MS });
        const report = await applyCatalog(admin, [wider], { replicationFactor: 1 });
        assert.deepEqual(report.partitionsRaised, [{ topic, from: 1, to: 4 }]);
        assert.equal(report.altered.length, 1);
        assert.deepEqual(report.altered[0]!.configs['retention.ms'], {
          from: '1000',
          to: String(14 * DAY_MS),
        });
        assert.deepEqual(report.drift, []);

        const [d] = await admin.describeTopics([topic]);
        assert.equal(d!.partitions.length, 4);
        assert.deepEqual(d!.configs, topicConfigs(wider.cleanup));
        assert.equal((await applyCatalog(admin, [wider], { replicationFactor: 1 })).changed, false);
      },
    );

    test(
      `${backend.name}: reports drift it must not fix and leaves it alone`,
      { ...TIMEOUT, skip: backend.skip },
      async (t) => {
        const bus = await backend.open(t);
        const topic = uniqueName('sf-apply-d');
        const admin = adminFor(t, bus, () => [topic]);
        await admin.createTopics([
          {
            name: topic,
            partitions: 4,
            configs: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' },
          },
        ]);
        const declared = product(topic, 2, week);

        const report = await applyCatalog(admin, [declared], { replicationFactor: 2 });
        const kinds = report.drift.map((d) => d.kind).sort();
        assert.deepEqual(kinds, [
          DriftKinds.CLEANUP_POLICY,
          DriftKinds.PARTITIONS_ABOVE_DECLARED,
          DriftKinds.REPLICATION_FACTOR,
          DriftKinds.UNDECLARED_CONFIG,
        ]);
        const byKind = new Map(report.drift.map((d) => [d.kind, d]));
        assert.equal(byKind.get(DriftKinds.CLEANUP_POLICY)!.actual, 'compact');
        assert.equal(byKind.get(DriftKinds.CLEANUP_POLICY)!.declared, 'delete');
        assert.equal(byKind.get(DriftKinds.PARTITIONS_ABOVE_DECLARED)!.actual, 4);
        assert.equal(byKind.get(DriftKinds.REPLICATION_FACTOR)!.actual, 1);
        assert.match(byKind.get(DriftKinds.UNDECLARED_CONFIG)!.message, /max\.message\.bytes=2000000/);
        assert.equal(report.changed, false);
        assert.deepEqual(report.unchanged, [topic]);

        const [d] = await admin.describeTopics([topic]);
        assert.equal(d!.partitions.length, 4);
        assert.equal(d!.configs['cleanup.policy'], 'compact', 'a policy switch is never applied');
        assert.equal(d!.configs['retention.ms'], undefined);
      },
    );
  }
});
