// The writer's settings from the environment, and where its database is by default.

import path from 'node:path';
import { DEFAULT_BUS_URI, parseBusUri } from '../../bus/open.ts';

/** The cluster default: a PostgreSQL on this host, database `streamforge`. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/streamforge';

/**
 * Defaults follow the bus (DESIGN.md): Kafka -> PostgreSQL, the embedded log -> PGlite in the
 * same data directory (`embedded:.streamforge/bus` -> `pglite:.streamforge/db`; a bus directory
 * with another name gets `<dir>-db` beside it, never a directory inside the log's own).
 */
export function defaultDatabaseUrl(busUri: string = DEFAULT_BUS_URI): string {
  const bus = parseBusUri(busUri);
  if (bus.kind === 'kafka') return DEFAULT_POSTGRES_URL;
  const db = path.basename(bus.dir) === 'bus' ? path.join(path.dirname(bus.dir), 'db') : `${bus.dir}-db`;
  return `pglite:${db}`;
}

export interface WriterEnvOptions {
  readonly database: string;
  readonly schema?: string;
  readonly bookTopSampleMs?: number;
}

/**
 * STREAMFORGE_DATABASE_URL (else the default for STREAMFORGE_BUS, else for the default bus),
 * STREAMFORGE_DATABASE_SCHEMA, STREAMFORGE_WRITER_BOOK_TOP_SAMPLE_MS.
 */
export function writerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WriterEnvOptions {
  const database = env['STREAMFORGE_DATABASE_URL'] || defaultDatabaseUrl(env['STREAMFORGE_BUS'] || undefined);
  const schema = env['STREAMFORGE_DATABASE_SCHEMA'] || undefined;
  const rawSample = env['STREAMFORGE_WRITER_BOOK_TOP_SAMPLE_MS'];
  let bookTopSampleMs: number | undefined;
  if (rawSample !== undefined && rawSample !== '') {
    bookTopSampleMs = Number(rawSample);
    if (!/^\d+$/.test(rawSample) || !Number.isSafeInteger(bookTopSampleMs))
      throw new Error(
        `STREAMFORGE_WRITER_BOOK_TOP_SAMPLE_MS=${rawSample}: give a whole number of milliseconds (1000 = one row per instrument per second, 0 = every top)`,
      );
  }
  return {
    database,
    ...(schema ? { schema } : {}),
    ...(bookTopSampleMs === undefined ? {} : { bookTopSampleMs }),
  };
}
