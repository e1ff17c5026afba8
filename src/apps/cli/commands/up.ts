// `streamforge up` (= `npm start`): the exchange simulator, loader, parser, orderbook, candles, detector and writer in one process, with a live status line.

import { type Command } from 'commander';
import { type Admin, type Bus } from '../../../bus/types.ts';
import { alerts, bookDelta, bookTop, candles, rawTopics, trades } from '../../../contracts/index.ts';
import { openBus } from '../../../bus/open.ts';
import { ServiceHost } from '../../../runtime/host.ts';
import { BINANCE_LIVE } from '../../../services/loader/config.ts';
import { createLoader } from '../../../services/loader/index.ts';
import { createCandles } from '../../../services/candles/index.ts';
import { createDetector } from '../../../services/detector/index.ts';
import { createOrderbook } from '../../../services/orderbook/index.ts';
import { createParser } from '../../../services/parser/index.ts';
import { createWriter, defaultDatabaseUrl, redact } from '../../../services/writer/index.ts';
import { startSimulator, type Simulator } from '../../../venues/simulator/index.ts';
import { nonNegativeInt, positiveInt } from '../args.ts';
import { action, UsageError } from '../errors.ts';

interface UpOptions {
  live?: boolean;
  symbols: string;
  simPort: number;
  metricsPort: number;
  seconds?: number;
  database?: string;
}

const SYMBOL = /^[A-Z0-9]{2,20}$/;

async function totalOf(admin: Admin, topic: string): Promise<number> {
  const ends = await admin.listOffsets(topic, 'latest').catch(() => []);
  return ends.reduce((sum, p) => sum + p.offset, 0);
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'run the platform: the exchange simulator (or Binance with --live), loader, parser, orderbook, candles, ' +
        'detector and writer, on the configured bus (embedded by default) and database (PGlite beside the embedded ' +
        'log, PostgreSQL with Kafka); Ctrl-C stops it gracefully',
    )
    .option('--live', 'connect to Binance itself instead of the built-in simulator')
    .option('--symbols <list>', 'Binance symbols, comma separated', 'BTCUSDT,ETHUSDT,SOLUSDT')
    .option(
      '--sim-port <port>',
      'port of the simulator (0: any free port)',
      nonNegativeInt('--sim-port'),
      8090,
    )
    .option(
      '--metrics-port <port>',
      'port of /metrics, /health, /ready (0: any free port)',
      nonNegativeInt('--metrics-port'),
      9464,
    )
    .option(
      '--database <url>',
      'where the writer stores: postgres://user@host:port/db or pglite:<dir> (env STREAMFORGE_DATABASE_URL; default follows the bus)',
    )
    .option('--seconds <n>', 'stop by itself after n seconds (smoke tests, demos)', positiveInt('--seconds'))
    .action(
      action(async (options: UpOptions, command: Command) => {
        const symbols = options.symbols.split(',').map((s) => s.trim());
        const bad = symbols.find((s) => !SYMBOL.test(s));
        if (bad !== undefined)
          throw new UsageError(`--symbols: "${bad}" is not a Binance symbol (write BTCUSDT)`);
        const log = (line: string): void => void process.stderr.write(`${line}\n`);
        let sim: Simulator | null = null;
        if (!options.live) {
          sim = await startSimulator({ port: options.simPort, symbols, futuresSymbols: [] });
          log(`Exchange simulator: ${sim.restUrl} (REST), ${sim.wsUrl}/stream (WebSocket)`);
        }
        const urls = sim ? { restUrl: sim.restUrl, wsUrl: sim.wsUrl } : BINANCE_LIVE.binance;
        const busUri = command.optsWithGlobals<{ bus: string }>().bus;
        const database =
          options.database ?? (process.env['STREAMFORGE_DATABASE_URL'] || defaultDatabaseUrl(busUri));
        const bus: Bus = await openBus(busUri);
        const host = new ServiceHost({
          bus,
          services: [
            {
              definition: createLoader({
                exchange: 'binance',
                ...urls,
                symbols,
                channels: ['trades', 'book', 'klines', 'instruments'],
              }),
            },
            { definition: createParser({ exchanges: ['binance'] }) },
            { definition: createOrderbook() },
            { definition: createCandles() },
            { definition: createDetector() },
            { definition: createWriter({ database }) },
          ],
          metricsPort: options.metricsPort,
          logLevel: 'warn',
        });
        const stopped = new Promise<number>((resolve) => host.stopOnSignals(resolve));
        const admin = bus.admin();
        let timer: NodeJS.Timeout | undefined;
        try {
          await host.start();
          log(
            `Bus: ${bus.uri}; database: ${redact(database)}; market: ${options.live ? 'Binance (live)' : 'simulator'}; symbols ${symbols.join(', ')}`,
          );
          if (host.server) log(`Metrics and health: ${host.server.url}/metrics, ${host.server.url}/health`);
          log(
            'Follow the data: streamforge consume md.book.top   |   streamforge query candles --symbol BTCUSDT   |   ' +
              'streamforge tail queue-events   |   Ctrl-C stops',
          );
          const status = async (): Promise<string> => {
            const [raw, t, b, top, c, a] = await Promise.all(
              [rawTopics.binance, trades, bookDelta, bookTop, candles['1m'], alerts].map((p) =>
                totalOf(admin, p.topic),
              ),
            );
            const states = Object.values(host.health().components).map((c) => c.state);
            const running = states.filter((s) => s === 'running').length;
            return `frames ${raw}  trades ${t}  book deltas ${b}  tops ${top}  1m candles ${c}  alerts ${a}  services ${running}/${states.length} running`;
          };
          const tty = process.stderr.isTTY;
          timer = setInterval(
            () => {
              void status().then((line) => process.stderr.write(tty ? `\r${line}   ` : `${line}\n`));
            },
            tty ? 1000 : 5000,
          );
          const deadline =
            options.seconds === undefined
              ? new Promise<never>(() => undefined)
              : new Promise<number>((resolve) => setTimeout(() => resolve(0), options.seconds! * 1000));
          const code = await Promise.race([stopped, deadline, host.done().then(() => host.exitCode())]);
          clearInterval(timer);
          await host.stop('exiting');
          log(`${tty ? '\n' : ''}Stopped: ${await status()}`);
          process.exitCode = code;
        } finally {
          clearInterval(timer);
          await admin.close().catch(() => undefined);
          await bus.close();
          await sim?.close();
        }
      }),
    );
}
