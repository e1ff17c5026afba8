// Pending injected faults, armed by the FaultInjector (API or admin endpoint) and consumed where they apply.

import { type MarketKind } from './model/instruments.ts';

export const FaultNames = {
  SEQUENCE_GAP: 'sequenceGap',
  DROP_CONNECTIONS: 'dropConnections',
  DELAY_FRAMES: 'delayFrames',
  MALFORMED_FRAMES: 'malformedFrames',
  DUPLICATE_FRAMES: 'duplicateFrames',
  RATE_LIMIT: 'rateLimit',
  EXPIRE_CONNECTIONS: 'expireConnections',
  SERVER_SHUTDOWN: 'serverShutdown',
  BURST: 'burst',
  WASH_TRADES: 'washTrades',
  SPOOF: 'spoof',
  PRICE_JUMP: 'priceJump',
} as const;
export type FaultName = (typeof FaultNames)[keyof typeof FaultNames];

/**
 * Faults the exchange can be made to show. Frame faults count frames across all connections, in
 * the order they are sent; REST faults count answers, whichever API and client they go to.
 */
export interface FaultInjector {
  /** The next depth diff of the symbol (every symbol when omitted) is lost: the one after skips ids. */
  sequenceGap(symbol?: string): void;
  /** Terminates every WebSocket connection abruptly (no close frame). */
  dropConnections(): void;
  /** Every frame sent during the next `durationMs` is held back `ms` (order is kept). */
  delayFrames(ms: number, durationMs: number): void;
  /** The next `count` frames are cut in half: broken JSON. */
  malformedFrames(count: number): void;
  /** The next `count` frames are sent twice. */
  duplicateFrames(count: number): void;
  /** The next `count` REST answers are `status` with `Retry-After: retryAfterSeconds`. */
  rateLimit(status: 429 | 418, count: number, retryAfterSeconds: number): void;
  /** Closes every connection as Binance does at the 24-hour mark (close frame 1001). */
  expireConnections(): void;
  /** Sends `serverShutdown` on every connection, then closes them after the shutdown grace. */
  serverShutdown(): void;
  /** Order flow x `multiplier` for `durationMs`. */
  burst(multiplier: number, durationMs: number): void;
  /**
   * Market abuse for the detector, on a spot symbol (model mode only): `count` trades of one size,
   * taker side alternating, `gapMs` apart (default 8 trades, 3 ms).
   */
  washTrades(symbol: string, count?: number, gapMs?: number): void;
  /**
   * A resting order of `multiple` x the typical size (default 100) placed near the top of `side`
   * (default bid), cancelled after `holdMs` (default 2000) without trading.
   */
  spoof(symbol: string, side?: 'bid' | 'ask', multiple?: number, holdMs?: number): void;
  /** The price moves `bps` basis points at once (negative: down), one taker sweeping the book to it. */
  priceJump(symbol: string, bps: number): void;
}

export interface FrameFault {
  readonly malformed: boolean;
  readonly duplicate: boolean;
  readonly delayMs: number;
}

const NO_FAULT: FrameFault = { malformed: false, duplicate: false, delayMs: 0 };

export class FaultState {
  #malformed = 0;
  #duplicates = 0;
  #delayMs = 0;
  #delayUntil = 0;
  #rest: { status: 429 | 418; remaining: number; retryAfterSeconds: number } | undefined;
  /** `${kind}:${symbol}` -> diff update speeds whose next diff is still to be lost. */
  readonly #gaps = new Map<string, Set<number>>();

  malformedFrames(count: number): void {
    this.#malformed += count;
  }

  duplicateFrames(count: number): void {
    this.#duplicates += count;
  }

  delayFrames(ms: number, durationMs: number, now: number): void {
    this.#delayMs = ms;
    this.#delayUntil = now + durationMs;
  }

  rateLimit(status: 429 | 418, count: number, retryAfterSeconds: number): void {
    this.#rest = { status, remaining: count, retryAfterSeconds };
  }

  sequenceGap(kind: MarketKind, symbol: string, speedsMs: readonly number[]): void {
    this.#gaps.set(`${kind}:${symbol}`, new Set(speedsMs));
  }

  /** What happens to the frame about to be sent (consumes the counters). */
  nextFrame(now: number): FrameFault {
    if (this.#malformed === 0 && this.#duplicates === 0 && now >= this.#delayUntil) return NO_FAULT;
    const malformed = this.#malformed > 0;
    if (malformed) this.#malformed--;
    const duplicate = !malformed && this.#duplicates > 0;
    if (duplicate) this.#duplicates--;
    return { malformed, duplicate, delayMs: now < this.#delayUntil ? this.#delayMs : 0 };
  }

  /** A forced REST answer, if one is pending. */
  nextRest(): { status: 429 | 418; retryAfterSeconds: number } | undefined {
    const r = this.#rest;
    if (!r) return undefined;
    if (--r.remaining <= 0) this.#rest = undefined;
    return { status: r.status, retryAfterSeconds: r.retryAfterSeconds };
  }

  /** True when this diff is to be lost (consumes the pending gap for that stream speed). */
  takeGap(kind: MarketKind, symbol: string, speedMs: number): boolean {
    const key = `${kind}:${symbol}`;
    const pending = this.#gaps.get(key);
    if (!pending?.delete(speedMs)) return false;
    if (pending.size === 0) this.#gaps.delete(key);
    return true;
  }
}
