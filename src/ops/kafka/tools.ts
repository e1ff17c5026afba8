// Runs Apache Kafka's own command-line tools (topics, consumer-groups, perf tests, ...) against a broker.

import { readFile } from 'node:fs/promises';
import { resolveKafkaClasspath } from './classpath.ts';
import { KafkaOpsError, KafkaOpsErrorCodes } from './errors.ts';
import { exec } from './exec.ts';
import { javaArgs, toolsLog4jFile } from './jvm.ts';
import { kafkaStatus } from './status.ts';

/** Short names (the `kafka-<name>.sh` scripts of the Kafka distribution) to main classes of Kafka 4.1. */
export const KAFKA_TOOLS = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  'consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'producer-perf-test': 'org.apache.kafka.tools.ProducerPerformance',
  'consumer-perf-test': 'org.apache.kafka.tools.ConsumerPerformance',
  'console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'console-producer': 'org.apache.kafka.tools.ConsoleProducer',
  'get-offsets': 'org.apache.kafka.tools.GetOffsetShell',
  'dump-log': 'kafka.tools.DumpLogSegments',
  'metadata-quorum': 'org.apache.kafka.tools.MetadataQuorumCommand',
  configs: 'kafka.admin.ConfigCommand',
} as const;

export type KafkaToolName = keyof typeof KAFKA_TOOLS;

/**
 * How each tool is told where the cluster is: `option` is `--bootstrap-server host:port`;
 * `producerProps` is ProducerPerformance 4.1, which has no `--bootstrap-server`, only
 * `--producer-props bootstrap.servers=...`; `none` works on files (dump-log).
 */
type BootstrapStyle = 'option' | 'producerProps' | 'none';

interface ToolTraits {
  readonly bootstrap: BootstrapStyle;
  /** Admin tools finish in a second; perf and console tools move data and need the full JIT and more heap. */
  readonly moves: boolean;
}

const traits: Record<KafkaToolName, ToolTraits> = {
  topics: { bootstrap: 'option', moves: false },
  'consumer-groups': { bootstrap: 'option', moves: false },
  'producer-perf-test': { bootstrap: 'producerProps', moves: true },
  'consumer-perf-test': { bootstrap: 'option', moves: true },
  'console-consumer': { bootstrap: 'option', moves: true },
  'console-producer': { bootstrap: 'option', moves: true },
  'get-offsets': { bootstrap: 'option', moves: false },
  'dump-log': { bootstrap: 'none', moves: false },
  'metadata-quorum': { bootstrap: 'option', moves: false },
  configs: { bootstrap: 'option', moves: false },
};

export function isKafkaToolName(name: string): name is KafkaToolName {
  return Object.hasOwn(KAFKA_TOOLS, name);
}

const hasFlag = (args: readonly string[], flag: string) =>
  args.some((a) => a === flag || a.startsWith(`${flag}=`));

/** True when the tool takes a bootstrap address and `args` give none (nor ask for help). */
export function needsBootstrap(tool: KafkaToolName, args: readonly string[]): boolean {
  const style = traits[tool].bootstrap;
  if (style === 'none' || hasFlag(args, '--help') || args.includes('-h') || hasFlag(args, '--version'))
    return false;
  // metadata-quorum and configs can talk to the controllers instead.
  if (hasFlag(args, '--bootstrap-server') || hasFlag(args, '--bootstrap-controller')) return false;
  if (style === 'producerProps') return !args.some((a) => a.startsWith('bootstrap.servers='));
  return true;
}

/** `args` with the bootstrap address added the way `tool` takes it, unless they already have one. */
export function withBootstrap(tool: KafkaToolName, args: readonly string[], bootstrap: string): string[] {
  if (!needsBootstrap(tool, args)) return [...args];
  if (traits[tool].bootstrap === 'producerProps') {
    // --producer-props takes several values; join the user's list rather than starting a second one.
    const at = args.indexOf('--producer-props');
    if (at >= 0) return [...args.slice(0, at + 1), `bootstrap.servers=${bootstrap}`, ...args.slice(at + 1)];
    return ['--producer-props', `bootstrap.servers=${bootstrap}`, ...args];
  }
  return ['--bootstrap-server', bootstrap, ...args];
}

export interface KafkaToolOptions {
  /** Default: the bootstrap of the broker running from `home`. */
  readonly bootstrap?: string;
  /** Where to look for a running broker when `bootstrap` is not given. */
  readonly home?: string;
  /** `pipe` (default) captures output into the result; `inherit` streams it to this process. */
  readonly stdio?: 'pipe' | 'inherit';
  /** Sent to the tool's stdin (e.g. records for console-producer, one per line). */
  readonly input?: string | Uint8Array;
  /** Kill the tool after this long (its exit code is then 137). */
  readonly timeoutMs?: number;
}

export interface KafkaToolResult {
  readonly exitCode: number;
  /** Empty with `stdio: 'inherit'`. */
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export async function runKafkaTool(
  tool: string,
  args: readonly string[],
  options: KafkaToolOptions = {},
): Promise<KafkaToolResult> {
  if (!isKafkaToolName(tool)) {
    throw new KafkaOpsError(KafkaOpsErrorCodes.UNKNOWN_TOOL, `Unknown Kafka tool "${tool}"`, {
      hint: `use one of: ${Object.keys(KAFKA_TOOLS).join(', ')}`,
    });
  }
  let fullArgs = [...args];
  if (needsBootstrap(tool, args) && !(await producerConfigHasBootstrap(tool, args))) {
    const bootstrap = options.bootstrap ?? (await kafkaStatus({ home: options.home }))?.bootstrap;
    if (!bootstrap) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.NO_BOOTSTRAP,
        `Kafka tool "${tool}" needs a broker address and no broker is running`,
        {
          hint: 'start one with `streamforge kafka start`, or pass --bootstrap-server host:port',
        },
      );
    }
    fullArgs = withBootstrap(tool, args, bootstrap);
  }
  const { version, classpath } = await resolveKafkaClasspath();
  const log4jFile = await toolsLog4jFile(version);
  const moves = traits[tool].moves;
  const jvm = javaArgs(classpath, KAFKA_TOOLS[tool], {
    heapMb: moves ? 512 : 256,
    log4jFile,
    quickStart: !moves,
  });
  return exec('java', [...jvm, ...fullArgs], {
    stdio: options.stdio,
    input: options.input,
    timeoutMs: options.timeoutMs,
  });
}

/** producer-perf-test may get its bootstrap from `--producer.config <file>`; then adding ours would override it. */
export async function producerConfigHasBootstrap(
  tool: KafkaToolName,
  args: readonly string[],
): Promise<boolean> {
  if (traits[tool].bootstrap !== 'producerProps') return false;
  const at = args.indexOf('--producer.config');
  const file = at >= 0 ? args[at + 1] : undefined;
  if (!file) return false;
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^\s*bootstrap\.servers\s*[=:]/m.test(text);
}
