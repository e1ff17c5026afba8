// The embedded SQL store: PGlite (PostgreSQL compiled to WebAssembly) on a directory or in memory.

import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { type SqlDatabase, type SqlExecutor, DatabaseKinds } from './types.ts';

interface PgliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(script: string): Promise<unknown>;
}

function executor(db: PgliteLike): SqlExecutor {
  return {
    async query<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
      return (await db.query<R>(text, params as unknown[] | undefined)).rows;
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
  };
}

/** PGlite is one connection: search_path is set once for the session. */
export async function openPglite(dir: string | null, schema: string): Promise<SqlDatabase> {
  if (dir !== null) await mkdir(dir, { recursive: true });
  const db = dir === null ? new PGlite() : new PGlite(dir);
  await db.waitReady;
  await db.exec(`SET search_path TO "${schema}"`);
  const base = executor(db);
  return {
    kind: DatabaseKinds.PGLITE,
    schema,
    description: `PGlite ${dir ?? 'in memory'} schema ${schema}`,
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
      db.transaction((tx) => fn(executor(tx))),
    close: () => db.close(),
  };
}
