// Retry policy of the runtime: capped exponential backoff with jitter, decided by error flags.

export interface RetryPolicy {
  /** Attempts in all, the first included; after the last one the record goes to its DLQ. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** 0..1: share of each delay that is random, so that replicas do not retry in step. */
  readonly jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0.2,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...overrides };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`Invalid retry policy: ${what}`);
  };
  check(
    Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1,
    'maxAttempts must be an integer >= 1',
  );
  check(
    policy.initialDelayMs >= 0 && policy.maxDelayMs >= policy.initialDelayMs,
    'need 0 <= initialDelayMs <= maxDelayMs',
  );
  check(policy.multiplier >= 1, 'multiplier must be >= 1');
  check(policy.jitter >= 0 && policy.jitter <= 1, 'jitter must be within 0..1');
  return policy;
}

/** The wait before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter) + base * policy.jitter * random());
}

/**
 * Whether trying again can help. Errors say so with a `canRetry` flag (bus and contract errors
 * do); an error without the flag (a database driver's, a handler's own) is assumed transient,
 * and the attempt limit bounds what that costs.
 */
export function isRetryable(error: unknown): boolean {
  const flag = (error as { canRetry?: unknown } | null)?.canRetry;
  return typeof flag === 'boolean' ? flag : true;
}

/** A handler throws this for a record that can never succeed: it goes to the DLQ without retries. */
export class PermanentError extends Error {
  readonly canRetry = false;
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
    this.code = code;
  }
}

/** The code a failure is filed under in the DLQ headers and metrics. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code)) return code;
  return error instanceof Error ? error.name || 'Error' : 'Error';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
