// Kafka's own perf tools (producer-perf-test, consumer-perf-test) as the reference, run and parsed.

import { runKafkaTool } from '../src/ops/kafka/index.ts';
import { type Figure, figure } from './types.ts';

const TOOL_TIMEOUT_MS = 15 * 60_000;

/** The tool's final summary line: `N records sent, R records/sec (M MB/sec), ... 50th, ...`. */
export function parseProducerSummary(stdout: string): { records: number; recordsPerSec: number } {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*50th/.exec(line.trim());
    if (m) return { records: Number(m[1]), recordsPerSec: Number(m[2]) };
  }
  throw new Error(`producer-perf-test printed no summary line:\n${stdout.slice(-2000)}`);
}

/** The header and data lines of consumer-perf-test, as a name-to-value map. */
export function parseConsumerCsv(stdout: string): Record<string, string> {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('start.time'));
  const header = at >= 0 ? lines[at] : undefined;
  const data = at >= 0 ? lines[at + 1] : undefined;
  if (!header || !data) throw new Error(`consumer-perf-test printed no result line:\n${stdout.slice(-2000)}`);
  const names = header.split(',').map((s) => s.trim());
  const values = data.split(',').map((s) => s.trim());
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

function failed(tool: string, result: { exitCode: number; stdout: string; stderr: string }): Error {
  return new Error(
    `${tool} exited with ${result.exitCode}:\n${result.stderr.slice(-2000)}\n${result.stdout.slice(-1000)}`,
  );
}

/** Producer settings of the tuned Java row; the reference row uses the tool's defaults. */
export const JAVA_TUNED_PROPS = ['batch.size=524288', 'linger.ms=10'] as const;

export async function javaProduce(
  bootstrap: string,
  topic: string,
  records: number,
  recordSize: number,
  extraProps: readonly string[] = [],
): Promise<Figure> {
  const result = await runKafkaTool(
    'producer-perf-test',
    [
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      'acks=all',
      ...extraProps,
    ],
    { bootstrap, timeoutMs: TOOL_TIMEOUT_MS },
  );
  if (result.exitCode !== 0) throw failed('producer-perf-test', result);
  const summary = parseProducerSummary(result.stdout);
  if (summary.records !== records)
    throw new Error(`producer-perf-test sent ${summary.records} records, not ${records}`);
  return figure(
    records,
    records * recordSize,
    records / summary.recordsPerSec,
    extraProps.length === 0
      ? 'ProducerPerformance summary; producer defaults (idempotent, batch.size 16 KiB, linger.ms 5, 5 in flight)'
      : `ProducerPerformance summary; ${extraProps.join(' ')}`,
  );
}

/** `fetch.*` figures exclude the group join, as the StreamForge and KafkaJS timings do. */
export async function javaConsume(
  bootstrap: string,
  topic: string,
  records: number,
  group: string,
): Promise<{ fetch: Figure; total: Figure }> {
  const result = await runKafkaTool(
    'consumer-perf-test',
    ['--topic', topic, '--messages', String(records), '--group', group, '--timeout', '60000'],
    { bootstrap, timeoutMs: TOOL_TIMEOUT_MS },
  );
  if (result.exitCode !== 0) throw failed('consumer-perf-test', result);
  const row = parseConsumerCsv(result.stdout);
  const consumed = Number(row['data.consumed.in.nMsg']);
  const mb = Number(row['data.consumed.in.MB']);
  const fetchMs = Number(row['fetch.time.ms']);
  const rebalanceMs = Number(row['rebalance.time.ms']);
  if (!(consumed >= records) || !(fetchMs > 0))
    throw new Error(`consumer-perf-test result is unusable: ${JSON.stringify(row)}`);
  const bytes = mb * 1024 * 1024;
  return {
    fetch: figure(consumed, bytes, fetchMs / 1000, 'ConsumerPerformance fetch.nMsg.sec (after group join)'),
    total: figure(consumed, bytes, (fetchMs + rebalanceMs) / 1000, 'ConsumerPerformance nMsg.sec'),
  };
}
