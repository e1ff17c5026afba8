// Retries Kafka calls that fail with errors the broker marks retriable (coordinator moving, loading).

import { setTimeout as sleep } from 'node:timers/promises';

interface FindableError {
  findBy?(property: string, value: unknown): unknown;
}

/** True when Kafka says trying again may succeed (e.g. NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS). */
export function isRetriable(error: unknown): boolean {
  const e = error as FindableError;
  return Boolean(e?.findBy?.('canRetry', true)) && !e?.findBy?.('needsRejoin', true);
}

/**
 * Runs `fn` until it succeeds, fails with a non-retriable error, or `budgetMs` has passed.
 * A fresh broker answers NOT_COORDINATOR for a few seconds while it creates `__consumer_offsets`.
 */
export async function retrying<T>(fn: () => Promise<T>, budgetMs = 30_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isRetriable(error) || Date.now() >= deadline) throw error;
      await sleep(Math.min(1000, 50 * 2 ** attempt));
    }
  }
}
