// `streamforge query candles|trades|alerts`: what the writer stored, by instrument and time range, as a table or JSON.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { CandleIntervals, type CandleInterval } from '../../../contracts/schema/candles.ts';
import { type Exchange, exchangeNames } from '../../../contracts/schema/primitives.ts';
import {
  defaultDatabaseUrl,
  openDatabase,
  parseDatabaseUrl,
  redact,
  type SqlDatabase,
} from '../../../services/writer/index.ts';
import { readAlerts, readCandles, readTrades, type RangeQuery } from '../../../services/writer/read.ts';
import { datetime, positiveInt } from '../args.ts';
import { action, UsageError } from '../errors.ts';
import { printJson, printTable } from '../output.ts';

const KINDS = ['candles', 'trades', 'alerts'] as const;
type Kind = (typeof KINDS)[number];
const INTERVALS: readonly string[] = Object.values(CandleIntervals);

interface QueryCliOptions {
  symbol?: string;
  exchange?: string;
  interval: string;
  from?: number;
  to?: number;
  json?: boolean;
  limit: number;
  db?: string;
  schema?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Opens the database to read; never creates an embedded store where there is none. */
async function openForReading(url: string, schema: string | undefined): Promise<SqlDatabase> {
  let address;
  try {
    address = parseDatabaseUrl(url);
  } catch (error) {
    throw new UsageError(`--db: ${(error as Error).message}`);
  }
  if (address.kind === 'pglite') {
    if (address.dir === null)
      throw new UsageError(
        '--db pglite:memory holds nothing to query: give the directory the writer writes to',
      );
    if (!existsSync(path.join(address.dir, 'PG_VERSION')))
      throw new UsageError(
        `--db: no embedded database at ${address.dir} (the writer creates it on its first batch); pass --db <dir or postgres://...>`,
      );
  }
  return openDatabase(url, schema === undefined ? {} : { schema });
}

export function registerQueryCommand(program: Command): void {
  program
    .command('query <what>')
    .description(
      `print what the writer stored (${KINDS.join(', ')}) for one instrument and time range [from, to), oldest first`,
    )
    .option('--symbol <symbol>', "the exchange's instrument id, e.g. BTCUSDT (required)")
    .option('--exchange <exchange>', `only this venue (${exchangeNames.join(', ')}); default all`)
    .option('--interval <interval>', `candles: ${INTERVALS.join(', ')}`, '1m')
    .option(
      '--from <time>',
      'start, inclusive: ISO 8601 (2024-08-09T00:00:00Z) or epoch ms (required)',
      datetime('--from'),
    )
    .option('--to <time>', 'end, exclusive: ISO 8601 or epoch ms (required)', datetime('--to'))
    .option('--limit <n>', 'at most n rows', positiveInt('--limit'), 1000)
    .option('--json', 'print a JSON array of the records instead of a table')
    .option(
      '--db <url>',
      'postgres://user@host:port/db, or pglite:<dir> / a directory for the embedded store ' +
        '(env STREAMFORGE_DATABASE_URL; default: the one that goes with --bus)',
    )
    .option('--schema <name>', 'schema of the tables (env STREAMFORGE_DATABASE_SCHEMA; default public)')
    .action(
      action(async (what: string, options: QueryCliOptions, command: Command) => {
        if (!KINDS.includes(what as Kind))
          throw new UsageError(`query prints ${KINDS.join(', ')}; got "${what}"`);
        if (!options.symbol) throw new UsageError('--symbol is required, e.g. --symbol BTCUSDT');
        if (options.from === undefined)
          throw new UsageError('--from is required, e.g. --from 2024-08-09T00:00:00Z');
        if (options.to === undefined)
          throw new UsageError('--to is required, e.g. --to 2024-08-10T00:00:00Z');
        if (options.to <= options.from)
          throw new UsageError(`--to (${iso(options.to)}) must be after --from (${iso(options.from)})`);
        if (options.exchange !== undefined && !exchangeNames.includes(options.exchange as Exchange))
          throw new UsageError(
            `--exchange ${options.exchange} is not a venue; use one of ${exchangeNames.join(', ')}`,
          );
        if (!INTERVALS.includes(options.interval))
          throw new UsageError(
            `--interval ${options.interval} is not stored; use one of ${INTERVALS.join(', ')}`,
          );
        const url =
          options.db ??
          (process.env['STREAMFORGE_DATABASE_URL'] ||
            defaultDatabaseUrl(command.optsWithGlobals<{ bus: string }>().bus));
        const schema = options.schema ?? (process.env['STREAMFORGE_DATABASE_SCHEMA'] || undefined);
        const db = await openForReading(url, schema);
        const q: RangeQuery = {
          symbol: options.symbol,
          ...(options.exchange === undefined ? {} : { exchange: options.exchange }),
          from: options.from,
          to: options.to,
          limit: options.limit,
        };
        try {
          if (what === 'trades') {
            const rows = await readTrades(db, q);
            if (options.json) return printJson(rows);
            printTable(
              ['time', 'exchange', 'symbol', 'trade id', 'side', 'price', 'quantity'],
              rows.map((r) => [
                iso(r.timestamp),
                r.exchange,
                r.symbol,
                r.tradeId ?? null,
                r.aggressorSide,
                r.price,
                r.quantity,
              ]),
            );
          } else if (what === 'candles') {
            const rows = await readCandles(db, { ...q, interval: options.interval as CandleInterval });
            if (options.json) return printJson(rows);
            printTable(
              [
                'open time',
                'exchange',
                'symbol',
                'interval',
                'open',
                'high',
                'low',
                'close',
                'volume',
                'trades',
                'final',
              ],
              rows.map((r) => [
                iso(r.openTime),
                r.exchange,
                r.symbol,
                r.interval,
                r.open,
                r.high,
                r.low,
                r.close,
                r.volume,
                r.trades,
                r.isFinal ? 'yes' : 'no',
              ]),
            );
          } else {
            const rows = await readAlerts(db, q);
            if (options.json) return printJson(rows);
            printTable(
              ['time', 'exchange', 'symbol', 'severity', 'rule', 'message'],
              rows.map((r) => [iso(r.timestamp), r.exchange, r.symbol, r.severity, r.rule, r.message]),
            );
          }
        } catch (error) {
          if (error instanceof Error) error.message = `${error.message} [${redact(url)}]`;
          throw error;
        } finally {
          await db.close();
        }
      }),
    );
}
