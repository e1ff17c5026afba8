// The backfill job: historical klines or aggregate trades from Binance REST, page by page, into md.raw as the loader writes them.

import { type BytesProduct, rawTopics } from '../../contracts/index.ts';
import { defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { type SourceContext } from '../../runtime/service.ts';
import {
  type BinanceExchange,
  BinanceRest,
  type BinanceRestOptions,
  type RestResult,
} from '../../venues/binance/transport/index.ts';
import { fixedIntervalMs, intervalsOf } from '../../venues/binance/intervals.ts';
import { RawWriter } from '../loader/raw-writer.ts';
import { CheckpointFile, type CheckpointStore } from './checkpoint.ts';

export { type Checkpoint, CheckpointFile, type CheckpointStore } from './checkpoint.ts';

export type BackfillKind = { readonly klines: string } | { readonly aggTrades: true };

export interface BackfillOptions {
  readonly exchange: BinanceExchange;
  readonly symbol: string;
  readonly kind: BackfillKind;
  /** Inclusive start and end, ms since the epoch. */
  readonly from: number;
  readonly to: number;
  readonly restUrl: string;
  /** Where checkpoints live; a job interrupted and started again with the same arguments resumes. */
  readonly checkpointDir: string;
  readonly name?: string;
  readonly product?: BytesProduct;
  readonly rest?: Partial<Omit<BinanceRestOptions, 'exchange' | 'restUrl'>>;
  /** Rows per request; default the most Binance allows (1000). */
  readonly pageLimit?: number;
  /** Called after each page, for the terminal. */
  readonly onPage?: (progress: { rows: number; pages: number; next: number; total?: number }) => void;
}

export function backfillJobId(
  o: Pick<BackfillOptions, 'exchange' | 'symbol' | 'kind' | 'from' | 'to'>,
): string {
  const what = 'klines' in o.kind ? `klines-${o.kind.klines}` : 'aggtrades';
  return `${o.exchange}-${o.symbol}-${what}-${o.from}-${o.to}`;
}

/** A finite source running `walkBackfill` with a checkpoint file; progress on queue-events and `onPage`. */
export function createBackfill(options: BackfillOptions): ServiceDefinition {
  const plan = backfillPlan(options);
  const raw = new RawWriter(options.exchange, options.product ?? rawTopics[options.exchange]);
  return defineService({
    name: options.name ?? 'backfill',
    description: `backfill ${plan.jobId} into ${raw.product.topic}`,
    consumes: [],
    produces: [raw.product],
    async source(ctx) {
      await walkBackfill(ctx, options, new CheckpointFile(options.checkpointDir, plan.jobId), (p) => {
        ctx.progress(p.rows, p.total);
        options.onPage?.(p);
      });
    },
  });
}

/** What a range walk needs to know before it starts: the job's id, its interval and how many rows to expect. */
export interface BackfillPlan {
  readonly jobId: string;
  /** The kline interval in ms; undefined for aggTrades. */
  readonly intervalMs: number | undefined;
  /** Klines expected in the range, when that can be known. */
  readonly total: number | undefined;
}

/** Checks a job's arguments; errors name the wrong one and what would be right. */
export function backfillPlan(
  o: Pick<BackfillOptions, 'exchange' | 'symbol' | 'kind' | 'from' | 'to'>,
): BackfillPlan {
  const { exchange, kind, from, to } = o;
  if (!(from <= to)) throw new Error(`backfill --from ${new Date(from).toISOString()} is after --to`);
  // Pages resume at the next open time, which needs intervals of a fixed length (not 1w, 1M).
  const fixed = intervalsOf(exchange).filter((i) => fixedIntervalMs(i) !== undefined);
  const intervalMs =
    'klines' in kind && fixed.includes(kind.klines) ? fixedIntervalMs(kind.klines) : undefined;
  if ('klines' in kind && intervalMs === undefined)
    throw new Error(`--klines ${kind.klines} is not a Binance interval (${fixed.join(', ')})`);
  const total = intervalMs === undefined ? undefined : Math.floor((to - from) / intervalMs) + 1;
  return { jobId: backfillJobId(o), intervalMs, total };
}

export interface BackfillProgress {
  readonly rows: number;
  readonly pages: number;
  readonly next: number;
  readonly total?: number;
}

/** What the walk writes through: a source's context, or the job worker's background context. */
export type BackfillSink = Pick<SourceContext, 'emitBytes' | 'flush' | 'signal'>;

/**
 * Walks the range page by page (klines by open time, aggTrades by id, so no row is missed or
 * written twice at a page boundary), writes every REST body to md.raw.<exchange> as a `rest`
 * frame (the parser turns it into md.klines / md.trades, as live data), and saves a checkpoint
 * once a page is acknowledged; a walk started again with the same checkpoints resumes after the
 * last saved page. Weight and 429s are the REST client's business: it never provokes a ban.
 * Returns the rows loaded in all (resumed runs included).
 */
export async function walkBackfill(
  sink: BackfillSink,
  options: Omit<BackfillOptions, 'checkpointDir' | 'name' | 'onPage'>,
  checkpoints: CheckpointStore,
  onPage: (progress: BackfillProgress) => void,
): Promise<number> {
  const { exchange, symbol, kind, from, to } = options;
  const { jobId, intervalMs: interval, total } = backfillPlan(options);
  const raw = new RawWriter(exchange, options.product ?? rawTopics[exchange]);
  const resumed = await checkpoints.load();
  let rows = resumed?.rows ?? 0;
  let pages = resumed?.pages ?? 0;
  const rest = new BinanceRest({ ...options.rest, exchange, restUrl: options.restUrl });
  const paging = options.pageLimit === undefined ? {} : { pageLimit: options.pageLimit };
  try {
    const walk: AsyncGenerator<RestResult<readonly unknown[]>> =
      interval !== undefined
        ? rest.klinesRange(symbol, (kind as { klines: string }).klines, resumed?.next ?? from, to, paging)
        : rest.aggTradesFrom(symbol, resumed ? { fromId: resumed.next } : { startTime: from }, to, paging);
    for await (const page of walk) {
      if (sink.signal.aborted) break;
      raw.rest(sink, page, `backfill:${jobId}`, pages);
      const rowsOf = page.json as ReadonlyArray<readonly [number] | { a: number }>;
      if (rowsOf.length === 0) continue;
      const last = rowsOf[rowsOf.length - 1]!;
      const next =
        interval !== undefined ? (last as readonly [number])[0] + interval : (last as { a: number }).a + 1;
      rows += rowsOf.length;
      pages++;
      // The checkpoint moves only past what the bus has acknowledged.
      await sink.flush();
      await checkpoints.save({ next, rows, pages });
      onPage({ rows, pages, next, ...(total === undefined ? {} : { total }) });
    }
  } finally {
    rest.close();
  }
  return rows;
}
