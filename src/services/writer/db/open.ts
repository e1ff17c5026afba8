// Opens a database from its address, PostgreSQL or PGlite, in a given schema.

import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { type SqlDatabase, DatabaseKinds } from './types.ts';
import { checkSchemaName, parseDatabaseUrl } from './url.ts';

export const DEFAULT_SCHEMA = 'public';

/** `schema` wins over a `?schema=` in the address; the default is `public`. */
export async function openDatabase(url: string, options: { schema?: string } = {}): Promise<SqlDatabase> {
  const address = parseDatabaseUrl(url);
  const schema = checkSchemaName(options.schema ?? address.schema ?? DEFAULT_SCHEMA, 'The writer');
  if (address.kind === DatabaseKinds.POSTGRES) return openPostgres(address.url, schema);
  return openPglite(address.dir, schema);
}
