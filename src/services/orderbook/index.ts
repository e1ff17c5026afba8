// The order book service: L2 books per instrument from md.book.delta, published as md.book.top and md.book.depth.

import { bookDelta, bookDepth, bookTop, queueControl } from '../../contracts/index.ts';
import { type BookDelta, type BookTop } from '../../contracts/schema/book.ts';
import { type QueueCommand } from '../../contracts/schema/control.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';
import {
  type BatchContext,
  defineService,
  type HandlerContext,
  type KeyValueStore,
  type ServiceDefinition,
} from '../../runtime/index.ts';
import { type Serde } from '../../runtime/state/serde.ts';
import { type BookState, InstrumentBook, type Outcome, Outcomes, type SyncSettings } from './instrument.ts';

export { InstrumentBook, Outcomes, type Outcome } from './instrument.ts';

export interface OrderbookOptions {
  /** Consumer group and service name; default `orderbook`. */
  readonly name?: string;
  /** Levels per side in md.book.depth; default 20. */
  readonly depthLevels?: number;
  /** At most one md.book.depth per instrument per this many ms of event time; default 1000, 0 turns depth off. */
  readonly depthIntervalMs?: number;
  /** Deltas kept while awaiting a snapshot; default 10,000. */
  readonly maxBufferedDeltas?: number;
  /** Deltas seen without any snapshot before asking the loader for one; default 50 (5 s of a 100 ms stream). */
  readonly snapshotRequestAfter?: number;
  /** Deltas seen since asking before asking again; default 600 (a minute of a 100 ms stream). */
  readonly snapshotRetryAfter?: number;
  /** The loader a venue's snapshot requests go to; default service and queue `loader-<exchange>`. */
  readonly loaderOf?: (exchange: Exchange) => { readonly service: string; readonly queueId: string };
  /** Told every outcome that is not a plain apply (gaps, checksum mismatches, resyncs, crossed books). */
  readonly observe?: (event: OrderbookEvent) => void;
  readonly topics?: {
    readonly bookDelta?: typeof bookDelta;
    readonly bookTop?: typeof bookTop;
    readonly bookDepth?: typeof bookDepth;
    readonly control?: typeof queueControl;
  };
}

export interface OrderbookEvent {
  readonly key: string;
  readonly outcome: Outcome | 'crossed' | 'snapshot-requested';
  readonly problem?: string;
  readonly lastUpdateId: number;
}

const STORE = 'books';

/** Books are stored as their JSON text: made once per batch per changed book, read back only on restore. */
const textSerde: Serde<string> = {
  serialize: (value) => Buffer.from(value, 'utf8'),
  deserialize: (bytes) => bytes.toString('utf8'),
};

function positiveInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(
      `orderbook option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  return value;
}

/**
 * Rebuilds each instrument's book from `md.book.delta` under its venue's sequencing rules and
 * checksum. A gap, a checksum mismatch or an unreadable level makes the book invalid: nothing
 * is published for it, a `snapshot` command goes to the venue's loader on `queue-control`, and
 * the book resyncs from the snapshot the loader puts into the raw topic (no REST call here).
 * Books live in memory and are checkpointed to the `books` store once per batch, so a
 * restarted or moved instance resumes where the committed offsets are.
 */
export function createOrderbook(options: OrderbookOptions = {}): ServiceDefinition {
  const name = options.name ?? 'orderbook';
  const t = options.topics ?? {};
  const topics = {
    bookDelta: t.bookDelta ?? bookDelta,
    bookTop: t.bookTop ?? bookTop,
    bookDepth: t.bookDepth ?? bookDepth,
    control: t.control ?? queueControl,
  };
  const depthLevels = positiveInteger('depthLevels', options.depthLevels ?? 20, 1, 1000);
  const depthIntervalMs = positiveInteger('depthIntervalMs', options.depthIntervalMs ?? 1000, 0, 86_400_000);
  const settings: SyncSettings = {
    maxBuffered: positiveInteger('maxBufferedDeltas', options.maxBufferedDeltas ?? 10_000, 1, 1_000_000),
    requestAfter: positiveInteger('snapshotRequestAfter', options.snapshotRequestAfter ?? 50, 0, 1_000_000),
    retryAfter: positiveInteger('snapshotRetryAfter', options.snapshotRetryAfter ?? 600, 1, 1_000_000),
  };
  const loaderOf =
    options.loaderOf ??
    ((exchange: Exchange) => ({ service: `loader-${exchange}`, queueId: `loader-${exchange}` }));
  const observe = options.observe;
  let commands = 0;

  // Live books per store object: a store is made anew when its partition is assigned, so a
  // partition that left and came back is read from its changelog, never from a stale copy.
  const live = new WeakMap<KeyValueStore<string>, Map<string, InstrumentBook>>();
  const dirty = new Map<KeyValueStore<string>, Map<string, InstrumentBook>>();

  const bookFor = (store: KeyValueStore<string>, key: string, exchange: Exchange): InstrumentBook => {
    let books = live.get(store);
    if (!books) live.set(store, (books = new Map()));
    let book = books.get(key);
    if (!book) {
      const saved = store.get(key);
      book =
        saved === undefined
          ? new InstrumentBook(exchange, settings)
          : InstrumentBook.fromState(exchange, settings, JSON.parse(saved) as BookState);
      books.set(key, book);
    }
    return book;
  };

  const requestSnapshot = (ctx: HandlerContext, delta: BookDelta, book: InstrumentBook, key: string) => {
    const loader = loaderOf(delta.exchange);
    const command: QueueCommand = {
      command_id: `${name}.${key.replace(/[^A-Za-z0-9._:-]/g, '_')}.${Date.now()}.${++commands}`,
      queue_id: loader.queueId,
      target_service: loader.service,
      issued_by: name,
      issued_at: Date.now(),
      command: 'snapshot',
      args: { exchange: delta.exchange, symbol: delta.symbol },
    };
    ctx.emit(topics.control, command);
    book.requestSent();
    observe?.({ key, outcome: 'snapshot-requested', lastUpdateId: book.lastUpdateId });
  };

  const publish = (ctx: HandlerContext, delta: BookDelta, book: InstrumentBook, key: string) => {
    const { bids, asks } = book.book;
    if (book.book.isCrossed()) {
      observe?.({ key, outcome: 'crossed', lastUpdateId: book.lastUpdateId });
      return;
    }
    const p = book.published;
    const bp = bids.size > 0 ? bids.bestPriceText() : null;
    const bq = bids.size > 0 ? bids.bestQtyText() : null;
    const ap = asks.size > 0 ? asks.bestPriceText() : null;
    const aq = asks.size > 0 ? asks.bestQtyText() : null;
    if (bp !== p[0] || bq !== p[1] || ap !== p[2] || aq !== p[3]) {
      p[0] = bp;
      p[1] = bq;
      p[2] = ap;
      p[3] = aq;
      const top: BookTop = {
        exchange: delta.exchange,
        symbol: delta.symbol,
        timestamp: delta.timestamp,
        localTimestamp: delta.localTimestamp,
        ...(book.lastUpdateId >= 0 ? { lastUpdateId: book.lastUpdateId } : {}),
        bid: bp === null ? null : [bp, bq!],
        ask: ap === null ? null : [ap, aq!],
      };
      ctx.emit(topics.bookTop, top, { key });
    }
    if (depthIntervalMs > 0) {
      const slot = Math.floor(delta.timestamp / depthIntervalMs);
      if (slot > book.depthSlot) {
        book.depthSlot = slot;
        ctx.emit(
          topics.bookDepth,
          {
            exchange: delta.exchange,
            symbol: delta.symbol,
            timestamp: delta.timestamp,
            localTimestamp: delta.localTimestamp,
            ...(book.lastUpdateId >= 0 ? { lastUpdateId: book.lastUpdateId } : {}),
            depth: depthLevels,
            bids: bids.levels(depthLevels),
            asks: asks.levels(depthLevels),
          },
          { key },
        );
      }
    }
  };

  return defineService({
    name,
    description:
      'md.book.delta -> validated L2 books -> md.book.top (every change) and md.book.depth (throttled)',
    consumes: [topics.bookDelta],
    produces: [topics.bookTop, topics.bookDepth, topics.control],
    stores: { [STORE]: { serde: textSerde } },
    maxPollRecords: 500,
    handle(input, ctx) {
      const delta = input.value;
      const key = input.key ?? `${delta.exchange}:${delta.symbol}`;
      const store = ctx.store<string>(STORE);
      const book = bookFor(store, key, delta.exchange);
      const outcome = book.onDelta(delta);
      let changed = dirty.get(store);
      if (!changed) dirty.set(store, (changed = new Map()));
      changed.set(key, book);
      if (outcome !== Outcomes.APPLIED && outcome !== Outcomes.BUFFERED && observe)
        observe({
          key,
          outcome,
          lastUpdateId: book.lastUpdateId,
          ...(book.valid ? {} : { problem: book.lastProblem }),
        });
      if (book.snapshotDue) requestSnapshot(ctx, delta, book, key);
      if (book.valid && (outcome === Outcomes.APPLIED || outcome === Outcomes.SYNCED))
        publish(ctx, delta, book, key);
    },
    afterBatch(ctx: BatchContext) {
      for (const partition of ctx.partitions) {
        const store = ctx.store<string>(STORE, partition);
        const changed = dirty.get(store);
        if (!changed) continue;
        for (const [key, book] of changed) store.put(key, JSON.stringify(book.toState()));
        dirty.delete(store);
      }
    },
  });
}

export default createOrderbook();
