// A light top-N book per instrument (snapshot + deltas, prices as text): enough for crossed books and spoofing, not a full order book.

import { type BookDelta } from '../../contracts/schema/book.ts';

/** [price text, quantity text, price, quantity]: the text for evidence, the numbers for ordering. */
export type Level = [string, string, number, number];
export type BookSide = 'bid' | 'ask';

/** Level changes of a delta waiting for the snapshot, which usually arrives after the first deltas. */
export interface BufferedDelta {
  readonly u: number | null;
  readonly bids: readonly (readonly [string, string])[];
  readonly asks: readonly (readonly [string, string])[];
}

export interface LightBook {
  /** False until a snapshot, and again after a sequence gap: nothing is judged on an unsynced book. */
  synced: boolean;
  snapshotId: number | null;
  /** Best first. */
  bids: Level[];
  asks: Level[];
  /**
   * The worst price each side is known completely to: levels were trimmed beyond it, so a change
   * beyond it is ignored (the level between it and the change are unknown). Null: complete.
   */
  bidEdge: number | null;
  askEdge: number | null;
  buffered: BufferedDelta[];
}

/** Most deltas held while waiting for a snapshot (Binance: about a REST round trip of 100 ms diffs). */
const MAX_BUFFERED = 50;

/** One level change as the rules see it: its quantity before and after, and its rank after (-1 gone). */
export interface LevelChange {
  readonly side: BookSide;
  readonly price: string;
  readonly priceValue: number;
  readonly before: number;
  readonly after: number;
  readonly rank: number;
}

const better = (side: BookSide, a: number, b: number): boolean => (side === 'bid' ? a > b : a < b);

/** Index of `price` in the side, or where it would go (~index - 1) when absent. */
function find(levels: readonly Level[], side: BookSide, price: number): number {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = levels[mid]![2];
    if (p === price) return mid;
    if (better(side, p, price)) lo = mid + 1;
    else hi = mid;
  }
  return -lo - 1;
}

function sideOf(book: LightBook, side: BookSide): Level[] {
  return side === 'bid' ? book.bids : book.asks;
}

/** Sets one level; returns the change, or undefined when it lies beyond what the book knows. */
export function setLevel(
  book: LightBook,
  side: BookSide,
  priceText: string,
  qtyText: string,
  depth: number,
): LevelChange | undefined {
  const levels = sideOf(book, side);
  const price = Number(priceText);
  const qty = Number(qtyText);
  const edge = side === 'bid' ? book.bidEdge : book.askEdge;
  const i = find(levels, side, price);
  const before = i >= 0 ? levels[i]![3] : 0;
  if (i < 0 && edge !== null && better(side, edge, price)) return undefined;
  if (qty === 0) {
    if (i >= 0) levels.splice(i, 1);
    return { side, price: priceText, priceValue: price, before, after: 0, rank: -1 };
  }
  let rank = i;
  if (i >= 0) levels[i] = [priceText, qtyText, price, qty];
  else {
    rank = -i - 1;
    levels.splice(rank, 0, [priceText, qtyText, price, qty]);
  }
  if (levels.length > depth) {
    levels.length = depth;
    const worst = levels[depth - 1]![2];
    if (side === 'bid') book.bidEdge = worst;
    else book.askEdge = worst;
  }
  return { side, price: priceText, priceValue: price, before, after: qty, rank: rank < depth ? rank : -1 };
}

function load(book: LightBook, delta: BookDelta, depth: number): void {
  book.bids = [];
  book.asks = [];
  book.bidEdge = null;
  book.askEdge = null;
  const bids = [...delta.bids].sort((a, b) => Number(b[0]) - Number(a[0]));
  const asks = [...delta.asks].sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const [p, q] of bids) if (Number(q) > 0) setLevel(book, 'bid', p, q, depth);
  for (const [p, q] of asks) if (Number(q) > 0) setLevel(book, 'ask', p, q, depth);
}

/**
 * Applies a delta: a snapshot replaces the book and replays the buffered deltas newer than it;
 * a delta older than the snapshot is dropped; a delta before any snapshot is buffered. Returns
 * the level changes of a delta applied to a synced book (none for a snapshot).
 */
export function applyDelta(book: LightBook, delta: BookDelta, depth: number): LevelChange[] {
  const u = delta.lastUpdateId ?? null;
  if (delta.isSnapshot) {
    load(book, delta, depth);
    book.synced = true;
    book.snapshotId = u;
    for (const b of book.buffered)
      if (u === null || b.u === null || b.u > u) {
        for (const [p, q] of b.bids) setLevel(book, 'bid', p, q, depth);
        for (const [p, q] of b.asks) setLevel(book, 'ask', p, q, depth);
      }
    book.buffered = [];
    return [];
  }
  if (!book.synced) {
    book.buffered.push({ u, bids: delta.bids, asks: delta.asks });
    if (book.buffered.length > MAX_BUFFERED) book.buffered.shift();
    return [];
  }
  if (u !== null && book.snapshotId !== null && u <= book.snapshotId) return [];
  const changes: LevelChange[] = [];
  for (const [p, q] of delta.bids) {
    const c = setLevel(book, 'bid', p, q, depth);
    if (c) changes.push(c);
  }
  for (const [p, q] of delta.asks) {
    const c = setLevel(book, 'ask', p, q, depth);
    if (c) changes.push(c);
  }
  return changes;
}

/** Forgets the book after a sequence gap: levels may be wrong until the next snapshot. */
export function unsync(book: LightBook): void {
  book.synced = false;
  book.snapshotId = null;
  book.bids = [];
  book.asks = [];
  book.bidEdge = null;
  book.askEdge = null;
  book.buffered = [];
}

/** Rank of `price` on its side (0 = best), -1 when not in the book. */
export function rankOf(book: LightBook, side: BookSide, price: number): number {
  const i = find(sideOf(book, side), side, price);
  return i >= 0 ? i : -1;
}

export function levelsOf(book: LightBook, side: BookSide): readonly Level[] {
  return sideOf(book, side);
}
