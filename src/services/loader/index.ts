// The loader service: Binance WebSocket frames and REST bodies, byte for byte, into md.raw.<exchange>; nothing else.

import { type BytesProduct, rawTopics } from '../../contracts/index.ts';
import { defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { type SourceContext } from '../../runtime/service.ts';
import {
  type BinanceExchange,
  BinanceRest,
  type BinanceRestOptions,
  BinanceStreams,
  type BinanceStreamsOptions,
  type RestResult,
} from '../../venues/binance/transport/index.ts';
import { mapperFor } from '../../venues/mappers.ts';
import { rawHeaders, rawKey } from '../../venues/raw-record.ts';
import { type ConnectionMarker, FrameKinds, type RawFrame } from '../../venues/types.ts';
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
  const product = options.product ?? rawTopics[exchange];
  const mapper = mapperFor(exchange);
  const intervals = options.klineIntervals ?? ['1m'];
  const depthLimit = options.depthLimit ?? DEFAULT_DEPTH;
  let live: Live | null = null;
  let restSeq = 0;
  const markerSeq = new Map<string, number>();

  const write = (ctx: Pick<SourceContext, 'emitBytes'>, frame: RawFrame): void => {
    ctx.emitBytes(
      product,
      Buffer.isBuffer(frame.body) ? frame.body : Buffer.from(frame.body),
      rawKey(mapper, frame),
      rawHeaders(frame),
    );
  };
  const writeRest = (ctx: Pick<SourceContext, 'emitBytes'>, result: RestResult<unknown>): void =>
    write(ctx, {
      exchange,
      kind: FrameKinds.REST,
      source: result.path,
      receivedAt: result.receivedAt,
      connectionId: `${exchange}-rest`,
      connectionSeq: restSeq++,
      body: result.body,
    });
  const snapshot = async (ctx: Pick<SourceContext, 'emitBytes'>, symbol: string, limit = depthLimit) =>
    writeRest(ctx, await requireLive().rest.depth(symbol, limit));
  const requireLive = (): Live => {
    if (!live)
      throw new Error(`the ${exchange} loader is not connected yet; send the command again once it runs`);
    return live;
  };
  const checkExchange = (args: { exchange?: unknown }): void => {
    if (args.exchange !== exchange)
      throw new Error(
        `this loader serves ${exchange}, not ${String(args.exchange)}; address the loader of that venue`,
      );
  };

  return defineService({
    name: options.name ?? `loader-${exchange}`,
    description: `${exchange} WebSocket frames and REST bodies, as received, into ${product.topic}`,
    consumes: [],
    produces: [product],
    async source(ctx) {
      const streams = new BinanceStreams({
        ...options.streams,
        exchange,
        wsUrl: options.wsUrl,
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
