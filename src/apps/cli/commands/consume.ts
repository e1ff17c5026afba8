// `streamforge consume <topic>`: prints records as JSON lines, alone or as a consumer group.

import { type Command } from 'commander';
import { type BusRecord, type Consumer } from '../../../bus/types.ts';
import { nonNegativeInt, positiveInt } from '../args.ts';
import { withBus } from '../bus.ts';
import { action } from '../errors.ts';

interface ConsumeOptions {
  fromBeginning?: boolean;
  group?: string;
  max?: number;
  idleExitMs?: number;
  partition?: number;
  valueOnly?: boolean;
}

export function registerConsumeCommand(program: Command): void {
  program
    .command('consume <topic>')
    .description('print records of a topic as JSON lines (value shown as JSON when it is JSON, else as text)')
    .option(
      '--from-beginning',
      'start at the oldest record (default: only new records) where the group has no offset',
    )
    .option('-g, --group <group>', 'read as this consumer group and commit what was printed')
    .option('-n, --max <n>', 'exit after n records', positiveInt('--max'))
    .option('--idle-exit-ms <ms>', 'exit when no record arrives for this long', positiveInt('--idle-exit-ms'))
    .option('--partition <n>', 'read only this partition (not with --group)', nonNegativeInt('--partition'))
    .option('--value-only', 'print only each record value, one per line')
    .action(
      action(async (topic: string, options: ConsumeOptions, command: Command) => {
        await withBus(command, async (bus) => {
          const consumer = bus.consumer({
            ...(options.group !== undefined ? { groupId: options.group } : {}),
            autoOffsetReset: options.fromBeginning ? 'earliest' : 'latest',
          });
          let stop = false;
          const onSignal = (): void => {
            stop = true;
          };
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            if (options.group !== undefined) {
              await consumer.subscribe([topic]);
            } else {
              const partitions =
                options.partition !== undefined
                  ? [options.partition]
                  : (await bus.admin().describeTopics([topic]))[0]!.partitions.map((p) => p.partition);
              await consumer.assign(partitions.map((partition) => ({ topic, partition })));
              if (options.fromBeginning) await consumer.seekToBeginning();
            }
            await printLoop(consumer, options, () => stop);
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            await consumer.close();
          }
        });
      }),
    );
}

async function printLoop(consumer: Consumer, options: ConsumeOptions, stopped: () => boolean): Promise<void> {
  let printed = 0;
  let lastRecordAt = Date.now();
  while (!stopped()) {
    const left = options.max === undefined ? undefined : options.max - printed;
    const records = await consumer.poll({
      timeoutMs: 200,
      ...(left !== undefined ? { maxRecords: left } : {}),
    });
    if (records.length > 0) {
      lastRecordAt = Date.now();
      const out = records
        .map((r) => (options.valueOnly ? (r.value?.toString('utf8') ?? '') : recordToJsonLine(r)))
        .join('\n');
      if (!process.stdout.write(`${out}\n`))
        await new Promise((resolve) => process.stdout.once('drain', resolve));
      printed += records.length;
      // Commit only what has been written out: at-least-once for the reader of stdout.
      if (options.group !== undefined) await consumer.commit();
    }
    if (options.max !== undefined && printed >= options.max) break;
    if (options.idleExitMs !== undefined && Date.now() - lastRecordAt >= options.idleExitMs) break;
  }
}

/**
 * One JSON line per record. A JSON value is embedded as its exact text, never re-serialised,
 * so decimal prices keep every digit.
 */
export function recordToJsonLine(record: BusRecord): string {
  const text = record.value?.toString('utf8');
  let value = 'null';
  if (text !== undefined) {
    value = JSON.stringify(text);
    try {
      JSON.parse(text);
      value = text.trim().replace(/[\r\n]+/g, ' '); // raw newlines cannot occur inside JSON strings
    } catch {
      // Not JSON: shown as a string.
    }
  }
  const headers = JSON.stringify(
    Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, v.toString('utf8')])),
  );
  const key = JSON.stringify(record.key?.toString('utf8') ?? null);
  return `{"topic":${JSON.stringify(record.topic)},"partition":${record.partition},"offset":${record.offset},"timestamp":${record.timestamp},"key":${key},"value":${value},"headers":${headers}}`;
}
