// The parser service: raw exchange frames in, normalized market events out; frames it cannot read go to the DLQ.

import {
  bookDelta,
  type BytesProduct,
  instruments,
  klines,
  rawTopics,
  trades,
} from '../../contracts/index.ts';
import { type Exchange, exchangeNames } from '../../contracts/schema/primitives.ts';
import { defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { mapperFor } from '../../venues/mappers.ts';
import { FrameKinds } from '../../venues/types.ts';
import { Dedupe } from './dedupe.ts';
import { rawFrame } from './frame.ts';

export interface ParserOptions {
  /** Venues whose raw topics it reads; default every venue in the catalog. */
  readonly exchanges?: readonly Exchange[];
  /** Consumer group and service name; default `parser`. */
  readonly name?: string;
  /** Other topics than the catalog's (tests on a shared broker, a parallel rebuild after a bad deploy). */
  readonly topics?: {
    readonly raw?: Partial<Readonly<Record<Exchange, BytesProduct>>>;
    readonly trades?: typeof trades;
    readonly bookDelta?: typeof bookDelta;
    readonly klines?: typeof klines;
    readonly instruments?: typeof instruments;
  };
}

/**
 * Reads `md.raw.<exchange>`, maps every frame with its venue's mapper and emits to
 * `md.trades`, `md.book.delta`, `md.klines` and `md.instruments`. A frame the mapper cannot
 * understand throws a FrameError, which is not retriable: the runtime sends the frame to
 * `md.raw.<exchange>.dlq` with the code and reason and the partition keeps flowing. Markers
 * (the loader's connection events) and frames with nothing to normalize (acks, heartbeats,
 * bookTicker) are skipped. Stateless but for the duplicate filter, so it scales by replicas.
 */
export function createParser(options: ParserOptions = {}): ServiceDefinition {
  const exchanges = options.exchanges ?? exchangeNames;
  const t = options.topics ?? {};
  const raw = (e: Exchange): BytesProduct => t.raw?.[e] ?? rawTopics[e];
  const byTopic = new Map<string, Exchange>(exchanges.map((e) => [raw(e).topic, e]));
  const consumes: BytesProduct[] = exchanges.map(raw);
  const out = {
    trades: t.trades ?? trades,
    bookDelta: t.bookDelta ?? bookDelta,
    klines: t.klines ?? klines,
    instruments: t.instruments ?? instruments,
  };
  const dedupe = new Dedupe();
  return defineService({
    name: options.name ?? 'parser',
    description: 'raw exchange frames -> normalized trades, book deltas, klines and instruments',
    consumes,
    produces: [out.trades, out.bookDelta, out.klines, out.instruments],
    maxPollRecords: 500,
    handle(input, ctx) {
      const exchange = byTopic.get(input.record.topic)!;
      const frame = rawFrame(exchange, input.value as never);
      if (frame.kind === FrameKinds.MARKER) return;
      const result = mapperFor(exchange).map(frame);
      for (const event of result.events) {
        switch (event.type) {
          case 'trade':
            if (!dedupe.isDuplicateTrade(event.value)) ctx.emit(out.trades, event.value);
            break;
          case 'book':
            if (!dedupe.isDuplicateBook(event.value)) ctx.emit(out.bookDelta, event.value);
            break;
          case 'kline':
            ctx.emit(out.klines, event.value);
            break;
          case 'instrument':
            ctx.emit(out.instruments, event.value);
            break;
        }
      }
    },
  });
}

export default createParser();
