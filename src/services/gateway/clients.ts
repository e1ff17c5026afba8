// The WebSocket clients: one frame per conflation interval with the latest of each kind, skipped (then resynced) for a client that cannot keep up.

import { type WebSocket } from 'ws';
import { CandleIntervals, type CandleInterval } from '../../contracts/schema/candles.ts';
import { type LagSampler } from './lag.ts';
import { type ResolvedGatewayOptions } from './options.ts';
import { type MarketState } from './state.ts';

export const INTERVALS: readonly CandleInterval[] = Object.values(CandleIntervals);
/** `exchange:SYMBOL`, as the market topics are keyed. */
export const INSTRUMENT = /^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9._/-]{1,40}$/;
const TAPE_SNAPSHOT = 60;
const TICKERS_EVERY_MS = 1000;

export interface Subscription {
  readonly instrument: string | null;
  readonly interval: CandleInterval;
}

/** Why a subscription is refused, or undefined when it is fine. */
export function subscriptionProblem(instrument: unknown, interval: unknown): string | undefined {
  if (
    instrument !== null &&
    instrument !== undefined &&
    (typeof instrument !== 'string' || !INSTRUMENT.test(instrument))
  )
    return `instrument ${JSON.stringify(instrument)} is not exchange:SYMBOL (write binance:BTCUSDT)`;
  if (interval !== undefined && !INTERVALS.includes(interval as CandleInterval))
    return `interval ${JSON.stringify(interval)} is not one of ${INTERVALS.join(', ')}`;
  return undefined;
}

export interface ClientCounts {
  connected: number;
  connections: number;
  frames: number;
  snapshots: number;
  /** Frames not sent because the client's socket held more than maxBufferedBytes. */
  skippedBuffer: number;
  /** Frames not sent because the client had not acknowledged (drawn) the previous ones. */
  skippedUnacked: number;
  bytes: number;
  /** The most unsent bytes seen on any client's socket just before a send. */
  maxBufferedBytes: number;
  badMessages: number;
}

interface Client {
  readonly id: number;
  readonly ws: WebSocket;
  instrument: string | null;
  interval: CandleInterval;
  seq: number;
  acked: number;
  needsSnapshot: boolean;
  alive: boolean;
  frames: number;
  skipped: number;
}

export class ClientHub {
  readonly counts: ClientCounts = {
    connected: 0,
    connections: 0,
    frames: 0,
    snapshots: 0,
    skippedBuffer: 0,
    skippedUnacked: 0,
    bytes: 0,
    maxBufferedBytes: 0,
    badMessages: 0,
  };
  readonly #o: ResolvedGatewayOptions;
  readonly #state: MarketState;
  readonly #lag: LagSampler;
  readonly #clients = new Set<Client>();
  #nextId = 1;
  #timer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #tickersAt = 0;
  #alertsDropped = 0;
  #eventsDropped = 0;

  constructor(options: ResolvedGatewayOptions, state: MarketState, lag: LagSampler) {
    this.#o = options;
    this.#state = state;
    this.#lag = lag;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#o.conflateMs);
    // A page that vanished without a close (laptop lid, dead network) is dropped after a missed pong.
    this.#pingTimer = setInterval(() => {
      for (const c of this.#clients) {
        if (!c.alive) c.ws.terminate();
        else {
          c.alive = false;
          c.ws.ping();
        }
      }
    }, 30_000);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    for (const c of this.#clients) c.ws.close(1001, 'gateway stopping');
  }

  /** Per-client figures for /api/stats. */
  clients(): Array<Record<string, unknown>> {
    return [...this.#clients].map((c) => ({
      id: c.id,
      instrument: c.instrument,
      interval: c.interval,
      frames: c.frames,
      skipped: c.skipped,
      unacked: c.seq - c.acked,
      bufferedBytes: c.ws.bufferedAmount,
    }));
  }

  attach(ws: WebSocket, subscription: Subscription): void {
    const client: Client = {
      id: this.#nextId++,
      ws,
      instrument: subscription.instrument,
      interval: subscription.interval,
      seq: 0,
      acked: 0,
      needsSnapshot: true,
      alive: true,
      frames: 0,
      skipped: 0,
    };
    this.#clients.add(client);
    this.counts.connected++;
    this.counts.connections++;
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => this.#onMessage(client, isBinary ? null : data.toString()));
    ws.on('close', () => {
      if (this.#clients.delete(client)) this.counts.connected--;
    });
    ws.on('error', () => ws.terminate());
    this.#sendSnapshot(client);
  }

  #refuse(client: Client, message: string): void {
    this.counts.badMessages++;
    if (client.ws.bufferedAmount < this.#o.maxBufferedBytes)
      client.ws.send(JSON.stringify({ t: 'error', message }));
  }

  #onMessage(client: Client, text: string | null): void {
    if (text === null) return this.#refuse(client, 'binary messages are not understood; send JSON text');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.#refuse(
        client,
        'a message must be JSON, e.g. {"t":"subscribe","instrument":"binance:BTCUSDT"}',
      );
    }
    const m = msg as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null) return this.#refuse(client, 'a message must be a JSON object');
    if (m['t'] === 'ack') {
      const seq = m['seq'];
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || seq > client.seq)
        return this.#refuse(client, `ack: seq must be a frame number you received (<= ${client.seq})`);
      client.acked = Math.max(client.acked, seq);
      return;
    }
    if (m['t'] === 'subscribe') {
      const problem = subscriptionProblem(m['instrument'], m['interval']);
      if (problem) return this.#refuse(client, `subscribe: ${problem}`);
      client.instrument = (m['instrument'] as string | undefined) ?? null;
      client.interval = (m['interval'] as CandleInterval | undefined) ?? client.interval;
      client.needsSnapshot = true;
      // A new subscription draws from scratch: earlier frames in flight no longer count against it.
      client.acked = client.seq;
      this.#sendSnapshot(client);
      return;
    }
    this.#refuse(client, `unknown message type ${JSON.stringify(m['t'])}; known: subscribe, ack`);
  }

  /** Whether the client can take a frame now; counts why not. */
  #canSend(client: Client): boolean {
    const buffered = client.ws.bufferedAmount;
    this.counts.maxBufferedBytes = Math.max(this.counts.maxBufferedBytes, buffered);
    if (buffered > this.#o.maxBufferedBytes) {
      this.counts.skippedBuffer++;
      return false;
    }
    if (client.seq - client.acked >= this.#o.maxUnackedFrames) {
      this.counts.skippedUnacked++;
      return false;
    }
    return true;
  }

  #send(client: Client, text: string): void {
    this.counts.bytes += Buffer.byteLength(text);
    client.ws.send(text);
  }

  #sendSnapshot(client: Client): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount > this.#o.maxBufferedBytes) return;
    const s = this.#state;
    const inst = client.instrument ? s.instruments.get(client.instrument) : undefined;
    client.seq++;
    client.needsSnapshot = false;
    client.frames++;
    this.counts.snapshots++;
    this.#send(
      client,
      JSON.stringify({
        t: 'snapshot',
        seq: client.seq,
        instrument: client.instrument,
        interval: client.interval,
        // Frames this page missed because it could not keep up: it can say so.
        skipped: client.skipped,
        m: {
          candles: inst?.candles(client.interval) ?? [],
          top: inst?.top ?? null,
          depth: inst?.depth ?? null,
          trades: inst?.trades().slice(-TAPE_SNAPSHOT) ?? [],
        },
        g: {
          alerts: s.alerts.recent(),
          alertsTotal: s.alerts.total,
          alertsDropped: s.alerts.dropped,
          events: s.events.recent(),
          eventsTotal: s.events.total,
          eventsDropped: s.events.dropped,
          lag: this.#lag.history,
          tickers: s.tickers(),
        },
      }),
    );
  }

  /** Sends one frame to every client that can take it, then forgets what changed. */
  tick(): void {
    const s = this.#state;
    const now = Date.now();
    const g: Record<string, unknown> = {};
    const alerts = s.alerts.take(this.#o.maxListPerFrame);
    if (alerts.length > 0) g['alerts'] = alerts;
    if (s.alerts.dropped !== this.#alertsDropped) g['alertsDropped'] = this.#alertsDropped = s.alerts.dropped;
    const events = s.events.take(this.#o.maxListPerFrame);
    if (events.length > 0) g['events'] = events;
    if (s.events.dropped !== this.#eventsDropped) g['eventsDropped'] = this.#eventsDropped = s.events.dropped;
    if (this.#lag.pending) {
      g['lag'] = this.#lag.pending;
      this.#lag.pending = null;
    }
    if (s.instrumentsChanged || now - this.#tickersAt >= TICKERS_EVERY_MS) {
      g['tickers'] = s.tickers();
      this.#tickersAt = now;
      s.instrumentsChanged = false;
    }
    const global = Object.keys(g).length > 0 ? JSON.stringify(g) : null;
    // One serialization per instrument and interval, shared by every client that watches it.
    const market = new Map<string, string | null>();
    const marketOf = (instrument: string, interval: CandleInterval): string | null => {
      const id = `${instrument} ${interval}`;
      if (market.has(id)) return market.get(id)!;
      const inst = s.instruments.get(instrument);
      let text: string | null = null;
      if (inst) {
        const m: Record<string, unknown> = {};
        if (inst.topChanged) m['top'] = inst.top;
        if (inst.depthChanged) m['depth'] = inst.depth;
        const candles = inst.changedCandles.get(interval);
        if (candles && candles.size > 0) m['candles'] = [...candles.values()].sort((a, b) => a.time - b.time);
        if (inst.newTrades.length > 0) m['trades'] = inst.newTrades.slice(-this.#o.maxTradesPerFrame);
        if (Object.keys(m).length > 0) text = JSON.stringify(m);
      }
      market.set(id, text);
      return text;
    };
    for (const client of this.#clients) {
      if (client.ws.readyState !== client.ws.OPEN) continue;
      if (client.needsSnapshot) {
        if (this.#canSend(client)) this.#sendSnapshot(client);
        else client.skipped++;
        continue;
      }
      const m = client.instrument ? marketOf(client.instrument, client.interval) : null;
      if (global === null && m === null) continue;
      if (!this.#canSend(client)) {
        // What this frame carried is lost to the client: it gets a fresh snapshot when it catches up.
        client.skipped++;
        client.needsSnapshot = true;
        continue;
      }
      client.seq++;
      client.frames++;
      this.counts.frames++;
      this.#send(client, `{"t":"frame","seq":${client.seq},"g":${global ?? 'null'},"m":${m ?? 'null'}}`);
    }
    for (const inst of s.instruments.values()) inst.clearChanges(this.#o.maxTradesPerFrame, s.conflated);
  }
}
