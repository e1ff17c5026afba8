// One database connection shared by the writer's instances in a process, open while any of them runs.

import { type SqlDatabase } from './db/types.ts';

/**
 * Replicas in one process share one definition, so they share one database. It opens (and
 * migrates) on first use, which is each instance's onStart, and closes once every instance
 * that used it has stopped or failed (its signal aborted) with no work in flight. A batch
 * handed to afterBatch after its instance began stopping reopens it, and closes it after.
 */
export class DatabaseLease {
  readonly #open: () => Promise<SqlDatabase>;
  readonly #close: (db: SqlDatabase) => Promise<void>;
  #db: Promise<SqlDatabase> | null = null;
  readonly #users = new Map<AbortSignal, number>();

  constructor(open: () => Promise<SqlDatabase>, close: (db: SqlDatabase) => Promise<void>) {
    this.#open = open;
    this.#close = close;
  }

  async use<T>(signal: AbortSignal, fn: (db: SqlDatabase) => Promise<T>): Promise<T> {
    if (!this.#users.has(signal)) {
      this.#users.set(signal, 0);
      signal.addEventListener('abort', () => this.#release(signal), { once: true });
    }
    this.#users.set(signal, this.#users.get(signal)! + 1);
    try {
      this.#db ??= this.#open().catch((error: unknown) => {
        // A failed open (server down) is tried again by the next use.
        this.#db = null;
        throw error;
      });
      return await fn(await this.#db);
    } finally {
      this.#users.set(signal, this.#users.get(signal)! - 1);
      if (signal.aborted) this.#release(signal);
    }
  }

  #release(signal: AbortSignal): void {
    if ((this.#users.get(signal) ?? 0) > 0) return;
    this.#users.delete(signal);
    if (this.#users.size > 0 || !this.#db) return;
    const db = this.#db;
    this.#db = null;
    void db.then((d) => this.#close(d)).catch(() => undefined);
  }
}
