// `streamforge replay <file>...`: publishes recorded captures into md.raw.<exchange>, as the live loader would.

import { existsSync } from 'node:fs';
import { type Command } from 'commander';
import { type Exchange, exchangeNames } from '../../../contracts/schema/primitives.ts';
import { replayCaptures } from '../../../services/replay/index.ts';
import { withBus } from '../bus.ts';
import { action, UsageError } from '../errors.ts';

interface ReplayCliOptions {
  venue?: string;
  speed: string;
}

function parseSpeed(raw: string): number | 'max' {
  if (raw === 'max') return 'max';
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(
      `--speed ${raw} is neither "max" nor a positive number (1 = as recorded, 10 = ten times faster)`,
    );
  return n;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay <files...>')
    .description(
      'publish recorded captures (hftbacktest or cryptofeed lines, gzip or not) into md.raw.<exchange> with their ' +
        'recorded receive times, as the live loader would; the venue is detected from the frames',
    )
    .option(
      '--venue <exchange>',
      `the venue of every file instead of detecting it (${exchangeNames.join(', ')})`,
    )
    .option('--speed <n|max>', 'max: as fast as the bus takes them; N: N times faster than recorded', 'max')
    .action(
      action(async (files: string[], options: ReplayCliOptions, command: Command) => {
        if (options.venue !== undefined && !exchangeNames.includes(options.venue as Exchange))
          throw new UsageError(
            `--venue ${options.venue} is not a venue; use one of ${exchangeNames.join(', ')}`,
          );
        const missing = files.filter((f) => !existsSync(f));
        if (missing.length > 0) throw new UsageError(`no such file: ${missing.join(', ')}`);
        const speed = parseSpeed(options.speed);
        const abort = new AbortController();
        const onSignal = (): void => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const results = await withBus(command, (bus) =>
            replayCaptures(bus, files, {
              ...(options.venue === undefined ? {} : { venue: options.venue as Exchange }),
              speed,
              signal: abort.signal,
              onProgress: (p) =>
                process.stderr.write(
                  `${p.done ? 'replayed' : 'replaying'} ${p.file} (${p.exchange}): ${p.frames} frame(s)\n`,
                ),
            }),
          );
          const total = results.reduce((n, r) => n + r.frames, 0);
          process.stderr.write(
            `${abort.signal.aborted ? 'Interrupted after' : 'Done:'} ${total} frame(s) from ${results.length} file(s) ` +
              `into ${[...new Set(results.map((r) => r.topic))].join(', ')}\n`,
          );
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }),
    );
}
