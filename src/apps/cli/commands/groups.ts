// `streamforge groups list|describe|lag|reset`: consumer groups, their lag and time travel.

import { type Command } from 'commander';
import { type ResetTarget } from '../../../bus/types.ts';
import { datetime } from '../args.ts';
import { withBus } from '../bus.ts';
import { UsageError, action } from '../errors.ts';
import { printJson, printTable } from '../output.ts';

interface ResetOptions {
  topic: string[];
  toDatetime?: number;
  toEarliest?: boolean;
  toLatest?: boolean;
  json?: boolean;
}

export function registerGroupCommands(program: Command): void {
  const groups = program
    .command('groups')
    .description('list consumer groups, show their lag, reset their offsets');

  groups
    .command('list')
    .description('list consumer groups with their state')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }, command: Command) => {
        const list = await withBus(command, (bus) => bus.admin().listGroups());
        if (options.json) printJson(list);
        else
          printTable(
            ['GROUP', 'STATE'],
            list.map((g) => [g.groupId, g.state]),
          );
      }),
    );

  groups
    .command('describe <group>')
    .description('show the members of a group and their partitions')
    .option('--json', 'print JSON')
    .action(
      action(async (group: string, options: { json?: boolean }, command: Command) => {
        const d = await withBus(command, (bus) => bus.admin().describeGroup(group));
        if (options.json) {
          printJson(d);
          return;
        }
        process.stdout.write(`Group ${d.groupId} is ${d.state} with ${d.members.length} member(s)\n`);
        printTable(
          ['MEMBER', 'CLIENT', 'HOST', 'PARTITIONS'],
          d.members.map((m) => [
            m.memberId,
            m.clientId,
            m.host,
            m.assignment.map((a) => `${a.topic}[${a.partition}]`).join(' '),
          ]),
        );
      }),
    );

  groups
    .command('lag <group>')
    .description('committed offset, log end and lag per partition')
    .option('-t, --topic <topic...>', 'only these topics (default: every topic the group has offsets for)')
    .option('--json', 'print JSON')
    .action(
      action(async (group: string, options: { topic?: string[]; json?: boolean }, command: Command) => {
        const lag = await withBus(command, (bus) => bus.admin().groupLag(group, options.topic));
        if (options.json) {
          printJson(lag);
          return;
        }
        if (lag.length === 0) {
          process.stdout.write(`Group ${group} has no committed offsets\n`);
          return;
        }
        printTable(
          ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG'],
          lag.map((l) => [l.topic, l.partition, l.committed, l.logEnd, l.lag]),
        );
        process.stdout.write(`Total lag: ${lag.reduce((sum, l) => sum + l.lag, 0)}\n`);
      }),
    );

  groups
    .command('reset <group>')
    .description('move a stopped group to a point in time (time travel) or to either end of the log')
    .requiredOption('-t, --topic <topic...>', 'topics whose offsets to move')
    .option(
      '--to-datetime <iso>',
      'first record at or after this time, e.g. 2024-08-09T00:00:00Z',
      datetime('--to-datetime'),
    )
    .option('--to-earliest', 'the oldest retained record')
    .option('--to-latest', 'the end of the log (skip everything)')
    .option('--json', 'print JSON')
    .action(
      action(async (group: string, options: ResetOptions, command: Command) => {
        const targets = [options.toDatetime !== undefined, options.toEarliest, options.toLatest].filter(
          Boolean,
        ).length;
        if (targets !== 1)
          throw new UsageError('say exactly one of --to-datetime, --to-earliest, --to-latest');
        const to: ResetTarget =
          options.toDatetime !== undefined
            ? { datetime: options.toDatetime }
            : options.toEarliest
              ? 'earliest'
              : 'latest';
        const moved = await withBus(command, (bus) =>
          bus.admin().resetGroupOffsets(group, options.topic, to),
        );
        if (options.json) printJson(moved);
        else
          printTable(
            ['TOPIC', 'PARTITION', 'NEW-OFFSET'],
            moved.map((o) => [o.topic, o.partition, o.offset]),
          );
      }),
    );
}
