// Starting and stopping a scenario's service instances in this process, as a host would, with the control plane off.

import { type Bus } from '../../bus/types.ts';
import { type RuntimeLogger, type ServiceDefinition, ServiceRunner } from '../../runtime/index.ts';
import { type Progress } from './types.ts';

/** A logger that keeps a service's errors on the scenario's progress lines and drops the rest. */
export function progressLogger(name: string, progress: Progress): RuntimeLogger {
  const noop = (): void => undefined;
  return {
    debug: noop,
    info: noop,
    warn: noop,
    error: (context, message) => progress(`${name}: error: ${message} ${JSON.stringify(context)}`),
  };
}

/** Starts one instance of `definition`; resolves once it runs (joined its group, stores restored). */
export async function startInstance(
  bus: Bus,
  definition: ServiceDefinition,
  progress: Progress,
  instance = `${definition.name}-0`,
): Promise<ServiceRunner> {
  const runner = new ServiceRunner(definition, {
    bus,
    instance,
    control: false,
    heartbeatMs: 0,
    lagIntervalMs: 0,
    log: progressLogger(definition.name, progress),
  });
  await runner.start();
  return runner;
}

/** Stops instances (gracefully: in-flight work committed) and deletes their groups; errors are ignored. */
export async function stopAll(
  bus: Bus,
  runners: readonly ServiceRunner[],
  groups: readonly string[],
): Promise<void> {
  await Promise.all(runners.map((r) => r.stop('scenario over').catch(() => undefined)));
  const admin = bus.admin();
  try {
    for (const g of groups) await admin.deleteGroup(g).catch(() => undefined);
  } finally {
    await admin.close();
  }
}
