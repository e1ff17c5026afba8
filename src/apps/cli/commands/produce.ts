// `streamforge produce <topic>`: sends JSON lines from stdin as records, one per line.

import { createInterface } from 'node:readline';
import { type Command } from 'commander';
import { type ProduceRecord } from '../../../bus/types.ts';
import { keyValue, nonNegativeInt } from '../args.ts';
import { withBus } from '../bus.ts';
import { UsageError, action } from '../errors.ts';

interface ProduceOptions {
  key?: string;
  keyField?: string;
  header?: Record<string, string>;
  partition?: number;
}

/** Caps records awaiting acknowledgement so that a large input does not fill memory. */
const MAX_PENDING = 10_000;

export function registerProduceCommand(program: Command): void {
  program
    .command('produce <topic>')
    .description(
      'send JSON lines read from stdin to a topic (one record per line; invalid JSON stops with the line number)',
    )
    .option('-k, --key <key>', 'the same key for every record')
    .option('--key-field <field>', 'take each record key from this top-level field of the JSON value')
    .option('-H, --header <name=value>', 'a header on every record (repeatable)', keyValue('--header'))
    .option(
      '--partition <n>',
      'write to this partition instead of partitioning by key',
      nonNegativeInt('--partition'),
    )
    .action(
      action(async (topic: string, options: ProduceOptions, command: Command) => {
        if (options.key !== undefined && options.keyField !== undefined)
          throw new UsageError('use either --key or --key-field, not both');
        const sent = await withBus(command, async (bus) => {
          const producer = bus.producer();
          let pending: Promise<unknown>[] = [];
          let lineNo = 0;
          let count = 0;
          try {
            for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
              lineNo++;
              if (line.trim() === '') continue;
              const record = toRecord(topic, line, lineNo, options);
              pending.push(producer.send(record));
              count++;
              if (pending.length >= MAX_PENDING) {
                await Promise.all(pending);
                pending = [];
              }
            }
          } finally {
            // Whatever was read before a bad line is still delivered.
            await Promise.all(pending);
            await producer.close();
          }
          return count;
        });
        process.stderr.write(`Produced ${sent} record(s) to ${topic}\n`);
      }),
    );
}

function toRecord(topic: string, line: string, lineNo: number, options: ProduceOptions): ProduceRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new UsageError(
      `stdin line ${lineNo} is not valid JSON (${(error as Error).message}); records before it were sent`,
    );
  }
  let key: string | null = options.key ?? null;
  if (options.keyField !== undefined) {
    const field =
      typeof value === 'object' && value !== null
        ? (value as Record<string, unknown>)[options.keyField]
        : undefined;
    if (field === undefined || field === null) {
      throw new UsageError(
        `stdin line ${lineNo} has no field "${options.keyField}" for --key-field; records before it were sent`,
      );
    }
    key = typeof field === 'string' ? field : JSON.stringify(field);
  }
  return {
    topic,
    key,
    value: line,
    ...(options.header ? { headers: options.header } : {}),
    ...(options.partition !== undefined ? { partition: options.partition } : {}),
  };
}
