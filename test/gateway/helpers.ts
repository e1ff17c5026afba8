// Gateway test fixtures: real Binance book tops from the capture, the gateway's topics under unique names, a WebSocket client.

import path from 'node:path';
import { type TestContext } from 'node:test';
import WebSocket from 'ws';
import { type Bus } from '../../src/bus/types.ts';
import {
  alerts,
  bookDepth,
  bookTop,
  candles,
  type JsonProduct,
  queueEvents,
  trades,
} from '../../src/contracts/index.ts';
import { type BookDepth, type BookTop } from '../../src/contracts/schema/book.ts';
import { type Candle, type CandleInterval } from '../../src/contracts/schema/candles.ts';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/services/gateway/index.ts';
import { readCapture } from '../../src/venues/capture/index.ts';
import { defer } from '../helpers/backends.ts';
import { renamed, tempProductTopics } from '../runtime/helpers.ts';

const CAPTURE = path.resolve(
  import.meta.dirname,
  '../../../shared/data/market/binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
);

/**
 * The first `count` bookTicker messages of the recorded BTCUSDT stream as md.book.top values.
 * Spot bookTicker carries no exchange time, so both times are the recorded receive time.
 */
export async function capturedTops(count: number): Promise<BookTop[]> {
  const out: BookTop[] = [];
  for await (const frame of readCapture(CAPTURE)) {
    if (!frame.body.includes('@bookTicker"')) continue;
    const { data } = JSON.parse(frame.body) as {
      data: { u: number; s: string; b: string; B: string; a: string; A: string };
    };
    out.push({
      exchange: 'binance',
      symbol: data.s,
      timestamp: frame.receivedAt,
      localTimestamp: frame.receivedAt,
      lastUpdateId: data.u,
      bid: [data.b, data.B],
      ask: [data.a, data.A],
    });
    if (out.length >= count) break;
  }
  return out;
}

/**
 * The REST depth snapshot at the start of the BTCUSDT capture (its best 1000 levels per side) as
 * md.book.depth values: `count` of them, the update id counting up from the snapshot's, as the
 * order book service publishes an unchanged book on each depth interval.
 */
export async function capturedDepths(count: number): Promise<BookDepth[]> {
  for await (const frame of readCapture(CAPTURE)) {
    if (frame.kind !== 'rest' || !frame.body.startsWith('{"lastUpdateId"')) continue;
    const snap = JSON.parse(frame.body) as {
      lastUpdateId: number;
      bids: [string, string][];
      asks: [string, string][];
    };
    return Array.from({ length: count }, (_, i) => ({
      exchange: 'binance' as const,
      symbol: 'BTCUSDT',
      timestamp: frame.receivedAt + i,
      localTimestamp: frame.receivedAt + i,
      lastUpdateId: snap.lastUpdateId + i,
      depth: 1000,
      bids: snap.bids.slice(0, 1000),
      asks: snap.asks.slice(0, 1000),
    }));
  }
  throw new Error(`${CAPTURE} has no REST depth snapshot`);
}

export type TestTopics = ReturnType<typeof gatewayTopics>;

/** The gateway's input products under names unique to this test (queue-events keeps its name). */
export function gatewayTopics(prefix: string) {
  const c = Object.fromEntries(
    (Object.entries(candles) as [CandleInterval, JsonProduct<Candle>][]).map(([i, p]) => [
      i,
      renamed(p, `${prefix}-c${i}`),
    ]),
  ) as Record<CandleInterval, JsonProduct<Candle>>;
  return {
    candles: c,
    bookTop: renamed(bookTop, `${prefix}-top`),
    bookDepth: renamed(bookDepth, `${prefix}-depth`),
    trades: renamed(trades, `${prefix}-trades`),
    alerts: renamed(alerts, `${prefix}-alerts`),
    queueEvents,
  };
}

/** A gateway on a free port over test topics (created now, deleted after the test), stopped after the test. */
export async function startTestGateway(
  t: TestContext,
  bus: Bus,
  topics: TestTopics,
  options: Partial<GatewayOptions> = {},
): Promise<Gateway> {
  await tempProductTopics(t, bus, [
    ...Object.values(topics.candles),
    topics.bookTop,
    topics.bookDepth,
    topics.trades,
    topics.alerts,
  ]);
  const gateway = await startGateway({
    bus,
    port: 0,
    topics,
    log: () => undefined,
    ...options,
  });
  defer(t, () => gateway.stop());
  return gateway;
}

export interface Message {
  readonly t: 'snapshot' | 'frame' | 'error';
  readonly seq: number;
  readonly g: Record<string, unknown> | null;
  readonly m: Record<string, unknown> | null;
  readonly message?: string;
  /** On a snapshot: frames this client missed so far. */
  readonly skipped?: number;
}

/** A WebSocket client of the gateway's feed that records every message and (unless told not to) acknowledges it at once. */
export class FeedClient {
  readonly messages: Message[] = [];
  readonly ws: WebSocket;
  ack = true;
  readonly #waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Message;
      this.messages.push(message);
      if (this.ack && message.t !== 'error') ws.send(JSON.stringify({ t: 'ack', seq: message.seq }));
      for (const w of this.#waiters) w();
    });
  }

  static async open(
    t: TestContext,
    url: string,
    query = '',
    options: { ack?: boolean } = {},
  ): Promise<FeedClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws${query}`);
    const client = new FeedClient(ws);
    client.ack = options.ack ?? true;
    defer(t, () => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Resolves once `check` holds for the messages received, or rejects naming `what` after `timeoutMs`. */
  waitFor(what: string, check: (messages: readonly Message[]) => boolean, timeoutMs = 30_000): Promise<void> {
    if (check(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.messages.length} messages)`),
        );
      }, timeoutMs);
      const waiter = (): void => {
        if (!check(this.messages)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve();
      };
      this.#waiters.add(waiter);
    });
  }
}
