// `streamforge kafka start|stop|status|tool`: a real Apache Kafka (from Maven Central) on this machine.

import { type Command } from 'commander';
import {
  KAFKA_TOOLS,
  resolveKafkaClasspath,
  kafkaStatus,
  runKafkaTool,
  startKafka,
  stopKafka,
  type KafkaRunning,
} from '../../../ops/kafka/index.ts';
import { nonNegativeInt, positiveInt } from '../args.ts';
import { action } from '../errors.ts';
import { printJson } from '../output.ts';

const progress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

export function registerKafkaCommands(program: Command): void {
  const kafka = program
    .command('kafka')
    .description(
      'run a local Apache Kafka (KRaft, single node or 3-node cluster) and its tools; needs java 17+ and maven',
    )
    // Lets `kafka tool` hand every option after the tool name to the Kafka tool untouched.
    .enablePositionalOptions();

  kafka
    .command('start')
    .description('start Kafka in the background (idempotent); prints the bootstrap address on stdout')
    .option('--cluster', 'three brokers (replication factor 3, min.insync.replicas 2) instead of one')
    .option(
      '--port <n>',
      'first broker port; a cluster uses n, n+1, n+2; 0 picks free ports',
      nonNegativeInt('--port'),
      9092,
    )
    .option('--home <dir>', 'where data, configs and logs live', '.streamforge/kafka')
    .option('--fresh', 'stop it and wipe its data first')
    .option(
      '--heap-mb <n>',
      'JVM heap per broker (default 512 single, 384 cluster)',
      positiveInt('--heap-mb'),
    )
    .action(
      action(
        async (options: {
          cluster?: boolean;
          port: number;
          home: string;
          fresh?: boolean;
          heapMb?: number;
        }) => {
          const running = await startKafka({
            mode: options.cluster ? 'cluster' : 'single',
            port: options.port,
            home: options.home,
            fresh: options.fresh ?? false,
            heapMb: options.heapMb,
            onProgress: progress,
          });
          process.stdout.write(`${running.bootstrap}\n`);
        },
      ),
    );

  kafka
    .command('fetch')
    .description(
      'download the Kafka jars from Maven Central now (start does it when needed); prints the version',
    )
    .action(
      action(async () => {
        const { version, classpath } = await resolveKafkaClasspath({ onProgress: progress });
        progress(`Kafka ${version}: ${classpath.split(':').length} jars resolved`);
        process.stdout.write(`${version}\n`);
      }),
    );

  kafka
    .command('stop')
    .description('stop the brokers of a home (controlled shutdown, SIGKILL after 30 s)')
    .option('--home <dir>', 'the home given to start', '.streamforge/kafka')
    .action(
      action(async (options: { home: string }) => {
        const result = await stopKafka({ home: options.home, onProgress: progress });
        progress(result.stopped.length > 0 ? 'Kafka stopped' : 'Kafka was not running');
      }),
    );

  kafka
    .command('status')
    .description('show the running brokers of a home (exit code 1 when none runs)')
    .option('--home <dir>', 'the home given to start', '.streamforge/kafka')
    .option('--json', 'print JSON (null when not running)')
    .action(
      action(async (options: { home: string; json?: boolean }) => {
        const running = await kafkaStatus({ home: options.home });
        if (options.json) printJson(running);
        else process.stdout.write(describe(running, options.home));
        if (!running) process.exitCode = 1;
      }),
    );

  kafka
    .command('tool')
    .description(
      `run a Kafka command-line tool; --bootstrap-server is added from the running broker (tools: ${Object.keys(KAFKA_TOOLS).join(', ')})`,
    )
    .argument('[name]', 'tool name, e.g. topics')
    .argument('[args...]', 'arguments for the tool, passed through as they are')
    .option('--list', 'list the tools')
    .option('--home <dir>', 'the home of the running broker to connect to', '.streamforge/kafka')
    .passThroughOptions()
    .allowUnknownOption()
    // Commander would answer a --help anywhere on the line; after the tool name it belongs to the tool.
    .helpOption(false)
    .option('-h, --help', "show this help (`kafka tool <name> --help` shows the tool's own)")
    .action(
      action(
        async (name: string | undefined, args: string[], options: { home: string }, command: Command) => {
          const split = splitToolArgv(rawArgsOf(command), name) ?? { ours: [], theirs: args };
          if (split.ours.includes('-h') || split.ours.includes('--help')) {
            process.stdout.write(command.helpInformation());
            return;
          }
          const list = split.ours.includes('--list');
          if (list || !name || !Object.hasOwn(KAFKA_TOOLS, name)) {
            if (name && !list) process.stderr.write(`streamforge: unknown Kafka tool "${name}"\n`);
            process.stdout.write(toolList());
            if (!list) process.exitCode = 2;
            return;
          }
          const result = await runKafkaTool(name, split.theirs, { home: options.home, stdio: 'inherit' });
          process.exitCode = result.exitCode;
        },
      ),
    );
}

/** The argv the root program parsed (commander keeps it, undocumented in its types), else process.argv. */
function rawArgsOf(command: Command): readonly string[] {
  let root = command;
  while (root.parent) root = root.parent;
  const raw: unknown = (root as unknown as { rawArgs?: unknown }).rawArgs;
  return Array.isArray(raw) && raw.every((a) => typeof a === 'string') ? raw : process.argv;
}

/**
 * Commander hands the options after the tool name through untouched only when every ancestor command
 * enables positional options; the root program does not (its --bus may come anywhere), so it would
 * take `topics --list` as our --list. The raw argv is unambiguous: ours before the name, the tool's after.
 */
export function splitToolArgv(
  rawArgs: readonly string[],
  name: string | undefined,
): { ours: string[]; theirs: string[] } | undefined {
  const kafka = rawArgs.indexOf('kafka');
  const tool = kafka < 0 ? -1 : rawArgs.indexOf('tool', kafka + 1);
  if (tool < 0) return undefined;
  if (name === undefined) return { ours: rawArgs.slice(tool + 1), theirs: [] };
  // The name is the first argument after `tool` that is not an option nor --home's value.
  for (let i = tool + 1; i < rawArgs.length; i++) {
    const arg = rawArgs[i] ?? '';
    if (arg === '--home') i++;
    else if (arg === name) return { ours: rawArgs.slice(tool + 1, i), theirs: rawArgs.slice(i + 1) };
  }
  return undefined;
}

function toolList(): string {
  const width = Math.max(...Object.keys(KAFKA_TOOLS).map((n) => n.length));
  const lines = Object.entries(KAFKA_TOOLS).map(([name, main]) => `  ${name.padEnd(width)}  ${main}`);
  return `Kafka tools (streamforge kafka tool <name> [args...]):\n${lines.join('\n')}\n`;
}

function describe(running: KafkaRunning | null, home: string): string {
  if (!running) return `Kafka is not running (home ${home})\n`;
  const lines = [
    `Apache Kafka ${running.version} (${running.mode}) running from ${running.home}`,
    `bootstrap: ${running.bootstrap}`,
    ...running.brokers.map(
      (b) =>
        `node ${b.nodeId}: pid ${b.pid}, port ${b.port}, controller port ${b.controllerPort}, log ${b.logFile}`,
    ),
  ];
  if (running.down)
    lines.push(
      `DOWN: node(s) ${running.down.join(', ')}; \`streamforge kafka start${running.mode === 'cluster' ? ' --cluster' : ''}\` restarts them`,
    );
  return `${lines.join('\n')}\n`;
}
