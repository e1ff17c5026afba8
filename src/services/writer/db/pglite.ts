// The embedded SQL store: PGlite (PostgreSQL compiled to WebAssembly) on a directory or in memory.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
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

interface Shared {
  readonly db: PGlite;
  readonly schema: string;
  refs: number;
}

/**
 * One PGlite per directory in this process. Two instances on one directory would each cache and
 * write the same files (the second silently corrupting the first), and `up` runs the writer and
 * the job worker side by side on the same store. PGlite runs one query or transaction at a time,
 * so sharing it between services is safe; the last close closes it.
 */
const open = new Map<string, Promise<Shared>>();

async function acquire(dir: string, schema: string): Promise<Shared> {
  const key = path.resolve(dir);
  let pending = open.get(key);
  if (!pending) {
    pending = (async () => {
      await mkdir(key, { recursive: true });
      const db = new PGlite(key);
      await db.waitReady;
      await db.exec(`SET search_path TO "${schema}"`);
      return { db, schema, refs: 0 };
    })();
    open.set(key, pending);
    pending.catch(() => open.delete(key));
  }
  const shared = await pending;
  if (shared.schema !== schema)
    throw new Error(
      `PGlite ${key} is already open in this process with schema ${shared.schema}, not ${schema}: ` +
        'a PGlite store is one session, so every service on it must use the same schema',
    );
  shared.refs++;
  return shared;
}

async function release(dir: string, shared: Shared): Promise<void> {
  if (--shared.refs > 0) return;
  open.delete(path.resolve(dir));
  await shared.db.close();
}

/** PGlite is one connection: search_path is set once for the session. */
export async function openPglite(dir: string | null, schema: string): Promise<SqlDatabase> {
  let db: PGlite;
  let close: () => Promise<void>;
  if (dir === null) {
    db = new PGlite();
    await db.waitReady;
    await db.exec(`SET search_path TO "${schema}"`);
    close = () => db.close();
  } else {
    const shared = await acquire(dir, schema);
    db = shared.db;
    let closed = false;
    close = async () => {
      if (closed) return;
      closed = true;
      await release(dir, shared);
    };
  }
  const base = executor(db);
  return {
    kind: DatabaseKinds.PGLITE,
    schema,
    description: `PGlite ${dir ?? 'in memory'} schema ${schema}`,
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
      db.transaction((tx) => fn(executor(tx))),
    close,
  };
}
