// `streamforge tail queue-events`: the control plane's telemetry as it happens, one readable line per event.

import { type Command } from 'commander';
import { type BusRecord } from '../../../bus/types.ts';
import { queueControl, queueEvents } from '../../../contracts/index.ts';
import { positiveInt } from '../args.ts';
import { withBus } from '../bus.ts';
import { action, UsageError } from '../errors.ts';

interface TailOptions {
  since?: number;
  max?: number;
  idleExitMs?: number;
  json?: boolean;
}

const TOPICS = [queueEvents.topic, queueControl.topic];
/** Shown first, in this order; any other field follows as key=value. */
const LEAD = ['time', 'issued_at', 'event', 'command', 'service', 'target_service', 'instance', 'queue_id'];

/** `12:04:05.123 started loader-binance loader-binance-host-1 q=loader-binance loaded=120` */
export function formatEvent(value: Record<string, unknown>): string {
  const time = Number(value['time'] ?? value['issued_at']);
  const parts = [Number.isFinite(time) ? new Date(time).toISOString().slice(11, 23) : '--:--:--.---'];
  const what = value['event'] ?? value['command'];
  parts.push(String(what ?? '?').padEnd(11));
  parts.push(String(value['service'] ?? `-> ${String(value['target_service'] ?? '?')}`));
  if (value['instance'] !== undefined) parts.push(String(value['instance']));
  parts.push(`q=${String(value['queue_id'] ?? '?')}`);
  for (const [k, v] of Object.entries(value))
    if (!LEAD.includes(k)) parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.join(' ');
}

export function registerTailCommand(program: Command): void {
  program
    .command('tail <topic>')
    .description(`follow ${TOPICS.join(' or ')} from now, one readable line per event (Ctrl-C stops)`)
    .option('--since <minutes>', 'start this many minutes back', positiveInt('--since'))
    .option('-n, --max <n>', 'exit after n events', positiveInt('--max'))
    .option('--idle-exit-ms <ms>', 'exit when nothing arrives for this long', positiveInt('--idle-exit-ms'))
    .option('--json', 'print each event as JSON instead')
    .action(
      action(async (topic: string, options: TailOptions, command: Command) => {
        if (!TOPICS.includes(topic))
          throw new UsageError(
            `tail follows ${TOPICS.join(' or ')}; use \`streamforge consume ${topic}\` for other topics`,
          );
        await withBus(command, async (bus) => {
          const admin = bus.admin();
          const partitions = (await admin.describeTopics([topic]).finally(() => admin.close()))[0]!
            .partitions;
          const consumer = bus.consumer({ autoOffsetReset: 'latest' });
          await consumer.assign(partitions.map((p) => ({ topic, partition: p.partition })));
          if (options.since !== undefined)
            await consumer.seekToTimestamp(Date.now() - options.since * 60_000);
          else await consumer.seekToEnd();
          let stop = false;
          const onSignal = (): void => void (stop = true);
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          let printed = 0;
          let last = Date.now();
          try {
            while (!stop) {
              const records: BusRecord[] = await consumer.poll({ timeoutMs: 200 });
              for (const r of records) {
                let value: Record<string, unknown>;
                try {
                  value = JSON.parse(r.value?.toString('utf8') ?? 'null') as Record<string, unknown>;
                } catch {
                  process.stdout.write(`(not JSON at ${r.topic}[${r.partition}]@${r.offset})\n`);
                  continue;
                }
                process.stdout.write(`${options.json ? JSON.stringify(value) : formatEvent(value ?? {})}\n`);
                if (options.max !== undefined && ++printed >= options.max) stop = true;
                if (stop) break;
              }
              if (records.length > 0) last = Date.now();
              else if (options.idleExitMs !== undefined && Date.now() - last > options.idleExitMs) break;
            }
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            await consumer.close();
          }
        });
      }),
    );
}
