// `streamforge backfill <exchange> <symbol>`: a resumable job loading historical klines or aggregate trades into md.raw.

import path from 'node:path';
import { type Command } from 'commander';
import { ServiceRunner } from '../../../runtime/index.ts';
import { ensureTopics } from '../../../runtime/host.ts';
import { backfillJobId, createBackfill } from '../../../services/backfill/index.ts';
import { BINANCE_LIVE, SIMULATOR_DEFAULT } from '../../../services/loader/config.ts';
import { datetime } from '../args.ts';
import { withBus } from '../bus.ts';
import { action, UsageError } from '../errors.ts';

interface BackfillCliOptions {
  klines?: string;
  aggTrades?: boolean;
  from: number;
  to: number;
  restUrl?: string;
  live?: boolean;
  queueId?: string;
  checkpoints: string;
}

const SYMBOL = /^[A-Z0-9]{2,20}$/;

export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill <exchange> <symbol>')
    .description(
      'load historical klines or aggregate trades from Binance REST into md.raw.<exchange> (the parser turns them ' +
        'into md.klines / md.trades); progress on the terminal and on queue-events; an interrupted job resumes',
    )
    .option('--klines <interval>', 'kline interval to load (1m, 5m, 1h, ...)')
    .option('--agg-trades', 'load aggregate trades instead of klines')
    .requiredOption('--from <iso>', 'start of the range (ISO-8601 or epoch ms)', datetime('--from'))
    .requiredOption('--to <iso>', 'end of the range, inclusive', datetime('--to'))
    .option(
      '--rest-url <url>',
      'REST base URL (default: the simulator at 127.0.0.1:8090, or Binance with --live)',
    )
    .option('--live', 'use Binance itself')
    .option('--queue-id <id>', 'the workflow this job reports under on queue-events')
    .option('--checkpoints <dir>', 'where jobs keep their checkpoints', path.join('.streamforge', 'backfill'))
    .action(
      action(async (exchange: string, symbol: string, options: BackfillCliOptions, command: Command) => {
        if (exchange !== 'binance' && exchange !== 'binance-futures')
          throw new UsageError(
            `backfill reads Binance REST: exchange must be binance or binance-futures, not ${exchange}`,
          );
        if (!SYMBOL.test(symbol))
          throw new UsageError(`"${symbol}" is not a Binance symbol; write it upper-case (BTCUSDT)`);
        if ((options.klines === undefined) === (options.aggTrades !== true))
          throw new UsageError('give exactly one of --klines <interval> and --agg-trades');
        const restUrl =
          options.restUrl ??
          (options.live ? BINANCE_LIVE[exchange].restUrl : SIMULATOR_DEFAULT[exchange].restUrl);
        const kind =
          options.klines !== undefined ? { klines: options.klines } : ({ aggTrades: true } as const);
        const jobId = backfillJobId({ exchange, symbol, kind, from: options.from, to: options.to });
        await withBus(command, async (bus) => {
          const definition = createBackfill({
            exchange,
            symbol,
            kind,
            from: options.from,
            to: options.to,
            restUrl,
            checkpointDir: path.resolve(options.checkpoints),
            onPage: (p) =>
              process.stderr.write(
                `backfill ${jobId}: ${p.rows}${p.total === undefined ? '' : ` of ${p.total}`} row(s) in ${p.pages} page(s)\n`,
              ),
          });
          await ensureTopics(bus, definition.produces);
          const runner = new ServiceRunner(definition, {
            bus,
            queueId: options.queueId ?? jobId,
            instance: `backfill-${process.pid}`,
          });
          const stop = (): void => void runner.stop('interrupted from the terminal');
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          try {
            await runner.start();
            await runner.done();
          } finally {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
          }
          const state = runner.lifecycle.state;
          if (state === 'failed')
            throw new Error(`backfill ${jobId} failed: ${runner.lifecycle.reason ?? 'unknown'}`);
          process.stderr.write(`backfill ${jobId}: ${state}\n`);
        });
      }),
    );
}
