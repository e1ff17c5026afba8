// `streamforge topics list|create|describe|delete|alter`: topic administration on either backend.

import { type Command } from 'commander';
import { keyValue, positiveInt } from '../args.ts';
import { withBus } from '../bus.ts';
import { action } from '../errors.ts';
import { printJson, printTable } from '../output.ts';

export function registerTopicCommands(program: Command): void {
  const topics = program.command('topics').description('list, create, describe, alter and delete topics');

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
