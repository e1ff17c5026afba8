// Writer: real market data into PostgreSQL (on Kafka) and PGlite (on the embedded log), exact and idempotent.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import { deadLetterProduct, DeadLetterHeaders, encode } from '../../src/contracts/index.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import {
  createWriter,
  isTransientDbError,
  loadMigrations,
  migrate,
  openDatabase,
  type SqlDatabase,
  withDbRetry,
} from '../../src/services/writer/index.ts';
import { defer, embeddedBackend, eventually, kafkaBackend, tempGroup } from '../helpers/backends.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';
import { produceValues, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import {
  checksum,
  counts,
  type Expected,
  krakenTrades,
  marketData,
  type MarketData,
  produceAll,
  writerTopics,
  type WriterTopics,
} from './writer-data.ts';

const pgSkip = await postgresSkipReason();

export interface Stack {
  readonly name: string;
  readonly skip: string | undefined;
  openBus(t: TestContext): Promise<Bus>;
  /** A fresh database (schema) owned by the test. */
  openDb(t: TestContext): Promise<SqlDatabase>;
}

const stacks: readonly Stack[] = [
  {
    name: 'embedded log + PGlite',
    skip: undefined,
    openBus: (t) => embeddedBackend.open(t),
    async openDb(t) {
      const db = await openDatabase('pglite:memory', { schema: 'md' });
      defer(t, () => db.close());
      return db;
    },
  },
  {
    name: 'Kafka + PostgreSQL',
    skip: kafkaBackend.skip ?? pgSkip,
    openBus: (t) => kafkaBackend.open(t),
    async openDb(t) {
      const db = await openDatabase(await postgresUrl(), { schema: await tempSchema(t, 'sf_writer') });
      defer(t, () => db.close());
      return db;
    },
  },
];

/** The writer's topics under names unique to the test. */
const uniqueTopics = (prefix: string) =>
  writerTopics((product, suffix) => renamed(product, `${prefix}-${suffix}`));
type Topics = WriterTopics;

/** Row counts the data must give: one per natural key (book tops: one per instrument per second). */
function expectedCounts(data: MarketData): Expected {
  return {
    trades: data.trades.length,
    candles: new Set(data.candles.map((c) => `${c.symbol}|${c.interval}|${c.openTime}`)).size,
    bookTop: new Set(data.bookTops.map((b) => `${b.symbol}|${Math.floor(b.timestamp / 1000)}`)).size,
    alerts: data.alerts.length,
  };
}

async function startWriter(
  t: TestContext,
  bus: Bus,
  db: SqlDatabase,
  topics: Partial<Topics>,
  extra: { maxPollRecords?: number; name?: string } = {},
): Promise<ServiceRunner> {
  const runner = new ServiceRunner(
    createWriter({
      name: extra.name ?? tempGroup(t, bus, 'writer'),
      database: db,
      topics,
      only: true,
      ...(extra.maxPollRecords ? { maxPollRecords: extra.maxPollRecords } : {}),
    }),
    { bus, heartbeatMs: 0, control: false, lagIntervalMs: 0 },
  );
  defer(t, () => runner.stop('test over'));
  await runner.start();
  return runner;
}

for (const stack of stacks) {
  describe(`writer on ${stack.name}`, { skip: stack.skip }, () => {
    it('stores real trades, candles, sampled book tops and alerts exactly, one row per natural key, and a second copy of every record changes nothing', async (t) => {
      const bus = await stack.openBus(t);
      const db = await stack.openDb(t);
      const topics = uniqueTopics('writer');
      await tempProductTopics(t, bus, [
        topics.trades,
        ...Object.values(topics.candles),
        topics.bookTop,
        topics.alerts,
      ]);
      const data = await marketData(3000, 4000);
      const expected = expectedCounts(data);
      await produceAll(bus, topics, data);
      const runner = await startWriter(t, bus, db, topics);
      assert.ok(
        await eventually(async () => JSON.stringify(await counts(db)) === JSON.stringify(expected), 60_000),
        `rows ${JSON.stringify(await counts(db))}, expected ${JSON.stringify(expected)}`,
      );

      // Exact decimal text, as the exchange sent it (NUMERIC keeps the scale).
      const first = data.trades[0]!;
      const [stored] = await db.query<Record<string, unknown>>(
        'SELECT price::text AS price, quantity::text AS quantity, ts, local_ts, aggressor_side FROM trades WHERE exchange = $1 AND symbol = $2 AND trade_key = $3',
        [first.exchange, first.symbol, first.tradeId],
      );
      assert.deepEqual(
        {
          price: stored!['price'],
          quantity: stored!['quantity'],
          ts: Number(stored!['ts']),
          local: Number(stored!['local_ts']),
          side: stored!['aggressor_side'],
        },
        {
          price: first.price,
          quantity: first.quantity,
          ts: first.timestamp,
          local: first.localTimestamp,
          side: first.aggressorSide,
        },
      );
      // The Kraken trades have no ids; the repeated one in each frame is a row of its own.
      const kraken = data.trades.filter((x) => x.exchange === 'kraken').length;
      const [k] = await db.query<{ n: string | number; ids: string | number }>(
        "SELECT count(*) AS n, count(trade_id) AS ids FROM trades WHERE exchange = 'kraken'",
      );
      assert.equal(Number(k!.n), kraken);
      assert.equal(Number(k!.ids), 0);

      // Every candle is its final version, equal to the one published.
      const finals = data.candles.filter((c) => c.isFinal);
      const rows = await db.query<Record<string, unknown>>(
        'SELECT symbol, interval, open_time, close::text AS close, volume::text AS volume, quote_volume::text AS quote_volume, trades, is_final FROM candles',
      );
      const byKey = new Map(
        rows.map((r) => [`${String(r['symbol'])}|${String(r['interval'])}|${Number(r['open_time'])}`, r]),
      );
      assert.equal(byKey.size, finals.length);
      for (const c of finals) {
        const r = byKey.get(`${c.symbol}|${c.interval}|${c.openTime}`);
        assert.ok(r, `candle ${c.symbol} ${c.interval} ${c.openTime} stored`);
        assert.deepEqual(
          [r['close'], r['volume'], r['quote_volume'], Number(r['trades']), r['is_final']],
          [c.close, c.volume, c.quoteVolume, c.trades, true],
        );
      }

      // A book-top sample is the top with the latest event time (then update id) of its second.
      const latest = new Map<string, (typeof data.bookTops)[number]>();
      for (const b of data.bookTops) {
        const key = `${b.symbol}|${b.timestamp - (b.timestamp % 1000)}`;
        const cur = latest.get(key);
        if (
          !cur ||
          b.timestamp > cur.timestamp ||
          (b.timestamp === cur.timestamp && b.lastUpdateId! >= cur.lastUpdateId!)
        )
          latest.set(key, b);
      }
      const tops = await db.query<Record<string, unknown>>(
        'SELECT symbol, sample_time, last_update_id, bid_price::text AS bid, ask_quantity::text AS ask_qty FROM book_top',
      );
      for (const r of tops) {
        const b = latest.get(`${String(r['symbol'])}|${Number(r['sample_time'])}`)!;
        assert.deepEqual(
          [Number(r['last_update_id']), r['bid'], r['ask_qty']],
          [b.lastUpdateId, b.bid![0], b.ask![1]],
        );
      }

      // At-least-once delivery upstream: everything again, in the same order. Same rows.
      const before = await checksum(db);
      await produceAll(bus, topics, data);
      const end = async (): Promise<number> => {
        const admin = bus.admin();
        const lags = await admin.groupLag(runner.groupId, [topics.trades.topic, topics.alerts.topic]);
        await admin.close();
        return lags.reduce((s, l) => s + l.lag, 0);
      };
      assert.ok(await eventually(async () => (await end()) === 0, 60_000), 'the writer read the second copy');
      assert.deepEqual(await counts(db), expected);
      assert.equal(await checksum(db), before);
    });

    it('a malformed record goes to the DLQ with its reason, and the writer keeps storing the records after it', async (t) => {
      const bus = await stack.openBus(t);
      const db = await stack.openDb(t);
      const topics = uniqueTopics('writer-bad');
      await tempProductTopics(t, bus, [
        topics.trades,
        ...Object.values(topics.candles),
        topics.bookTop,
        topics.alerts,
      ]);
      const good = (await marketData(200, 0)).trades.filter((x) => x.symbol === 'BTCUSDT').slice(0, 100);
      const producer = bus.producer();
      const id = { service: 'test-feed', instance: 'test-feed-0' };
      await producer.sendBatch([
        ...good.slice(0, 50).map((v) => encode(topics.trades, v, id)),
        // Not JSON at all: refused when decoded.
        {
          topic: topics.trades.topic,
          key: 'binance:BTCUSDT',
          value: Buffer.from('{"exchange":"binance",'),
          headers: {},
        },
        // Valid by the schema, but PostgreSQL text cannot hold U+0000: refused by the writer.
        encode(topics.trades, { ...good[0]!, tradeId: 'bad\u0000id' }, id),
        ...good.slice(50).map((v) => encode(topics.trades, v, id)),
      ]);
      await producer.close();
      await startWriter(t, bus, db, topics);
      assert.ok(
        await eventually(async () => (await counts(db)).trades === 100, 30_000),
        'all good trades stored',
      );
      const dlq = await readAll(bus, deadLetterProduct(topics.trades).topic, (r) => r.length >= 2, 30_000);
      assert.equal(dlq.length, 2);
      const codes = dlq.map((r) => r.headers[DeadLetterHeaders.CODE]?.toString()).sort();
      assert.ok(codes.includes('WRITER_BAD_VALUE'), `codes ${codes.join(', ')}`);
    });

    it('migrations apply once, also when two writers start at once, and an edited applied migration is refused', async (t) => {
      const db = await stack.openDb(t);
      const versions = (await loadMigrations()).map((m) => m.version);
      if (db.kind === 'postgres') {
        const other = await openDatabase(await postgresUrl(), { schema: db.schema });
        defer(t, () => other.close());
        const both = await Promise.all([migrate(db), migrate(other)]);
        assert.deepEqual(
          both.map((v) => v.length).sort(),
          [0, versions.length],
          'one of them applied every migration, the other found them done',
        );
      } else {
        assert.deepEqual(await migrate(db), versions);
      }
      assert.deepEqual(await migrate(db), []);
      const [row] = await db.query<{ n: string | number }>(
        'SELECT count(*) AS n FROM streamforge_migrations',
      );
      assert.equal(Number(row!.n), versions.length);
      const edited = (await loadMigrations()).map((m) => ({ ...m, checksum: 'x' }));
      await assert.rejects(migrate(db, edited), /append-only/);
    });

    it('keys id-less Kraken trades by their place in the frame: one poll per record and a restart in between give the same rows as one big poll', async (t) => {
      const bus = await stack.openBus(t);
      const topics = uniqueTopics('writer-kraken');
      const one = { ...topics.trades, partitions: 1 };
      await tempProductTopics(t, bus, [one]);
      const kr = await krakenTrades();
      await produceValues(bus, one, kr);
      const keys = async (db: SqlDatabase): Promise<string[]> =>
        (await db.query<{ k: string }>('SELECT trade_key AS k FROM trades ORDER BY 1')).map((r) => r.k);

      const whole = await stack.openDb(t);
      await startWriter(t, bus, whole, { trades: one });
      assert.ok(await eventually(async () => (await counts(whole)).trades === kr.length, 30_000));

      const stepwise = await stack.openDb(t);
      const group = tempGroup(t, bus, 'writer-kraken-steps');
      const first = await startWriter(t, bus, stepwise, { trades: one }, { maxPollRecords: 1, name: group });
      assert.ok(await eventually(async () => (await counts(stepwise)).trades >= 2, 30_000));
      await first.stop('restart');
      // A new definition has no memory of the runs: it reads them back from writer_trade_runs.
      await startWriter(t, bus, stepwise, { trades: one }, { maxPollRecords: 1, name: group });
      assert.ok(await eventually(async () => (await counts(stepwise)).trades === kr.length, 30_000));
      assert.deepEqual(await keys(stepwise), await keys(whole));
    });
  });
}

describe('writer database retries', () => {
  it('retries failures without a SQLSTATE and transient classes, not data errors, and gives up after the attempts', async () => {
    assert.equal(isTransientDbError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(isTransientDbError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isTransientDbError(Object.assign(new Error('x'), { code: '57P01' })), true);
    assert.equal(isTransientDbError(Object.assign(new Error('x'), { code: '40001' })), true);
    assert.equal(isTransientDbError(Object.assign(new Error('x'), { code: '22P02' })), false);
    assert.equal(isTransientDbError(Object.assign(new Error('x'), { code: '42P01' })), false);
    const policy = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2, multiplier: 2, jitter: 0 };
    let calls = 0;
    assert.equal(
      await withDbRetry(
        async () => {
          if (++calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
          return 'ok';
        },
        undefined,
        policy,
      ),
      'ok',
    );
    calls = 0;
    await assert.rejects(
      withDbRetry(
        async () => {
          calls++;
          throw Object.assign(new Error('down'), { code: '57P03' });
        },
        undefined,
        policy,
      ),
      /after 3 attempts/,
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      withDbRetry(
        async () => {
          calls++;
          throw Object.assign(new Error('bad'), { code: '22003' });
        },
        undefined,
        policy,
      ),
    );
    assert.equal(calls, 1);
  });
});
