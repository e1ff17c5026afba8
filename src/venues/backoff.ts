// Capped exponential backoff with full jitter, shared by every venue's reconnects and retries.

/** How long to wait between attempts: up to `initialMs * 2^attempt`, never above `maxMs`. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (0 for the first retry): a uniformly random value in
 * [0, min(maxMs, initialMs * 2^attempt)]. Full jitter rather than "base plus a little noise"
 * because hundreds of connections dropped by the same exchange incident must not come back in
 * lockstep: spreading them over the whole interval is what keeps the reconnect storm under the
 * exchange's connection-attempt limit.
 */
export function backoffDelay(
  options: BackoffOptions,
  attempt: number,
  random: () => number = Math.random,
): number {
  // 2^31 already exceeds any sane cap; clamping the exponent keeps the product finite.
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(attempt, 0), 31));
  return Math.floor(random() * ceiling);
}

/** Checks options once, where they are configured, so a bad value fails at start-up and not on the first outage. */
export function checkBackoff(options: BackoffOptions): BackoffOptions {
  const { initialMs, maxMs } = options;
  if (!Number.isFinite(initialMs) || initialMs <= 0)
    throw new RangeError(`backoff.initialMs must be > 0, got ${initialMs}`);
  if (!Number.isFinite(maxMs) || maxMs < initialMs) {
    throw new RangeError(`backoff.maxMs must be >= initialMs (${initialMs}), got ${maxMs}`);
  }
  return options;
}

/** Counts consecutive failures of one thing (a connection, a request) and hands out the next delay. */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#options = checkBackoff(options);
    this.#random = random;
  }

  /** Failures since the last `reset()`. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    return backoffDelay(this.#options, this.#attempt++, this.#random);
  }

  /** The thing worked: the next failure starts again from `initialMs`. */
  reset(): void {
    this.#attempt = 0;
  }
}
