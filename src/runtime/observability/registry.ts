// The one Prometheus registry of a process, with Node's process metrics already in it.

import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /**
   * Adds prom-client's process and Node.js metrics (CPU, memory, event loop lag, GC, handles).
   * Default true. They keep their standard names (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, ...) without a service label: they describe the process,
   * which several services share in embedded mode, and standard Node.js dashboards and
   * alerts find them under those names.
   */
  readonly processMetrics?: boolean;
}

/**
 * Creates the registry a process exposes on /metrics. Create it once per process and pass it
 * to every `createServiceMetrics` call: prom-client's global registry is not used, so tests
 * and embedded services never collide through a hidden singleton.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
