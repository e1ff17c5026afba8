// Parses a database address: postgres://... for PostgreSQL, pglite:<dir> / a directory / memory for PGlite.

import path from 'node:path';
import { DatabaseKinds } from './types.ts';

export type DatabaseAddress =
  | {
      readonly kind: typeof DatabaseKinds.POSTGRES;
      readonly url: string;
      readonly schema: string | undefined;
    }
  | {
      readonly kind: typeof DatabaseKinds.PGLITE;
      /** null: in memory, gone when closed. */
      readonly dir: string | null;
      readonly schema: string | undefined;
    };

const usage =
  'use postgres://user@host:port/database for PostgreSQL, or pglite:<dir>, a directory path or pglite:memory for the embedded store';

/** A schema name the writer quotes itself: lower-case letters, digits, underscores. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string, where: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new Error(
      `${where}: schema "${schema}" must be lower-case letters, digits and underscores (at most 63), starting with a letter or underscore`,
    );
  return schema;
}

/**
 * `?schema=name` on any address picks the schema (search_path); it is taken off before the
 * address reaches the driver. Credentials stay in the URL and are never printed (see `redact`).
 */
export function parseDatabaseUrl(raw: string): DatabaseAddress {
  const text = raw.trim();
  if (text.length === 0) throw new Error(`The database address is empty; ${usage}`);
  const q = text.indexOf('?');
  const base = q < 0 ? text : text.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  const schemaParam = params.get('schema');
  params.delete('schema');
  const schema =
    schemaParam === null ? undefined : checkSchemaName(schemaParam, `Database address "${redact(raw)}"`);
  if (/^postgres(ql)?:\/\//.test(base)) {
    const rest = params.toString();
    return { kind: DatabaseKinds.POSTGRES, url: rest ? `${base}?${rest}` : base, schema };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base))
    throw new Error(`Unknown database address "${redact(raw)}"; ${usage}`);
  const where = base.startsWith('pglite:') ? base.slice('pglite:'.length) : base;
  if (where === 'memory' || where === ':memory:' || where === 'memory://')
    return { kind: DatabaseKinds.PGLITE, dir: null, schema };
  if (where.length === 0) throw new Error(`Database address "${raw}" names no directory; ${usage}`);
  return { kind: DatabaseKinds.PGLITE, dir: path.resolve(where), schema };
}

/** The address without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
