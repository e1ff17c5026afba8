// Runs service instances in one process: their topics, one metrics registry and HTTP endpoint, signals.

import os from 'node:os';
import { type Bus } from '../bus/types.ts';
import {
  deadLetterProduct,
  type Product,
  queueControl,
  queueEvents,
  topicConfigs,
} from '../contracts/index.ts';
import {
  type ComponentHealth,
  createLogger,
  createMetricsRegistry,
  createServiceMetrics,
  type HealthReport,
  type Logger,
  type ObservabilityServer,
  startObservabilityServer,
} from './observability/index.ts';
import { type RuntimeLogger } from './log.ts';
import { errorMessage } from './retry.ts';
import { ServiceRunner } from './runner.ts';
import { type ServiceDefinition } from './service.ts';

export interface HostedService {
  readonly definition: ServiceDefinition;
  /** Instances of it in this process (consumer-group members sharing its partitions). Default 1. */
  readonly replicas?: number;
  readonly queueId?: string;
}

export interface HostOptions {
  readonly bus: Bus;
  readonly services: readonly HostedService[];
  /** Port of /metrics, /health and /ready; 0 picks a free one, null serves none. Default null. */
  readonly metricsPort?: number | null;
  readonly metricsHost?: string;
  /** Instance ids are `<prefix>-<service>-<n>`; default `<host>-<pid>`. */
  readonly instancePrefix?: string;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly heartbeatMs?: number;
  readonly shutdownTimeoutMs?: number;
  /** How often consumer lag is read for the metrics (default 5 s). */
  readonly lagIntervalMs?: number;
}

export class ServiceHost {
  readonly runners: ServiceRunner[] = [];
  readonly #options: HostOptions;
  readonly #registry = createMetricsRegistry();
  readonly #log: Logger;
  #server: ObservabilityServer | null = null;
  #stopping: Promise<void> | null = null;

  constructor(options: HostOptions) {
    this.#options = options;
    const prefix = options.instancePrefix ?? `${os.hostname()}-${process.pid}`;
    this.#log = createLogger({ service: 'host', instance: prefix, level: options.logLevel ?? 'info' });
    for (const { definition, replicas = 1, queueId } of options.services) {
      if (!Number.isInteger(replicas) || replicas < 1)
        throw new Error(`${definition.name}: replicas must be a positive integer, got ${replicas}`);
      for (let n = 0; n < replicas; n++) {
        const instance = `${prefix}-${definition.name}-${n}`;
        this.runners.push(
          new ServiceRunner(definition, {
            bus: options.bus,
            instance,
            ...(queueId ? { queueId } : {}),
            log: createLogger({
              service: definition.name,
              instance,
              level: options.logLevel ?? 'info',
            }) as RuntimeLogger,
            metrics: createServiceMetrics(this.#registry, { service: definition.name, instance }),
            ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
            ...(options.shutdownTimeoutMs === undefined
              ? {}
              : { shutdownTimeoutMs: options.shutdownTimeoutMs }),
            ...(options.lagIntervalMs === undefined ? {} : { lagIntervalMs: options.lagIntervalMs }),
          }),
        );
      }
    }
  }

  /** The /metrics endpoint, once started (null when none was asked for). */
  get server(): ObservabilityServer | null {
    return this.#server;
  }

  health(): HealthReport {
    const components: Record<string, ComponentHealth> = {};
    for (const runner of this.runners) {
      const h = runner.health();
      components[h.instance] = { state: h.state, ...(h.reason ? { detail: h.reason } : {}) };
    }
    return { components };
  }

  /** 1 when any instance failed, else 0: the exit code of a process that ran them. */
  exitCode(): number {
    return this.runners.some((r) => r.lifecycle.state === 'failed') ? 1 : 0;
  }

  ready(): boolean {
    return this.runners.length > 0 && this.runners.every((r) => r.ready());
  }

  /** Creates missing topics, serves metrics, starts every instance; resolves once all run. */
  async start(): Promise<void> {
    await ensureTopics(
      this.#options.bus,
      this.#options.services.flatMap((s) => [...s.definition.consumes, ...s.definition.produces]),
    );
    if (this.#options.metricsPort !== undefined && this.#options.metricsPort !== null) {
      this.#server = await startObservabilityServer({
        port: this.#options.metricsPort,
        ...(this.#options.metricsHost ? { host: this.#options.metricsHost } : {}),
        registry: this.#registry,
        health: () => this.health(),
        ready: () => this.ready(),
      });
      this.#log.info({ url: this.#server.url }, 'serving /metrics, /health and /ready');
    }
    await Promise.all(this.runners.map((r) => r.start()));
    this.#log.info({ instances: this.runners.map((r) => r.identity.instance) }, 'services running');
  }

  /** Resolves when every instance has stopped or failed on its own. */
  async done(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.done()));
  }

  stop(reason = 'stopped'): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.runners.map((r) => r.stop(reason)));
      await this.#server?.close();
    })();
    return this.#stopping;
  }

  /** Stops gracefully on SIGTERM or SIGINT; a second signal exits at once. Returns a remover. */
  stopOnSignals(onStopped: (code: number) => void): () => void {
    let signalled = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (signalled) {
        this.#log.warn({ signal }, 'second signal: exiting without waiting');
        onStopped(130);
        return;
      }
      signalled = true;
      this.#log.info({ signal }, 'stopping: finishing in-flight work, committing, leaving the group');
      this.stop(signal).then(
        () => onStopped(this.exitCode()),
        (error: unknown) => {
          this.#log.error({ err: errorMessage(error) }, 'stopping failed');
          onStopped(1);
        },
      );
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  }
}

/** Creates the topics the services need (and their DLQs, and the control plane's) where missing. */
export async function ensureTopics(bus: Bus, products: readonly Product[]): Promise<void> {
  const all = new Map<string, Product>();
  for (const p of [...products, queueControl, queueEvents]) {
    all.set(p.topic, p);
    const dlq = deadLetterProduct(p);
    all.set(dlq.topic, dlq);
  }
  const admin = bus.admin();
  try {
    await admin.createTopics(
      [...all.values()].map((p) => ({
        name: p.topic,
        partitions: p.partitions,
        configs: topicConfigs(p.cleanup),
      })),
      { ifNotExists: true },
    );
  } finally {
    await admin.close();
  }
}
