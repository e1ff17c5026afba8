// One WebSocket to OKX's public endpoint: every frame with receive time and sequence, subscribe answers, text ping/pong keepalive.

import WebSocket from 'ws';
import { type FeedFrame } from '../feed.ts';
import { requestTexts } from './feed-args.ts';
import { classifyControl } from './feed-control.ts';
import { OkxFeedError, OkxFeedErrorCodes } from './feed-errors.ts';

export type Op = 'subscribe' | 'unsubscribe';

/** What a connection tells its owner; every call is synchronous, in receive order. */
export interface OkxConnectionListener {
  frame(frame: FeedFrame): void;
  open(connection: OkxConnection): void;
  /** OKX confirmed every pair of one request (`keys`, possibly fewer than asked if some were refused). */
  changed(connection: OkxConnection, op: Op, keys: readonly string[]): void;
  /** OKX refused these pairs with an error event; the connection keeps what it had. */
  refused(connection: OkxConnection, op: Op, keys: readonly string[], error: OkxFeedError): void;
  /** OKX announced it will close this connection soon (notice 64008). */
  notice(connection: OkxConnection, text: string): void;
  /** The socket is gone, whatever the cause; called exactly once. */
  closed(connection: OkxConnection, reason: string): void;
  error(error: OkxFeedError): void;
}

export interface OkxConnectionOptions {
  readonly id: string;
  readonly url: string;
  /** Send `ping` after this long without receiving anything. */
  readonly pingIntervalMs: number;
  /** After a `ping`, drop the connection if nothing (the `pong`) arrives within this long. */
  readonly pongTimeoutMs: number;
  /** How long OKX has to answer a subscribe/unsubscribe or to complete the handshake. */
  readonly answerTimeoutMs: number;
  readonly listener: OkxConnectionListener;
}

/** One request as sent: its pairs still unanswered, and what the answers said so far. */
interface Request {
  readonly op: Op;
  readonly outstanding: Set<string>;
  readonly acked: string[];
  readonly refused: { readonly key: string; readonly code: string; readonly msg: string }[];
  timer?: NodeJS.Timeout;
}

// A close handshake the server never completes must not hold `close()` forever.
const CLOSE_GRACE_MS = 3000;

export class OkxConnection {
  readonly id: string;
  readonly url: string;
  readonly #options: OkxConnectionOptions;
  readonly #listener: OkxConnectionListener;
  readonly #ws: WebSocket;
  /** Pairs OKX confirmed on this connection, in confirmation order. */
  readonly #carried = new Set<string>();
  /** Outstanding pairs by `op|key`, pointing at the request that asked for them; requests in send order. */
  readonly #pending = new Map<string, Request>();
  readonly #requests: Request[] = [];
  #seq = 0;
  #open = false;
  #closed = false;
  #lastHeardAt = Date.now();
  #pingSentAt: number | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #closeReason: string | undefined;
  #errorText: string | undefined;
  readonly #whenClosed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(options: OkxConnectionOptions) {
    this.#options = options;
    this.#listener = options.listener;
    this.id = options.id;
    this.url = options.url;
    this.#whenClosed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // No permessage-deflate: inflating costs CPU on the hottest path, and the recorded bytes are the payload either way.
    this.#ws = new WebSocket(this.url, {
      perMessageDeflate: false,
      handshakeTimeout: options.answerTimeoutMs,
    });
    this.#ws.on('open', () => this.#onOpen());
    this.#ws.on('message', (data: Buffer) => this.#onMessage(data));
    // OKX's keepalive is the text `ping`; protocol pings (answered by ws itself) still prove the peer is alive.
    this.#ws.on('ping', () => this.#heard(Date.now()));
    this.#ws.on('pong', () => this.#heard(Date.now()));
    this.#ws.on('error', (error: Error) => this.#onError(error));
    this.#ws.on('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString('utf8')));
  }

  get isOpen(): boolean {
    return this.#open && !this.#closed;
  }

  /** Pairs OKX has confirmed on this connection. */
  get carried(): readonly string[] {
    return [...this.#carried];
  }

  carries(key: string): boolean {
    return this.#carried.has(key);
  }

  /** Sends `op` for `keys` (batched under OKX's size limit); answers arrive through the listener. */
  request(op: Op, keys: readonly string[]): void {
    // A pair already asked for is not asked again: a second answer could not be told from the first.
    const fresh = keys.filter((k) => !this.#pending.has(`${op}|${k}`));
    if (!this.isOpen || fresh.length === 0) return;
    for (const { text, keys: batch } of requestTexts(op, fresh)) {
      const request: Request = { op, outstanding: new Set(batch), acked: [], refused: [] };
      for (const key of batch) this.#pending.set(`${op}|${key}`, request);
      this.#requests.push(request);
      this.#ws.send(text);
      request.timer = setTimeout(() => this.#unanswered(request), this.#options.answerTimeoutMs);
    }
  }

  /** Closes with a close frame and resolves once the socket is closed; `reason` goes into the marker. */
  close(reason: string): Promise<void> {
    if (this.#closed) return this.#whenClosed;
    this.#closeReason ??= reason;
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

  #onOpen(): void {
    if (this.#closed) return;
    this.#open = true;
    this.#heard(Date.now());
    this.#startKeepalive();
    this.#listener.open(this);
  }

  #heard(at: number): void {
    this.#lastHeardAt = at;
    this.#pingSentAt = undefined;
  }

  /**
   * OKX closes a connection after 30 s without traffic. Any received frame proves the connection
   * alive; after `pingIntervalMs` of silence a text `ping` goes out, and if nothing at all comes
   * back within `pongTimeoutMs` the connection is dead even if TCP has not noticed, so it is dropped
   * and its owner reconnects.
   */
  #startKeepalive(): void {
    const { pingIntervalMs, pongTimeoutMs } = this.#options;
    this.#keepalive = setInterval(
      () => {
        const now = Date.now();
        if (this.#pingSentAt !== undefined) {
          if (now - this.#pingSentAt >= pongTimeoutMs) {
            this.#listener.error(
              new OkxFeedError(
                OkxFeedErrorCodes.TIMEOUT,
                `connection ${this.id}: no pong within ${pongTimeoutMs} ms`,
                {
                  url: this.url,
                },
              ),
            );
            this.terminate(`keepalive: no pong within ${pongTimeoutMs} ms of ping`);
          }
        } else if (now - this.#lastHeardAt >= pingIntervalMs && this.#ws.readyState === WebSocket.OPEN) {
          this.#pingSentAt = now;
          this.#ws.send('ping');
        }
      },
      Math.max(10, Math.floor(Math.min(pingIntervalMs, pongTimeoutMs) / 5)),
    );
    this.#keepalive.unref();
  }

  #onMessage(body: Buffer): void {
    const receivedAt = Date.now();
    this.#heard(receivedAt);
    this.#listener.frame({
      connectionId: this.id,
      connectionSeq: this.#seq++,
      receivedAt,
      url: this.url,
      body,
    });
    const control = classifyControl(body);
    switch (control.kind) {
      case 'answer':
        this.#answered(control.op, control.key, undefined);
        break;
      case 'error':
        this.#onErrorEvent(control.code, control.msg, control.key);
        break;
      case 'notice':
        this.#listener.notice(this, `notice ${control.code}: ${control.msg}`);
        break;
      case 'data':
      case 'pong':
      case 'other':
        break;
    }
  }

  /**
   * OKX's error events carry no `arg`: the pair is read from the message when it names one
   * ("channel:books,instId:FOO-BAR doesn't exist"); otherwise the error answers the oldest request
   * still waiting, as OKX answers in order.
   */
  #onErrorEvent(code: string, msg: string, key: string | undefined): void {
    if (key !== undefined) {
      for (const op of ['subscribe', 'unsubscribe'] as const) {
        if (this.#pending.has(`${op}|${key}`)) {
          this.#answered(op, key, { code, msg });
          return;
        }
      }
    }
    const oldest = this.#requests[0];
    if (oldest) {
      for (const k of [...oldest.outstanding]) this.#answered(oldest.op, k, { code, msg });
      return;
    }
    this.#listener.error(
      new OkxFeedError(OkxFeedErrorCodes.REJECTED, `OKX error ${code}: ${msg}`, {
        url: this.url,
        okxCode: code,
      }),
    );
  }

  #answered(op: Op, key: string, refusal: { readonly code: string; readonly msg: string } | undefined): void {
    const request = this.#pending.get(`${op}|${key}`);
    // An answer nobody waits for (a duplicate, or for a request already timed out) changes nothing.
    if (!request) return;
    this.#pending.delete(`${op}|${key}`);
    request.outstanding.delete(key);
    if (refusal) request.refused.push({ key, ...refusal });
    else {
      request.acked.push(key);
      if (op === 'subscribe') this.#carried.add(key);
      else this.#carried.delete(key);
    }
    if (request.outstanding.size === 0) this.#finish(request);
  }

  #finish(request: Request): void {
    if (request.timer) clearTimeout(request.timer);
    this.#requests.splice(this.#requests.indexOf(request), 1);
    if (request.acked.length > 0) this.#listener.changed(this, request.op, request.acked);
    for (const { key, code, msg } of request.refused) {
      const error = new OkxFeedError(
        OkxFeedErrorCodes.REJECTED,
        `OKX refused ${request.op} ${key}: ${code} ${msg}`,
        {
          url: this.url,
          okxCode: code,
          args: [key],
        },
      );
      this.#listener.refused(this, request.op, [key], error);
    }
  }

  /**
   * An unanswered request leaves the connection in an unknown state (which pairs does it carry?),
   * so the connection is dropped and its owner reconnects with the whole set.
   */
  #unanswered(request: Request): void {
    if (request.outstanding.size === 0 || this.#closed) return;
    const ms = this.#options.answerTimeoutMs;
    const what = `${request.op} ${[...request.outstanding].slice(0, 5).join(', ')}`;
    this.#listener.error(
      new OkxFeedError(OkxFeedErrorCodes.TIMEOUT, `no answer to ${what} within ${ms} ms`, {
        url: this.url,
        args: [...request.outstanding],
      }),
    );
    this.terminate(`no answer to ${what} within ${ms} ms`);
  }

  #onError(error: Error): void {
    this.#errorText = error.message;
    if (this.#closed) return;
    this.#listener.error(
      new OkxFeedError(OkxFeedErrorCodes.UNREACHABLE, `connection ${this.id}: ${error.message}`, {
        url: this.url,
        cause: error,
      }),
    );
  }

  #onClose(code: number, text: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#keepalive) clearInterval(this.#keepalive);
    for (const request of this.#requests) if (request.timer) clearTimeout(request.timer);
    this.#requests.length = 0;
    this.#pending.clear();
    const server = `code ${code}${text ? ` "${text}"` : ''}${this.#errorText ? `, ${this.#errorText}` : ''}`;
    this.#listener.closed(this, this.#closeReason ?? `closed by the server or network (${server})`);
    this.#resolveClosed();
  }
}
