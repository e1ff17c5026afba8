// BinanceStreams: Binance market streams over as many WebSocket connections as the per-connection stream limit needs.

import { type ConnectionMarker } from '../../types.ts';
import { type BackoffOptions, DEFAULT_BACKOFF, checkBackoff } from '../../backoff.ts';
import { ConnectGate } from '../../connect-gate.ts';
import { type StreamFrame } from './connection.ts';
import { BinanceTransportError, TransportErrorCodes } from './errors.ts';
import { spacingFor } from './pacer.ts';
import { type ConnectionInfo, type SlotContext, StreamSlot } from './slot.ts';
import { checkStreamNames, checkWsBaseUrl } from './stream-names.ts';
import { type BinanceExchange } from './weights.ts';

export type { StreamFrame } from './connection.ts';
export type { ConnectionInfo } from './slot.ts';

export interface BinanceStreamsOptions {
  readonly exchange: BinanceExchange;
  /** wss://stream.binance.com:9443, wss://fstream.binance.com, or a simulator's ws://127.0.0.1:<port>[/fstream]. */
  readonly wsUrl: string;
  /** Binance allows 1024 streams per connection. */
  readonly maxStreamsPerConnection?: number;
  /** Binance's incoming-message limit per connection: 5 spot, 10 futures. Messages go out at half that rate. */
  readonly maxMessagesPerSecond?: number;
  /** Planned replacement of a connection before Binance's 24 h cut; default 23 h 50 min. */
  readonly rotateAfterMs?: number;
  /** No frame, ping or pong for this long means the connection is dead; default 60 s (a ping probe goes out at half). */
  readonly idleTimeoutMs?: number;
  /** How long a rotation waits for the new connection to deliver every stream before it closes the old one anyway; default 30 s. */
  readonly handoverTimeoutMs?: number;
  /** How long Binance has to answer a SUBSCRIBE/UNSUBSCRIBE or complete a handshake; default 10 s. */
  readonly answerTimeoutMs?: number;
  /** Reconnect backoff; default 500 ms doubling up to 30 s, full jitter. */
  readonly backoff?: BackoffOptions;
  /** Longest combined-stream URL; streams beyond it are subscribed by message. Default 4096 characters. */
  readonly maxUrlLength?: number;
  /** New connections allowed per rolling 5 minutes (Binance: 300 per IP); default 240. */
  readonly maxConnectsPer5Min?: number;
  /** Every WebSocket message of every connection, in receive order per connection. */
  readonly onFrame: (frame: StreamFrame) => void;
  /** Connected / disconnected / resubscribed, with `at` the local time of the event. */
  readonly onMarker?: (marker: ConnectionMarker, at: number) => void;
  /** Failures that do not stop the client (a connection error before a reconnect, a refused SUBSCRIBE). */
  readonly onError?: (error: BinanceTransportError) => void;
}

const DEFAULTS = {
  maxStreamsPerConnection: 1024,
  rotateAfterMs: (23 * 60 + 50) * 60_000,
  idleTimeoutMs: 60_000,
  handoverTimeoutMs: 30_000,
  answerTimeoutMs: 10_000,
  // Request lines much past 4 KB are refused by common proxies and load balancers in front of WebSocket servers.
  maxUrlLength: 4096,
  maxConnectsPer5Min: 240,
} as const;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new BinanceTransportError(
      TransportErrorCodes.INVALID_ARGUMENT,
      `${name} must be > 0, got ${value}`,
    );
  }
  return value;
}

/**
 * Subscribes Binance market streams and delivers every frame byte for byte with its receive time,
 * connection id and per-connection sequence. Streams fill connections up to the per-connection
 * limit: the first set of each connection goes in its combined-stream URL, later ones by live
 * SUBSCRIBE (paced under Binance's message limit). Connections reconnect on their own and rotate
 * before Binance's 24 h cut (see StreamSlot).
 */
export class BinanceStreams {
  readonly exchange: BinanceExchange;
  readonly #options: BinanceStreamsOptions;
  readonly #base: string;
  readonly #maxPerConnection: number;
  readonly #slots: StreamSlot[] = [];
  readonly #slotOf = new Map<string, StreamSlot>();
  readonly #gate: ConnectGate;
  readonly #idPrefix: string;
  #nextConnection = 0;
  #closed = false;
  readonly #context: SlotContext;

  constructor(options: BinanceStreamsOptions) {
    if (options.exchange !== 'binance' && options.exchange !== 'binance-futures') {
      throw new BinanceTransportError(
        TransportErrorCodes.INVALID_ARGUMENT,
        `exchange must be 'binance' or 'binance-futures', got ${String(options.exchange)}`,
      );
    }
    this.exchange = options.exchange;
    this.#options = options;
    this.#base = checkWsBaseUrl(options.wsUrl);
    this.#maxPerConnection = positive(
      'maxStreamsPerConnection',
      options.maxStreamsPerConnection ?? DEFAULTS.maxStreamsPerConnection,
    );
    const messages = positive(
      'maxMessagesPerSecond',
      options.maxMessagesPerSecond ?? (options.exchange === 'binance' ? 5 : 10),
    );
    this.#gate = new ConnectGate(
      positive('maxConnectsPer5Min', options.maxConnectsPer5Min ?? DEFAULTS.maxConnectsPer5Min),
      5 * 60_000,
    );
    // Connection ids must not repeat across restarts: the raw topic keeps them, and a replay tells connections apart by id.
    this.#idPrefix = `${options.exchange}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    let backoff: BackoffOptions;
    try {
      backoff = checkBackoff(options.backoff ?? DEFAULT_BACKOFF);
    } catch (error) {
      throw new BinanceTransportError(TransportErrorCodes.INVALID_ARGUMENT, (error as Error).message);
    }
    this.#context = {
      base: this.#base,
      maxUrlLength: positive('maxUrlLength', options.maxUrlLength ?? DEFAULTS.maxUrlLength),
      spacingMs: spacingFor(messages),
      idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs),
      answerTimeoutMs: positive('answerTimeoutMs', options.answerTimeoutMs ?? DEFAULTS.answerTimeoutMs),
      rotateAfterMs: positive('rotateAfterMs', options.rotateAfterMs ?? DEFAULTS.rotateAfterMs),
      handoverTimeoutMs: positive(
        'handoverTimeoutMs',
        options.handoverTimeoutMs ?? DEFAULTS.handoverTimeoutMs,
      ),
      backoff,
      newConnectionId: () => `${this.#idPrefix}-${this.#nextConnection++}`,
      claimConnect: () => this.#gate.claim(),
      frame: (frame) => this.#options.onFrame(frame),
      marker: (marker) => this.#options.onMarker?.(marker, Date.now()),
      error: (error) => this.#options.onError?.(error),
      dropped: (streams) => this.#forget(streams),
    };
  }

  /**
   * Adds streams (already subscribed ones are ignored). Resolves once every stream is carried by an
   * open connection; while Binance is unreachable it keeps waiting (reconnecting, reporting each
   * failure to onError), so callers that need a deadline race it with their own timer. Rejects with
   * `invalid-argument` for malformed names, `rejected` if Binance refuses a SUBSCRIBE.
   */
  async subscribe(streams: readonly string[]): Promise<void> {
    this.#checkOpen();
    checkStreamNames(streams, this.#base);
    const fresh = [...new Set(streams)].filter((s) => !this.#slotOf.has(s));
    const done: Promise<void>[] = [];
    for (const slot of this.#slots) {
      if (fresh.length === 0) break;
      const room = this.#maxPerConnection - slot.size;
      if (room <= 0 || slot.closing) continue;
      const batch = fresh.splice(0, room);
      for (const s of batch) this.#slotOf.set(s, slot);
      done.push(slot.add(batch));
    }
    while (fresh.length > 0) {
      const batch = fresh.splice(0, this.#maxPerConnection);
      const slot = new StreamSlot(this.#context, batch);
      this.#slots.push(slot);
      for (const s of batch) this.#slotOf.set(s, slot);
      done.push(slot.start());
    }
    await Promise.all(done);
  }

  /** Removes streams (unknown ones are ignored); a connection left with none is closed. */
  async unsubscribe(streams: readonly string[]): Promise<void> {
    this.#checkOpen();
    const bySlot = new Map<StreamSlot, string[]>();
    for (const s of new Set(streams)) {
      const slot = this.#slotOf.get(s);
      if (!slot) continue;
      this.#slotOf.delete(s);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), s]);
    }
    const done: Promise<void>[] = [];
    for (const [slot, batch] of bySlot) {
      if (batch.length === slot.size) {
        this.#slots.splice(this.#slots.indexOf(slot), 1);
        done.push(slot.close('no streams left'));
      } else {
        done.push(slot.remove(batch));
      }
    }
    await Promise.all(done);
  }

  /** Every subscribed stream (carried or about to be), in subscription order. */
  list(): string[] {
    return [...this.#slotOf.keys()];
  }

  /** Every live connection with its role and the streams Binance confirmed on it. */
  connections(): ConnectionInfo[] {
    return this.#slots.flatMap((slot) => slot.connections());
  }

  /** Starts a planned rotation of every connection now (as on serverShutdown), e.g. before a known maintenance. */
  rotateAll(reason = 'requested'): void {
    for (const slot of this.#slots) slot.rotate(reason);
  }

  /** Closes every connection with a close frame; resolves when all are closed. Later calls do nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const slots = this.#slots.splice(0);
    this.#slotOf.clear();
    await Promise.all(slots.map((slot) => slot.close('closed by client')));
  }

  #checkOpen(): void {
    if (this.#closed) throw new BinanceTransportError(TransportErrorCodes.CLOSED, 'BinanceStreams is closed');
  }

  #forget(streams: readonly string[]): void {
    for (const s of streams) this.#slotOf.delete(s);
    for (let i = this.#slots.length - 1; i >= 0; i--)
      if (this.#slots[i]?.size === 0) this.#slots.splice(i, 1);
  }
}
