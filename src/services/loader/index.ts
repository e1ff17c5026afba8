// The loader service: Binance WebSocket frames and REST bodies, byte for byte, into md.raw.<exchange>; nothing else.

import { type BytesProduct, rawTopics } from '../../contracts/index.ts';
import { defineService, type ServiceDefinition } from '../../runtime/index.ts';
import {
  type BinanceExchange,
  BinanceRest,
  type BinanceRestOptions,
  BinanceStreams,
  type BinanceStreamsOptions,
  type RestResult,
} from '../../venues/binance/transport/index.ts';
import { type ConnectionMarker } from '../../venues/types.ts';
import { checkCommandExchange, notConnected, type RawSink, RawWriter } from './raw-writer.ts';
import { type Channel, Channels, streamsFor } from './streams.ts';

export { type Channel, Channels, channelNames } from './streams.ts';

export interface LoaderOptions {
  readonly exchange: BinanceExchange;
  /** https://api.binance.com, https://fapi.binance.com, or the simulator's URL. */
  readonly restUrl: string;
  /** wss://stream.binance.com:9443, wss://fstream.binance.com, or the simulator's. */
  readonly wsUrl: string;
  readonly symbols: readonly string[];
  readonly channels: readonly Channel[];
  /** Kline intervals for the `klines` channel; default 1m. */
  readonly klineIntervals?: readonly string[];
  /** Levels of a REST depth snapshot; default 1000 (weight 50 on spot). */
  readonly depthLimit?: number;
  /** Service (and consumer group) name; default `loader-<exchange>`. */
  readonly name?: string;
  /** Another raw topic than `md.raw.<exchange>` (tests on a shared broker). */
  readonly product?: BytesProduct;
  /** Transport settings beyond the URLs (shorter timeouts in tests, a lower weight budget). */
  readonly streams?: Partial<
    Omit<BinanceStreamsOptions, 'exchange' | 'wsUrl' | 'onFrame' | 'onMarker' | 'onError'>
  >;
  readonly rest?: Partial<Omit<BinanceRestOptions, 'exchange' | 'restUrl'>>;
  /** Transport failures that do not stop the loader (a reconnect, a refused SUBSCRIBE). */
  readonly onTransportError?: (error: Error) => void;
}

interface Live {
  readonly streams: BinanceStreams;
  readonly rest: BinanceRest;
  symbols: Set<string>;
  channels: Set<Channel>;
}

const DEFAULT_DEPTH = 1000;

/**
 * Writes what the exchange sends, never parsed or re-serialized, with its receive time,
 * connection and position on the connection: WebSocket frames, REST bodies (exchangeInfo on
 * start, a depth snapshot per symbol once its diff stream runs, snapshots asked for on
 * queue-control) and the connection markers. The parser turns it into events; the order book
 * service asks for snapshots with a `snapshot` command; nothing calls the loader.
 */
export function createLoader(options: LoaderOptions): ServiceDefinition {
  const exchange = options.exchange;
  const raw = new RawWriter(exchange, options.product ?? rawTopics[exchange]);
  const intervals = options.klineIntervals ?? ['1m'];
  const depthLimit = options.depthLimit ?? DEFAULT_DEPTH;
  let live: Live | null = null;

  const writeRest = (sink: RawSink, result: RestResult<unknown>): void =>
    raw.rest(sink, result, `${exchange}-rest`);
  const snapshot = async (sink: RawSink, symbol: string, limit = depthLimit) =>
    writeRest(sink, await requireLive().rest.depth(symbol, limit));
  const requireLive = (): Live => {
    if (!live) throw notConnected(exchange);
    return live;
  };
  const checkExchange = (args: { exchange?: unknown }): void => checkCommandExchange(exchange, args);

  return defineService({
    name: options.name ?? `loader-${exchange}`,
    description: `${exchange} WebSocket frames and REST bodies, as received, into ${raw.product.topic}`,
    consumes: [],
    produces: [raw.product],
    async source(ctx) {
      const streams = new BinanceStreams({
        ...options.streams,
        exchange,
        wsUrl: options.wsUrl,
        onFrame: (f) => raw.frame(ctx, f),
        onMarker: (marker: ConnectionMarker, at: number) => raw.marker(ctx, marker, at),
        onError: (error) => options.onTransportError?.(error),
      });
      const rest = new BinanceRest({ ...options.rest, exchange, restUrl: options.restUrl });
      live = { streams, rest, symbols: new Set(options.symbols), channels: new Set(options.channels) };
      try {
        // Reference data first: a consumer that joins the diff stream can size its book.
        if (live.channels.has(Channels.INSTRUMENTS)) writeRest(ctx, await rest.exchangeInfo());
        await streams.subscribe(
          options.symbols.flatMap((s) => streamsFor(exchange, s, options.channels, intervals)),
        );
        // Snapshots after the diff streams run, as Binance's book procedure asks; the REST
        // client queues and paces them under the weight budget.
        if (live.channels.has(Channels.BOOK)) await Promise.all(options.symbols.map((s) => snapshot(ctx, s)));
        await ctx.flush();
        if (!ctx.signal.aborted)
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
      } finally {
        live = null;
        rest.close();
        await streams.close();
      }
    },
    commands: {
      subscribe: async (command, ctx) => {
        const args = command['args'] as { exchange: string; symbols: string[]; channels: Channel[] };
        checkExchange(args);
        const l = requireLive();
        await l.streams.subscribe(
          args.symbols.flatMap((s) => streamsFor(exchange, s, args.channels, intervals)),
        );
        for (const s of args.symbols) l.symbols.add(s);
        if (args.channels.includes(Channels.INSTRUMENTS)) writeRest(ctx, await l.rest.exchangeInfo());
        if (args.channels.includes(Channels.BOOK))
          await Promise.all(args.symbols.map((s) => snapshot(ctx, s)));
      },
      unsubscribe: async (command) => {
        const args = command['args'] as { exchange: string; symbols: string[]; channels: Channel[] };
        checkExchange(args);
        await requireLive().streams.unsubscribe(
          args.symbols.flatMap((s) => streamsFor(exchange, s, args.channels, intervals)),
        );
      },
      snapshot: async (command, ctx) => {
        const args = command['args'] as { exchange: string; symbol: string; depth?: number };
        checkExchange(args);
        await snapshot(ctx, args.symbol, args.depth ?? depthLimit);
      },
    },
  });
}
