// Which database failures are worth retrying, and a bounded retry with backoff around a unit of work.

import { setTimeout as wait } from 'node:timers/promises';
import { backoffDelay, type RetryPolicy, retryPolicy } from '../../../runtime/index.ts';

/**
 * SQLSTATE classes that describe the moment, not the data: connection exceptions (08),
 * serialization failures and deadlocks (40), insufficient resources (53), operator
 * intervention such as a server restart (57), system errors (58).
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * True when trying again can help. A server error carries a SQLSTATE and is judged by its
 * class; an error without one came from below the SQL layer (refused or reset connection,
 * timeout, a connection the server ended) and is assumed transient.
 */
export function isTransientDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SQLSTATE.test(code)) return TRANSIENT_CLASSES.has(code.slice(0, 2));
  return true;
}

/** About 25 s of attempts in all before the writer gives up and fails the instance. */
export const DB_RETRY: RetryPolicy = retryPolicy({
  maxAttempts: 8,
  initialDelayMs: 200,
  maxDelayMs: 8_000,
  multiplier: 2,
  jitter: 0.2,
});

/**
 * Runs `fn` until it succeeds, a failure is not transient, the attempts are used up, or
 * `signal` aborts (a stopping instance gives up at once: its batch is not committed, so the
 * next owner writes it). The last failure is rethrown with the attempt count in its message.
 */
export async function withDbRetry<T>(
  fn: () => Promise<T>,
  signal: AbortSignal | undefined,
  policy: RetryPolicy = DB_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransientDbError(error) || attempt >= policy.maxAttempts || signal?.aborted) {
        if (attempt > 1 && error instanceof Error)
          error.message = `${error.message} (after ${attempt} attempts)`;
        throw error;
      }
      await wait(backoffDelay(policy, attempt), undefined, signal ? { signal } : {}).catch(() => undefined);
    }
  }
}
