// A loader over any venue feed (OKX so far): the same raw frames, markers and commands as the Binance loader.

import { type BytesProduct, rawTopics } from '../../contracts/index.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';
import { defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { type FeedCallbacks, type FeedChannel, type VenueFeed } from '../../venues/feed.ts';
import { type ConnectionMarker } from '../../venues/types.ts';
import { checkCommandExchange, notConnected, RawWriter } from './raw-writer.ts';
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
  const raw = new RawWriter(exchange, options.product ?? rawTopics[exchange]);
  let feed: VenueFeed | null = null;
  const live = (): VenueFeed => {
    if (!feed) throw notConnected(exchange);
    return feed;
  };
  const checkExchange = (args: { exchange?: unknown }): void => checkCommandExchange(exchange, args);
  return defineService({
    name: options.name ?? `loader-${exchange}`,
    description: `${exchange} WebSocket frames, as received, into ${raw.product.topic}`,
    consumes: [],
    produces: [raw.product],
    async source(ctx) {
      feed = options.feed({
        onFrame: (f) => raw.frame(ctx, f),
        onMarker: (marker: ConnectionMarker, at: number) => raw.marker(ctx, marker, at),
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
