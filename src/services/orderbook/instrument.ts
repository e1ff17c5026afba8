// The book of one instrument with its sync state: snapshot, sequenced deltas, gap and checksum detection, resync.

import { type BookDelta } from '../../contracts/schema/book.ts';
import { type Exchange, type PriceLevel } from '../../contracts/schema/primitives.ts';
import { LevelError, OrderBook } from './book.ts';
import { type BookChecksum, checksumOf } from './checksum.ts';
import { gapReason, type SequenceRule, sequenceRuleOf, Verdicts, verdict } from './sequence.ts';

export const BookStatuses = {
  /** No valid book: waiting for a snapshot (at start, or after a gap); deltas are buffered. */
  AWAITING_SNAPSHOT: 'awaiting-snapshot',
  SYNCED: 'synced',
} as const;
export type BookStatus = (typeof BookStatuses)[keyof typeof BookStatuses];

export const Outcomes = {
  APPLIED: 'applied',
  STALE: 'stale',
  BUFFERED: 'buffered',
  /** A snapshot was loaded (and the deltas buffered before it replayed onto it). */
  SYNCED: 'synced',
  GAP: 'gap',
  CHECKSUM_MISMATCH: 'checksum-mismatch',
  BAD_LEVEL: 'bad-level',
} as const;
export type Outcome = (typeof Outcomes)[keyof typeof Outcomes];

export interface SyncSettings {
  /** Deltas buffered at most while awaiting a snapshot; the oldest go first (they would be stale). */
  readonly maxBuffered: number;
  /** Deltas seen without a snapshot (none asked for yet) before asking the loader for one. */
  readonly requestAfter: number;
  /** Deltas seen since asking, with no snapshot yet, before asking again. */
  readonly retryAfter: number;
}

/** Valid Kraken subscription depths: a snapshot's size rounds up to the depth it was taken at. */
const KRAKEN_DEPTHS = [10, 25, 100, 500, 1000] as const;

/** What the store keeps of a book: enough to resume without a resync. */
export interface BookState {
  readonly v: 1;
  readonly status: BookStatus;
  readonly lastUpdateId: number;
  readonly first: boolean;
  readonly depthLimit: number;
  readonly requested: boolean;
  readonly waiting: number;
  /** Levels best first, flattened: price, quantity, price, quantity, ... */
  readonly bids: readonly string[];
  readonly asks: readonly string[];
  readonly published: readonly (string | null)[];
  readonly depthSlot: number;
}

export class InstrumentBook {
  readonly book = new OrderBook();
  readonly rule: SequenceRule;
  readonly #checksum: BookChecksum | undefined;
  readonly #settings: SyncSettings;
  status: BookStatus = BookStatuses.AWAITING_SNAPSHOT;
  /** The last update id applied (the snapshot's until the first delta); -1: none known. */
  lastUpdateId = -1;
  #first = false;
  /** Levels per side the venue keeps (0: no limit). */
  #depthLimit = 0;
  #buffer: BookDelta[] = [];
  /** A snapshot was asked for and has not come yet. */
  requested = false;
  /** Deltas seen while awaiting a snapshot since the last request (or since the book was lost). */
  #waiting = 0;
  /** Why the book was last lost, for the log. */
  lastProblem = '';
  /** The top last published: bid price, bid qty, ask price, ask qty (null: side empty / none yet). */
  published: (string | null)[] = [null, null, null, null];
  /** The event-time slot (timestamp / depth interval) of the last depth snapshot published. */
  depthSlot = -1;
  /** Venue checksums that matched the rebuilt book (not kept across restarts: for tests and metrics). */
  checksumsVerified = 0;

  constructor(exchange: Exchange, settings: SyncSettings) {
    this.rule = sequenceRuleOf(exchange);
    this.#checksum = checksumOf(exchange);
    this.#settings = settings;
  }

  get valid(): boolean {
    return this.status === BookStatuses.SYNCED;
  }

  /** Whether a snapshot request is due now (the caller sends it, then calls `requestSent`). */
  get snapshotDue(): boolean {
    if (this.status !== BookStatuses.AWAITING_SNAPSHOT) return false;
    return this.requested
      ? this.#waiting >= this.#settings.retryAfter
      : this.#waiting >= this.#settings.requestAfter;
  }

  requestSent(): void {
    this.requested = true;
    this.#waiting = 0;
  }

  onDelta(delta: BookDelta): Outcome {
    if (delta.isSnapshot) return this.#load(delta);
    if (this.status === BookStatuses.AWAITING_SNAPSHOT) {
      if (this.#buffer.length >= this.#settings.maxBuffered) this.#buffer.shift();
      this.#buffer.push(delta);
      this.#waiting++;
      return Outcomes.BUFFERED;
    }
    return this.#sequenced(delta);
  }

  #load(snapshot: BookDelta): Outcome {
    this.book.clear();
    try {
      this.book.apply(snapshot.bids, this.book.bids);
      this.book.apply(snapshot.asks, this.book.asks);
    } catch (error) {
      return this.#lose(Outcomes.BAD_LEVEL, (error as Error).message, []);
    }
    this.#depthLimit = 0;
    if (this.#checksum?.truncatesToSnapshotDepth) {
      const n = Math.max(snapshot.bids.length, snapshot.asks.length);
      this.#depthLimit = KRAKEN_DEPTHS.find((d) => d >= n) ?? n;
    }
    this.status = BookStatuses.SYNCED;
    this.lastUpdateId = snapshot.lastUpdateId ?? -1;
    this.#first = true;
    this.requested = false;
    this.#waiting = 0;
    const check = this.#verifyChecksum(snapshot);
    if (check !== undefined) return check;
    const buffered = this.#buffer;
    this.#buffer = [];
    for (let i = 0; i < buffered.length; i++) {
      const outcome = this.#sequenced(buffered[i]!);
      if (outcome !== Outcomes.APPLIED && outcome !== Outcomes.STALE) {
        // The rest waits for the next snapshot with the delta that broke the sequence.
        this.#buffer.push(...buffered.slice(i + 1));
        return outcome;
      }
    }
    return Outcomes.SYNCED;
  }

  #sequenced(delta: BookDelta): Outcome {
    const v = verdict(this.rule, delta, this.lastUpdateId, this.#first);
    if (v === Verdicts.STALE) return Outcomes.STALE;
    if (v === Verdicts.GAP)
      return this.#lose(Outcomes.GAP, gapReason(this.rule, delta, this.lastUpdateId, this.#first), [delta]);
    const book = this.book;
    try {
      book.apply(delta.bids, book.bids);
      book.apply(delta.asks, book.asks);
    } catch (error) {
      if (!(error instanceof LevelError)) throw error;
      return this.#lose(Outcomes.BAD_LEVEL, error.message, []);
    }
    if (this.#depthLimit > 0) {
      book.bids.truncate(this.#depthLimit);
      book.asks.truncate(this.#depthLimit);
    }
    if (delta.lastUpdateId !== undefined) this.lastUpdateId = delta.lastUpdateId;
    this.#first = false;
    return this.#verifyChecksum(delta) ?? Outcomes.APPLIED;
  }

  #verifyChecksum(delta: BookDelta): Outcome | undefined {
    if (delta.checksum === undefined || this.#checksum === undefined) return undefined;
    const { depth, compute } = this.#checksum;
    const expected = delta.checksum;
    const actual = compute(this.book.bids.levels(depth), this.book.asks.levels(depth));
    // OKX sends it signed, Kraken unsigned: compare the 32 bits.
    if (actual >>> 0 === expected >>> 0) {
      this.checksumsVerified++;
      return undefined;
    }
    return this.#lose(
      Outcomes.CHECKSUM_MISMATCH,
      `checksum ${expected} expected, the book gives ${actual}`,
      [],
    );
  }

  /** The book can no longer be trusted: nothing is published until a snapshot restores it. */
  #lose(outcome: Outcome, problem: string, keep: BookDelta[]): Outcome {
    this.status = BookStatuses.AWAITING_SNAPSHOT;
    this.book.clear();
    this.lastProblem = problem;
    this.#buffer = keep;
    // Publish the top and depth again once valid, even if they equal what was last published.
    this.published = [null, null, null, null];
    this.depthSlot = -1;
    this.requested = false;
    // Ask at once: the loader's answer is the only way back.
    this.#waiting = this.#settings.requestAfter;
    return outcome;
  }

  toState(): BookState {
    const flat = (levels: PriceLevel[]): string[] => levels.flat();
    return {
      v: 1,
      status: this.status,
      lastUpdateId: this.lastUpdateId,
      first: this.#first,
      depthLimit: this.#depthLimit,
      requested: this.requested,
      waiting: this.#waiting,
      bids: flat(this.book.bids.levels(this.book.bids.size)),
      asks: flat(this.book.asks.levels(this.book.asks.size)),
      published: this.published,
      depthSlot: this.depthSlot,
    };
  }

  /** Rebuilds a book from its stored state (deltas buffered before a restart are not kept: see README). */
  static fromState(exchange: Exchange, settings: SyncSettings, state: BookState): InstrumentBook {
    const b = new InstrumentBook(exchange, settings);
    const pairs = (flat: readonly string[]): PriceLevel[] => {
      const out: PriceLevel[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
      return out;
    };
    b.book.apply(pairs(state.bids), b.book.bids);
    b.book.apply(pairs(state.asks), b.book.asks);
    b.status = state.status;
    b.lastUpdateId = state.lastUpdateId;
    b.#first = state.first;
    b.#depthLimit = state.depthLimit;
    b.requested = state.requested;
    b.#waiting = state.waiting;
    b.published = [...state.published];
    b.depthSlot = state.depthSlot;
    return b;
  }
}
