// `streamforge demo <scenario>`: runs a resilience scenario on the chosen bus with progress lines, and prints its verdict.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Command } from 'commander';
import { openBus } from '../../../bus/open.ts';
import { type Bus } from '../../../bus/types.ts';
import {
  runBootstrap,
  runBrokerDeath,
  runFailureDelay,
  runTimeTravel,
  type ScenarioName,
  SCENARIOS,
  type Progress,
  type ScenarioVerdict,
} from '../../../ops/scenarios/index.ts';
import { defaultDatabaseUrl } from '../../../services/writer/index.ts';
import { positiveInt } from '../args.ts';
import { action, UsageError } from '../errors.ts';
import { printJson } from '../output.ts';

interface DemoOptions {
  trades?: number;
  rate?: number;
  db?: string;
  kafkaHome?: string;
  captures?: string;
  keep?: boolean;
  crash?: boolean;
  json?: boolean;
}

/** What every scenario takes besides its bus or cluster. */
interface CommonOptions {
  readonly progress: Progress;
  readonly trades?: number;
  readonly rate?: number;
  readonly keep?: boolean;
  readonly capturesDir?: string;
}

const progress = (line: string): void => {
  process.stderr.write(`[demo ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

export function registerDemoCommand(program: Command): void {
  program
    .command('demo <scenario>')
    .description(
      `run a resilience scenario on real captured trades and check its outcome: ${Object.keys(SCENARIOS).join(', ')} (exit 1 if anything was lost or differs)`,
    )
    .option('--trades <n>', 'how many of the captured real trades to replay', positiveInt('--trades'))
    .option('--rate <n>', 'trades per second the feed sends', positiveInt('--rate'))
    .option(
      '--db <url>',
      'time-travel, broker-death: the writer database (default: the one for --bus; broker-death: STREAMFORGE_DATABASE_URL or local PostgreSQL)',
    )
    .option(
      '--kafka-home <dir>',
      'broker-death: where its 3-broker cluster lives (default a temporary folder, deleted after)',
    )
    .option(
      '--captures <dir>',
      'folder of the Binance hftbacktest captures (default ../shared/data/market/binance-spot-hftbacktest)',
    )
    .option('--keep', "leave the scenario's topics, groups and tables (and the cluster) in place to look at")
    .option(
      '--crash',
      'failure-delay: take candles down as kill -9 would (no commit, group not left) instead of stopping it',
    )
    .option('--json', 'print the verdict as JSON')
    .addHelpText(
      'after',
      `\nScenarios:\n${Object.entries(SCENARIOS)
        .map(([name, what]) => `  ${name.padEnd(14)} ${what}`)
        .join('\n')}\n` +
        '\nfailure-delay, time-travel and bootstrap run on --bus (embedded or Kafka); broker-death starts its own cluster.\nExample: npx streamforge --bus kafka://127.0.0.1:9092 demo time-travel --db postgres://postgres@127.0.0.1:5432/postgres',
    )
    .action(
      action(async (scenario: string, options: DemoOptions, command: Command) => {
        if (!Object.hasOwn(SCENARIOS, scenario))
          throw new UsageError(
            `unknown scenario "${scenario}"; pick one of ${Object.keys(SCENARIOS).join(', ')}`,
          );
        if (options.crash && scenario !== 'failure-delay')
          throw new UsageError('--crash applies to failure-delay only');
        const busUri = command.optsWithGlobals<{ bus: string }>().bus;
        const verdict = await runScenario(scenario as ScenarioName, busUri, options);
        if (options.json) printJson(verdict);
        else {
          process.stdout.write(`${verdict.scenario} on ${verdict.backend}\n`);
          for (const line of verdict.checks) process.stdout.write(`  ${line}\n`);
          if (verdict.differences.length === 0) process.stdout.write('PASS: nothing lost, outputs equal\n');
          else {
            process.stdout.write(`FAIL: ${verdict.differences.length} difference(s)\n`);
            for (const d of verdict.differences) process.stdout.write(`  ${d}\n`);
          }
        }
        if (verdict.differences.length > 0) process.exitCode = 1;
      }),
    );
}

async function runScenario(scenario: ScenarioName, busUri: string, o: DemoOptions): Promise<ScenarioVerdict> {
  const common: CommonOptions = {
    progress,
    ...(o.trades ? { trades: o.trades } : {}),
    ...(o.rate ? { rate: o.rate } : {}),
    ...(o.keep ? { keep: true } : {}),
    ...(o.captures ? { capturesDir: path.resolve(o.captures) } : {}),
  };
  if (scenario === 'broker-death') {
    const home = o.kafkaHome
      ? path.resolve(o.kafkaHome)
      : await mkdtemp(path.join(os.tmpdir(), 'sf-demo-cluster-'));
    const database =
      o.db ?? process.env['STREAMFORGE_DATABASE_URL'] ?? defaultDatabaseUrl('kafka://127.0.0.1:9092');
    try {
      return await runBrokerDeath({ ...common, home, database });
    } finally {
      if (!o.kafkaHome && !o.keep) await rm(home, { recursive: true, force: true });
    }
  }
  const bus = await openBus(busUri);
  try {
    return await runOnBus(scenario, bus, busUri, o, common);
  } finally {
    await bus.close();
  }
}

function runOnBus(
  scenario: Exclude<ScenarioName, 'broker-death'>,
  bus: Bus,
  busUri: string,
  o: DemoOptions,
  common: CommonOptions,
): Promise<ScenarioVerdict> {
  progress(`${scenario} on ${bus.uri}`);
  if (scenario === 'failure-delay')
    return runFailureDelay({ ...common, bus, ...(o.crash ? { stop: 'crash' as const } : {}) });
  if (scenario === 'bootstrap') return runBootstrap({ ...common, bus });
  const database = o.db ?? process.env['STREAMFORGE_DATABASE_URL'] ?? defaultDatabaseUrl(busUri);
  return runTimeTravel({ ...common, bus, database });
}
