// Exactly-once state across a crash, on both backends: changelog commit markers and resuming after them.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type Bus, type BusRecord, type TopicPartitionOffset } from '../../src/bus/types.ts';
import { trades } from '../../src/contracts/index.ts';
import {
  defineService,
  type KeyValueStore,
  type RuntimeLogger,
  ServiceRunner,
} from '../../src/runtime/index.ts';
import {
  changelogTopic,
  COMMIT_MARKER_KEY,
  decodeCommitMarker,
  StateManager,
} from '../../src/runtime/state/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { capturedTrades, produceValues, renamed, tempProductTopics, type Trade } from './helpers.ts';

const TIMEOUT = { timeout: 180_000 } as const;
const STORE = 'totals';

interface Totals {
  readonly trades: number;
  /** The exact quantity in units of 1e-8 (Binance's precision), as decimal text. */
  readonly units: string;
}

function unitsOf(quantity: string): bigint {
  const [whole, fraction = ''] = quantity.split('.');
  return BigInt(whole!) * 100_000_000n + BigInt(fraction.padEnd(8, '0').slice(0, 8));
}

/** What the service does with one trade: count it and add its quantity, per symbol. */
function applyTrade(store: KeyValueStore<Totals>, trade: Trade): void {
  const before = store.get(trade.symbol) ?? { trades: 0, units: '0' };
  store.put(trade.symbol, {
    trades: before.trades + 1,
    units: String(BigInt(before.units) + unitsOf(trade.quantity)),
  });
}

function expectedTotals(values: readonly Trade[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const v of values) {
    const before = out.get(v.symbol) ?? { trades: 0, units: '0' };
    out.set(v.symbol, {
      trades: before.trades + 1,
      units: String(BigInt(before.units) + unitsOf(v.quantity)),
    });
  }
  return out;
}

interface Setup {
  readonly bus: Bus;
  readonly input: typeof trades;
  readonly name: string;
  readonly changelog: string;
  readonly partitions: readonly number[];
  manager(options?: { resumeAt?: (p: readonly TopicPartitionOffset[]) => void }): StateManager;
  runner(instance: string, log?: RuntimeLogger): ServiceRunner;
  /** Input records the group has not committed. */
  lag(): Promise<number>;
}

async function setup(t: TestContext, bus: Bus): Promise<Setup> {
  const input = renamed(trades, 'sc-in');
  const name = tempGroup(t, bus, 'sc-svc');
  const changelog = changelogTopic(name, STORE);
  await tempProductTopics(t, bus, [input], [changelog]);
  const service = defineService({
    name,
    description: 'counts trades and sums their quantity per symbol',
    consumes: [input],
    produces: [],
    stores: { [STORE]: {} },
    maxPollRecords: 20,
    handle: (record, ctx) => applyTrade(ctx.store<Totals>(STORE), record.value as Trade),
  });
  const partitions = Array.from({ length: input.partitions }, (_, p) => p);
  return {
    bus,
    input,
    name,
    changelog,
    partitions,
    manager(options = {}) {
      const manager = new StateManager({
        bus,
        service: name,
        stores: { [STORE]: {} },
        partitionsOf: () => input.partitions,
        inputTopics: [input.topic],
        ...(options.resumeAt ? { resumeAt: options.resumeAt } : {}),
      });
      defer(t, () => manager.close());
      return manager;
    },
    runner(instance, log) {
      const runner = new ServiceRunner(service, {
        bus,
        instance: `${name}-${instance}`,
        heartbeatMs: 0,
        control: false,
        lagIntervalMs: 0,
        ...(log ? { log } : {}),
      });
      defer(t, () => runner.stop('test over'));
      return runner;
    },
    async lag() {
      const admin = bus.admin();
      try {
        const lag = await admin.groupLag(name, [input.topic]);
        return lag.reduce((sum, l) => sum + l.lag, 0);
      } finally {
        await admin.close();
      }
    },
  };
}

/** Runs one instance until the group has committed every input record, then stops it gracefully. */
async function runToEnd(s: Setup, instance: string, log?: RuntimeLogger): Promise<void> {
  const runner = s.runner(instance, log);
  await runner.start();
  assert.ok(await eventually(async () => (await s.lag()) === 0, 60_000), `${instance} worked off its input`);
  await runner.stop('drained');
}

/** The state a restore finds now, per symbol. */
async function restoredTotals(s: Setup): Promise<Map<string, Totals>> {
  const manager = s.manager();
  await manager.init();
  await manager.onAssigned(s.partitions.map((partition) => ({ topic: s.input.topic, partition })));
  const out = new Map<string, Totals>();
  for (const p of s.partitions)
    for (const [key, value] of manager.store<Totals>(STORE, p).entries()) out.set(key, value);
  await manager.close();
  return out;
}

/**
 * What an instance does with its next `count` uncommitted records before `kill -9` stops it:
 * restores the state, applies the records and writes their changes to the changelog; with
 * `marker`, also the batch's commit markers. It never commits the offsets.
 */
async function crashedBatch(s: Setup, count: number, marker: boolean): Promise<void> {
  const manager = s.manager();
  await manager.init();
  await manager.onAssigned(s.partitions.map((partition) => ({ topic: s.input.topic, partition })));
  const admin = s.bus.admin();
  const committed = await admin.groupLag(s.name, [s.input.topic]);
  await admin.close();
  const consumer = s.bus.consumer();
  const records: BusRecord[] = [];
  try {
    await consumer.assign(s.partitions.map((partition) => ({ topic: s.input.topic, partition })));
    for (const c of committed) consumer.seek(c, c.committed ?? 0);
    const deadline = Date.now() + 30_000;
    while (records.length < count && Date.now() < deadline)
      records.push(...(await consumer.poll({ timeoutMs: 200 })));
  } finally {
    await consumer.close();
  }
  assert.ok(records.length >= count, `read ${records.length} of ${count} uncommitted records`);
  const processed = new Map<number, TopicPartitionOffset>();
  for (const record of records.slice(0, count)) {
    applyTrade(manager.store<Totals>(STORE, record.partition), JSON.parse(record.value!.toString()) as Trade);
    processed.set(record.partition, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset + 1,
    });
  }
  const producer = s.bus.producer();
  try {
    await producer.sendBatch([...manager.takeBaselines(), ...manager.takeChangelog()]);
    if (marker) await producer.sendBatch(manager.commitMarkers([...processed.values()]));
  } finally {
    await producer.close();
    await manager.close();
  }
}

function collectingLog(): { log: RuntimeLogger; infos: Array<{ context: object; message: string }> } {
  const infos: Array<{ context: object; message: string }> = [];
  const noop = (): void => undefined;
  return {
    infos,
    log: {
      debug: noop,
      info: (context, message) => infos.push({ context, message }),
      warn: noop,
      error: noop,
    },
  };
}

for (const backend of backends) {
  describe(`state across a crash on ${backend.name}`, { skip: backend.skip }, () => {
    for (const marker of [false, true]) {
      it(
        marker
          ? 'a batch whose changes and commit marker reached the changelog but whose offsets were not committed is not applied again: the restart resumes after the marker'
          : 'a batch whose changes reached the changelog without their commit marker is dropped on restore and processed again, once',
        TIMEOUT,
        async (t) => {
          const bus = await backend.open(t);
          const s = await setup(t, bus);
          const values = await capturedTrades(200);
          await produceValues(bus, s.input, values.slice(0, 100));
          await runToEnd(s, 'a');
          assert.deepEqual(await restoredTotals(s), expectedTotals(values.slice(0, 100)));

          await produceValues(bus, s.input, values.slice(100));
          await crashedBatch(s, 50, marker);
          const afterCrash = await restoredTotals(s);
          // The store a restart finds: with the marker, the crashed batch is in it; without, it is not.
          const inState = marker ? 150 : 100;
          const total = (m: Map<string, Totals>): number => [...m.values()].reduce((n, v) => n + v.trades, 0);
          assert.equal(total(afterCrash), inState, 'trades in the restored state after the crash');
          assert.equal(await s.lag(), 100, 'the crashed batch committed no offset');

          const seen = collectingLog();
          await runToEnd(s, 'b', seen.log);
          assert.deepEqual(
            await restoredTotals(s),
            expectedTotals(values),
            'every trade counted once, its quantity added once',
          );
          const resumed = seen.infos.filter((i) =>
            i.message.startsWith('resuming after the committed offset'),
          );
          if (marker) assert.ok(resumed.length > 0, 'the restart resumed after the committed offset');
          else assert.deepEqual(resumed, [], 'without a marker past the committed offsets it resumes there');
        },
      );
    }

    it(
      'a crash in the first batch ever written to a changelog is dropped on restore and processed again, once: the batch is not taken for state written before markers existed',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const s = await setup(t, bus);
        const values = await capturedTrades(100);
        await produceValues(bus, s.input, values);
        await crashedBatch(s, 50, false);
        const total = (m: Map<string, Totals>): number => [...m.values()].reduce((n, v) => n + v.trades, 0);
        assert.equal(
          total(await restoredTotals(s)),
          0,
          'the unfinished first batch is not in the restored state',
        );
        await runToEnd(s, 'b');
        assert.deepEqual(
          await restoredTotals(s),
          expectedTotals(values),
          'every trade counted once, its quantity added once',
        );
      },
    );

    it(
      "writes the keys of a dropped unfinished batch again with their restored values, so the next marker does not close the dead instance's writes",
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const s = await setup(t, bus);
        const values = await capturedTrades(40);
        const tp = { topic: s.input.topic, partition: 0 };
        const producer = bus.producer();
        defer(t, () => producer.close());
        const dead = s.manager();
        await dead.init();
        await dead.onAssigned([tp]);
        for (const v of values.slice(0, 20)) applyTrade(dead.store<Totals>(STORE, 0), v);
        await producer.sendBatch(dead.takeChangelog());
        await producer.sendBatch(dead.commitMarkers([{ ...tp, offset: 20 }]));
        // Its next batch reaches the changelog, its marker never does.
        for (const v of values.slice(20, 30)) applyTrade(dead.store<Totals>(STORE, 0), v);
        await producer.sendBatch(dead.takeChangelog());

        const next = s.manager();
        await next.init();
        await next.onAssigned([tp]);
        const restored = expectedTotals(values.slice(0, 20));
        assert.deepEqual(new Map(next.store<Totals>(STORE, 0).entries()), restored);
        // It handles a batch of BTCUSDT trades only: ETHUSDT, written by the dead batch, is not touched.
        for (const v of values.slice(20, 30).filter((v) => v.symbol === 'BTCUSDT'))
          applyTrade(next.store<Totals>(STORE, 0), v);
        const changes = next.takeChangelog();
        assert.deepEqual(
          JSON.parse(changes.find((r) => r.key === 'ETHUSDT')!.value!.toString()),
          restored.get('ETHUSDT'),
          'the restored value of a key only the dropped batch wrote',
        );
        await producer.sendBatch(changes);
        await producer.sendBatch(next.commitMarkers([{ ...tp, offset: 30 }]));

        const third = s.manager();
        await third.init();
        await third.onAssigned([tp]);
        assert.deepEqual(
          new Map(third.store<Totals>(STORE, 0).entries()),
          new Map([
            [
              'BTCUSDT',
              expectedTotals(values.slice(0, 30).filter((v) => v.symbol === 'BTCUSDT')).get('BTCUSDT'),
            ],
            ['ETHUSDT', restored.get('ETHUSDT')],
          ]),
        );
      },
    );

    it(
      'a marker names every input of the state partition, also those its batch did not read, and each input partition assigned later learns its position',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const s = await setup(t, bus);
        const other = renamed(trades, 'sc-in2');
        await tempProductTopics(t, bus, [other]);
        const values = await capturedTrades(30);
        const inputs = [s.input.topic, other.topic];
        const manager = (resumeAt?: (p: readonly TopicPartitionOffset[]) => void): StateManager => {
          const m = new StateManager({
            bus,
            service: s.name,
            stores: { [STORE]: {} },
            partitionsOf: () => s.input.partitions,
            inputTopics: inputs,
            ...(resumeAt ? { resumeAt } : {}),
          });
          defer(t, () => m.close());
          return m;
        };
        const a = { topic: s.input.topic, partition: 1 };
        const b = { topic: other.topic, partition: 1 };
        const writer = manager();
        await writer.init();
        await writer.onAssigned([a, b]);
        const producer = bus.producer();
        defer(t, () => producer.close());
        for (const v of values.slice(0, 20)) applyTrade(writer.store<Totals>(STORE, 1), v);
        await producer.sendBatch(writer.takeChangelog());
        await producer.sendBatch(
          writer.commitMarkers([
            { ...a, offset: 12 },
            { ...b, offset: 8 },
          ]),
        );
        // The next batch reads input a only.
        for (const v of values.slice(20)) applyTrade(writer.store<Totals>(STORE, 1), v);
        await producer.sendBatch(writer.takeChangelog());
        const [marker] = writer.commitMarkers([{ ...a, offset: 22 }]);
        assert.deepEqual(
          Object.fromEntries(decodeCommitMarker(marker!.value as Buffer)),
          { [s.input.topic]: 22, [other.topic]: 8 },
          'the position of input b carries over',
        );
        await producer.sendBatch([marker!]);

        const reported: TopicPartitionOffset[][] = [];
        const restored = manager((p) => reported.push([...p]));
        await restored.init();
        await restored.onAssigned([a]);
        await restored.onAssigned([b]);
        assert.deepEqual(reported, [[{ ...a, offset: 22 }], [{ ...b, offset: 8 }]]);
        assert.deepEqual(new Map(restored.store<Totals>(STORE, 1).entries()), expectedTotals(values));
      },
    );

    it(
      'restores every store of a partition to the same batch when a crash left a commit marker in one of them only',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const s = await setup(t, bus);
        const values = await capturedTrades(60);
        const stores = { [STORE]: {}, last: {} };
        const manager = (resumeAt?: (p: readonly TopicPartitionOffset[]) => void): StateManager => {
          const m = new StateManager({
            bus,
            service: s.name,
            stores,
            partitionsOf: () => s.input.partitions,
            inputTopics: [s.input.topic],
            ...(resumeAt ? { resumeAt } : {}),
          });
          defer(t, () => m.close());
          return m;
        };
        const lastTopic = changelogTopic(s.name, 'last');
        defer(t, async () => {
          const admin = bus.admin();
          await admin.deleteTopics([lastTopic]).catch(() => undefined);
          await admin.close();
        });
        const writer = manager();
        await writer.init();
        const tp = { topic: s.input.topic, partition: 0 };
        await writer.onAssigned([tp]);
        const producer = bus.producer();
        defer(t, () => producer.close());
        const batch = async (from: number, to: number, markers: 'all' | 'totals only'): Promise<void> => {
          for (const v of values.slice(from, to)) {
            applyTrade(writer.store<Totals>(STORE, 0), v);
            writer.store<Trade>('last', 0).put(v.symbol, v);
          }
          await producer.sendBatch(writer.takeChangelog());
          const written = writer.commitMarkers([{ ...tp, offset: to }]);
          assert.equal(written.length, 2, 'one marker per store of the partition');
          await producer.sendBatch(
            markers === 'all' ? written : written.filter((r) => r.topic === s.changelog),
          );
        };
        await batch(0, 30, 'all');
        await batch(30, 60, 'totals only');

        const resumeAt: TopicPartitionOffset[] = [];
        const restored = manager((p) => resumeAt.push(...p));
        await restored.init();
        await restored.onAssigned([tp]);
        assert.deepEqual(resumeAt, [{ ...tp, offset: 30 }], 'resumes after the batch every store closed');
        assert.deepEqual(
          new Map(restored.store<Totals>(STORE, 0).entries()),
          expectedTotals(values.slice(0, 30)),
          'the store one batch ahead is restored to the batch the other store has',
        );
        const last = new Map(restored.store<Trade>('last', 0).entries());
        assert.deepEqual(
          last.get('BTCUSDT'),
          values.slice(0, 30).findLast((v) => v.symbol === 'BTCUSDT'),
        );
        for (const store of [STORE, 'last'])
          for (const [key] of restored.store(store, 0).entries())
            assert.notEqual(key, COMMIT_MARKER_KEY.toString('utf8'), 'the marker is no store key');
        assert.deepEqual(
          [...decodeCommitMarker(written(await lastMarker(bus, s.changelog)))],
          [[s.input.topic, 60]],
          'the marker names the input position of the batch',
        );
      },
    );
  });
}

function written(record: BusRecord | undefined): Buffer | null {
  assert.ok(record, 'a commit marker on the changelog');
  return record.value;
}

async function lastMarker(bus: Bus, topic: string): Promise<BusRecord | undefined> {
  const consumer = bus.consumer();
  try {
    await consumer.assign([{ topic, partition: 0 }]);
    await consumer.seekToBeginning();
    const records: BusRecord[] = [];
    for (let empty = 0; empty < 3;) {
      const polled = await consumer.poll({ timeoutMs: 300 });
      if (polled.length === 0) empty++;
      records.push(...polled);
    }
    return records.findLast((r) => r.key !== null && r.key.equals(COMMIT_MARKER_KEY));
  } finally {
    await consumer.close();
  }
}
