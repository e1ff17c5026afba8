// `streamforge topics list|create|describe|delete|alter`: topic administration on either backend.

import { type Command } from 'commander';
import { applyCatalog, type ApplyReport } from '../../../contracts/apply.ts';
import { catalog } from '../../../contracts/catalog.ts';
import { keyValue, positiveInt } from '../args.ts';
import { withBus } from '../bus.ts';
import { action } from '../errors.ts';
import { printJson, printTable } from '../output.ts';

function printApplyReport(report: ApplyReport): void {
  const rows: Array<[string, string, string]> = [
    ...report.created.map((c): [string, string, string] => [
      'create',
      c.topic,
      `${c.partitions} partition(s), replication ${c.replicationFactor}, ${Object.entries(c.configs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    ]),
    ...report.altered.map((a): [string, string, string] => [
      'alter',
      a.topic,
      Object.entries(a.configs)
        .map(([k, c]) => `${k}: ${c.from ?? '(unset)'} -> ${c.to}`)
        .join(', '),
    ]),
    ...report.partitionsRaised.map((r): [string, string, string] => [
      'partitions',
      r.topic,
      `${r.from} -> ${r.to} (keys move: per-key order holds for records written from now on)`,
    ]),
    ...report.unchanged.map((t): [string, string, string] => ['unchanged', t, '']),
    ...report.drift.map((d): [string, string, string] => [`drift`, d.topic, `${d.kind}: ${d.message}`]),
  ];
  printTable(['ACTION', 'TOPIC', 'DETAIL'], rows);
  const counts =
    `${report.created.length} created, ${report.altered.length} altered, ` +
    `${report.partitionsRaised.length} with more partitions, ${report.unchanged.length} unchanged, ` +
    `${report.drift.length} drift`;
  const verdict = !report.changed
    ? 'No change: the topics already match the catalog.'
    : report.dryRun
      ? 'Dry run: nothing was changed.'
      : 'Applied.';
  process.stderr.write(`${counts}. ${verdict}\n`);
  if (report.drift.length > 0)
    process.stderr.write('Drift is reported, not fixed: it needs a decision (see DETAIL).\n');
}

export function registerTopicCommands(program: Command): void {
  const topics = program
    .command('topics')
    .description('list, create, describe, alter and delete topics; apply the data-product catalog');

  topics
    .command('apply')
    .description(
      'create and configure every topic of the data-product catalog (and its .dlq); report drift it cannot fix',
    )
    .option(
      '-r, --replication-factor <n>',
      'copies of each partition for new topics: 1 on a single node, 3 on a cluster',
      positiveInt('--replication-factor'),
      1,
    )
    .option('--dry-run', 'show what would change without changing anything')
    .option('--json', 'print the report as JSON')
    .action(
      action(
        async (
          options: { replicationFactor: number; dryRun?: boolean; json?: boolean },
          command: Command,
        ) => {
          const report = await withBus(command, (bus) =>
            applyCatalog(bus.admin(), catalog.products, {
              replicationFactor: options.replicationFactor,
              dryRun: options.dryRun ?? false,
            }),
          );
          if (options.json) printJson(report);
          else printApplyReport(report);
        },
      ),
    );

  topics
    .command('list')
    .description('list topics')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }, command: Command) => {
        const names = await withBus(command, (bus) => bus.admin().listTopics());
        if (options.json) printJson(names);
        else for (const name of names) process.stdout.write(`${name}\n`);
      }),
    );

  topics
    .command('create <name>')
    .description('create a topic')
    .option('-p, --partitions <n>', 'number of partitions', positiveInt('--partitions'), 1)
    .option(
      '-r, --replication-factor <n>',
      'copies of each partition (Kafka only)',
      positiveInt('--replication-factor'),
      1,
    )
    .option(
      '-c, --config <name=value>',
      'topic config, e.g. cleanup.policy=compact (repeatable)',
      keyValue('--config'),
    )
    .option('--if-not-exists', 'succeed when the topic already exists')
    .action(
      action(
        async (
          name: string,
          options: {
            partitions: number;
            replicationFactor: number;
            config?: Record<string, string>;
            ifNotExists?: boolean;
          },
          command: Command,
        ) => {
          await withBus(command, (bus) =>
            bus.admin().createTopics(
              [
                {
                  name,
                  partitions: options.partitions,
                  replicationFactor: options.replicationFactor,
                  configs: options.config ?? {},
                },
              ],
              { ifNotExists: options.ifNotExists ?? false },
            ),
          );
          process.stderr.write(`Created topic ${name} with ${options.partitions} partition(s)\n`);
        },
      ),
    );

  topics
    .command('describe <names...>')
    .description('show partitions, leaders, replicas and configs')
    .option('--json', 'print JSON')
    .action(
      action(async (names: string[], options: { json?: boolean }, command: Command) => {
        const described = await withBus(command, (bus) => bus.admin().describeTopics(names));
        if (options.json) {
          printJson(described);
          return;
        }
        for (const topic of described) {
          const configs = Object.entries(topic.configs)
            .map(([k, v]) => `${k}=${v}`)
            .join(',');
          process.stdout.write(
            `Topic: ${topic.name}\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${topic.replicationFactor}\tConfigs: ${configs}\n`,
          );
          printTable(
            ['PARTITION', 'LEADER', 'REPLICAS', 'ISR'],
            topic.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(',')]),
          );
        }
      }),
    );

  topics
    .command('alter <name>')
    .description('set topic configs (name=value) or remove them (name=)')
    .requiredOption(
      '-c, --config <name=value>',
      'config to set; an empty value removes it (repeatable)',
      keyValue('--config'),
    )
    .option('-p, --partitions <n>', 'raise the partition count to n', positiveInt('--partitions'))
    .action(
      action(
        async (
          name: string,
          options: { config: Record<string, string>; partitions?: number },
          command: Command,
        ) => {
          await withBus(command, async (bus) => {
            const admin = bus.admin();
            const configs = Object.fromEntries(
              Object.entries(options.config).map(([k, v]) => [k, v === '' ? null : v]),
            );
            await admin.alterTopicConfigs(name, configs);
            if (options.partitions !== undefined) await admin.createPartitions(name, options.partitions);
          });
          process.stderr.write(`Altered topic ${name}\n`);
        },
      ),
    );

  topics
    .command('delete <names...>')
    .description('delete topics and their data')
    .action(
      action(async (names: string[], _options: unknown, command: Command) => {
        await withBus(command, (bus) => bus.admin().deleteTopics(names));
        process.stderr.write(`Deleted ${names.join(', ')}\n`);
      }),
    );
}
