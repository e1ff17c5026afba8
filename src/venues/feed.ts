// The venue-neutral transport a loader drives: subscribe instruments and channels, get every frame byte for byte.

import { type Exchange } from '../contracts/schema/primitives.ts';
import { type ConnectionMarker } from './types.ts';

/** One WebSocket message exactly as received, ready to become a `ws` RawFrame. */
export interface FeedFrame {
  readonly connectionId: string;
  /** Position on its connection from 0; a new connection (reconnect) starts again at 0. */
  readonly connectionSeq: number;
  /** `Date.now()` when the message event fired. */
  readonly receivedAt: number;
  /** The URL the connection was opened with. */
  readonly url: string;
  /** The message payload byte for byte, never re-serialized. */
  readonly body: Buffer;
}

/**
 * What the platform asks a venue for, in its own words; each feed maps them to the venue's
 * channels. `book`: the incremental, sequenced book the orderbook service rebuilds. `top`: best
 * bid/offer. `klines`: 1-minute candles.
 */
export type FeedChannel = 'trades' | 'book' | 'top' | 'klines';

export const FEED_CHANNELS: readonly FeedChannel[] = ['trades', 'book', 'top', 'klines'];

export interface FeedCallbacks {
  /** Every message of every connection, in receive order per connection, control frames included. */
  onFrame(frame: FeedFrame): void;
  /** Connected / disconnected / resubscribed, with `at` the local time of the event. */
  onMarker?(marker: ConnectionMarker, at: number): void;
  /** Failures that do not stop the feed: a refused subscription, a connection lost before a reconnect. */
  onError?(error: Error): void;
}

/**
 * A venue's market-data transport. `subscribe` resolves once the venue confirmed every pair
 * (symbol, channel) and rejects if it refused some (the others stay subscribed); while the venue
 * is unreachable it keeps reconnecting, so callers needing a deadline race it with a timer.
 */
export interface VenueFeed {
  readonly exchange: Exchange;
  subscribe(symbols: readonly string[], channels: readonly FeedChannel[]): Promise<void>;
  unsubscribe(symbols: readonly string[], channels: readonly FeedChannel[]): Promise<void>;
  /** Closes every connection; later calls fail. */
  close(): Promise<void>;
}
