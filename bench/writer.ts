// Writer throughput: rows/s of its own batch upsert path into PostgreSQL and PGlite, next to plain multi-row INSERT and COPY of the same rows.

import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type Trade } from '../src/contracts/schema/trades.ts';
import { PendingBatch } from '../src/services/writer/batch.ts';
import { migrate, openDatabase, type SqlDatabase } from '../src/services/writer/index.ts';
import { tradeRow } from '../src/services/writer/rows.ts';
import { TradeRuns } from '../src/services/writer/runs.ts';
import { upsertBatch } from '../src/services/writer/upserts.ts';
import { readCapture, toRawFrame } from '../src/venues/capture/index.ts';
import { mapperFor } from '../src/venues/mappers.ts';
import { progress } from './types.ts';

const CAPTURES = path.resolve(import.meta.dirname, '../../shared/data/market/binance-spot-hftbacktest');

export interface WriterBenchOptions {
  /** Trades written per measurement; default 60,000. */
  readonly rows?: number;
  /** Rows per transaction, as the writer's default poll; default 2,000. */
  readonly batch?: number;
  /** Default STREAMFORGE_BENCH_POSTGRES, else postgres://postgres@127.0.0.1:5432/test; null skips PostgreSQL. */
  readonly postgresUrl?: string | null;
}

export interface WriterBenchRow {
  readonly store: 'postgres' | 'pglite';
  /** The writer's path: rows from records, keys, one transaction per batch of unnest upserts. */
  readonly writerRowsPerSec: number;
  /** Reference: one plain multi-row INSERT ... VALUES per batch into a table without the writer's index. */
  readonly insertRowsPerSec: number;
  /** Reference: one COPY FROM STDIN per batch (PostgreSQL only; PGlite has no COPY FROM STDIN). */
  readonly copyRowsPerSec: number | null;
  readonly writerVsInsert: number;
  readonly writerVsCopy: number | null;
}

export interface WriterBenchResult {
  readonly rows: number;
  readonly batch: number;
  readonly results: readonly WriterBenchRow[];
  readonly skipped: readonly string[];
  readonly note: string;
}

async function realTrades(count: number): Promise<Trade[]> {
  const mapper = mapperFor('binance');
  const out: Trade[] = [];
  let seq = 0;
  for (const file of ['spot_btcusdt_20240808.gz', 'spot_ethusdt_20240808.gz']) {
    for await (const frame of readCapture(path.join(CAPTURES, file))) {
      if (!frame.body.includes('@trade"')) continue;
      for (const e of mapper.map(toRawFrame(frame, 'binance', 'bench', seq++)).events)
        if (e.type === 'trade') out.push(e.value);
      if (out.length >= count) return out.slice(0, count);
    }
  }
  return out;
}

// The same key and time index as the writer's table: the comparison is of the write path, not of indexes.
const refTable = (name: string): string =>
  `CREATE TABLE ${name} (exchange text, symbol text, trade_id text, ts bigint, local_ts bigint,
     price numeric, quantity numeric, aggressor_side text, PRIMARY KEY (exchange, symbol, trade_id));
   CREATE INDEX ${name}_symbol_ts ON ${name} (symbol, ts);`;

async function timed(fn: () => Promise<void>, rows: number): Promise<number> {
  const t0 = performance.now();
  await fn();
  return Math.round(rows / ((performance.now() - t0) / 1000));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What afterBatch does for a poll of trades, without the bus. */
async function writerPath(db: SqlDatabase, trades: readonly Trade[], batch: number): Promise<void> {
  const runs = new TradeRuns();
  let offset = 0;
  for (const part of chunks(trades, batch)) {
    const pending = new PendingBatch();
    for (const t of part) {
      pending.sawTradeRecord('bench', 0, offset++);
      pending.addTrade(tradeRow(t));
    }
    await db.transaction(async (tx) => {
      await runs.number(tx, pending);
      await upsertBatch(tx, pending);
    });
  }
}

async function insertPath(db: SqlDatabase, trades: readonly Trade[], batch: number): Promise<void> {
  for (const part of chunks(trades, batch)) {
    const params: unknown[] = [];
    const values = part.map((t) => {
      const n = params.length;
      params.push(
        t.exchange,
        t.symbol,
        t.tradeId,
        t.timestamp,
        t.localTimestamp,
        t.price,
        t.quantity,
        t.aggressorSide,
      );
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8})`;
    });
    await db.transaction((tx) => tx.query(`INSERT INTO ref_insert VALUES ${values.join(',')}`, params));
  }
}

async function copyPath(url: string, schema: string, trades: readonly Trade[], batch: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    for (const part of chunks(trades, batch)) {
      await client.query('BEGIN');
      const text = part
        .map(
          (t) =>
            `${t.exchange}\t${t.symbol}\t${t.tradeId}\t${t.timestamp}\t${t.localTimestamp}\t${t.price}\t${t.quantity}\t${t.aggressorSide}\n`,
        )
        .join('');
      await pipeline(Readable.from([text]), client.query(copyFrom('COPY ref_copy FROM STDIN')));
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}

async function measure(
  db: SqlDatabase,
  trades: readonly Trade[],
  batch: number,
  copy: (() => Promise<void>) | null,
): Promise<WriterBenchRow> {
  await migrate(db);
  await db.exec(refTable('ref_insert') + refTable('ref_copy'));
  // A warm-up pass of each path on a slice, so that neither pays for first-use planning alone.
  const warm = trades.slice(0, batch);
  await writerPath(db, warm, batch);
  await insertPath(db, warm, batch);
  await db.exec('TRUNCATE trades, writer_trade_runs, ref_insert');
  const writerRowsPerSec = await timed(() => writerPath(db, trades, batch), trades.length);
  const insertRowsPerSec = await timed(() => insertPath(db, trades, batch), trades.length);
  const copyRowsPerSec = copy ? await timed(copy, trades.length) : null;
  return {
    store: db.kind,
    writerRowsPerSec,
    insertRowsPerSec,
    copyRowsPerSec,
    writerVsInsert: Number((writerRowsPerSec / insertRowsPerSec).toFixed(2)),
    writerVsCopy: copyRowsPerSec ? Number((writerRowsPerSec / copyRowsPerSec).toFixed(2)) : null,
  };
}

export async function benchWriter(options: WriterBenchOptions = {}): Promise<WriterBenchResult> {
  const rows = options.rows ?? 60_000;
  const batch = options.batch ?? 2000;
  const trades = await realTrades(rows);
  const results: WriterBenchRow[] = [];
  const skipped: string[] = [];
  const url =
    options.postgresUrl === undefined
      ? (process.env['STREAMFORGE_BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test')
      : options.postgresUrl;
  if (url !== null) {
    const schema = `sf_bench_writer_${process.pid}`;
    let db: SqlDatabase | null = null;
    try {
      db = await openDatabase(url, { schema });
      progress(`writer: PostgreSQL, ${trades.length} trades`);
      results.push(await measure(db, trades, batch, () => copyPath(url, schema, trades, batch)));
    } catch (error) {
      skipped.push(`postgres: ${(error as Error).message}`);
    } finally {
      await db?.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db?.close();
    }
  }
  const lite = await openDatabase('pglite:memory', { schema: 'bench' });
  try {
    progress(`writer: PGlite, ${trades.length} trades`);
    results.push(await measure(lite, trades, batch, null));
  } finally {
    await lite.close();
  }
  return {
    rows: trades.length,
    batch,
    results,
    skipped,
    note:
      `${trades.length} real Binance BTCUSDT/ETHUSDT trades, ${batch} rows per transaction, one core. writer = the ` +
      "writer's afterBatch path without the bus (rows from records, keys, unnest upsert ON CONFLICT into the " +
      'indexed trades table); insert = plain multi-row INSERT VALUES (no ON CONFLICT) into a table with the same key and index; copy = COPY FROM STDIN ' +
      'per batch into such a table (PostgreSQL only). PGlite runs in memory, PostgreSQL is the local server.',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await benchWriter(), null, 2)}\n`);
}
