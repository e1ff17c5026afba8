// One logical connection of BinanceStreams: a set of streams kept carried across reconnects and planned rotations.

import { type ConnectionMarker } from '../../types.ts';
import { Backoff, type BackoffOptions } from '../../backoff.ts';
import { type ConnectionListener, StreamConnection, type StreamFrame } from './connection.ts';
import { BinanceTransportError, TransportErrorCodes, isTransportError } from './errors.ts';
import { streamsFittingUrl } from './stream-names.ts';

/** What a slot needs from BinanceStreams: settings, ids, the connection-attempt gate and the outputs. */
export interface SlotContext {
  readonly base: string;
  readonly maxUrlLength: number;
  readonly spacingMs: number;
  readonly idleTimeoutMs: number;
  readonly answerTimeoutMs: number;
  readonly rotateAfterMs: number;
  readonly handoverTimeoutMs: number;
  readonly backoff: BackoffOptions;
  newConnectionId(): string;
  /** Ms to wait before a new connection may be opened; 0 = now, and the attempt is counted. */
  claimConnect(): number;
  frame(frame: StreamFrame): void;
  marker(marker: ConnectionMarker): void;
  error(error: BinanceTransportError): void;
  /** Binance refused these streams; they are no longer part of the slot. */
  dropped(streams: readonly string[]): void;
}

interface Waiter {
  readonly streams: readonly string[];
  /** Waiting for the streams to be carried (subscribe) or gone (unsubscribe). */
  readonly adding: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** A connection of a slot, as `BinanceStreams.connections()` reports it. */
export interface ConnectionInfo {
  readonly connectionId: string;
  readonly url: string;
  readonly role: 'active' | 'replacement' | 'retiring';
  readonly open: boolean;
  readonly streams: readonly string[];
}

/**
 * Holds one stream set and keeps exactly one connection carrying it:
 * - unplanned close or error: reconnect after capped, fully jittered backoff with the same streams;
 * - planned rotation (age limit, Binance's serverShutdown): open the replacement first and close the
 *   old connection only once the replacement has delivered a frame of every stream (or the
 *   handover timeout passed), so no update falls between the two. Frames overlap during the
 *   handover; the parser drops the duplicates by update id / trade id.
 */
export class StreamSlot {
  readonly #ctx: SlotContext;
  readonly #desired: Set<string>;
  readonly #backoff: Backoff;
  readonly #live = new Set<StreamConnection>();
  readonly #announced = new WeakSet<StreamConnection>();
  #active: StreamConnection | undefined;
  #replacement: StreamConnection | undefined;
  /** The connection the next active one takes over from, and why, for its `resubscribed` marker. */
  #takeover: { readonly from: string; readonly why: string } | undefined;
  #rotationReason: string | undefined;
  #waiters: Waiter[] = [];
  #reconnectTimer: NodeJS.Timeout | undefined;
  #rotateTimer: NodeJS.Timeout | undefined;
  #handoverTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #everOpen = false;

  constructor(context: SlotContext, streams: readonly string[]) {
    this.#ctx = context;
    this.#desired = new Set(streams);
    this.#backoff = new Backoff(context.backoff);
  }

  /** Streams this slot carries or is about to. */
  get streams(): readonly string[] {
    return [...this.#desired];
  }

  get size(): number {
    return this.#desired.size;
  }

  get closing(): boolean {
    return this.#closing;
  }

  connections(): ConnectionInfo[] {
    return [...this.#live].map((c) => ({
      connectionId: c.id,
      url: c.url,
      role: c === this.#active ? 'active' : c === this.#replacement ? 'replacement' : 'retiring',
      open: c.isOpen,
      streams: c.streams,
    }));
  }

  /** Opens the first connection; resolves once it carries every stream. */
  start(): Promise<void> {
    const ready = this.#wait(this.streams, true);
    this.#connect();
    return ready;
  }

  /** Adds streams with SUBSCRIBE on the open connection(s); resolves when the active one carries them. */
  add(streams: readonly string[]): Promise<void> {
    for (const s of streams) this.#desired.add(s);
    const done = this.#wait(streams, true);
    for (const c of [this.#active, this.#replacement]) {
      if (c?.isOpen) c.subscribe(streams).catch((e: unknown) => this.#requestFailed(streams, true, e));
    }
    return done;
  }

  /** Drops streams with UNSUBSCRIBE; resolves when the active connection no longer carries them. */
  remove(streams: readonly string[]): Promise<void> {
    for (const s of streams) this.#desired.delete(s);
    const done = this.#wait(streams, false);
    for (const c of [this.#active, this.#replacement]) {
      if (c?.isOpen) c.unsubscribe(streams).catch((e: unknown) => this.#requestFailed(streams, false, e));
    }
    return done;
  }

  /** Starts a planned rotation unless one is under way or there is no open connection to rotate. */
  rotate(reason: string): void {
    if (this.#closing || this.#replacement || !this.#active?.isOpen) return;
    this.#clear('rotate');
    const wait = this.#ctx.claimConnect();
    if (wait > 0) {
      this.#rotateTimer = setTimeout(() => this.rotate(reason), wait);
      return;
    }
    this.#rotationReason = reason;
    this.#replacement = this.#open(true);
  }

  /** Closes every connection with a close frame; resolves once all are closed. */
  async close(reason: string): Promise<void> {
    this.#closing = true;
    this.#clear('reconnect');
    this.#clear('rotate');
    this.#clear('handover');
    const closed = new BinanceTransportError(TransportErrorCodes.CLOSED, `stream client closed (${reason})`);
    for (const w of this.#waiters.splice(0)) w.reject(closed);
    await Promise.all([...this.#live].map((c) => c.close(reason)));
  }

  #clear(which: 'reconnect' | 'rotate' | 'handover'): void {
    const timer =
      which === 'reconnect'
        ? this.#reconnectTimer
        : which === 'rotate'
          ? this.#rotateTimer
          : this.#handoverTimer;
    if (timer) clearTimeout(timer);
    if (which === 'reconnect') this.#reconnectTimer = undefined;
    else if (which === 'rotate') this.#rotateTimer = undefined;
    else this.#handoverTimer = undefined;
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#closing) return;
    const wait = this.#ctx.claimConnect();
    if (wait > 0) {
      this.#reconnectTimer = setTimeout(() => this.#connect(), wait);
      return;
    }
    this.#active = this.#open(false);
  }

  /** A connection for the current stream set: as many as fit in the URL, the rest by SUBSCRIBE once open. */
  #open(watchCoverage: boolean): StreamConnection {
    const streams = this.streams;
    const inUrl = streams.slice(0, streamsFittingUrl(this.#ctx.base, streams, this.#ctx.maxUrlLength));
    const connection = new StreamConnection({
      id: this.#ctx.newConnectionId(),
      base: this.#ctx.base,
      urlStreams: inUrl,
      spacingMs: this.#ctx.spacingMs,
      idleTimeoutMs: this.#ctx.idleTimeoutMs,
      answerTimeoutMs: this.#ctx.answerTimeoutMs,
      watchCoverage,
      listener: this.#listenerFor(),
    });
    this.#live.add(connection);
    return connection;
  }

  #listenerFor(): ConnectionListener {
    return {
      frame: (frame) => this.#ctx.frame(frame),
      open: (c) => this.#onOpen(c),
      streamsChanged: (c, method, streams) => this.#onStreamsChanged(c, method, streams),
      firstData: () => this.#backoff.reset(),
      covered: (c) => {
        if (c === this.#replacement) this.#handover('every stream delivered a frame on the new connection');
      },
      shutdownNotice: (c) => {
        if (c === this.#active) this.rotate('Binance announced serverShutdown');
      },
      closed: (c, reason) => this.#onClosed(c, reason),
      error: (e) => this.#ctx.error(e),
    };
  }

  #onOpen(c: StreamConnection): void {
    this.#everOpen = true;
    this.#ctx.marker({ marker: 'connected', connectionId: c.id, url: c.url, streams: c.streams });
    // The stream set may have changed while the handshake ran, or not fitted in the URL.
    const missing = this.streams.filter((s) => !c.wanted.has(s));
    const extra = [...c.wanted].filter((s) => !this.#desired.has(s));
    if (missing.length > 0) c.subscribe(missing).catch((e: unknown) => this.#requestFailed(missing, true, e));
    if (extra.length > 0) c.unsubscribe(extra).catch((e: unknown) => this.#requestFailed(extra, false, e));
    if (c === this.#active) {
      this.#scheduleRotation(c);
      this.#settle(c);
    } else if (c === this.#replacement) {
      this.#handoverTimer = setTimeout(() => {
        const silent = c.silentStreams;
        this.#handover(
          `handover timeout: ${silent.length} stream(s) delivered nothing in ${this.#ctx.handoverTimeoutMs} ms` +
            (silent.length > 0
              ? ` (${silent.slice(0, 5).join(', ')}${silent.length > 5 ? ', ...' : ''})`
              : ''),
        );
      }, this.#ctx.handoverTimeoutMs);
    }
  }

  #onStreamsChanged(c: StreamConnection, method: string, streams: readonly string[]): void {
    if (c !== this.#active) return;
    // Markers record every change of what a connection carries, so a replay knows where a stream starts and ends.
    if (this.#announced.has(c) || !this.#takeover) {
      this.#ctx.marker({
        marker: 'resubscribed',
        connectionId: c.id,
        url: c.url,
        streams: c.streams,
        reason: `${method} ${streams.join(', ')}`,
      });
    }
    this.#settle(c);
  }

  /** The replacement takes over: it becomes the active connection, then the old one is closed. */
  #handover(why: string): void {
    const next = this.#replacement;
    if (!next) return;
    this.#clear('handover');
    const previous = this.#active;
    this.#replacement = undefined;
    this.#active = next;
    const rotation = this.#rotationReason ?? 'planned';
    this.#rotationReason = undefined;
    if (previous) this.#takeover = { from: previous.id, why: `planned rotation (${rotation}); ${why}` };
    this.#scheduleRotation(next);
    this.#settle(next);
    void previous?.close(`planned rotation (${rotation}): handed over to ${next.id}`);
    // The replacement may have landed on a server that is itself shutting down.
    if (next.shutdownNoticed) this.rotate('Binance announced serverShutdown');
  }

  #scheduleRotation(c: StreamConnection): void {
    this.#clear('rotate');
    const age = Date.now() - (c.openedAt ?? Date.now());
    const delay = Math.max(0, this.#ctx.rotateAfterMs - age);
    this.#rotateTimer = setTimeout(() => {
      this.#rotateTimer = undefined;
      this.rotate(`connection age limit ${this.#ctx.rotateAfterMs} ms`);
    }, delay);
    this.#rotateTimer.unref();
  }

  #onClosed(c: StreamConnection, reason: string): void {
    this.#live.delete(c);
    this.#ctx.marker({ marker: 'disconnected', connectionId: c.id, url: c.url, streams: [], reason });
    if (this.#closing) return;
    if (c === this.#replacement) {
      // The rotation failed; the old connection still carries everything, so try again after a backoff.
      this.#replacement = undefined;
      this.#clear('handover');
      const reasonAgain = this.#rotationReason ?? 'retry';
      this.#rotationReason = undefined;
      if (this.#active?.isOpen) {
        this.#clear('rotate');
        this.#rotateTimer = setTimeout(() => this.rotate(reasonAgain), this.#backoff.next());
      }
      return;
    }
    if (c !== this.#active) return;
    this.#clear('rotate');
    const refusal = c.refusal;
    if (
      !this.#everOpen &&
      refusal &&
      refusal.status >= 400 &&
      refusal.status < 500 &&
      ![418, 429].includes(refusal.status)
    ) {
      // Refused before this slot ever connected: the streams asked for are wrong (Binance answers
      // 400 for an unknown stream), and retrying cannot fix that; the caller learns it from subscribe().
      this.#giveUp(
        new BinanceTransportError(
          TransportErrorCodes.REJECTED,
          `Binance refused the connection for ${this.#desired.size} stream(s) (HTTP ${refusal.status}${refusal.text ? ` ${refusal.text}` : ''})`,
          { endpoint: c.url, status: refusal.status },
        ),
      );
      return;
    }
    const next = this.#replacement;
    if (next) {
      // The server closed the old connection mid-handover (serverShutdown): the replacement takes over now.
      this.#replacement = undefined;
      this.#clear('handover');
      this.#active = next;
      this.#takeover = {
        from: c.id,
        why: `planned rotation (${this.#rotationReason ?? 'planned'}); old connection closed first: ${reason}`,
      };
      this.#rotationReason = undefined;
      if (next.isOpen) {
        this.#scheduleRotation(next);
        this.#settle(next);
      }
      return;
    }
    this.#active = undefined;
    this.#takeover = { from: c.id, why: `reconnect after: ${reason}` };
    this.#reconnectTimer = setTimeout(() => this.#connect(), this.#backoff.next());
  }

  #giveUp(error: BinanceTransportError): void {
    this.#closing = true;
    this.#active = undefined;
    this.#ctx.error(error);
    for (const w of this.#waiters.splice(0)) w.reject(error);
    const streams = this.streams;
    this.#desired.clear();
    this.#ctx.dropped(streams);
  }

  /** Checks the active connection against the stream set: announces a completed takeover, settles waiters. */
  #settle(c: StreamConnection): void {
    if (c !== this.#active || !c.isOpen) return;
    const complete = this.streams.every((s) => c.carries(s));
    if (complete && this.#takeover && !this.#announced.has(c)) {
      const { from, why } = this.#takeover;
      this.#takeover = undefined;
      this.#announced.add(c);
      this.#ctx.marker({
        marker: 'resubscribed',
        connectionId: c.id,
        url: c.url,
        streams: c.streams,
        reason: `took over ${c.streams.length} stream(s) from ${from}: ${why}`,
      });
    } else if (!this.#takeover) {
      this.#announced.add(c);
    }
    this.#waiters = this.#waiters.filter((w) => {
      const done = w.adding ? w.streams.every((s) => c.carries(s)) : w.streams.every((s) => !c.carries(s));
      if (done) w.resolve();
      return !done;
    });
  }

  #wait(streams: readonly string[], adding: boolean): Promise<void> {
    if (streams.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ streams, adding, resolve, reject });
      if (this.#active) this.#settle(this.#active);
    });
  }

  /**
   * A refused SUBSCRIBE/UNSUBSCRIBE is final for those streams: they leave the slot and their callers
   * learn why. Anything else (timeout, dropped connection) ends in a reconnect that carries the
   * current stream set, which settles the callers then.
   */
  #requestFailed(streams: readonly string[], adding: boolean, error: unknown): void {
    if (!isTransportError(error, TransportErrorCodes.REJECTED)) return;
    if (adding) {
      const refused = streams.filter((s) => this.#desired.delete(s));
      if (refused.length > 0) this.#ctx.dropped(refused);
    }
    const refused = new Set(streams);
    this.#waiters = this.#waiters.filter((w) => {
      const hit = w.streams.some((s) => refused.has(s));
      if (hit) w.reject(error);
      return !hit;
    });
  }
}
