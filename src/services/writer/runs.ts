// Natural keys for trades that carry no exchange id (Kraken v1): numbered by their place in the frame.

import { type PendingBatch, type IdlessTrade } from './batch.ts';
import { tradeContentHash } from './rows.ts';
import { type SqlExecutor } from './db/types.ts';

/** The trades of one frame seen so far on a partition, up to (not including) `nextOffset`. */
interface RunState {
  readonly nextOffset: number;
  /** exchange, symbol and receive time: what one frame's trades share. Null: no frame open. */
  readonly frame: string | null;
  readonly counts: Record<string, number>;
}

/**
 * Kraken v1 sends trades without ids, and one frame may hold two trades that are identical
 * (same time to the millisecond, price, quantity, side: one taker order filling two resting
 * orders of the same size). Their key is `~<receive ms>:<content hash>:<n>`, where n counts the
 * identical trades before it in the same frame. A frame's trades are consecutive records of
 * one partition (the parser emits them together, under one key), and they share exchange,
 * symbol and receive time, so n depends on the log only: a replay, a rebuilt topic or another
 * writer gives the same keys. Within a batch n is counted directly. A batch that ends inside a
 * frame stores the counts for the next offset (table writer_trade_runs) in its transaction,
 * so the writer that resumes at that committed offset, after a crash or on another host,
 * goes on counting where it stopped.
 *
 * Weak spot: identical trades separated by a record that went to the DLQ are taken for two
 * frames, and would get one key.
 */
export class TradeRuns {
  /** The state at the end of the last committed batch per partition: spares a lookup per batch. */
  readonly #memory = new Map<string, RunState>();

  /**
   * Keys the batch's id-less trades (moving them into `batch.trades`) and writes the states a
   * restart needs; returns what to remember once the transaction has committed.
   */
  async number(tx: SqlExecutor, batch: PendingBatch): Promise<() => void> {
    const working = new Map<string, RunState>();
    for (const t of batch.idless) {
      const tp = `${t.topic}\0${t.partition}`;
      const state = working.get(tp) ?? (await this.#resume(tx, t, batch.firstOffsets.get(tp)));
      const frame = `${t.row.exchange}|${t.row.symbol}|${t.row.localTs}`;
      const continues = state !== undefined && state.nextOffset === t.offset && state.frame === frame;
      const counts: Record<string, number> = continues ? state.counts : {};
      const hash = tradeContentHash(t.row);
      const n = counts[hash] ?? 0;
      counts[hash] = n + 1;
      t.row.tradeKey = `~${t.row.localTs}:${hash}:${n}`;
      batch.addTrade(t.row);
      working.set(tp, { nextOffset: t.offset + 1, frame, counts });
    }
    const ends = new Map<string, RunState>();
    const open: Array<{ tp: string; state: RunState }> = [];
    for (const [tp, last] of batch.lastOffsets) {
      const state = working.get(tp);
      const end =
        state && state.nextOffset === last + 1 ? state : { nextOffset: last + 1, frame: null, counts: {} };
      ends.set(tp, end);
      if (end.frame !== null) open.push({ tp, state: end });
    }
    if (open.length > 0) {
      await tx.query(
        `INSERT INTO writer_trade_runs (topic, partition, next_offset, frame, counts)
         SELECT t, p, o, f, c::jsonb FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::text[]) AS u(t, p, o, f, c)
         ON CONFLICT (topic, partition, next_offset) DO UPDATE SET frame = EXCLUDED.frame, counts = EXCLUDED.counts`,
        [
          open.map((o) => o.tp.split('\0')[0]),
          open.map((o) => Number(o.tp.split('\0')[1])),
          open.map((o) => o.state.nextOffset),
          open.map((o) => o.state.frame),
          open.map((o) => JSON.stringify(o.state.counts)),
        ],
      );
    }
    return () => {
      for (const [tp, state] of ends) this.#memory.set(tp, state);
    };
  }

  /** The frame open just before `t`, when `t` is the first record of its partition in the batch. */
  async #resume(
    tx: SqlExecutor,
    t: IdlessTrade,
    firstOffset: number | undefined,
  ): Promise<RunState | undefined> {
    // The record before it was handled in this batch and was no id-less trade.
    if (firstOffset !== undefined && t.offset > firstOffset) return undefined;
    const remembered = this.#memory.get(`${t.topic}\0${t.partition}`);
    if (remembered && remembered.nextOffset === t.offset)
      return { ...remembered, counts: { ...remembered.counts } };
    if (t.offset === 0) return undefined;
    const [row] = await tx.query<{ frame: string; counts: Record<string, number> | string }>(
      'SELECT frame, counts FROM writer_trade_runs WHERE topic = $1 AND partition = $2 AND next_offset = $3',
      [t.topic, t.partition, t.offset],
    );
    if (!row) return undefined;
    const counts =
      typeof row.counts === 'string' ? (JSON.parse(row.counts) as Record<string, number>) : row.counts;
    return { nextOffset: t.offset, frame: row.frame, counts: { ...counts } };
  }
}
