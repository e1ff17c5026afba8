// A loader over any venue feed (OKX so far): the same raw frames, markers and commands as the Binance loader.

import { type BytesProduct, rawTopics } from '../../contracts/index.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';
import { defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { type SourceContext } from '../../runtime/service.ts';
import { type FeedCallbacks, type FeedChannel, type VenueFeed } from '../../venues/feed.ts';
import { mapperFor } from '../../venues/mappers.ts';
import { rawHeaders, rawKey } from '../../venues/raw-record.ts';
import { type ConnectionMarker, FrameKinds, type RawFrame } from '../../venues/types.ts';
import { type Channel } from './streams.ts';

export interface FeedLoaderOptions {
  readonly exchange: Exchange;
  /** Makes the venue's feed with the loader's callbacks (e.g. `(cb) => new OkxFeed({ ...cb, wsUrl })`). */
  readonly feed: (callbacks: FeedCallbacks) => VenueFeed;
  readonly symbols: readonly string[];
  readonly channels: readonly FeedChannel[];
  readonly name?: string;
  readonly product?: BytesProduct;
  readonly onTransportError?: (error: Error) => void;
}

/** Loader channels a streaming feed carries; `instruments` is REST reference data, which these venues' feeds lack. */
function feedChannels(channels: readonly Channel[]): FeedChannel[] {
  const bad = channels.filter((c) => c === 'instruments');
  if (bad.length > 0)
    throw new Error('this venue\'s loader streams trades, book, top and klines; "instruments" is not one');
  return channels as FeedChannel[];
}

/**
 * The venue-neutral loader: frames and markers from a `VenueFeed` into md.raw.<exchange>, as
 * received. Venues whose book channel starts with a snapshot (OKX `books`, Kraken `book`,
 * Coinbase `level2`) answer a `snapshot` command by subscribing the symbol's book again, which
 * makes the venue send a fresh one; no REST call is needed.
 */
export function createFeedLoader(options: FeedLoaderOptions): ServiceDefinition {
  const { exchange } = options;
  const product = options.product ?? rawTopics[exchange];
  const mapper = mapperFor(exchange);
  const markerSeq = new Map<string, number>();
  let feed: VenueFeed | null = null;
  const write = (ctx: Pick<SourceContext, 'emitBytes'>, frame: RawFrame): void =>
    ctx.emitBytes(product, frame.body as Buffer, rawKey(mapper, frame), rawHeaders(frame));
  const live = (): VenueFeed => {
    if (!feed)
      throw new Error(`the ${exchange} loader is not connected yet; send the command again once it runs`);
    return feed;
  };
  const checkExchange = (args: { exchange?: unknown }): void => {
    if (args.exchange !== exchange)
      throw new Error(
        `this loader serves ${exchange}, not ${String(args.exchange)}; address the loader of that venue`,
      );
  };
  return defineService({
    name: options.name ?? `loader-${exchange}`,
    description: `${exchange} WebSocket frames, as received, into ${product.topic}`,
    consumes: [],
    produces: [product],
    async source(ctx) {
      feed = options.feed({
        onFrame: (f) =>
          write(ctx, {
            exchange,
            kind: FrameKinds.WS,
            source: f.url,
            receivedAt: f.receivedAt,
            connectionId: f.connectionId,
            connectionSeq: f.connectionSeq,
            body: f.body,
          }),
        onMarker: (marker: ConnectionMarker, at: number) => {
          const id = `${marker.connectionId}:markers`;
          const seq = markerSeq.get(id) ?? 0;
          markerSeq.set(id, seq + 1);
          write(ctx, {
            exchange,
            kind: FrameKinds.MARKER,
            source: marker.url,
            receivedAt: at,
            connectionId: id,
            connectionSeq: seq,
            body: Buffer.from(JSON.stringify(marker)),
          });
        },
        onError: (error) => options.onTransportError?.(error),
      });
      try {
        await feed.subscribe(options.symbols, options.channels);
        await ctx.flush();
        if (!ctx.signal.aborted)
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
      } finally {
        const f = feed;
        feed = null;
        await f.close();
      }
    },
    commands: {
      subscribe: async (command) => {
        const args = command['args'] as { exchange: string; symbols: string[]; channels: Channel[] };
        checkExchange(args);
        await live().subscribe(args.symbols, feedChannels(args.channels));
      },
      unsubscribe: async (command) => {
        const args = command['args'] as { exchange: string; symbols: string[]; channels: Channel[] };
        checkExchange(args);
        await live().unsubscribe(args.symbols, feedChannels(args.channels));
      },
      snapshot: async (command) => {
        const args = command['args'] as { exchange: string; symbol: string };
        checkExchange(args);
        const f = live();
        await f.unsubscribe([args.symbol], ['book']);
        await f.subscribe([args.symbol], ['book']);
      },
    },
  });
}
