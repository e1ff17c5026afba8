// One set of OKX subscriptions kept on exactly one connection: subscribe on open, reconnect with backoff, markers.

import { Backoff, type BackoffOptions } from '../backoff.ts';
import { type FeedFrame } from '../feed.ts';
import { type ConnectionMarker } from '../types.ts';
import { OkxConnection, type Op } from './feed-connection.ts';
import { OkxFeedError, OkxFeedErrorCodes } from './feed-errors.ts';

/** What a slot needs from OkxFeed: settings, ids, the connection-attempt pacer and the outputs. */
export interface SlotContext {
  readonly url: string;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly answerTimeoutMs: number;
  readonly backoff: BackoffOptions;
  newConnectionId(): string;
  /** Ms to wait before a new connection may be opened; 0 = now, and the attempt is counted. */
  claimConnect(): number;
  frame(frame: FeedFrame): void;
  marker(marker: ConnectionMarker): void;
  error(error: OkxFeedError): void;
  /** OKX refused these pairs; they are no longer part of the slot. */
  dropped(keys: readonly string[]): void;
}

interface Waiter {
  readonly keys: readonly string[];
  /** Waiting for the pairs to be carried (subscribe) or gone (unsubscribe). */
  readonly adding: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Holds one set of `channel:instId` pairs and keeps one connection carrying it. On any close or
 * error the connection is replaced after capped, fully jittered backoff and every pair is
 * subscribed again; OKX sends a fresh `books` snapshot on each subscribe, so the book restarts
 * cleanly. A notice that OKX will close the connection (service upgrade) reconnects at once.
 */
export class OkxSlot {
  readonly #ctx: SlotContext;
  readonly #desired = new Set<string>();
  readonly #backoff: Backoff;
  readonly #live = new Set<OkxConnection>();
  #active: OkxConnection | undefined;
  /** The connection the active one replaces, and why, for its `resubscribed` marker. */
  #takeover: { readonly from: string; readonly why: string } | undefined;
  #waiters: Waiter[] = [];
  #reconnectTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #noticed = false;

  constructor(context: SlotContext) {
    this.#ctx = context;
    this.#backoff = new Backoff(context.backoff);
  }

  get size(): number {
    return this.#desired.size;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Adds pairs; resolves when the connection carries them, rejects if OKX refused one. */
  add(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.#desired.add(k);
    const done = this.#wait(keys, true);
    if (this.#active?.isOpen) this.#active.request('subscribe', keys);
    else if (!this.#active && !this.#reconnectTimer) this.#connect();
    return done;
  }

  /** Drops pairs; resolves when the connection no longer carries them. */
  remove(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.#desired.delete(k);
    const done = this.#wait(keys, false);
    if (this.#active?.isOpen)
      this.#active.request(
        'unsubscribe',
        keys.filter((k) => this.#active?.carries(k)),
      );
    return done;
  }

  /** Closes the connection with a close frame; resolves once it is closed. */
  async close(reason: string): Promise<void> {
    this.#closing = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const closed = new OkxFeedError(OkxFeedErrorCodes.CLOSED, `OKX feed closed (${reason})`);
    for (const w of this.#waiters.splice(0)) w.reject(closed);
    await Promise.all([...this.#live].map((c) => c.close(reason)));
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#closing) return;
    const wait = this.#ctx.claimConnect();
    if (wait > 0) {
      this.#reconnectTimer = setTimeout(() => this.#connect(), wait);
      return;
    }
    const connection = new OkxConnection({
      id: this.#ctx.newConnectionId(),
      url: this.#ctx.url,
      pingIntervalMs: this.#ctx.pingIntervalMs,
      pongTimeoutMs: this.#ctx.pongTimeoutMs,
      answerTimeoutMs: this.#ctx.answerTimeoutMs,
      listener: {
        frame: (frame) => this.#ctx.frame(frame),
        open: (c) => this.#onOpen(c),
        changed: (c, op, keys) => this.#onChanged(c, op, keys),
        refused: (c, op, keys, error) => this.#onRefused(c, op, keys, error),
        notice: (c, text) => this.#onNotice(c, text),
        closed: (c, reason) => this.#onClosed(c, reason),
        error: (e) => this.#ctx.error(e),
      },
    });
    this.#live.add(connection);
    this.#active = connection;
  }

  #onOpen(c: OkxConnection): void {
    this.#ctx.marker({ marker: 'connected', connectionId: c.id, url: c.url, streams: c.carried });
    if (c !== this.#active) return;
    c.request('subscribe', [...this.#desired]);
    this.#settle(c);
  }

  #onChanged(c: OkxConnection, op: Op, keys: readonly string[]): void {
    if (c !== this.#active) return;
    // OKX accepted a subscription: the connection works, so the next outage starts from a short delay.
    if (op === 'subscribe') this.#backoff.reset();
    // Markers record every change of what a connection carries, so a replay knows where a pair
    // starts and ends; a reconnect's batches are announced once, when all of them are back.
    if (!this.#takeover) {
      this.#ctx.marker({
        marker: 'resubscribed',
        connectionId: c.id,
        url: c.url,
        streams: c.carried,
        reason: `${op} ${keys.join(', ')}`,
      });
    }
    this.#settle(c);
  }

  #onRefused(c: OkxConnection, op: Op, keys: readonly string[], error: OkxFeedError): void {
    if (c !== this.#active) return;
    this.#ctx.error(error);
    const hit = new Set(keys);
    // Callers learn the refusal before the feed forgets the pairs (which may close this slot).
    this.#waiters = this.#waiters.filter((w) => {
      const mine = w.adding === (op === 'subscribe') && w.keys.some((k) => hit.has(k));
      if (mine) w.reject(error);
      return !mine;
    });
    if (op === 'subscribe') {
      const refused = keys.filter((k) => this.#desired.delete(k));
      if (refused.length > 0) this.#ctx.dropped(refused);
    }
    this.#settle(c);
  }

  #onNotice(c: OkxConnection, text: string): void {
    if (c !== this.#active) return;
    this.#noticed = true;
    void c.close(`OKX ${text}`);
  }

  #onClosed(c: OkxConnection, reason: string): void {
    this.#live.delete(c);
    this.#ctx.marker({ marker: 'disconnected', connectionId: c.id, url: c.url, streams: [], reason });
    if (c !== this.#active) return;
    this.#active = undefined;
    if (this.#closing) return;
    // Announced closes are planned: come back at once rather than after a backoff.
    const delay = this.#noticed ? 0 : this.#backoff.next();
    this.#noticed = false;
    this.#takeover = { from: c.id, why: `reconnect after: ${reason}` };
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Checks the active connection against the set: announces a completed takeover, settles waiters. */
  #settle(c: OkxConnection): void {
    if (c !== this.#active || !c.isOpen) return;
    const complete = [...this.#desired].every((k) => c.carries(k));
    if (complete && this.#takeover) {
      const { from, why } = this.#takeover;
      this.#takeover = undefined;
      this.#ctx.marker({
        marker: 'resubscribed',
        connectionId: c.id,
        url: c.url,
        streams: c.carried,
        reason: `took over ${c.carried.length} channel(s) from ${from}: ${why}`,
      });
    }
    this.#waiters = this.#waiters.filter((w) => {
      const done = w.adding ? w.keys.every((k) => c.carries(k)) : w.keys.every((k) => !c.carries(k));
      if (done) w.resolve();
      return !done;
    });
  }

  #wait(keys: readonly string[], adding: boolean): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ keys, adding, resolve, reject });
      if (this.#active) this.#settle(this.#active);
    });
  }
}
