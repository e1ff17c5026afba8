// One WebSocket to Binance's combined-stream endpoint: every frame with receive time and sequence, live SUBSCRIBE/UNSUBSCRIBE, dead-connection detection.

import WebSocket from 'ws';
import { type FeedFrame } from '../../feed.ts';
import { classifyControl, wrappedStreamName } from './control-frames.ts';
import { BinanceTransportError, TransportErrorCodes } from './errors.ts';
import { IdleWatch } from './idle-watch.ts';
import { Pacer } from './pacer.ts';
import { type Refusal, readRefusal } from './refusal.ts';
import { combinedStreamUrl } from './stream-names.ts';

/** One WebSocket message exactly as received: the frame every venue feed delivers. */
export type StreamFrame = FeedFrame;

/** What a connection tells its owner; every call is synchronous, in receive order. */
export interface ConnectionListener {
  frame(frame: StreamFrame): void;
  open(connection: StreamConnection): void;
  /** Binance confirmed a SUBSCRIBE/UNSUBSCRIBE: the connection now carries `connection.streams`. */
  streamsChanged(
    connection: StreamConnection,
    method: 'SUBSCRIBE' | 'UNSUBSCRIBE',
    streams: readonly string[],
  ): void;
  /** The first data frame of any stream arrived: the connection works, not just its handshake. */
  firstData(connection: StreamConnection): void;
  /** With `watchCoverage`: every stream it carries has delivered at least one data frame. */
  covered(connection: StreamConnection): void;
  /** Binance announced `serverShutdown`: this connection is about to be closed by the server. */
  shutdownNotice(connection: StreamConnection): void;
  /** The socket is gone, whatever the cause; called exactly once. */
  closed(connection: StreamConnection, reason: string): void;
  error(error: BinanceTransportError): void;
}

export interface ConnectionOptions {
  readonly id: string;
  /** WebSocket base URL without trailing slash. */
  readonly base: string;
  /** Streams put in the URL; more can follow with `subscribe`. */
  readonly urlStreams: readonly string[];
  readonly spacingMs: number;
  readonly idleTimeoutMs: number;
  /** How long Binance has to answer a SUBSCRIBE/UNSUBSCRIBE, and to finish the opening handshake. */
  readonly answerTimeoutMs: number;
  /** Report `covered` once every stream has delivered a frame (a replacement waiting to take over). */
  readonly watchCoverage: boolean;
  readonly listener: ConnectionListener;
}

interface Request {
  readonly method: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  readonly streams: readonly string[];
  readonly resolve: () => void;
  readonly reject: (error: BinanceTransportError) => void;
  timer?: NodeJS.Timeout;
}

// Binance documents no cap on names per SUBSCRIBE; a moderate batch keeps each message small and
// each failure local, while 1024 streams still take only a handful of paced messages.
const NAMES_PER_REQUEST = 100;
// A close handshake the server never completes must not hold `close()` forever.
const CLOSE_GRACE_MS = 3000;

export class StreamConnection {
  readonly id: string;
  readonly url: string;
  readonly createdAt = Date.now();
  #openedAt: number | undefined;
  readonly #options: ConnectionOptions;
  readonly #listener: ConnectionListener;
  readonly #ws: WebSocket;
  readonly #pacer: Pacer;
  /** Streams Binance carries on this connection: the URL's once open, then as SUBSCRIBE/UNSUBSCRIBE answers say. */
  readonly #carried = new Set<string>();
  /** Streams this connection should carry once every request is answered. */
  readonly #wanted: Set<string>;
  readonly #pending = new Map<number, Request>();
  #nextRequestId = 1;
  #seq = 0;
  /** Streams that have delivered a data frame, while coverage is watched; undefined once covered. */
  #seen: Set<string> | undefined;
  #sawData = false;
  readonly #idle: IdleWatch;
  #closeReason: string | undefined;
  #errorText: string | undefined;
  #refusal: Refusal | undefined;
  #closed = false;
  #shutdownNoticed = false;
  readonly #whenClosed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#listener = options.listener;
    this.id = options.id;
    this.url = combinedStreamUrl(options.base, options.urlStreams);
    this.#wanted = new Set(options.urlStreams);
    this.#pacer = new Pacer(options.spacingMs);
    this.#idle = new IdleWatch(options.idleTimeoutMs, {
      probe: () =>
        this.#pacer.schedule(() => {
          if (this.#ws.readyState === WebSocket.OPEN) this.#ws.ping();
        }),
      dead: (silent) => this.terminate(`idle: nothing received for ${silent} ms (no frames, no pings)`),
    });
    this.#whenClosed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // No permessage-deflate: inflating every frame costs CPU on the loader's hottest path, and the
    // recorded bytes are the message payload either way.
    this.#ws = new WebSocket(this.url, {
      perMessageDeflate: false,
      handshakeTimeout: options.answerTimeoutMs,
    });
    this.#ws.on('open', () => this.#onOpen());
    this.#ws.on('message', (data: Buffer) => this.#onMessage(data));
    // ws answers every ping with a pong carrying the same payload (autoPong), as Binance requires;
    // here a ping only proves the server is alive.
    this.#ws.on('ping', () => this.#idle.heard());
    this.#ws.on('pong', () => this.#idle.heard());
    // A plain HTTP answer to the upgrade (400 invalid stream, 429, ...) says why in its body, which
    // beats ws's bare "Unexpected server response".
    this.#ws.on('unexpected-response', (_request, response) =>
      readRefusal(response, (refusal) => {
        this.#refusal = refusal;
        this.#errorText = `handshake refused: HTTP ${refusal.status}${refusal.text ? ` ${refusal.text}` : ''}`;
        this.#ws.terminate();
      }),
    );
    this.#ws.on('error', (error: Error) => this.#onError(error));
    this.#ws.on('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString('utf8')));
  }

  get isOpen(): boolean {
    return this.#openedAt !== undefined && !this.#closed;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** When the handshake completed, ms since the epoch. */
  get openedAt(): number | undefined {
    return this.#openedAt;
  }

  /** Streams Binance has confirmed for this connection, in subscription order. */
  get streams(): readonly string[] {
    return [...this.#carried];
  }

  /** Streams this connection will carry once every request is answered. */
  get wanted(): ReadonlySet<string> {
    return this.#wanted;
  }

  /** The HTTP status and body with which the server refused the handshake, if it did. */
  get refusal(): Refusal | undefined {
    return this.#refusal;
  }

  /** Binance announced serverShutdown on this connection. */
  get shutdownNoticed(): boolean {
    return this.#shutdownNoticed;
  }

  carries(stream: string): boolean {
    return this.#carried.has(stream);
  }

  /** Streams that have not delivered a frame yet, while coverage is watched. */
  get silentStreams(): readonly string[] {
    const seen = this.#seen;
    return seen ? [...this.#carried].filter((s) => !seen.has(s)) : [];
  }

  /** Asks Binance to add `streams`; resolves when it answers `{"result":null}`. */
  subscribe(streams: readonly string[]): Promise<void> {
    const fresh = streams.filter((s) => !this.#wanted.has(s));
    for (const s of fresh) this.#wanted.add(s);
    return this.#request('SUBSCRIBE', fresh);
  }

  /** Asks Binance to drop `streams`; resolves when it answers `{"result":null}`. */
  unsubscribe(streams: readonly string[]): Promise<void> {
    const known = streams.filter((s) => this.#wanted.has(s));
    for (const s of known) this.#wanted.delete(s);
    return this.#request('UNSUBSCRIBE', known);
  }

  /** Closes with a close frame and resolves once the socket is closed; `reason` goes into the marker. */
  close(reason: string): Promise<void> {
    if (this.#closed) return this.#whenClosed;
    this.#closeReason ??= reason;
    this.#pacer.stop();
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.close(1000);
      setTimeout(() => this.#ws.terminate(), CLOSE_GRACE_MS).unref();
    } else {
      this.#ws.terminate();
    }
    return this.#whenClosed;
  }

  /** Drops the socket without a close handshake (it is dead or misbehaving). */
  terminate(reason: string): void {
    if (this.#closed) return;
    this.#closeReason ??= reason;
    this.#ws.terminate();
  }

  #request(method: Request['method'], streams: readonly string[]): Promise<void> {
    const batches: Promise<void>[] = [];
    for (let i = 0; i < streams.length; i += NAMES_PER_REQUEST) {
      batches.push(this.#send(method, streams.slice(i, i + NAMES_PER_REQUEST)));
    }
    return Promise.all(batches).then(() => undefined);
  }

  #send(method: Request['method'], streams: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#goneError(method));
    return new Promise<void>((resolve, reject) => {
      const id = this.#nextRequestId++;
      const request: Request = { method, streams, resolve, reject };
      this.#pending.set(id, request);
      this.#pacer.schedule(() => {
        if (this.#ws.readyState !== WebSocket.OPEN) return;
        this.#ws.send(JSON.stringify({ method, params: streams, id }));
        request.timer = setTimeout(() => this.#unanswered(id), this.#options.answerTimeoutMs);
      });
    });
  }

  /**
   * A request Binance never answered leaves the connection in an unknown state (which streams does
   * it carry?), so the connection is dropped and its owner reconnects with the full stream set.
   */
  #unanswered(id: number): void {
    const request = this.#pending.get(id);
    if (!request) return;
    this.#pending.delete(id);
    const ms = this.#options.answerTimeoutMs;
    request.reject(
      new BinanceTransportError(
        TransportErrorCodes.TIMEOUT,
        `no answer to ${request.method} id ${id} within ${ms} ms`,
        {
          endpoint: this.url,
        },
      ),
    );
    this.terminate(`no answer to ${request.method} id ${id} within ${ms} ms`);
  }

  #goneError(method: string): BinanceTransportError {
    return new BinanceTransportError(
      TransportErrorCodes.UNREACHABLE,
      `connection ${this.id} closed before Binance answered ${method}`,
      { endpoint: this.url },
    );
  }

  #onOpen(): void {
    if (this.#closed) return;
    this.#openedAt = Date.now();
    for (const s of this.#options.urlStreams) this.#carried.add(s);
    if (this.#options.watchCoverage) this.#seen = new Set();
    this.#idle.start();
    this.#pacer.start();
    this.#listener.open(this);
  }

  #onMessage(body: Buffer): void {
    const receivedAt = Date.now();
    this.#idle.heard(receivedAt);
    this.#listener.frame({
      connectionId: this.id,
      connectionSeq: this.#seq++,
      receivedAt,
      url: this.url,
      body,
    });
    const stream = wrappedStreamName(body);
    if (stream !== undefined && this.#wanted.has(stream)) {
      this.#onData(stream);
      return;
    }
    const control = classifyControl(body);
    switch (control.kind) {
      case 'answer':
        this.#onAnswer(control.id, control.error);
        break;
      case 'shutdown':
        this.#shutdownNoticed = true;
        this.#listener.shutdownNotice(this);
        break;
      case 'data':
        if (this.#wanted.has(control.stream)) this.#onData(control.stream);
        break;
      case 'other':
        break;
    }
  }

  #onData(stream: string): void {
    if (!this.#sawData) {
      this.#sawData = true;
      this.#listener.firstData(this);
    }
    if (this.#seen && !this.#seen.has(stream)) {
      this.#seen.add(stream);
      this.#checkCoverage();
    }
  }

  // Frames of a stream can arrive before Binance's answer to its SUBSCRIBE, so coverage is judged
  // against what has been seen at all, whenever either side changes.
  #checkCoverage(): void {
    const seen = this.#seen;
    if (!seen || this.#wanted.size === 0) return;
    for (const s of this.#wanted) if (!this.#carried.has(s) || !seen.has(s)) return;
    this.#seen = undefined;
    this.#listener.covered(this);
  }

  #onAnswer(id: number, error: { readonly code?: number; readonly msg: string } | undefined): void {
    const request = this.#pending.get(id);
    if (!request) return;
    this.#pending.delete(id);
    if (request.timer) clearTimeout(request.timer);
    if (error) {
      // Refused: the connection keeps what it had before the request.
      for (const s of request.streams) {
        if (request.method === 'SUBSCRIBE') this.#wanted.delete(s);
        else if (this.#carried.has(s)) this.#wanted.add(s);
      }
      const failure = new BinanceTransportError(
        TransportErrorCodes.REJECTED,
        `Binance refused ${request.method} ${request.streams.join(', ')}: ${error.msg}`,
        error.code === undefined ? { endpoint: this.url } : { endpoint: this.url, binanceCode: error.code },
      );
      this.#listener.error(failure);
      request.reject(failure);
      return;
    }
    for (const s of request.streams) {
      if (request.method === 'SUBSCRIBE') this.#carried.add(s);
      else this.#carried.delete(s);
    }
    request.resolve();
    this.#listener.streamsChanged(this, request.method, request.streams);
    this.#checkCoverage();
  }

  #onError(error: Error): void {
    if (this.#refusal) error = new Error(this.#errorText);
    this.#errorText = error.message;
    // After close()/terminate() the error is our own doing (e.g. an aborted handshake), not news.
    if (this.#closed || this.#closeReason !== undefined) return;
    this.#listener.error(
      new BinanceTransportError(TransportErrorCodes.UNREACHABLE, `connection ${this.id}: ${error.message}`, {
        endpoint: this.url,
        cause: error,
      }),
    );
  }

  #onClose(code: number, text: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle.stop();
    this.#pacer.stop();
    for (const [id, request] of this.#pending) {
      if (request.timer) clearTimeout(request.timer);
      request.reject(this.#goneError(`${request.method} id ${id}`));
    }
    this.#pending.clear();
    const server = `code ${code}${text ? ` "${text}"` : ''}${this.#errorText ? `, ${this.#errorText}` : ''}`;
    this.#listener.closed(this, this.#closeReason ?? `closed by the server or network (${server})`);
    this.#resolveClosed();
  }
}
