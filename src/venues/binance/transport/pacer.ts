// Spaces the messages a client sends on one WebSocket so Binance's per-connection incoming-message limit is never hit.

/**
 * Runs queued sends in order, at least `spacingMs` apart. Binance disconnects a connection that
 * sends it more than its limit per second (and may ban an IP that keeps doing it); spacing rather
 * than a per-second bucket keeps any rolling second under the limit, not just each calendar second.
 */
export class Pacer {
  readonly spacingMs: number;
  readonly #queue: (() => void)[] = [];
  #lastSentAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(spacingMs: number) {
    this.spacingMs = spacingMs;
  }

  /** Messages waiting for their turn. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues `send`; it runs once the pacer is started and its turn has come. */
  schedule(send: () => void): void {
    this.#queue.push(send);
    this.#pump();
  }

  /** Starts sending (the socket is open). */
  start(): void {
    this.#running = true;
    this.#pump();
  }

  /** Stops sending and drops what is queued (the socket is gone). */
  stop(): void {
    this.#running = false;
    this.#queue.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #pump(): void {
    if (!this.#running || this.#timer || this.#queue.length === 0) return;
    const wait = this.#lastSentAt + this.spacingMs - Date.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#pump();
      }, wait);
      return;
    }
    const send = this.#queue.shift();
    this.#lastSentAt = Date.now();
    send?.();
    this.#pump();
  }
}

/**
 * Spacing for a connection limited to `maxPerSecond` incoming messages. Half the documented rate:
 * the limit also counts the pong frames the WebSocket library sends on its own for every server
 * ping, and a published third-party measurement saw spot close a connection with 1008 "Too many
 * requests" at one request per 250 ms while one per 500 ms held.
 */
export function spacingFor(maxPerSecond: number): number {
  return Math.ceil(2000 / maxPerSecond);
}
