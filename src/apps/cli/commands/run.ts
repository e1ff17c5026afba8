// `streamforge run <service>`: runs service instances against the bus until SIGTERM/SIGINT.

import { type Command } from 'commander';
import { openBus } from '../../../bus/open.ts';
import { METRICS_PORT_ENV, parsePort } from '../../../runtime/observability/index.ts';
import { ServiceHost } from '../../../runtime/host.ts';
import { platformService } from '../../../config/index.ts';
import { resolveService } from '../../../services/registry.ts';
import { type Config } from '../../../config/index.ts';
import { positiveInt } from '../args.ts';
import { action, UsageError } from '../errors.ts';
import { configFromCommand, withConfigOptions } from './config.ts';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

interface RunOptions {
  replicas: number;
  queueId?: string;
  metricsPort?: number;
  metricsHost?: string;
  instancePrefix?: string;
  logLevel: LogLevel;
  orchestratorUrl?: string;
}

/**
 * The gateway is not a group member (every gateway reads every partition), so it is not a
 * ServiceDefinition: `run gateway` serves the dashboard on ports.dashboard until a signal.
 */
async function runGateway(config: Config, options: RunOptions): Promise<never> {
  if (options.replicas !== 1)
    throw new UsageError(
      '--replicas: the gateway is not a consumer group member; run more gateway processes behind a load balancer instead',
    );
  const orchestratorUrl = options.orchestratorUrl ?? `http://127.0.0.1:${config.ports.orchestrator}`;
  if (!/^https?:\/\/\S+$/.test(orchestratorUrl))
    throw new UsageError(`--orchestrator-url takes http(s)://host:port, got "${orchestratorUrl}"`);
  const { startGateway } = await import('../../../services/gateway/index.ts');
  const bus = await openBus(config.bus);
  let gateway;
  try {
    gateway = await startGateway({ bus, port: config.ports.dashboard, orchestratorUrl });
  } catch (error) {
    await bus.close();
    throw error;
  }
  process.stderr.write(`Dashboard: ${gateway.url} (workflows API: ${orchestratorUrl}); Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.stop();
  await bus.close();
  process.exit(0);
}

export function registerRunCommand(program: Command): void {
  withConfigOptions(
    program
      .command('run <service>')
      .description(
        'run a service (a built-in name, gateway for the dashboard, or a module path) on the bus; instances of one service, in this process or ' +
          "others, share the partitions of its consumer group. The platform's services take their options from the " +
          'configuration (config print shows it). Stops gracefully on SIGTERM/SIGINT',
      ),
  )
    .option('--replicas <n>', 'instances in this process (group members)', positiveInt('--replicas'), 1)
    .option(
      '--queue-id <id>',
      'the queue (workflow) id it answers on queue-control; default the service name',
    )
    .option(
      '--metrics-port <port>',
      `serve /metrics, /health and /ready on this port (0: any free port; env ${METRICS_PORT_ENV})`,
      (raw: string) => parsePort(raw),
    )
    .option(
      '--metrics-host <host>',
      'address to serve metrics on (default 127.0.0.1; 0.0.0.0 in a container)',
    )
    .option('--instance-prefix <prefix>', 'instance ids are <prefix>-<service>-<n> (default <host>-<pid>)')
    .option('--log-level <level>', `one of ${LOG_LEVELS.join(', ')}`, 'info')
    .option(
      '--orchestrator-url <url>',
      'gateway only: where the dashboard finds the workflows API (default http://127.0.0.1:<ports.orchestrator>)',
    )
    .action(
      action(async (name: string, options: RunOptions, command: Command) => {
        if (!LOG_LEVELS.includes(options.logLevel))
          throw new UsageError(
            `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${options.logLevel}"`,
          );
        const envPort = process.env[METRICS_PORT_ENV];
        const metricsPort = options.metricsPort ?? (envPort ? parsePort(envPort, METRICS_PORT_ENV) : null);
        // The configuration (file, STREAMFORGE_* variables, or STREAMFORGE_CONFIG_JSON from the
        // supervisor) gives the bus and the options of the platform's services.
        const { config } = configFromCommand(command);
        if (name === 'gateway') await runGateway(config, options);
        if (options.orchestratorUrl !== undefined)
          throw new UsageError('--orchestrator-url applies to the gateway only (streamforge run gateway)');
        const platform = platformService(name);
        const definition = platform ? await platform.create(config) : await resolveService(name);
        const bus = await openBus(config.bus);
        const host = new ServiceHost({
          bus,
          services: [
            {
              definition,
              replicas: options.replicas,
              ...(options.queueId ? { queueId: options.queueId } : {}),
            },
          ],
          metricsPort,
          ...(options.metricsHost ? { metricsHost: options.metricsHost } : {}),
          ...(options.instancePrefix ? { instancePrefix: options.instancePrefix } : {}),
          logLevel: options.logLevel,
        });
        const exitCode = new Promise<number>((resolve) => host.stopOnSignals(resolve));
        try {
          await host.start();
        } catch (error) {
          await host.stop('start failed').catch(() => undefined);
          await bus.close();
          throw error;
        }
        // Either a signal stops it, or every instance ends on its own (failed, or a stop command).
        const code = await Promise.race([exitCode, host.done().then(() => host.exitCode())]);
        await host.stop('exiting');
        await bus.close();
        process.exit(code);
      }),
    );
}
