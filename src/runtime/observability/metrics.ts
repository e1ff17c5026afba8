// The Prometheus metrics of one service instance: what the runtime records while it consumes and produces.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ObservabilityError, ObservabilityErrorCodes } from './errors.ts';
import { type ComponentState, componentStates, isComponentState } from './states.ts';

/** Every metric this file defines, by name; dashboards and alerts refer to these. */
export const MetricNames = {
  RECORDS_IN: 'streamforge_records_in_total',
  RECORDS_OUT: 'streamforge_records_out_total',
  ERRORS: 'streamforge_errors_total',
  DEAD_LETTERED: 'streamforge_dead_lettered_records_total',
  RETRIES: 'streamforge_retries_total',
  HANDLER_DURATION: 'streamforge_handler_duration_seconds',
  CONSUMER_LAG: 'streamforge_consumer_lag_records',
  REBALANCES: 'streamforge_rebalances_total',
  STORE_RESTORE_DURATION: 'streamforge_store_restore_duration_seconds',
  STORE_RESTORED_RECORDS: 'streamforge_store_restored_records_total',
  STATE: 'streamforge_service_state',
  OFFSETS_COMMITTED: 'streamforge_offsets_committed_total',
} as const;

/**
 * Handler latency buckets, 50 µs to 10 s in 1-2.5-5 steps: a per-record handler of a market
 * data service takes tens of microseconds, a batch written to SQL can take seconds.
 */
export const HANDLER_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface ServiceIdentity {
  /** The service's name (`parser`, `orderbook`, ...). */
  readonly service: string;
  /**
   * Which replica: unique among the instances of a service (e.g. host and pid, or the pod name).
   * Prometheus keeps a scraped `instance` label as `exported_instance` (its own `instance` is the
   * scrape target) unless the scrape sets `honor_labels: true`; in embedded mode, where one
   * target serves several services, this label is what tells replicas apart after a restart.
   */
  readonly instance: string;
}

/**
 * What the runtime records for one service instance. Every series carries `service` and
 * `instance`. Label values such as topic, error kind and DLQ code must come from small fixed
 * sets (catalog topics, code unions): each distinct value is a series kept until the process ends.
 */
export interface ServiceMetrics {
  readonly identity: ServiceIdentity;
  /** Records read from `topic` (and handed to the handler). */
  recordsIn(topic: string, count: number): void;
  /** Records produced to `topic`. */
  recordsOut(topic: string, count: number): void;
  /** One error of a kind such as 'handler', 'decode', 'produce', 'commit'. */
  error(kind: string): void;
  /** One record of `topic` (the topic it was read from) sent to its DLQ, with the reason's code. */
  deadLettered(topic: string, code: string): void;
  /** One retry of a record (or batch) of `topic`. */
  retried(topic: string): void;
  /** Time one handler call took, per record or per batch, as the runtime calls it. */
  observeHandler(seconds: number): void;
  /** Records behind the log end on one assigned partition. */
  setLag(topic: string, partition: number, lag: number): void;
  /** Drops the partition's lag series: after revocation this instance no longer knows it. */
  clearLag(topic: string, partition: number): void;
  /** Drops every lag series of this instance (on shutdown). */
  clearAllLag(): Promise<void>;
  /** One rebalance of the consumer group seen by this instance. */
  rebalance(): void;
  /** A state store finished restoring from its changelog: how long it took and how many records. */
  observeRestore(store: string, seconds: number, records: number): void;
  /** Sets the instance's state series to 1 and the other states' series to 0. */
  setState(state: ComponentState): void;
  /** Offsets (one per partition) committed by one commit. */
  commit(count: number): void;
}

interface MetricSet {
  readonly recordsIn: Counter<string>;
  readonly recordsOut: Counter<string>;
  readonly errors: Counter<string>;
  readonly deadLettered: Counter<string>;
  readonly retries: Counter<string>;
  readonly handler: Histogram<string>;
  readonly lag: Gauge<string>;
  readonly rebalances: Counter<string>;
  readonly restoreDuration: Gauge<string>;
  readonly restoredRecords: Counter<string>;
  readonly state: Gauge<string>;
  readonly committed: Counter<string>;
}

const SERVICE = ['service', 'instance'] as const;

/**
 * Creates (or, for a service already created on this registry, reuses) the metrics of one
 * service instance. Reuse is what lets a restarted service, or several services in one
 * process, share one registry: prom-client refuses a second registration of a name, and the
 * series are told apart by their label values.
 */
export function createServiceMetrics(registry: Registry, identity: ServiceIdentity): ServiceMetrics {
  for (const [key, value] of Object.entries(identity)) {
    if (typeof value !== 'string' || value === '') {
      throw invalid(`${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
  const m = metricSet(registry);
  const { service, instance } = identity;
  const base = { service, instance };
  // Label objects are cached per topic: the runtime calls these per batch or per record.
  const topicLabels = new Map<string, { service: string; instance: string; topic: string }>();
  const byTopic = (topic: string) => {
    let labels = topicLabels.get(topic);
    if (labels === undefined) {
      labels = { service, instance, topic };
      topicLabels.set(topic, labels);
    }
    return labels;
  };
  const partitionLabels = (topic: string, partition: number) => {
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw invalid(`partition must be an integer >= 0, got ${partition}`);
    }
    return { service, instance, topic, partition: String(partition) };
  };

  return {
    identity: { service, instance },
    recordsIn(topic, count) {
      m.recordsIn.inc(byTopic(topic), checkCount('recordsIn count', count));
    },
    recordsOut(topic, count) {
      m.recordsOut.inc(byTopic(topic), checkCount('recordsOut count', count));
    },
    error(kind) {
      m.errors.inc({ service, instance, kind });
    },
    deadLettered(topic, code) {
      m.deadLettered.inc({ service, instance, topic, code });
    },
    retried(topic) {
      m.retries.inc(byTopic(topic));
    },
    observeHandler(seconds) {
      m.handler.observe(base, checkSeconds('handler seconds', seconds));
    },
    setLag(topic, partition, lag) {
      m.lag.set(partitionLabels(topic, partition), checkCount('lag', lag));
    },
    clearLag(topic, partition) {
      m.lag.remove(partitionLabels(topic, partition));
    },
    async clearAllLag() {
      // The gauge is shared by every service in the registry: drop only this instance's series.
      const { values } = await m.lag.get();
      for (const { labels } of values) {
        if (labels.service === service && labels.instance === instance) m.lag.remove(labels);
      }
    },
    rebalance() {
      m.rebalances.inc(base);
    },
    observeRestore(store, seconds, records) {
      // Both checked before either is recorded: a rejected call leaves no half of itself behind.
      const duration = checkSeconds('restore seconds', seconds);
      const count = checkCount('restored records', records);
      const labels = { service, instance, store };
      m.restoreDuration.set(labels, duration);
      m.restoredRecords.inc(labels, count);
    },
    setState(state) {
      if (!isComponentState(state)) {
        throw invalid(`unknown state ${JSON.stringify(state)}; one of ${componentStates.join(', ')}`);
      }
      for (const each of componentStates) {
        m.state.set({ service, instance, state: each }, each === state ? 1 : 0);
      }
    },
    commit(count) {
      m.committed.inc(base, checkCount('committed offsets', count));
    },
  };
}

function metricSet(registry: Registry): MetricSet {
  const counter = (name: string, help: string, labels: readonly string[]) =>
    reuse(
      registry,
      name,
      Counter,
      () => new Counter({ name, help, labelNames: labels, registers: [registry] }),
    );
  const gauge = (name: string, help: string, labels: readonly string[]) =>
    reuse(registry, name, Gauge, () => new Gauge({ name, help, labelNames: labels, registers: [registry] }));
  const name = MetricNames.HANDLER_DURATION;
  return {
    recordsIn: counter(MetricNames.RECORDS_IN, 'Records read from a topic.', [...SERVICE, 'topic']),
    recordsOut: counter(MetricNames.RECORDS_OUT, 'Records produced to a topic.', [...SERVICE, 'topic']),
    errors: counter(MetricNames.ERRORS, 'Errors by kind (handler, decode, produce, commit, ...).', [
      ...SERVICE,
      'kind',
    ]),
    deadLettered: counter(
      MetricNames.DEAD_LETTERED,
      'Records sent to the DLQ, by the topic they were read from and the reason code.',
      [...SERVICE, 'topic', 'code'],
    ),
    retries: counter(MetricNames.RETRIES, 'Retries of a record or batch, by topic.', [...SERVICE, 'topic']),
    handler: reuse(
      registry,
      name,
      Histogram,
      () =>
        new Histogram({
          name,
          help: 'Time a handler call took (per record or per batch).',
          labelNames: SERVICE,
          buckets: [...HANDLER_BUCKETS],
          registers: [registry],
        }),
    ),
    lag: gauge(MetricNames.CONSUMER_LAG, 'Records between the log end and the position, per partition.', [
      ...SERVICE,
      'topic',
      'partition',
    ]),
    rebalances: counter(MetricNames.REBALANCES, 'Consumer group rebalances seen.', SERVICE),
    restoreDuration: gauge(
      MetricNames.STORE_RESTORE_DURATION,
      'How long the last restore of a state store from its changelog took.',
      [...SERVICE, 'store'],
    ),
    restoredRecords: counter(
      MetricNames.STORE_RESTORED_RECORDS,
      'Records read from changelogs to restore a state store.',
      [...SERVICE, 'store'],
    ),
    state: gauge(MetricNames.STATE, '1 for the current state of the service, 0 for the others.', [
      ...SERVICE,
      'state',
    ]),
    committed: counter(MetricNames.OFFSETS_COMMITTED, 'Partition offsets committed.', SERVICE),
  };
}

/** The registered metric of that name if it has the expected type, else a new one. */
function reuse<T>(
  registry: Registry,
  name: string,
  type: abstract new (...args: never[]) => T,
  create: () => T,
): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (existing instanceof type) return existing;
  throw new ObservabilityError(
    ObservabilityErrorCodes.METRIC_CONFLICT,
    `metric ${name} is already registered with another type`,
    { hint: 'names with the streamforge_ prefix are reserved for the runtime' },
  );
}

function checkCount(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(`${what} must be an integer >= 0, got ${value}`);
  return value;
}

function checkSeconds(what: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw invalid(`${what} must be a finite number >= 0, got ${value}`);
  return value;
}

function invalid(message: string): ObservabilityError {
  return new ObservabilityError(ObservabilityErrorCodes.INVALID_ARGUMENT, message);
}
