// `streamforge simulator`: runs the local Binance exchange simulator (model or capture replay) until SIGINT/SIGTERM.

import { type Command } from 'commander';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
} from '../../../venues/simulator/index.ts';
import { nonNegativeInt } from '../args.ts';
import { action, UsageError } from '../errors.ts';

interface SimulatorCliOptions {
  port: number;
  host: string;
  symbols?: string[];
  futuresSymbols?: string[];
  seed?: number;
  replay?: string[];
  speed?: number | 'max';
}

const SYMBOL = /^[A-Z0-9]{2,20}$/;

function symbolList(name: string): (raw: string) => string[] {
  return (raw) => {
    const symbols = raw
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter((s) => s.length > 0);
    for (const s of symbols)
      if (!SYMBOL.test(s))
        throw new UsageError(`${name}: "${s}" is not a Binance symbol (letters and digits, such as BTCUSDT)`);
    return symbols;
  };
}

function port(raw: string): number {
  const n = nonNegativeInt('--port')(raw);
  if (n > 65535) throw new UsageError(`--port must be at most 65535, got "${raw}"`);
  return n;
}

function speed(raw: string): number | 'max' {
  if (raw === 'max') return 'max';
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(n > 0))
    throw new UsageError(`--speed must be a positive number (1 = as recorded) or "max", got "${raw}"`);
  return n;
}

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description(
      'run a local exchange that speaks Binance spot (/api/v3, /ws, /stream) and USD-M futures (/fapi/v1, /fstream) ' +
        'REST + WebSocket, over a seeded market model or a replayed capture; faults via POST /_sim/faults',
    )
    .option('--port <port>', 'port to listen on (0: any free port)', port, 8090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--symbols <list>',
      'spot symbols, comma separated (default BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,BNBUSDT)',
      symbolList('--symbols'),
    )
    .option(
      '--futures-symbols <list>',
      'USD-M perpetual symbols, comma separated; "" for none (default BTCUSDT,ETHUSDT)',
      symbolList('--futures-symbols'),
    )
    .option(
      '--seed <n>',
      'seed of the market model: the same seed gives the same market (default 1)',
      nonNegativeInt('--seed'),
    )
    .option(
      '--replay <files...>',
      'replay these hftbacktest Binance spot captures instead of running the model',
    )
    .option(
      '--speed <n|max>',
      'replay speed: 1 as recorded, 10 ten times faster, max as fast as clients read',
      speed,
    )
    .action(
      action(async (options: SimulatorCliOptions) => {
        if (options.speed !== undefined && !options.replay)
          throw new UsageError('--speed applies to --replay only');
        if (options.replay && (options.symbols || options.futuresSymbols || options.seed !== undefined))
          throw new UsageError(
            "--symbols, --futures-symbols and --seed apply to the model, not to --replay (a replay serves the capture's symbols)",
          );
        const simOptions: SimulatorOptions = {
          port: options.port,
          host: options.host,
          ...(options.symbols ? { symbols: options.symbols } : {}),
          ...(options.futuresSymbols ? { futuresSymbols: options.futuresSymbols } : {}),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(options.replay ? { replay: { files: options.replay, speed: options.speed ?? 1 } } : {}),
        };
        await run(simOptions);
      }),
    );
}

async function start(options: SimulatorOptions): Promise<Simulator> {
  try {
    return await startSimulator(options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(
        `${options.host}:${options.port} is in use; choose another --port (0 picks a free one)`,
        { cause: error },
      );
    if (error instanceof RangeError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

function statusLine(s: SimulatorStats, framesPerSecond: number): string {
  const limited = (s.rest.byStatus['429'] ?? 0) + (s.rest.byStatus['418'] ?? 0);
  const parts = [
    `connections ${s.connections.open}`,
    `subscriptions ${s.streams.spot.subscriptions + s.streams.futures.subscriptions}`,
    `frames ${s.framesSent} (${Math.round(framesPerSecond)}/s)`,
    `rest ${s.rest.requests}${limited ? ` (${limited} rate-limited)` : ''}`,
  ];
  if (s.market) parts.push(`trades ${s.market.trades}`, `lag ${Math.round(s.market.lagMs)} ms`);
  if (s.market && s.market.intensity !== 1) parts.push(`burst x${s.market.intensity}`);
  if (s.replay)
    parts.push(
      s.replay.error
        ? `replay failed: ${s.replay.error}`
        : `replayed ${s.replay.framesReplayed}${s.replay.done ? ' (done)' : s.replay.started ? '' : ' (waits for a subscriber)'}`,
    );
  return parts.join(' | ');
}

async function run(options: SimulatorOptions): Promise<void> {
  const sim = await start(options);
  const out = process.stdout;
  out.write(
    `Binance simulator (${options.replay ? 'replay' : 'market model'}) listening\n` +
      `  spot REST     ${sim.restUrl}/api/v3/...\n` +
      `  spot streams  ${sim.wsUrl}/stream?streams=btcusdt@trade  |  ${sim.wsUrl}/ws/<stream>\n` +
      `  USD-M REST    ${sim.futuresRestUrl}/fapi/v1/...\n` +
      `  USD-M streams ${sim.futuresWsUrl}/stream?streams=...  |  ${sim.futuresWsUrl}/ws/<stream>\n` +
      `  faults        POST ${sim.restUrl}/_sim/faults {"fault":"sequenceGap","symbol":"BTCUSDT"}; stats GET ${sim.restUrl}/_sim/stats\n` +
      'Ctrl-C to stop.\n',
  );
  // On a terminal the status line rewrites itself every second; in a log, a line every 10 seconds.
  const tty = process.stderr.isTTY === true;
  let lastFrames = 0;
  let lastAt = Date.now();
  let ticks = 0;
  const timer = setInterval(() => {
    const s = sim.stats();
    const now = Date.now();
    const rate = ((s.framesSent - lastFrames) * 1000) / Math.max(1, now - lastAt);
    lastFrames = s.framesSent;
    lastAt = now;
    if (tty) process.stderr.write(`\r\x1b[2K${statusLine(s, rate)}`);
    else if (++ticks % 10 === 0) process.stderr.write(`${statusLine(s, rate)}\n`);
  }, 1000);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  clearInterval(timer);
  await sim.close();
  process.stderr.write(`${tty ? '\n' : ''}Simulator stopped (${signal}).\n`);
}
