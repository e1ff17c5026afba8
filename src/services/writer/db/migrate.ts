// Versioned schema migrations from migrations/*.sql, applied once each, under an advisory lock.

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type SqlDatabase } from './types.ts';

const MIGRATIONS_DIR = path.join(import.meta.dirname, '..', 'migrations');
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const match = FILE.exec(file);
    if (!match) throw new Error(`Migration file ${file} is not named NNNN_name.sql`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    out.push({
      version: Number(match[1]),
      name: match[2]!,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out;
}

/**
 * Brings the database's schema to the latest migration; returns the versions it applied. All
 * in one transaction holding a transaction-level advisory lock keyed by the schema, so two
 * writers starting at once apply each migration once (the second waits, then finds it done),
 * and a failed migration leaves nothing half applied. A migration whose file changed after it
 * was applied is refused: migrations are append-only.
 */
export async function migrate(db: SqlDatabase, migrations?: readonly Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  const schema = db.schema;
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`streamforge.writer.migrate:${schema}`]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    // The schema may have been created just now: name it explicitly for this transaction.
    await tx.exec(`SET LOCAL search_path TO "${schema}"`);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS streamforge_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const applied = new Map(
      (
        await tx.query<{ version: number; checksum: string }>(
          'SELECT version, checksum FROM streamforge_migrations',
        )
      ).map((r) => [Number(r.version), r.checksum]),
    );
    const done: number[] = [];
    for (const m of all) {
      const checksum = applied.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum)
          throw new Error(
            `Migration ${m.version} (${m.name}) in ${db.description} was applied from a different file; ` +
              'migrations are append-only: add a new one instead of editing an applied one',
          );
        continue;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO streamforge_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      done.push(m.version);
    }
    return done;
  });
}
