// The persist job: the range's klines from md.klines (read on their own partition, not in a group) upserted into SQL.

import { partitionForKey } from '../../bus/murmur2.ts';
import { type Bus } from '../../bus/types.ts';
import { decode, type JsonProduct } from '../../contracts/index.ts';
import { type Kline } from '../../contracts/schema/candles.ts';
import { type SqlDatabase, type SqlExecutor } from '../writer/db/types.ts';
import { type JobSpec } from './args.ts';
import { loadJob, saveCheckpoint } from './store.ts';

export interface PersistRun {
  readonly spec: JobSpec;
  readonly db: SqlDatabase;
  readonly bus: Bus;
  readonly klines: JsonProduct<Kline>;
  readonly clientId: string;
  readonly signal: AbortSignal;
  /** Klines the range must have before the job is done. */
  readonly expected: number;
  /**
   * Where a first attempt starts reading: the first record written at or after this time (the
   * workflow's backfill began a little later, so every kline it caused is after it); from the
   * beginning of the partition when null.
   */
  readonly since: number | null;
  progress(loaded: number, total: number): void;
}

const COLUMNS = 14;
const CHUNK = 500;

/**
 * Reads the instrument's partition of md.klines from the job's checkpoint (the next offset, saved
 * in the same transaction as the rows it covers), else from `since`, else from the beginning; keeps the klines of the
 * job's interval and range, and upserts them by (exchange, symbol, interval, open time): a kline
 * read twice, as interim and final or after a restart, is one row holding its latest values. The
 * job ends when every expected kline is stored; until then it waits for the parser to produce
 * them (the orchestrator's watchdog decides when waiting has lasted too long).
 */
export async function runPersist(run: PersistRun): Promise<number> {
  const { spec, db, klines, signal } = run;
  const key = `${spec.exchange}:${spec.symbol}`;
  const tp = { topic: klines.topic, partition: partitionForKey(Buffer.from(key), klines.partitions) };
  let stored = await countStored(db, spec);
  run.progress(stored, run.expected);
  if (stored >= run.expected) return stored;
  const consumer = run.bus.consumer({ clientId: run.clientId, maxPollRecords: 2000 });
  try {
    await consumer.assign([tp]);
    const checkpoint = (await loadJob(db, spec.queueId))?.checkpoint as { offset?: number } | null;
    if (checkpoint && Number.isSafeInteger(checkpoint.offset)) consumer.seek(tp, checkpoint.offset!);
    else if (run.since !== null) await consumer.seekToTimestamp(run.since, [tp]);
    else await consumer.seekToBeginning([tp]);
    while (!signal.aborted && stored < run.expected) {
      const records = await consumer.poll({ timeoutMs: 500 });
      if (records.length === 0) continue;
      const rows: Kline[] = [];
      for (const record of records) {
        if (record.key?.toString('utf8') !== key) continue;
        let kline: Kline;
        try {
          kline = decode(klines, record).value;
        } catch {
          continue; // not ours to judge: the parser's consumers dead-letter what fails its contract
        }
        if (kline.interval === spec.interval && kline.openTime >= spec.from && kline.openTime <= spec.to)
          rows.push(kline);
      }
      const next = records[records.length - 1]!.offset + 1;
      stored = await db.transaction(async (tx) => {
        await upsertKlines(tx, rows);
        const n = await countStored(tx, spec);
        await saveCheckpoint(tx, spec.queueId, { offset: next }, n, run.expected);
        return n;
      });
      run.progress(stored, run.expected);
    }
  } finally {
    await consumer.close().catch(() => undefined);
  }
  return stored;
}

export async function countStored(db: SqlExecutor, spec: JobSpec): Promise<number> {
  const [row] = await db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM klines
     WHERE exchange = $1 AND symbol = $2 AND interval = $3 AND open_time BETWEEN $4 AND $5`,
    [spec.exchange, spec.symbol, spec.interval, spec.from, spec.to],
  );
  return Number(row!.n);
}

async function upsertKlines(tx: SqlExecutor, rows: readonly Kline[]): Promise<void> {
  // Last one wins within a statement too: ON CONFLICT cannot touch one row twice in one INSERT.
  const byOpen = new Map<number, Kline>();
  for (const k of rows) byOpen.set(k.openTime, k);
  const unique = [...byOpen.values()];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((k, j) => {
      params.push(
        k.exchange,
        k.symbol,
        k.interval,
        k.openTime,
        k.closeTime,
        k.open,
        k.high,
        k.low,
        k.close,
        k.volume,
        k.quoteVolume ?? null,
        k.trades ?? null,
        k.takerBuyVolume ?? null,
        k.takerBuyQuoteVolume ?? null,
      );
      const base = j * COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, c) => `$${base + c + 1}`).join(', ')})`;
    });
    await tx.query(
      `INSERT INTO klines (exchange, symbol, interval, open_time, close_time, open, high, low, close, volume,
         quote_volume, trades, taker_buy_volume, taker_buy_quote_volume)
       VALUES ${tuples.join(', ')}
       ON CONFLICT (exchange, symbol, interval, open_time) DO UPDATE SET
         close_time = EXCLUDED.close_time, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
         close = EXCLUDED.close, volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
         trades = EXCLUDED.trades, taker_buy_volume = EXCLUDED.taker_buy_volume,
         taker_buy_quote_volume = EXCLUDED.taker_buy_quote_volume`,
      params,
    );
  }
}
