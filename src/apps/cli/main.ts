// The `streamforge` command line: broker provisioning, topics, the data-product catalog, produce/consume, groups.

import { Command, CommanderError } from 'commander';
import { DEFAULT_BUS_URI } from '../../bus/open.ts';
import { registerBackfillCommand } from './commands/backfill.ts';
import { registerCatalogCommand } from './commands/catalog.ts';
import { registerConfigCommand } from './commands/config.ts';
import { registerConsumeCommand } from './commands/consume.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerGroupCommands } from './commands/groups.ts';
import { registerKafkaCommands } from './commands/kafka.ts';
import { registerProduceCommand } from './commands/produce.ts';
import { registerQueryCommand } from './commands/query.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSimulatorCommand } from './commands/simulator.ts';
import { registerTailCommand } from './commands/tail.ts';
import { registerTopicCommands } from './commands/topics.ts';
import { registerUpCommand } from './commands/up.ts';
import { reportAndExit } from './errors.ts';

const program = new Command('streamforge')
  .description(
    'StreamForge: real-time crypto market data and trading on Apache Kafka or an embedded durable log',
  )
  .option(
    '--bus <uri>',
    'kafka://host:port[,host:port] for Apache Kafka, embedded:<dir> for the local log (env STREAMFORGE_BUS)',
    process.env['STREAMFORGE_BUS'] ?? DEFAULT_BUS_URI,
  )
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerKafkaCommands(program);
registerTopicCommands(program);
registerCatalogCommand(program);
registerProduceCommand(program);
registerConsumeCommand(program);
registerGroupCommands(program);
registerRunCommand(program);
registerReplayCommand(program);
registerSimulatorCommand(program);
registerBackfillCommand(program);
registerUpCommand(program);
registerTailCommand(program);
registerQueryCommand(program);
registerConfigCommand(program);
registerDemoCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 1 ? 2 : error.exitCode);
  reportAndExit(error);
}
