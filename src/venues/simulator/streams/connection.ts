// One client WebSocket: live (un)subscribing, the incoming-message limit, pings, lifetime, and frame faults.

import { type Duplex } from 'node:stream';
import { type WebSocket } from 'ws';
import { type FaultState } from '../faults.ts';
import { type MarketKind } from '../model/instruments.ts';
import { Methods, errorText, parseControl, resultText, type RequestId } from './control.ts';
import { type StreamHub, type Subscriber } from './hub.ts';
import { MAX_STREAMS_PER_CONNECTION } from './names.ts';
import { envelope, serverShutdownPayload } from './payloads.ts';

export interface ConnectionSettings {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly lifetimeMs: number;
  /** Incoming messages per second before the connection is closed (spot 5, USD-M 10). */
  readonly messagesPerSecond: number;
  /** Time between the `serverShutdown` notice and the close. */
  readonly shutdownGraceMs: number;
}

export interface WsStats {
  connectionsOpen: number;
  connectionsTotal: number;
  framesSent: number;
  bytesSent: number;
  messagesReceived: number;
  /** Why the server ended connections: reason -> count. */
  closedByServer: Record<string, number>;
}

export interface ConnectionContext {
  readonly kind: MarketKind;
  readonly hub: StreamHub;
  readonly faults: FaultState;
  readonly stats: WsStats;
  readonly settings: ConnectionSettings;
  /** Every open connection of the simulator, both APIs, for the connection faults. */
  readonly registry: Set<ClientConnection>;
  validStream(name: string): boolean;
}

/** A client that reads slower than this many buffered bytes is cut off rather than kept in memory. */
const MAX_BUFFERED = 64 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 2000;

export class ClientConnection implements Subscriber {
  static #ids = 0;
  readonly id = ++ClientConnection.#ids;
  readonly streams = new Set<string>();
  combined: boolean;
  readonly #ws: WebSocket;
  /** The TCP socket under `#ws`, corked while one event-loop turn writes its frames. */
  readonly #socket: Duplex;
  #corked = false;
  readonly #ctx: ConnectionContext;
  readonly #incoming: number[] = [];
  readonly #queue: { text: string; at: number }[] = [];
  readonly #outstandingPings = new Set<string>();
  readonly #timers: NodeJS.Timeout[] = [];
  #queueTimer: NodeJS.Timeout | undefined;
  #pongTimer: NodeJS.Timeout | undefined;
  #pings = 0;
  #closing = false;
  #cleaned = false;

  constructor(
    ws: WebSocket,
    socket: Duplex,
    ctx: ConnectionContext,
    streams: readonly string[],
    combined: boolean,
  ) {
    this.#ws = ws;
    this.#socket = socket;
    this.#ctx = ctx;
    this.combined = combined;
    ctx.stats.connectionsOpen++;
    ctx.stats.connectionsTotal++;
    ctx.registry.add(this);
    for (const s of streams) this.#subscribe(s);
    ws.on('message', (data, isBinary) => this.#onMessage(isBinary ? '' : data.toString()));
    ws.on('ping', () => this.#countIncoming());
    ws.on('pong', (data) => this.#onPong(data.toString()));
    ws.on('close', () => this.#cleanup());
    ws.on('error', () => this.#cleanup());
    const s = ctx.settings;
    this.#timers.push(setInterval(() => this.#ping(), s.pingIntervalMs));
    this.#timers.push(setTimeout(() => this.expire(), s.lifetimeMs));
  }

  get buffered(): number {
    return this.#ws.bufferedAmount;
  }

  /** A data frame from the hub: subject to the injected frame faults. */
  deliver(text: string): void {
    if (this.#closing) return;
    const now = Date.now();
    const fault = this.#ctx.faults.nextFrame(now);
    const frame = fault.malformed ? text.slice(0, Math.ceil(text.length / 2)) : text;
    this.#enqueue(frame, now + fault.delayMs);
    if (fault.duplicate) this.#enqueue(frame, now + fault.delayMs);
  }

  /** The 24-hour disconnect: a normal close frame, 1001 (going away). */
  expire(): void {
    this.#close(1001, 'connection lifetime reached', 'lifetime');
  }

  /** The maintenance notice, then a close once the grace period is over. */
  announceShutdown(): void {
    if (this.#closing) return;
    const data = serverShutdownPayload(Date.now());
    this.#enqueue(this.combined ? envelope('!serverShutdown', data) : data, Date.now());
    this.#timers.push(
      setTimeout(
        () => this.#close(1001, 'server shutdown', 'serverShutdown'),
        this.#ctx.settings.shutdownGraceMs,
      ),
    );
  }

  /** Gone without a close frame, as when a load balancer drops the TCP connection. */
  drop(reason = 'dropped'): void {
    this.#count(reason);
    this.#closing = true;
    this.#ws.terminate();
  }

  #onMessage(text: string): void {
    if (this.#countIncoming()) return;
    this.#ctx.stats.messagesReceived++;
    const request = parseControl(text);
    if (!request.ok) return this.#reply(errorText(request.code, request.msg, request.id));
    const { id, params } = request;
    switch (request.method) {
      case Methods.SUBSCRIBE:
      case Methods.UNSUBSCRIBE:
        return this.#reply(this.#changeSubscriptions(request.method === Methods.SUBSCRIBE, params, id));
      case Methods.LIST_SUBSCRIPTIONS:
        return this.#reply(resultText([...this.streams], id));
      case Methods.SET_PROPERTY:
      case Methods.GET_PROPERTY:
        return this.#reply(this.#property(request.method === Methods.SET_PROPERTY, params, id));
    }
  }

  #changeSubscriptions(subscribe: boolean, params: readonly unknown[], id: RequestId): string {
    const names = params.filter((p): p is string => typeof p === 'string');
    if (names.length !== params.length || (subscribe && names.some((n) => !this.#ctx.validStream(n))))
      return errorText(2, 'Invalid request: invalid stream', id);
    if (!subscribe) {
      for (const n of names) this.#unsubscribe(n);
      return resultText(null, id);
    }
    const added = new Set(names.filter((n) => !this.streams.has(n)));
    if (this.streams.size + added.size > MAX_STREAMS_PER_CONNECTION)
      return errorText(
        2,
        `Invalid request: too many streams; a connection can listen to at most ${MAX_STREAMS_PER_CONNECTION}`,
        id,
      );
    for (const n of added) this.#subscribe(n);
    return resultText(null, id);
  }

  #property(set: boolean, params: readonly unknown[], id: RequestId): string {
    const [name, value] = params;
    if (typeof name !== 'string') return errorText(2, 'Invalid request: property name must be a string', id);
    if (params.length > (set ? 2 : 1)) return errorText(2, 'Invalid request: too many parameters', id);
    if (name !== 'combined') return errorText(0, 'Unknown property', id);
    if (!set) return resultText(this.combined, id);
    if (typeof value !== 'boolean') return errorText(1, 'Invalid value type: expected Boolean', id);
    this.combined = value;
    return resultText(null, id);
  }

  #subscribe(stream: string): void {
    this.streams.add(stream);
    this.#ctx.hub.add(this, stream);
  }

  #unsubscribe(stream: string): void {
    if (!this.streams.delete(stream)) return;
    this.#ctx.hub.delete(this, stream);
  }

  /** Counts a message against the per-second limit; true when that closed the connection. */
  #countIncoming(): boolean {
    const now = Date.now();
    const window = this.#incoming;
    window.push(now);
    while (window.length > 0 && window[0]! <= now - 1000) window.shift();
    if (window.length <= this.#ctx.settings.messagesPerSecond) return false;
    this.#close(1008, 'Too many requests', 'messageRate');
    return true;
  }

  #ping(): void {
    if (this.#closing) return;
    const payload = String(++this.#pings);
    this.#outstandingPings.add(payload);
    this.#ws.ping(payload);
    this.#pongTimer ??= setTimeout(
      () => this.#close(1001, 'pong timeout', 'pongTimeout'),
      this.#ctx.settings.pongTimeoutMs,
    );
  }

  /** Only a pong that echoes one of our pings keeps the connection; unsolicited ones count as messages. */
  #onPong(payload: string): void {
    if (!this.#outstandingPings.has(payload)) {
      this.#countIncoming();
      return;
    }
    this.#outstandingPings.clear();
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  #reply(text: string): void {
    this.#enqueue(text, Date.now());
  }

  /** Frames leave in order; a delayed frame holds back the ones after it. */
  #enqueue(text: string, at: number): void {
    if (this.#closing) return;
    if (this.#queue.length === 0 && at <= Date.now()) return this.#write(text);
    this.#queue.push({ text, at });
    this.#scheduleQueue();
  }

  #scheduleQueue(): void {
    if (this.#queueTimer || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0]!.at - Date.now());
    this.#queueTimer = setTimeout(() => {
      this.#queueTimer = undefined;
      const now = Date.now();
      while (this.#queue.length > 0 && this.#queue[0]!.at <= now) this.#write(this.#queue.shift()!.text);
      this.#scheduleQueue();
    }, wait);
  }

  #write(text: string): void {
    const ws = this.#ws;
    if (this.#closing || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) return this.drop('slowConsumer');
    // A market step sends many small frames at once: one write per turn instead of one per frame.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    ws.send(text);
    this.#ctx.stats.framesSent++;
    this.#ctx.stats.bytesSent += text.length;
  }

  #close(code: number, reason: string, statKey: string): void {
    if (this.#closing) return;
    this.#count(statKey);
    this.#closing = true;
    this.#ws.close(code, reason);
    // A peer that never answers the close frame is cut off.
    setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS).unref();
  }

  #count(reason: string): void {
    const closed = this.#ctx.stats.closedByServer;
    closed[reason] = (closed[reason] ?? 0) + 1;
  }

  #cleanup(): void {
    if (this.#cleaned) return;
    this.#cleaned = true;
    this.#closing = true;
    for (const t of this.#timers) clearTimeout(t);
    clearTimeout(this.#pongTimer);
    clearTimeout(this.#queueTimer);
    for (const s of this.streams) this.#ctx.hub.delete(this, s);
    this.#ctx.registry.delete(this);
    this.#ctx.stats.connectionsOpen--;
  }
}
