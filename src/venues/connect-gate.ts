// Keeps new WebSocket connections under a venue's per-IP connection-attempt limit (Binance 300 per 5 min, OKX 3 per second).

/**
 * Hands out connection attempts, at most `maxAttempts` in any rolling window of `windowMs`.
 * Backoff alone does not bound a reconnect storm of many connections at once; this does, and
 * queues the rest.
 */
export class ConnectGate {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #attempts: number[] = [];

  constructor(maxAttempts: number, windowMs: number) {
    this.#max = maxAttempts;
    this.#windowMs = windowMs;
  }

  /** Milliseconds to wait before the next attempt may start; 0 means now (and the attempt is counted). */
  claim(now: number = Date.now()): number {
    while (this.#attempts.length > 0 && (this.#attempts[0] ?? 0) <= now - this.#windowMs)
      this.#attempts.shift();
    if (this.#attempts.length < this.#max) {
      this.#attempts.push(now);
      return 0;
    }
    return (this.#attempts[0] ?? now) + this.#windowMs - now;
  }
}
