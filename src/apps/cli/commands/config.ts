// `streamforge config print`: the effective configuration with each value's source, secrets masked; and the config loading every command shares.

import { type Command } from 'commander';
import {
  CONFIG_FILE_ENV,
  ConfigError,
  type FlagValue,
  formatConfig,
  type LoadedConfig,
  loadConfig,
  maskedConfig,
  effectiveLeaves,
} from '../../../config/index.ts';
import { UsageError, action } from '../errors.ts';
import { printJson } from '../output.ts';

/** `--set path=value`, repeatable: any leaf of the configuration from the command line. */
export function collectSet(raw: string, previous: FlagValue[] | undefined): FlagValue[] {
  const eq = raw.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`--set takes path=value (e.g. services.orderbook.depthLevels=50), got "${raw}"`);
  const path = raw.slice(0, eq).trim();
  return [...(previous ?? []), { path, value: raw.slice(eq + 1), flag: `--set ${path}` }];
}

/** Adds `--config <file>` and `--set <path=value>` to a command. */
export function withConfigOptions(command: Command): Command {
  return command
    .option('--config <file>', `configuration file, YAML or JSON (env ${CONFIG_FILE_ENV})`)
    .option(
      '--set <path=value>',
      'set one configuration value (repeatable), e.g. ports.dashboard=8088',
      collectSet,
    );
}

/**
 * The effective configuration for a command: defaults < file < STREAMFORGE_* variables <
 * the global --bus (when given on the command line) < `--set` < the command's own flags.
 * A configuration problem is a usage error (exit code 2) naming every problem.
 */
export function configFromCommand(command: Command, flags: readonly FlagValue[] = []): LoadedConfig {
  const options = command.opts<{ config?: string; set?: FlagValue[] }>();
  const all: FlagValue[] = [];
  if (command.getOptionValueSourceWithGlobals('bus') === 'cli')
    all.push({ path: 'bus', value: command.optsWithGlobals<{ bus: string }>().bus, flag: '--bus' });
  all.push(...(options.set ?? []), ...flags);
  try {
    return loadConfig({ ...(options.config ? { file: options.config } : {}), flags: all });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

export function registerConfigCommand(program: Command): void {
  const config = program
    .command('config')
    .description('the configuration: defaults < config file < STREAMFORGE_* variables < flags');
  withConfigOptions(
    config
      .command('print')
      .description('print the effective configuration with the source of each value; secrets show as ****'),
  )
    .option('--json', 'print JSON: the configuration and the source of each value')
    .option('--all', 'also list the settings left unset (the service defaults apply)')
    .action(
      action(async (options: { json?: boolean; all?: boolean }, command: Command) => {
        const loaded = configFromCommand(command);
        if (options.json) {
          printJson({
            file: loaded.file ?? null,
            config: maskedConfig(loaded),
            sources: Object.fromEntries(
              effectiveLeaves(loaded)
                .filter((l) => l.value !== undefined)
                .map((l) => [l.path, l.source]),
            ),
          });
          return;
        }
        if (loaded.file) process.stdout.write(`# configuration file: ${loaded.file}\n`);
        process.stdout.write(`${formatConfig(loaded, { all: options.all ?? false })}\n`);
      }),
    );
}
