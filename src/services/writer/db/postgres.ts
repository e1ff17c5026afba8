// PostgreSQL through node-postgres: a small pool whose connections all use the writer's schema.

import pg from 'pg';
import { type SqlDatabase, type SqlExecutor, DatabaseKinds } from './types.ts';
import { redact } from './url.ts';

function executor(client: pg.ClientBase): SqlExecutor {
  return {
    async query<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await client.query(text, params as unknown[] | undefined);
      return result.rows as R[];
    },
    async exec(script: string): Promise<void> {
      // No parameters: the simple query protocol, which runs a script of several statements.
      await client.query(script);
    },
  };
}

export function openPostgres(url: string, schema: string): SqlDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    // Set at connect time, so that every pooled connection (also a reconnected one) uses it.
    options: `-c search_path=${schema}`,
    // An idle pool must not keep a finished CLI command or test alive.
    allowExitOnIdle: true,
    connectionTimeoutMillis: 10_000,
  });
  // A connection that dies while idle (server restart) is dropped from the pool; the next
  // query opens a new one. Without a listener the error would crash the process.
  pool.on('error', () => undefined);
  return {
    kind: DatabaseKinds.POSTGRES,
    schema,
    description: `PostgreSQL ${redact(url)} schema ${schema}`,
    async query<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await pool.query(text, params as unknown[] | undefined);
      return result.rows as R[];
    },
    async exec(script: string): Promise<void> {
      await pool.query(script);
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let failed = false;
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        failed = true;
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        // After a failure the connection may be broken or mid-protocol: never reuse it.
        client.release(failed);
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
