// Keeps new WebSocket connections under Binance's per-IP connection-attempt limit (300 per 5 minutes).

const WINDOW_MS = 5 * 60_000;

/**
 * Hands out connection attempts, at most `maxAttempts` in any rolling 5 minutes. Backoff alone
 * does not bound a reconnect storm of many connections at once; this does, and queues the rest.
 */
export class ConnectGate {
  readonly #max: number;
  readonly #attempts: number[] = [];

  constructor(maxAttempts: number) {
    this.#max = maxAttempts;
  }

  /** Milliseconds to wait before the next attempt may start; 0 means now (and the attempt is counted). */
  claim(now: number = Date.now()): number {
    while (this.#attempts.length > 0 && (this.#attempts[0] ?? 0) <= now - WINDOW_MS) this.#attempts.shift();
    if (this.#attempts.length < this.#max) {
      this.#attempts.push(now);
      return 0;
    }
    return (this.#attempts[0] ?? now) + WINDOW_MS - now;
  }
}
