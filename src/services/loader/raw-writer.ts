// Writes what a venue delivers to md.raw.<exchange>: stream frames, REST bodies and connection markers, as received.

import { type BytesProduct } from '../../contracts/index.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';
import { type SourceContext } from '../../runtime/service.ts';
import { type FeedFrame } from '../../venues/feed.ts';
import { mapperFor } from '../../venues/mappers.ts';
import { rawHeaders, rawKey } from '../../venues/raw-record.ts';
import { type ConnectionMarker, FrameKinds, type RawFrame } from '../../venues/types.ts';
import { type VenueMapper } from '../../venues/venue.ts';

/** A source's context or a command handler's: both can emit raw bytes. */
export type RawSink = Pick<SourceContext, 'emitBytes'>;

/** A REST answer as the transports hand it over. */
export interface RestBody {
  /** Path and query as sent: the frame's `source`. */
  readonly path: string;
  readonly body: Buffer;
  readonly receivedAt: number;
}

/**
 * One per loader (or backfill) instance. Markers get a sequence of their own per connection
 * (`<connection id>:markers`) so they never collide with the connection's frame positions;
 * REST bodies are numbered per `connectionId` unless the caller numbers them.
 */
export class RawWriter {
  readonly exchange: Exchange;
  readonly product: BytesProduct;
  readonly #mapper: VenueMapper;
  readonly #seqs = new Map<string, number>();

  constructor(exchange: Exchange, product: BytesProduct) {
    this.exchange = exchange;
    this.product = product;
    this.#mapper = mapperFor(exchange);
  }

  write(sink: RawSink, frame: RawFrame): void {
    const body = Buffer.isBuffer(frame.body) ? frame.body : Buffer.from(frame.body);
    sink.emitBytes(this.product, body, rawKey(this.#mapper, frame), rawHeaders(frame));
  }

  frame(sink: RawSink, f: FeedFrame): void {
    this.write(sink, {
      exchange: this.exchange,
      kind: FrameKinds.WS,
      source: f.url,
      receivedAt: f.receivedAt,
      connectionId: f.connectionId,
      connectionSeq: f.connectionSeq,
      body: f.body,
    });
  }

  marker(sink: RawSink, marker: ConnectionMarker, at: number): void {
    const connectionId = `${marker.connectionId}:markers`;
    this.write(sink, {
      exchange: this.exchange,
      kind: FrameKinds.MARKER,
      source: marker.url,
      receivedAt: at,
      connectionId,
      connectionSeq: this.#next(connectionId),
      body: Buffer.from(JSON.stringify(marker)),
    });
  }

  rest(sink: RawSink, result: RestBody, connectionId: string, connectionSeq?: number): void {
    this.write(sink, {
      exchange: this.exchange,
      kind: FrameKinds.REST,
      source: result.path,
      receivedAt: result.receivedAt,
      connectionId,
      connectionSeq: connectionSeq ?? this.#next(connectionId),
      body: result.body,
    });
  }

  #next(connectionId: string): number {
    const seq = this.#seqs.get(connectionId) ?? 0;
    this.#seqs.set(connectionId, seq + 1);
    return seq;
  }
}

/** A loader command must name the venue this loader serves. */
export function checkCommandExchange(exchange: Exchange, args: { readonly exchange?: unknown }): void {
  if (args.exchange !== exchange)
    throw new Error(
      `this loader serves ${exchange}, not ${String(args.exchange)}; address the loader of that venue`,
    );
}

/** What a command gets before the loader's source has connected. */
export function notConnected(exchange: Exchange): Error {
  return new Error(`the ${exchange} loader is not connected yet; send the command again once it runs`);
}
