// Service state on both backends: changelog-backed stores (restart, moved and revoked partitions) and global tables.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { partitionForKey } from '../../src/bus/murmur2.ts';
import {
  type Admin,
  type Bus,
  type OffsetSpec,
  type ProduceRecord,
  type TopicPartition,
} from '../../src/bus/types.ts';
import { encode, encodeTombstone, instruments, topicConfigs, trades } from '../../src/contracts/index.ts';
import { noMetrics, type RuntimeLogger, type RuntimeMetrics, type ValueOf } from '../../src/runtime/index.ts';
import {
  GlobalTable,
  isStateError,
  type Serde,
  StateManager,
  type StateManagerOptions,
} from '../../src/runtime/state/index.ts';
import { backends, defer, embeddedBackend, eventually, tempTopic, uniqueName } from '../helpers/backends.ts';
import { capturedTrades, renamed, type Trade } from './helpers.ts';

type Instrument = ValueOf<typeof instruments>;

const TIMEOUT = { timeout: 120_000 } as const;
const FEED = { service: 'test-feed', instance: 'test-feed-0' } as const;
const CAPTURES = path.resolve(import.meta.dirname, '../../../shared/data/market/cryptofeed');

/** Trade counts per symbol as bigint: a serde other than JSON, so the tests see it is the one restored with. */
const bigintSerde: Serde<bigint> = {
  serialize: (value) => Buffer.from(value.toString(10), 'utf8'),
  deserialize: (bytes) => BigInt(bytes.toString('utf8')),
};

const STORES = { trades: {}, last: {}, count: { serde: bigintSerde } } as const;

interface Recorded {
  readonly restores: Array<{ store: string; seconds: number; records: number }>;
  readonly errors: string[];
  readonly warnings: Array<{ context: object; message: string }>;
  readonly metrics: RuntimeMetrics;
  readonly log: RuntimeLogger;
}

function recorder(): Recorded {
  const restores: Recorded['restores'] = [];
  const errors: string[] = [];
  const warnings: Recorded['warnings'] = [];
  const noop = (): void => undefined;
  return {
    restores,
    errors,
    warnings,
    metrics: {
      ...noMetrics,
      observeRestore: (store, seconds, records) => restores.push({ store, seconds, records }),
      error: (kind) => errors.push(kind),
    },
    log: {
      debug: noop,
      info: noop,
      warn: (context, message) => warnings.push({ context, message }),
      error: noop,
    },
  };
}

/** A service with input topics of `partitions` partitions; its changelogs are deleted after the test. */
async function stateful(
  t: TestContext,
  bus: Bus,
  options: { readonly inputs?: number; readonly partitions?: number } = {},
): Promise<{
  service: string;
  inputs: string[];
  partitions: number;
  manager(extra?: Partial<StateManagerOptions>): StateManager;
}> {
  const partitions = options.partitions ?? 2;
  const inputs: string[] = [];
  for (let i = 0; i < (options.inputs ?? 1); i++)
    inputs.push(await tempTopic(t, bus, { partitions, prefix: 'st-in' }));
  const service = uniqueName('st-svc');
  defer(t, async () => {
    const admin = bus.admin();
    await admin
      .deleteTopics(Object.keys(STORES).map((s) => `${service}-${s}-changelog`))
      .catch(() => undefined);
    await admin.close();
  });
  return {
    service,
    inputs,
    partitions,
    manager(extra = {}) {
      const manager = new StateManager({
        bus,
        service,
        stores: STORES,
        partitionsOf: () => partitions,
        inputTopics: inputs,
        ...extra,
      });
      defer(t, () => manager.close());
      return manager;
    },
  };
}

const tps = (topic: string, partitions: readonly number[]): TopicPartition[] =>
  partitions.map((partition) => ({ topic, partition }));

/** What a handler of a trade does with state: remember the trade, the latest per symbol, a count per symbol. */
function handleTrade(manager: StateManager, trade: Trade, partitions: number): void {
  const id = tradeKey(trade);
  manager.store<Trade>('trades', partitionOf(id, partitions)).put(id, trade);
  const symbol = `${trade.exchange}:${trade.symbol}`;
  const p = partitionOf(symbol, partitions);
  manager.store<Trade>('last', p).put(symbol, trade);
  const count = manager.store<bigint>('count', p);
  count.put(symbol, (count.get(symbol) ?? 0n) + 1n);
}

const tradeKey = (trade: Trade): string => `${trade.symbol}:${trade.tradeId}`;
const partitionOf = (key: string, partitions: number): number =>
  partitionForKey(Buffer.from(key, 'utf8'), partitions);

/** Every store's entries per partition, sorted by key. */
function snapshot(manager: StateManager, partitions: readonly number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const store of Object.keys(STORES))
    for (const p of partitions)
      out[`${store}[${p}]`] = [...manager.store(store, p).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return out;
}

function rejectsWith(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isStateError(error), `a StateError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

async function rejectsAsync(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, String(error));
    if (message) assert.match((error as Error).message, message);
    return true;
  });
}

interface CoinbaseProduct {
  readonly id: string;
  readonly base_currency: string;
  readonly quote_currency: string;
  readonly base_min_size: string;
  readonly base_max_size: string;
  readonly quote_increment: string;
  readonly base_increment: string;
  readonly min_market_funds: string;
  readonly trading_disabled: boolean;
  readonly status: string;
}

/** The first `count` products of Coinbase's recorded /products answer, as `md.instruments` values. */
async function capturedInstruments(count: number): Promise<Instrument[]> {
  // The first line is the /products answer.
  const [line] = (await readFile(path.join(CAPTURES, 'COINBASE.0'), 'utf8')).split('\n');
  const match = /^\S+ -> (\d+)\.(\d+): (.*)$/.exec(line!);
  assert.ok(match, 'COINBASE.0 starts with `<url> -> <ts>: <body>`');
  const received = Number(match[1]) * 1000 + Number(match[2]!.padEnd(3, '0').slice(0, 3));
  return (JSON.parse(match[3]!) as CoinbaseProduct[]).slice(0, count).map((p) => ({
    exchange: 'coinbase',
    symbol: p.id,
    timestamp: received,
    localTimestamp: received,
    base: p.base_currency,
    quote: p.quote_currency,
    type: 'spot',
    status: p.status === 'online' && !p.trading_disabled ? 'trading' : 'halted',
    exchangeStatus: p.status,
    tickSize: p.quote_increment,
    stepSize: p.base_increment,
    minQuantity: p.base_min_size,
    maxQuantity: p.base_max_size,
    minNotional: p.min_market_funds,
  }));
}

for (const backend of backends) {
  describe(`state stores on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'creates compacted changelogs with the input partition count and refuses one with fewer partitions or no compaction',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const setup = await stateful(t, bus, { partitions: 3 });
        const manager = setup.manager();
        await manager.init();
        const admin = bus.admin();
        defer(t, () => admin.close());
        const topics = Object.values(manager.changelogTopics);
        assert.deepEqual(
          topics.sort(),
          ['count', 'last', 'trades'].map((s) => `${setup.service}-${s}-changelog`),
        );
        for (const topic of await admin.describeTopics(topics)) {
          assert.equal(topic.partitions.length, 3, `${topic.name} has the input's partition count`);
          assert.equal(topic.configs['cleanup.policy'], 'compact', `${topic.name} is compacted`);
        }
        // A second replica of the service finds them in place.
        await setup.manager().init();

        const short = await stateful(t, bus, { partitions: 3 });
        await admin.createTopics([
          {
            name: `${short.service}-last-changelog`,
            partitions: 2,
            configs: { 'cleanup.policy': 'compact' },
          },
        ]);
        await rejectsAsync(
          short.manager().init(),
          'CHANGELOG_MISMATCH',
          new RegExp(`${short.service}-last-changelog has 2 partitions, the input has 3`),
        );

        const deleting = await stateful(t, bus, { partitions: 3 });
        await admin.createTopics([
          {
            name: `${deleting.service}-count-changelog`,
            partitions: 3,
            configs: { 'cleanup.policy': 'delete' },
          },
        ]);
        await rejectsAsync(deleting.manager().init(), 'CHANGELOG_MISMATCH', /cleanup\.policy=delete/);
      },
    );

    it(
      'restores the committed state after a restart and on the instance a partition moves to; revoked partitions are dropped',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const setup = await stateful(t, bus, { partitions: 2 });
        const [input] = setup.inputs as [string];
        const values = await capturedTrades(60);
        const producer = bus.producer();
        defer(t, () => producer.close());

        const first = setup.manager();
        await first.init();
        await first.onAssigned(tps(input, [0, 1]));
        for (const trade of values.slice(0, 40)) handleTrade(first, trade, setup.partitions);
        const batch1 = first.takeChangelog();
        const topicOf = first.changelogTopics;
        const last = batch1.filter((r) => r.topic === topicOf['last']);
        assert.equal(last.length, 2, 'one latest-trade record per symbol, not one per write');
        for (const record of last) {
          const symbol = String(record.key).split(':')[1];
          const latest = values.slice(0, 40).findLast((v) => v.symbol === symbol)!;
          assert.deepEqual(JSON.parse(record.value!.toString()), latest);
          assert.equal(record.partition, partitionOf(String(record.key), 2), 'the partition of the key');
        }
        const counts = batch1.filter((r) => r.topic === topicOf['count']);
        assert.deepEqual(counts.map((r) => [r.key, r.value!.toString()]).sort(), [
          ['binance:BTCUSDT', '20'],
          ['binance:ETHUSDT', '20'],
        ]);
        const tradeRecords = batch1.filter((r) => r.topic === topicOf['trades']);
        assert.equal(tradeRecords.length, 40);
        assert.ok(
          tradeRecords.every((r) => r.partition === partitionOf(String(r.key), 2)),
          'every changelog record names its partition explicitly',
        );
        assert.ok(new Set(tradeRecords.map((r) => r.partition)).size === 2, 'both partitions hold state');
        await producer.sendBatch(batch1);

        // Batch 2: ten trades deleted (one of them written again afterwards), twenty new ones.
        const deleted = values.slice(0, 10);
        for (const trade of deleted)
          first.store('trades', partitionOf(tradeKey(trade), 2)).delete(tradeKey(trade));
        const revived = deleted[3]!;
        first.store<Trade>('trades', partitionOf(tradeKey(revived), 2)).put(tradeKey(revived), revived);
        for (const trade of values.slice(40)) handleTrade(first, trade, setup.partitions);
        const batch2 = first.takeChangelog();
        const tombstones = batch2.filter((r) => r.value === null).map((r) => r.key);
        assert.deepEqual(
          tombstones.sort(),
          deleted
            .filter((v) => v !== revived)
            .map(tradeKey)
            .sort(),
          'a delete is a tombstone; a delete followed by a put sends the put only',
        );
        await producer.sendBatch(batch2);
        assert.deepEqual(first.takeChangelog(), [], 'taken records are not taken again');
        const sent = (topic: string): number =>
          [...batch1, ...batch2].filter((r: ProduceRecord) => r.topic === topic).length;

        const expected = snapshot(first, [0, 1]);
        assert.equal(first.store('trades', 0).size + first.store('trades', 1).size, 51);
        // A crash: the instance goes away without giving its partitions back.
        await first.close();

        const restarted = recorder();
        const second = setup.manager({ metrics: restarted.metrics, log: restarted.log });
        await second.init();
        await second.onAssigned(tps(input, [0, 1]));
        assert.deepEqual(snapshot(second, [0, 1]), expected, 'the restarted instance has the same state');
        for (const trade of deleted.filter((v) => v !== revived))
          assert.equal(second.store('trades', partitionOf(tradeKey(trade), 2)).has(tradeKey(trade)), false);
        const btcKey = 'binance:BTCUSDT';
        const btcLast = second.store<Trade>('last', partitionOf(btcKey, 2)).get(btcKey)!;
        const btcExpected = values.findLast((v) => v.symbol === 'BTCUSDT')!;
        assert.equal(btcLast.price, btcExpected.price, 'decimal text comes back as the same text');
        assert.equal(typeof btcLast.price, 'string');
        assert.equal(second.store<bigint>('count', partitionOf(btcKey, 2)).get(btcKey), 30n);
        assert.deepEqual(
          restarted.restores.map((r) => [r.store, r.records]).sort(),
          Object.values(topicOf)
            .map((topic) => [topic.slice(setup.service.length + 1, -'-changelog'.length), sent(topic)])
            .sort(),
          'one restore report per store, with every changelog record read',
        );
        assert.ok(restarted.restores.every((r) => r.seconds >= 0 && r.seconds < 60));

        // Partition 1 moves to another instance, which restores it there.
        const third = setup.manager();
        await third.init();
        await third.onAssigned(tps(input, [1]));
        assert.deepEqual(snapshot(third, [1]), snapshot(second, [1]));
        assert.deepEqual(third.assigned(), [1]);
        rejectsWith(() => third.store('trades', 0), 'NOT_ASSIGNED', /state partition 0 .* \(assigned: 1\)/);

        // ... and the old owner lets it go, with the writes it had not handed over yet.
        const held = second.store<Trade>('last', 1);
        held.put('binance:TEST', values[0]!);
        second.store<Trade>('last', 0).put('binance:KEPT', values[1]!);
        second.onRevoked(tps(input, [1]));
        assert.deepEqual(second.assigned(), [0]);
        rejectsWith(() => second.store('last', 1), 'NOT_ASSIGNED');
        rejectsWith(() => held.put('binance:TEST', values[2]!), 'NOT_ASSIGNED', /was revoked/);
        assert.deepEqual(
          second.takeChangelog().map((r) => [r.partition, r.key]),
          [[0, 'binance:KEPT']],
          'writes of a revoked partition are not sent: the next owner replays their inputs',
        );
        assert.equal(second.store('trades', 0).size, (expected['trades[0]'] as unknown[]).length);
      },
    );

    it(
      'keeps one state partition for several inputs with that partition number, restored once and dropped with the last',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const setup = await stateful(t, bus, { inputs: 2, partitions: 2 });
        const [a, b] = setup.inputs as [string, string];
        const [trade] = await capturedTrades(1);
        const producer = bus.producer();
        defer(t, () => producer.close());
        const writer = setup.manager();
        await writer.init();
        await writer.onAssigned([...tps(a, [0, 1]), ...tps(b, [0, 1])]);
        writer.store<Trade>('last', 0).put('binance:BTCUSDT', trade!);
        await producer.sendBatch(writer.takeChangelog());

        const seen = recorder();
        const manager = setup.manager({ metrics: seen.metrics });
        await manager.init();
        await manager.onAssigned([...tps(a, [0]), ...tps(b, [0])]);
        assert.deepEqual(seen.restores.map((r) => r.store).sort(), ['count', 'last', 'trades']);
        await manager.onAssigned(tps('some-other-topic', [1]));
        assert.deepEqual(manager.assigned(), [0], 'partitions of topics that are not inputs are ignored');
        manager.onRevoked(tps(a, [0]));
        assert.deepEqual(manager.store<Trade>('last', 0).get('binance:BTCUSDT'), trade);
        await manager.onAssigned(tps(a, [0]));
        assert.equal(seen.restores.length, 3, 'still held through the other input: not restored again');
        manager.onRevoked([...tps(a, [0]), ...tps(b, [0])]);
        rejectsWith(() => manager.store('last', 0), 'NOT_ASSIGNED');
      },
    );

    it(
      'restores up to the end offset of the moment the restore starts: a later write of the previous owner is not applied',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const setup = await stateful(t, bus, { partitions: 2 });
        const [trade] = await capturedTrades(1);
        const producer = bus.producer();
        defer(t, () => producer.close());
        const topic = `${setup.service}-last-changelog`;
        // The previous owner writes once more right after the new owner has listed the end offsets.
        const zombie = (admin: Admin): Admin =>
          new Proxy(admin, {
            get(target, prop) {
              const value = Reflect.get(target, prop, target) as unknown;
              if (prop !== 'listOffsets') return typeof value === 'function' ? value.bind(target) : value;
              return async (name: string, spec: OffsetSpec) => {
                const listed = await target.listOffsets(name, spec);
                if (name === topic)
                  await producer.send({ topic, partition: 0, key: 'binance:LATE', value: '{"late":true}' });
                return listed;
              };
            },
          });
        const racing = new Proxy(bus, {
          get(target, prop) {
            if (prop === 'admin') return () => zombie(target.admin());
            const value = Reflect.get(target, prop, target) as unknown;
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        const seen = recorder();
        const writer = setup.manager();
        await writer.init();
        await writer.onAssigned(tps(setup.inputs[0]!, [0]));
        writer.store<Trade>('last', 0).put('binance:BTCUSDT', trade!);
        await producer.sendBatch(writer.takeChangelog());

        const manager = setup.manager({ bus: racing, metrics: seen.metrics });
        await manager.init();
        await manager.onAssigned(tps(setup.inputs[0]!, [0]));
        assert.deepEqual([...manager.store('last', 0).entries()], [['binance:BTCUSDT', trade]]);
        assert.deepEqual(seen.restores.find((r) => r.store === 'last')?.records, 1);
        const admin = bus.admin();
        defer(t, () => admin.close());
        const [end] = (await admin.listOffsets(topic, 'latest')).filter((o) => o.partition === 0);
        assert.equal(end!.offset, 2, 'the late write is on the log, after the end the restore read to');
      },
    );

    it(
      'fails a restore on a changelog record its serde cannot read, naming where it is',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const setup = await stateful(t, bus, { partitions: 2 });
        const manager = setup.manager();
        await manager.init();
        const producer = bus.producer();
        defer(t, () => producer.close());
        const topic = manager.changelogTopics['count']!;
        await producer.sendBatch([
          { topic, partition: 1, key: 'binance:BTCUSDT', value: '7' },
          { topic, partition: 1, key: 'binance:ETHUSDT', value: 'seven' },
        ]);
        await rejectsAsync(
          manager.onAssigned(tps(setup.inputs[0]!, [1])),
          'CORRUPT_CHANGELOG',
          new RegExp(`changelog ${topic}\\[1\\] offset 1: .*fix the serde`),
        );
        assert.deepEqual(manager.assigned(), [], 'a partition that failed to restore is not held');
      },
    );
  });

  describe(`global table on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'loads a compacted product before ready(), follows updates and tombstones, and skips and counts bad records',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const product = { ...renamed(instruments, 'gt-instr'), partitions: 3 };
        const admin = bus.admin();
        await admin.createTopics([
          { name: product.topic, partitions: 3, configs: topicConfigs(product.cleanup) },
        ]);
        defer(t, async () => {
          await admin.deleteTopics([product.topic]).catch(() => undefined);
          await admin.close();
        });
        const listed = await capturedInstruments(40);
        const btcGbp = listed.find((i) => i.symbol === 'BTC-GBP')!;
        assert.deepEqual(btcGbp, instruments.value.example, 'the capture maps to the catalog example');
        const producer = bus.producer();
        defer(t, () => producer.close());
        await producer.sendBatch([
          ...listed.map((i) => encode(product, i, FEED)),
          // What a misbehaving producer writes: not JSON, no schema headers.
          { topic: product.topic, key: 'coinbase:BAD-ONE', value: '{"symbol": "BAD-ONE"' },
          encode(product, listed[0]!, FEED), // the same row twice: the latest wins, the size does not change
        ]);

        const seen = recorder();
        const table = new GlobalTable({ bus, product, metrics: seen.metrics, log: seen.log });
        defer(t, () => table.close());
        await table.ready();
        assert.equal(table.size, listed.length, 'ready() waits until everything written before is loaded');
        assert.deepEqual(table.get('coinbase:BTC-GBP'), btcGbp);
        assert.equal(table.get('coinbase:BTC-GBP')!.minNotional, '10');
        assert.equal(table.skipped, 1);
        assert.deepEqual(seen.errors, ['decode']);
        assert.equal(seen.warnings.length, 1);
        assert.match(
          JSON.stringify(seen.warnings[0]!.context),
          new RegExp(`"topic":"${product.topic}".*"code":"MISSING_HEADER"`),
        );
        assert.equal(table.get('coinbase:BAD-ONE'), undefined);
        assert.deepEqual(
          [...table.entries()].map(([k]) => k).sort(),
          listed.map((i) => `coinbase:${i.symbol}`).sort(),
        );

        const halted: Instrument = { ...btcGbp, status: 'halted', exchangeStatus: 'delisted' };
        const gone = listed[5]!;
        await producer.sendBatch([
          encode(product, halted, FEED),
          encodeTombstone(product, `coinbase:${gone.symbol}`, FEED),
          { ...encode(product, listed[6]!, FEED), value: Buffer.from('{"exchange":"coinbase"}') },
        ]);
        assert.ok(
          await eventually(
            () => table.get(`coinbase:${gone.symbol}`) === undefined && table.skipped === 2,
            20_000,
          ),
          'the table follows new records after ready()',
        );
        assert.deepEqual(table.get('coinbase:BTC-GBP'), halted);
        assert.equal(table.size, listed.length - 1);
        assert.deepEqual(
          table.get(`coinbase:${listed[6]!.symbol}`),
          listed[6],
          'a bad update keeps the last good row',
        );
        assert.match(JSON.stringify(seen.warnings[1]!.context), /"code":"SCHEMA_VIOLATION"/);
      },
    );

    it(
      'is ready at once on an empty topic, and rejects ready() for a missing topic or a close before it caught up',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const empty = { ...renamed(instruments, 'gt-empty'), partitions: 2 };
        const full = { ...renamed(instruments, 'gt-full'), partitions: 2 };
        const admin = bus.admin();
        await admin.createTopics(
          [empty, full].map((p) => ({ name: p.topic, partitions: 2, configs: topicConfigs(p.cleanup) })),
        );
        defer(t, async () => {
          await admin.deleteTopics([empty.topic, full.topic]).catch(() => undefined);
          await admin.close();
        });
        const emptyTable = new GlobalTable({ bus, product: empty });
        defer(t, () => emptyTable.close());
        await emptyTable.ready();
        assert.equal(emptyTable.size, 0);

        const missing = new GlobalTable({ bus, product: renamed(instruments, 'gt-missing') });
        await rejectsAsync(missing.ready(), 'UNKNOWN_TOPIC');
        await missing.close();

        await producerSend(
          bus,
          (await capturedInstruments(3)).map((i) => encode(full, i, FEED)),
        );
        const early = new GlobalTable({ bus, product: full });
        await early.close();
        await rejectsAsync(early.ready(), 'CLOSED', /closed before it caught up/);

        assert.throws(
          () => new GlobalTable({ bus, product: trades }),
          /needs a compacted JSON product; .* cleanup\.policy=delete/,
        );
      },
    );
  });
}

async function producerSend(bus: Bus, records: readonly ProduceRecord[]): Promise<void> {
  const producer = bus.producer();
  try {
    await producer.sendBatch(records);
  } finally {
    await producer.close();
  }
}

// Value checks and misuse are pure logic over a store; one backend is enough to run them.
describe('state stores refuse what they could not restore exactly', () => {
  it('rejects values that do not survive JSON, freezes values read back, and names the store and key', async (t) => {
    const bus = await embeddedBackend.open(t);
    const setup = await stateful(t, bus, { partitions: 1 });
    const manager = setup.manager();
    await assert.rejects(manager.onAssigned(tps(setup.inputs[0]!, [0])), /onAssigned before init/);
    await manager.init();
    rejectsWith(() => manager.store('last', 0), 'NOT_ASSIGNED');
    await manager.onAssigned(tps(setup.inputs[0]!, [0]));
    const store = manager.store<unknown>('last', 0);
    const [trade] = await capturedTrades(1);
    rejectsWith(
      () => store.put('k', { ...trade, price: Number.NaN }),
      'INVALID_VALUE',
      /store last, key "k": NaN at \/price/,
    );
    rejectsWith(() => store.put('k', { ...trade, note: undefined }), 'INVALID_VALUE', /undefined at \/note/);
    rejectsWith(() => store.put('k', { at: new Date(0) }), 'INVALID_VALUE', /a Date instance at \/at/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    rejectsWith(() => store.put('k', cyclic), 'INVALID_VALUE', /refers to itself at \/self/);
    rejectsWith(() => store.put('', trade), 'INVALID_ARGUMENT', /non-empty strings/);
    assert.equal(store.size, 0, 'a rejected value is not stored');
    assert.deepEqual(manager.takeChangelog(), [], 'nor written to the changelog');

    const value = { ...trade!, levels: [['61837.63', '0.1']] };
    store.put('k', value);
    const read = store.get('k') as typeof value;
    assert.deepEqual(read, value);
    assert.notEqual(read, value, 'the store keeps its own copy');
    assert.throws(() => {
      (read as { price: string }).price = '0';
    }, TypeError);
    assert.throws(() => read.levels[0]!.push('1'), TypeError, 'frozen all the way down');
    rejectsWith(
      () => manager.store('nope', 0),
      'UNKNOWN_STORE',
      /no store "nope" \(stores: trades, last, count\)/,
    );
    rejectsWith(
      () => new StateManager({ ...baseOptions(bus, setup.inputs), stores: { Bad_Name: {} } }),
      'INVALID_ARGUMENT',
      /store name "Bad_Name"/,
    );
  });

  it('refuses state over inputs with different partition counts', async (t) => {
    const bus = await embeddedBackend.open(t);
    const manager = new StateManager({
      ...baseOptions(bus, ['md.trades', 'md.book.delta']),
      partitionsOf: (topic) => (topic === 'md.trades' ? 12 : 6),
    });
    defer(t, () => manager.close());
    await rejectsAsync(manager.init(), 'NOT_CO_PARTITIONED', /md\.trades: 12, md\.book\.delta: 6/);
  });
});

function baseOptions(bus: Bus, inputs: readonly string[]): StateManagerOptions {
  return { bus, service: 'st-check', stores: STORES, partitionsOf: () => 1, inputTopics: inputs };
}
