// Queues REST requests to one Binance host and sends each only when the weight budget allows; retries by error flags.

import { Backoff, type BackoffOptions } from '../../backoff.ts';
import { BinanceTransportError, TransportErrorCodes, isTransportError } from './errors.ts';
import { type RequestContext } from './http.ts';
import { type WeightBudget } from './weight-budget.ts';

/** Why a request is waiting, for logs and metrics. */
export interface ThrottleEvent extends RequestContext {
  readonly waitMs: number;
  readonly why: string;
}

export interface RequestQueueOptions {
  /** Requests on the wire at once. */
  readonly maxInFlight: number;
  /** Further attempts after a 429, 5xx, timeout or network failure. */
  readonly maxRetries: number;
  readonly backoff: BackoffOptions;
  readonly onThrottle?: (event: ThrottleEvent) => void;
}

interface Job {
  readonly weight: number;
  readonly context: RequestContext;
  readonly send: (window: number) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly backoff: Backoff;
  attempts: number;
}

/**
 * First in, first out: the head waits for budget and nothing overtakes it, so a burst of snapshot
 * requests for many symbols is spread over as many weight windows as it needs instead of being
 * fired at once. After a 429 nothing goes to the host until Retry-After has passed; after a 418
 * every queued and later request fails at once with the ban's end until the ban is over.
 */
export class RequestQueue {
  readonly #budget: WeightBudget;
  readonly #options: RequestQueueOptions;
  readonly #queue: Job[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #ban: BinanceTransportError | undefined;
  #closed: BinanceTransportError | undefined;

  constructor(budget: WeightBudget, options: RequestQueueOptions) {
    this.#budget = budget;
    this.#options = options;
  }

  /** Requests waiting for their turn (not counting those on the wire). */
  get waiting(): number {
    return this.#queue.length;
  }

  submit<T>(weight: number, context: RequestContext, send: (window: number) => Promise<T>): Promise<T> {
    const refused = this.#closed ?? this.#activeBan();
    if (refused) return Promise.reject(this.#forRequest(refused, context));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        weight,
        context,
        send,
        resolve: resolve as (value: unknown) => void,
        reject,
        backoff: new Backoff(this.#options.backoff),
        attempts: 0,
      });
      this.#pump();
    });
  }

  /** Fails every queued request with `closed`; requests on the wire finish. */
  close(): void {
    this.#closed = new BinanceTransportError(TransportErrorCodes.CLOSED, 'BinanceRest is closed');
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const job of this.#queue.splice(0)) job.reject(this.#forRequest(this.#closed, job.context));
  }

  #activeBan(): BinanceTransportError | undefined {
    if (this.#ban && Date.now() < (this.#ban.bannedUntil ?? 0)) return this.#ban;
    this.#ban = undefined;
    return undefined;
  }

  /** The same failure, naming the request it refuses. */
  #forRequest(error: BinanceTransportError, context: RequestContext): BinanceTransportError {
    return new BinanceTransportError(error.code, error.reason, {
      ...context,
      ...(error.bannedUntil !== undefined ? { bannedUntil: error.bannedUntil } : {}),
      cause: error,
    });
  }

  #pump(): void {
    if (this.#timer || this.#closed) return;
    const ban = this.#activeBan();
    if (ban) {
      for (const job of this.#queue.splice(0)) job.reject(this.#forRequest(ban, job.context));
      return;
    }
    while (this.#queue.length > 0 && this.#inFlight < this.#options.maxInFlight) {
      const job = this.#queue[0] as Job;
      const decision = this.#budget.check(job.weight);
      if (!decision.ok) {
        this.#options.onThrottle?.({ ...job.context, waitMs: decision.waitMs, why: decision.why });
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, decision.waitMs);
        return;
      }
      this.#queue.shift();
      this.#inFlight++;
      void this.#run(job, this.#budget.take(job.weight));
    }
  }

  async #run(job: Job, window: number): Promise<void> {
    try {
      job.resolve(await job.send(window));
    } catch (error) {
      this.#failed(job, error);
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  #failed(job: Job, error: unknown): void {
    if (!isTransportError(error)) {
      job.reject(error);
      return;
    }
    if (error.code === TransportErrorCodes.BANNED) {
      this.#ban = error;
      this.#budget.block(error.bannedUntil ?? Date.now(), 'IP banned (418)');
      job.reject(error);
      return;
    }
    if (error.code === TransportErrorCodes.RATE_LIMITED) {
      this.#budget.block(Date.now() + (error.retryAfterMs ?? 0), `429: Retry-After ${error.retryAfterMs} ms`);
    }
    if (!error.canRetry || job.attempts >= this.#options.maxRetries || this.#closed) {
      job.reject(error);
      return;
    }
    job.attempts++;
    // A 429 already holds the whole host back; other failures wait their own backoff before the queue sees them again.
    const delay = error.code === TransportErrorCodes.RATE_LIMITED ? 0 : job.backoff.next();
    setTimeout(() => {
      if (this.#closed) {
        job.reject(this.#forRequest(this.#closed, job.context));
        return;
      }
      this.#queue.unshift(job);
      this.#pump();
    }, delay);
  }
}
