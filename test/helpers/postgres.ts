// Test fixtures for PostgreSQL: the server at 127.0.0.1:5432 (db `test`), one fresh schema per test.

import { type TestContext } from 'node:test';
import pg from 'pg';
import { defer, uniqueName } from './backends.ts';

/** Users tried in order: the server trusts local connections, under `postgres` or `root`. */
const CANDIDATES = ['postgres', 'root'];

function base(user: string): string {
  return process.env['STREAMFORGE_TEST_POSTGRES'] ?? `postgres://${user}@127.0.0.1:5432/test`;
}

let found: Promise<string | Error> | null = null;

/** The URL of a reachable server (the first user that can connect), or why none is. */
function probe(): Promise<string | Error> {
  found ??= (async () => {
    let last: unknown = null;
    for (const user of process.env['STREAMFORGE_TEST_POSTGRES'] ? [''] : CANDIDATES) {
      const url = base(user);
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return url;
      } catch (error) {
        last = error;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return last instanceof Error ? last : new Error(String(last));
  })();
  return found;
}

/**
 * Why PostgreSQL tests cannot run, or undefined. With STREAMFORGE_REQUIRE_POSTGRES=1 (CI) an
 * unreachable server is a failure, never a skip.
 */
export async function postgresSkipReason(): Promise<string | undefined> {
  const result = await probe();
  if (typeof result === 'string') return undefined;
  if (process.env['STREAMFORGE_REQUIRE_POSTGRES'] === '1')
    throw new Error(
      `STREAMFORGE_REQUIRE_POSTGRES=1 but PostgreSQL at 127.0.0.1:5432 (db test) is unreachable: ${result.message}`,
    );
  return `no PostgreSQL at 127.0.0.1:5432 db test (${result.message}); set STREAMFORGE_TEST_POSTGRES=postgres://... to point elsewhere`;
}

/** The test server's URL; call after postgresSkipReason() said it is reachable. */
export async function postgresUrl(): Promise<string> {
  const result = await probe();
  if (typeof result !== 'string') throw result;
  return result;
}

/** A schema name no other test uses; dropped with everything in it after the test. */
export async function tempSchema(t: TestContext, prefix = 'sf_test'): Promise<string> {
  const url = await postgresUrl();
  const schema = uniqueName(prefix)
    .replace(/[^a-z0-9_]/g, '_')
    .toLowerCase();
  defer(t, async () => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  return schema;
}
