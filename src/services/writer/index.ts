// The writer service: market data topics into SQL (PostgreSQL or PGlite), idempotently, one transaction per poll.

import { alerts, bookTop, candles, type JsonProduct, type Product, trades } from '../../contracts/index.ts';
import { type Candle, type CandleInterval } from '../../contracts/schema/candles.ts';
import { defineService, isFrom, type RetryPolicy, type ServiceDefinition } from '../../runtime/index.ts';
import { PendingBatch } from './batch.ts';
import { writerOptionsFromEnv } from './config.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open.ts';
import { DB_RETRY, withDbRetry } from './db/retry.ts';
import { type SqlDatabase } from './db/types.ts';
import { DatabaseLease } from './lease.ts';
import { alertRow, bookTopRow, candleRow, tradeRow } from './rows.ts';
import { TradeRuns } from './runs.ts';
import { upsertBatch } from './upserts.ts';

export { defaultDatabaseUrl, writerOptionsFromEnv } from './config.ts';
export { loadMigrations, migrate } from './db/migrate.ts';
export { DEFAULT_SCHEMA, openDatabase } from './db/open.ts';
export { isTransientDbError, withDbRetry } from './db/retry.ts';
export { type DatabaseKind, DatabaseKinds, type SqlDatabase, type SqlExecutor } from './db/types.ts';
export { parseDatabaseUrl, redact } from './db/url.ts';
export { WriterErrorCodes } from './rows.ts';

export interface WriterOptions {
  /** Service and consumer-group name; default `writer`. */
  readonly name?: string;
  /**
   * postgres://user@host:port/db for PostgreSQL; pglite:<dir>, a directory or pglite:memory for
   * the embedded store; or a database the caller opened and closes itself. Default:
   * STREAMFORGE_DATABASE_URL, else from the bus (see config.ts).
   */
  readonly database?: string | SqlDatabase;
  /** Schema (search_path) of the tables, created on start; default `public` or the address's `?schema=`. */
  readonly schema?: string;
  /** At most one book-top row per instrument per this many ms of event time; default 1000. 0 or 1: one per ms. */
  readonly bookTopSampleMs?: number;
  /** Records per poll, so rows per transaction; default 2000. */
  readonly maxPollRecords?: number;
  /** How transient database failures are retried before the instance fails; default ~25 s in 8 attempts. */
  readonly dbRetry?: RetryPolicy;
  /** Other topics than the catalog's (tests on a shared broker, a parallel rebuild); an omitted product is not persisted when `only` is set. */
  readonly topics?: {
    readonly trades?: typeof trades;
    readonly candles?: Partial<Readonly<Record<CandleInterval, JsonProduct<Candle>>>>;
    readonly bookTop?: typeof bookTop;
    readonly alerts?: typeof alerts;
  };
  /** Persist only the products given in `topics` (default: every product, catalog topics where not overridden). */
  readonly only?: boolean;
}

/**
 * Persists md.trades, md.candles.<interval> (all intervals), md.book.top (sampled in event time)
 * and md.alerts. handle() turns each record into a row keyed by its natural id; afterBatch()
 * upserts the poll's rows in one transaction, and only when it commits does the runtime commit
 * the poll's offsets. A crash before the commit replays rows the database may already hold,
 * which the upserts turn into the same rows: nothing lost, nothing doubled. A record that
 * cannot be stored (U+0000 in text) goes to the DLQ alone; a batch that fails on transient
 * database errors after the retries fails the instance without committing anything.
 */
export function createWriter(options: WriterOptions = {}): ServiceDefinition {
  const t = options.topics ?? {};
  const all = !options.only;
  const tradesTopic = t.trades ?? (all ? trades : undefined);
  const bookTopTopic = t.bookTop ?? (all ? bookTop : undefined);
  const alertsTopic = t.alerts ?? (all ? alerts : undefined);
  const candleTopics = all ? { ...candles, ...t.candles } : { ...t.candles };
  const candleProducts = Object.values(candleTopics).filter((p): p is JsonProduct<Candle> => p !== undefined);
  const consumes: Product[] = [
    ...(tradesTopic ? [tradesTopic] : []),
    ...candleProducts,
    ...(bookTopTopic ? [bookTopTopic] : []),
    ...(alertsTopic ? [alertsTopic] : []),
  ];
  const candleTopicNames = new Set(candleProducts.map((p) => p.topic));
  const sampleMs = options.bookTopSampleMs ?? 1000;
  if (!Number.isSafeInteger(sampleMs) || sampleMs < 0)
    throw new Error(`writer: bookTopSampleMs must be a non-negative integer, got ${sampleMs}`);
  const retry = options.dbRetry ?? DB_RETRY;

  const given = options.database;
  const lease =
    typeof given === 'object'
      ? new DatabaseLease(
          async () => (await migrate(given), given),
          async () => undefined,
        )
      : new DatabaseLease(
          async () => {
            const url = given ?? writerOptionsFromEnv().database;
            const db = await openDatabase(
              url,
              options.schema === undefined ? {} : { schema: options.schema },
            );
            try {
              await migrate(db);
            } catch (error) {
              await db.close().catch(() => undefined);
              throw error;
            }
            return db;
          },
          (db) => db.close(),
        );
  const runs = new TradeRuns();
  // Replicas in one process share this definition: each instance has its own batch.
  const pending = new Map<AbortSignal, PendingBatch>();
  const batchOf = (signal: AbortSignal): PendingBatch => {
    let batch = pending.get(signal);
    if (!batch) pending.set(signal, (batch = new PendingBatch()));
    return batch;
  };

  return defineService({
    name: options.name ?? 'writer',
    description:
      'trades, candles, sampled book tops and alerts -> SQL (PostgreSQL or PGlite), idempotent upserts',
    consumes,
    produces: [],
    maxPollRecords: options.maxPollRecords ?? 2000,
    // Open and migrate before joining the group: a first batch that waited for it could outlast the group's timeouts.
    async onStart(ctx) {
      await withDbRetry(() => lease.use(ctx.signal, async () => undefined), ctx.signal, retry);
    },
    handle(input, ctx) {
      const batch = batchOf(ctx.signal);
      if (tradesTopic && isFrom(input, tradesTopic)) {
        const { record } = input;
        batch.sawTradeRecord(record.topic, record.partition, record.offset);
        const row = tradeRow(input.value);
        if (row.tradeId !== null) batch.addTrade(row);
        else
          batch.idless.push({ row, topic: record.topic, partition: record.partition, offset: record.offset });
      } else if (candleTopicNames.has(input.record.topic)) {
        batch.addCandle(candleRow(input.value as Candle));
      } else if (bookTopTopic && isFrom(input, bookTopTopic)) {
        batch.addBookTop(bookTopRow(input.value, sampleMs));
      } else if (alertsTopic && isFrom(input, alertsTopic)) {
        batch.addAlert(alertRow(input.value));
      }
    },
    async afterBatch(ctx) {
      const batch = pending.get(ctx.signal);
      pending.delete(ctx.signal);
      if (!batch || batch.size === 0) return;
      await withDbRetry(
        () =>
          lease.use(ctx.signal, async (db) => {
            const remember = await db.transaction(async (tx) => {
              const remembered = await runs.number(tx, batch);
              await upsertBatch(tx, batch);
              return remembered;
            });
            remember();
          }),
        ctx.signal,
        retry,
      );
    },
  });
}

/** The writer as `streamforge run writer` starts it: settings from the environment (config.ts). */
export default createWriter(writerOptionsFromEnv());
