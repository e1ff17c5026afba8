// Startup: how long `npm start` (= `streamforge up`) takes from the command to a dashboard with live data, and Ctrl-C to a clean exit.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../src/ops/kafka/ports.ts';
import { probeFeed, STREAMFORGE_BIN, UpProcess } from '../src/ops/startup/index.ts';
import { progress } from './types.ts';

/** Issue 6's acceptance: on a clean clone, `npm ci && npm start` shows live data within 30 s. */
export const STARTUP_TARGET_MS = 30_000;
const STEP_TIMEOUT_MS = 120_000;

export type TsxCache = 'warm' | 'cold';

export interface StartupRun {
  /** cold: TSX_DISABLE_CACHE=1, so tsx compiles every module as on the first start of a clean clone. */
  readonly tsxCache: TsxCache;
  /**
   * From the spawn until `up` printed its first line (the simulator's address): Node, tsx and the
   * CLI loaded, the simulator listening; the services' modules are imported after it.
   */
  readonly firstLineMs: number;
  /** From the spawn until GET / of the dashboard answered 200. */
  readonly dashboardMs: number;
  /** From the spawn until the feed (/ws, as the page reads it) carried each kind with plausible values. */
  readonly candlesMs: number;
  readonly bookMs: number;
  readonly tradesMs: number;
  /** The last of the three: the dashboard shows live data. */
  readonly liveMs: number;
  /** From SIGINT (Ctrl-C) until the process exited 0 after printing that every service stopped. */
  readonly shutdownMs: number;
  readonly instrument: string;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface StartupReport {
  /** Runs with tsx's transform cache as any start after the first leaves it. */
  readonly runs: readonly StartupRun[];
  /** One run with tsx compiling every module, as the first start of a clean clone does; null when skipped. */
  readonly cold: StartupRun | null;
  readonly firstLineMs: Spread;
  readonly dashboardMs: Spread;
  readonly liveMs: Spread;
  readonly shutdownMs: Spread;
  /** References measured between the runs on the same machine: a bare `node -e ''`, and `streamforge --help`. */
  readonly reference: { readonly nodeMs: Spread; readonly cliHelpMs: Spread };
  /** The median time to live data over the median `streamforge --help`. */
  readonly liveVsCliHelp: number;
  /** The slowest run to live data, the cold one included: what the target is judged on. */
  readonly slowestLiveMs: number;
  readonly note: string;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** Milliseconds from the spawn of `node <args>` to its exit; it must exit 0. */
function timeCommand(args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`node ${args.join(' ')} exited ${code}`));
    });
  });
}

/** One `up` in a fresh directory: the page, then live data, then Ctrl-C. */
async function run(tsxCache: TsxCache): Promise<StartupRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-startup-'));
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const up = UpProcess.start({
    cwd: dir,
    dashboardPort: port!,
    env: tsxCache === 'cold' ? { TSX_DISABLE_CACHE: '1' } : {},
  });
  try {
    const page = await up.waitForPage(url, STEP_TIMEOUT_MS);
    const feed = await probeFeed(url, { timeoutMs: STEP_TIMEOUT_MS });
    const exit = await up.interrupt(60_000);
    if (exit.code !== 0 || exit.stoppedLine === null)
      throw new Error(
        `streamforge up exited ${exit.code ?? exit.signal} on SIGINT` +
          `${exit.stoppedLine === null ? ' without printing that it stopped' : ''}:\n${up.output}`,
      );
    const since = (at: number): number => at - up.startedAt;
    const firstLine = up.lineAt(/^Exchange simulator: /);
    if (firstLine === null)
      throw new Error(`streamforge up did not print the simulator's address:\n${up.output}`);
    return {
      tsxCache,
      firstLineMs: since(firstLine),
      dashboardMs: since(page),
      candlesMs: since(feed.firstAt.candles),
      bookMs: since(feed.firstAt.book),
      tradesMs: since(feed.firstAt.trades),
      liveMs: since(Math.max(feed.firstAt.candles, feed.firstAt.book, feed.firstAt.trades)),
      shutdownMs: exit.ms,
      instrument: feed.instrument,
    };
  } finally {
    await up.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function benchStartup(options: {
  readonly runs: number;
  readonly cold: boolean;
}): Promise<StartupReport> {
  const refDir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-startup-ref-'));
  const runs: StartupRun[] = [];
  const nodeMs: number[] = [];
  const cliHelpMs: number[] = [];
  let cold: StartupRun | null = null;
  try {
    const describe = (r: StartupRun): string =>
      `first line ${s(r.firstLineMs)}, dashboard ${s(r.dashboardMs)}, live candles/book/trades of ${r.instrument} ${s(r.liveMs)}, ` +
      `Ctrl-C to exit 0 ${s(r.shutdownMs)}`;
    if (options.cold) {
      progress('startup, first start of a clean clone (TSX_DISABLE_CACHE=1: tsx compiles every module)');
      cold = await run('cold');
      progress(`  ${describe(cold)}`);
    }
    for (let i = 0; i < options.runs; i++) {
      // The references just before each run, so that they see the machine as the run does.
      nodeMs.push(await timeCommand(['-e', ''], refDir));
      cliHelpMs.push(await timeCommand([STREAMFORGE_BIN, '--help'], refDir));
      progress(
        `startup run ${i + 1}/${options.runs}: npm start in a fresh directory ` +
          `(references: node -e '' ${s(nodeMs.at(-1)!)}, streamforge --help ${s(cliHelpMs.at(-1)!)})`,
      );
      const r = await run('warm');
      runs.push(r);
      progress(`  ${describe(r)}`);
    }
  } finally {
    await rm(refDir, { recursive: true, force: true });
  }
  const live = spread(runs.map((r) => r.liveMs));
  const help = spread(cliHelpMs);
  return {
    runs,
    cold,
    firstLineMs: spread(runs.map((r) => r.firstLineMs)),
    dashboardMs: spread(runs.map((r) => r.dashboardMs)),
    liveMs: live,
    shutdownMs: spread(runs.map((r) => r.shutdownMs)),
    reference: { nodeMs: spread(nodeMs), cliHelpMs: help },
    liveVsCliHelp: live.median / help.median,
    slowestLiveMs: Math.max(...runs.map((r) => r.liveMs), cold?.liveMs ?? 0),
    note:
      '`streamforge up` as `npm start` runs it (embedded log, PGlite, the exchange simulator, 3 symbols), ' +
      'each run in a fresh working directory, so its data directory .streamforge/ starts empty, and without ' +
      'STREAMFORGE_* variables; ports: the dashboard on a free port picked beforehand, the others 0. First ' +
      "line: until up printed the simulator's address, its first line (Node, tsx and the CLI loaded; the " +
      'services are imported and started after it). Dashboard: from the spawn until GET / answers 200, ' +
      "asked every 50 ms. Live data: until the page's feed (/ws, interval 1s, the first instrument of the " +
      'tickers, every message acknowledged) has carried candles, a book with levels on both sides and ' +
      'trades, every value checked (positive decimal prices, bid below ask, low <= open/close <= high). ' +
      'Shutdown: from SIGINT until the exit, which must be 0 after "Stopped: ...". The bench runs ' +
      "bin/streamforge.js as npm start does, without npm itself (npm's own start comes on top). Warm runs " +
      "reuse tsx's transform cache as every start after the first does; the cold run disables it " +
      '(TSX_DISABLE_CACHE=1), as the first start of a clean clone has none; neither empties the OS file ' +
      'cache, which the first start after a boot finds empty. References measured before each warm run: a bare ' +
      "`node -e ''` and `streamforge --help` (Node, tsx and every CLI module loaded, nothing started).",
  };
}

export function startupTargets(
  report: StartupReport,
): { name: string; goal: number; actual: number; pass: boolean; unit: 'ms' }[] {
  const all = report.runs.length + (report.cold ? 1 : 0);
  return [
    {
      name:
        `npm start: dashboard with live candles, book and trades <= ${STARTUP_TARGET_MS / 1000} s after the command ` +
        `(slowest of ${all} run${all === 1 ? '' : 's'}${report.cold ? ', the cold tsx cache included' : ''})`,
      goal: STARTUP_TARGET_MS,
      actual: report.slowestLiveMs,
      pass: report.slowestLiveMs <= STARTUP_TARGET_MS,
      unit: 'ms',
    },
  ];
}

const range = (x: Spread): string => `median ${s(x.median)} (min ${s(x.min)}, max ${s(x.max)})`;

export function formatStartup(report: StartupReport): string[] {
  const out = [
    '',
    `Startup of npm start (streamforge up) in a fresh directory, ${report.runs.length} run(s)`,
    `  first line (CLI loaded):     ${range(report.firstLineMs)}`,
    `  dashboard answers:           ${range(report.dashboardMs)}`,
    `  live candles/book/trades:    ${range(report.liveMs)}; ${report.liveVsCliHelp.toFixed(1)}x the CLI's own start`,
    `  Ctrl-C to exit 0:            ${range(report.shutdownMs)}`,
    `  references: node -e '' ${range(report.reference.nodeMs)}; streamforge --help ${range(report.reference.cliHelpMs)}`,
  ];
  if (report.cold)
    out.push(
      `  first start, tsx cache cold: first line ${s(report.cold.firstLineMs)}, dashboard ${s(report.cold.dashboardMs)}, live data ${s(report.cold.liveMs)}, ` +
        `Ctrl-C ${s(report.cold.shutdownMs)}`,
    );
  out.push(`  ${report.note}`);
  return out;
}
