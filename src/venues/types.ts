// The shapes every venue shares: a raw frame as the loader records it, and the normalized events a mapper makes of it.

import { type BookDelta } from '../contracts/schema/book.ts';
import { type Kline } from '../contracts/schema/candles.ts';
import { type Instrument } from '../contracts/schema/instruments.ts';
import { type Exchange } from '../contracts/schema/primitives.ts';
import { type Trade } from '../contracts/schema/trades.ts';

/**
 * What a raw frame is. `ws`: one WebSocket message. `rest`: one REST response body (depth
 * snapshot, exchangeInfo, a page of klines or aggTrades). `marker`: a line the loader writes
 * itself about a connection (connected, disconnected, resubscribed), JSON, see `ConnectionMarker`.
 */
export const FrameKinds = { WS: 'ws', REST: 'rest', MARKER: 'marker' } as const;
export type FrameKind = (typeof FrameKinds)[keyof typeof FrameKinds];

/** A frame as it sits on `md.raw.<exchange>`, before any parsing. */
export interface RawFrame {
  readonly exchange: Exchange;
  readonly kind: FrameKind;
  /**
   * Where it came from. `rest`: the request path and query as sent
   * (`/api/v3/depth?symbol=BTCUSDT&limit=1000`), which is how a mapper knows what the body
   * answers. `ws`: the connection URL. Markers: the connection URL.
   */
  readonly source: string;
  /** Local receive time, integer ms since the epoch. */
  readonly receivedAt: number;
  readonly connectionId: string;
  /** Position on its connection from 0, in receive order. */
  readonly connectionSeq: number;
  /** The frame byte for byte (UTF-8 JSON for every venue so far). */
  readonly body: Uint8Array;
}

/** The loader's own record of what happened to a connection, written as a `marker` frame. */
export interface ConnectionMarker {
  readonly marker: 'connected' | 'disconnected' | 'resubscribed';
  readonly connectionId: string;
  readonly url: string;
  /** Streams or channels the connection carries after the event. */
  readonly streams: readonly string[];
  /** Why, for `disconnected` (close code and reason, error text, planned rotation). */
  readonly reason?: string;
}

/** One normalized event and the product it belongs to. */
export type NormalizedEvent =
  | { readonly type: 'trade'; readonly value: Trade }
  | { readonly type: 'book'; readonly value: BookDelta }
  | { readonly type: 'kline'; readonly value: Kline }
  | { readonly type: 'instrument'; readonly value: Instrument };

/**
 * What a mapper made of a frame: the events, or, when a frame carries nothing to normalize
 * (a subscription ack, a heartbeat, a channel the platform does not normalize such as
 * bookTicker), why it was skipped. A frame the mapper cannot understand throws `FrameError`.
 */
export type MapResult =
  | { readonly events: readonly NormalizedEvent[]; readonly skipped?: undefined }
  | { readonly events: readonly []; readonly skipped: string };
