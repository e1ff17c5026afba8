// What the detector remembers per instrument: plain JSON, so it lives in a state store and survives a restart.

import { type LightBook } from './light-book.ts';

/** A recent trade: event time, canonical price text, quantity. */
export type RecentTrade = readonly [time: number, price: string, quantity: number];

export interface PriceJumpState {
  /** Event-time bucket of the last trade, and its price (number and exact text). */
  bucket: number | null;
  last: number;
  lastText: string;
  /** Last price of the previous bucket that had trades: the reference a move is measured from. */
  close: number | null;
  closeText: string;
  /** Log returns between consecutive bucket closes, oldest first. */
  returns: number[];
  /** Median and robust scale of `returns`, recomputed when a bucket closes (not per trade). */
  median: number;
  scale: number;
}

export interface VolumeState {
  bucket: number | null;
  volume: number;
  trades: number;
  /** Volumes of completed buckets, empty ones as 0, oldest first; and their mean. */
  history: number[];
  mean: number;
  /** The bucket a burst was last reported for: one finding per bucket, not one per trade in it. */
  reported: number | null;
}

export interface WashRun {
  quantity: string;
  side: string;
  first: number;
  last: number;
  count: number;
  firstId: string | null;
  lastId: string | null;
  low: number;
  high: number;
  lowText: string;
  highText: string;
  reported: boolean;
}

/** A large level near the top, watched until it trades or vanishes. */
export interface SpoofCandidate {
  side: 'bid' | 'ask';
  price: string;
  /** Quantity added when it appeared, and the level's total then. */
  added: number;
  total: number;
  addedText: string;
  appearedAt: number;
  rank: number;
  median: number;
  /** Quantity traded at its price since it appeared. */
  traded: number;
  /** Set when the level went away: the verdict waits for late trades. */
  removedAt: number | null;
  removedLocal: number;
  removedUpdateId: number | null;
}

/** The book did not change from `from` to `to` while `trades` trades happened. */
export interface StaleInterval {
  from: number;
  to: number;
  local: number;
  trades: number;
}

export interface Cooldown {
  until: number;
  held: number;
}

export interface InstrumentState {
  jump: PriceJumpState;
  volume: VolumeState;
  wash: WashRun | null;
  /** Last trade id per id space ('' or 'agg-'). */
  tradeIds: Record<string, number>;
  /** Last book update id of the delta chain; `restart` after a snapshot (the next delta opens a new chain). */
  seq: { last: number | null; restart: boolean };
  book: LightBook;
  lastBookTime: number | null;
  /** The highest trade event time seen: how far the trade stream has been read. */
  tradeTime: number | null;
  trades: RecentTrade[];
  candidates: SpoofCandidate[];
  stale: StaleInterval[];
  cooldown: Record<string, Cooldown>;
}

export function newInstrumentState(): InstrumentState {
  return {
    jump: {
      bucket: null,
      last: 0,
      lastText: '',
      close: null,
      closeText: '',
      returns: [],
      median: 0,
      scale: 0,
    },
    volume: { bucket: null, volume: 0, trades: 0, history: [], mean: 0, reported: null },
    wash: null,
    tradeIds: {},
    seq: { last: null, restart: true },
    book: { synced: false, snapshotId: null, bids: [], asks: [], bidEdge: null, askEdge: null, buffered: [] },
    lastBookTime: null,
    tradeTime: null,
    trades: [],
    candidates: [],
    stale: [],
    cooldown: {},
  };
}
