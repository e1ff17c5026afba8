// OkxFeed: OKX v5 public market data (trades, books, bbo-tbt, candle1m) over as many connections as the per-connection limit needs.

import { Exchanges } from '../../contracts/schema/primitives.ts';
import { type BackoffOptions, DEFAULT_BACKOFF, checkBackoff } from '../backoff.ts';
import { type FeedCallbacks, type FeedChannel, type VenueFeed } from '../feed.ts';
import { argKeysFor } from './feed-args.ts';
import { OkxFeedError, OkxFeedErrorCodes } from './feed-errors.ts';
import { ConnectGate } from '../connect-gate.ts';
import { OkxSlot, type SlotContext } from './feed-slot.ts';

export { OKX_CHANNELS } from './feed-args.ts';
export { OkxFeedError, OkxFeedErrorCodes, type OkxFeedErrorCode, isOkxFeedError } from './feed-errors.ts';

export const OKX_PUBLIC_WS_URL = 'wss://ws.okx.com:8443/ws/v5/public';

export interface OkxFeedOptions extends FeedCallbacks {
  /** Default OKX's public endpoint; a capture server's ws://127.0.0.1:<port>/ws/v5/public in tests. */
  readonly wsUrl?: string;
  /** Pairs (channel, instId) per connection; default 240, so one dropped connection takes a bounded share with it. */
  readonly maxArgsPerConnection?: number;
  /** Send the text `ping` after this long without a frame; default 25 s (OKX closes after 30 s of silence). */
  readonly pingIntervalMs?: number;
  /** Drop a connection that sends nothing back this long after a `ping`; default = pingIntervalMs. */
  readonly pongTimeoutMs?: number;
  /** How long OKX has to answer a subscribe/unsubscribe or complete the handshake; default 10 s. */
  readonly answerTimeoutMs?: number;
  /** Reconnect backoff; default 500 ms doubling up to 30 s, full jitter. */
  readonly backoff?: BackoffOptions;
  /** New connections per second (OKX: 3 connection requests per second per IP); default 3. */
  readonly maxConnectsPerSecond?: number;
}

const DEFAULTS = {
  maxArgsPerConnection: 240,
  pingIntervalMs: 25_000,
  answerTimeoutMs: 10_000,
  maxConnectsPerSecond: 3,
} as const;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new OkxFeedError(OkxFeedErrorCodes.INVALID_ARGUMENT, `${name} must be > 0, got ${value}`);
  }
  return value;
}

/**
 * Subscribes OKX public channels per instId and delivers every frame byte for byte with its
 * receive time, connection id and per-connection sequence, acks, errors and `pong`s included, so
 * the raw topic holds exactly what OKX sent. Pairs fill connections up to `maxArgsPerConnection`;
 * each connection keeps itself alive with OKX's text ping and reconnects on its own (see OkxSlot).
 */
export class OkxFeed implements VenueFeed {
  readonly exchange = Exchanges.OKX;
  readonly #options: OkxFeedOptions;
  readonly #maxPerConnection: number;
  readonly #slots: OkxSlot[] = [];
  readonly #slotOf = new Map<string, OkxSlot>();
  readonly #context: SlotContext;
  #nextConnection = 0;
  #closed = false;

  constructor(options: OkxFeedOptions) {
    this.#options = options;
    const url = options.wsUrl ?? OKX_PUBLIC_WS_URL;
    if (!/^wss?:\/\/[^\s]+$/.test(url)) {
      throw new OkxFeedError(
        OkxFeedErrorCodes.INVALID_ARGUMENT,
        `wsUrl must be a ws:// or wss:// URL, got ${url}`,
      );
    }
    this.#maxPerConnection = positive(
      'maxArgsPerConnection',
      options.maxArgsPerConnection ?? DEFAULTS.maxArgsPerConnection,
    );
    const pingIntervalMs = positive('pingIntervalMs', options.pingIntervalMs ?? DEFAULTS.pingIntervalMs);
    let backoff: BackoffOptions;
    try {
      backoff = checkBackoff(options.backoff ?? DEFAULT_BACKOFF);
    } catch (error) {
      throw new OkxFeedError(OkxFeedErrorCodes.INVALID_ARGUMENT, (error as Error).message);
    }
    const pacer = new ConnectGate(
      positive('maxConnectsPerSecond', options.maxConnectsPerSecond ?? DEFAULTS.maxConnectsPerSecond),
      1000,
    );
    // Connection ids must not repeat across restarts: the raw topic keeps them, and a replay tells connections apart by id.
    const prefix = `okx-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    this.#context = {
      url,
      pingIntervalMs,
      pongTimeoutMs: positive('pongTimeoutMs', options.pongTimeoutMs ?? pingIntervalMs),
      answerTimeoutMs: positive('answerTimeoutMs', options.answerTimeoutMs ?? DEFAULTS.answerTimeoutMs),
      backoff,
      newConnectionId: () => `${prefix}-${this.#nextConnection++}`,
      claimConnect: () => pacer.claim(),
      frame: (frame) => this.#options.onFrame(frame),
      marker: (marker) => this.#options.onMarker?.(marker, Date.now()),
      error: (error) => this.#options.onError?.(error),
      dropped: (keys) => this.#forget(keys),
    };
  }

  /**
   * Subscribes every (symbol, channel) pair not yet subscribed. Resolves once OKX confirmed them
   * all; rejects with `rejected` (OKX's code in `okxCode`) if OKX refused one, e.g. an unknown
   * instId, while the others stay subscribed; `invalid-argument` for malformed ids or channels.
   */
  async subscribe(symbols: readonly string[], channels: readonly FeedChannel[]): Promise<void> {
    this.#checkOpen();
    const fresh = argKeysFor(symbols, channels).filter((k) => !this.#slotOf.has(k));
    const done: Promise<void>[] = [];
    for (const slot of this.#slots) {
      if (fresh.length === 0) break;
      const room = this.#maxPerConnection - slot.size;
      if (room <= 0 || slot.closing) continue;
      done.push(this.#assign(slot, fresh.splice(0, room)));
    }
    while (fresh.length > 0) {
      const slot = new OkxSlot(this.#context);
      this.#slots.push(slot);
      done.push(this.#assign(slot, fresh.splice(0, this.#maxPerConnection)));
    }
    await Promise.all(done);
  }

  /** Unsubscribes the pairs (unknown ones are ignored); a connection left with none is closed. */
  async unsubscribe(symbols: readonly string[], channels: readonly FeedChannel[]): Promise<void> {
    this.#checkOpen();
    const bySlot = new Map<OkxSlot, string[]>();
    for (const key of argKeysFor(symbols, channels)) {
      const slot = this.#slotOf.get(key);
      if (!slot) continue;
      this.#slotOf.delete(key);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), key]);
    }
    const done: Promise<void>[] = [];
    for (const [slot, keys] of bySlot) {
      if (keys.length === slot.size) {
        this.#slots.splice(this.#slots.indexOf(slot), 1);
        done.push(slot.close('no channels left'));
      } else {
        done.push(slot.remove(keys));
      }
    }
    await Promise.all(done);
  }

  /** `channel:instId` pairs subscribed or being subscribed. */
  get subscriptions(): readonly string[] {
    return [...this.#slotOf.keys()];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const slots = this.#slots.splice(0);
    this.#slotOf.clear();
    await Promise.all(slots.map((s) => s.close('feed closed')));
  }

  #assign(slot: OkxSlot, keys: readonly string[]): Promise<void> {
    for (const k of keys) this.#slotOf.set(k, slot);
    return slot.add(keys);
  }

  /** OKX refused these pairs: forget them, and close a connection that has nothing left to carry. */
  #forget(keys: readonly string[]): void {
    for (const k of keys) {
      const slot = this.#slotOf.get(k);
      this.#slotOf.delete(k);
      if (slot && slot.size === 0 && !slot.closing && this.#slots.includes(slot)) {
        this.#slots.splice(this.#slots.indexOf(slot), 1);
        void slot.close('every channel refused');
      }
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new OkxFeedError(OkxFeedErrorCodes.CLOSED, 'OKX feed is closed');
  }
}
