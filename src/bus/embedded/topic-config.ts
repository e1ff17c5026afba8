// Validates Kafka topic configs and resolves the ones the embedded log honours to numbers.

import { BusError, BusErrorCodes } from '../errors.ts';

/** What the embedded log enforces; anything else valid for Kafka is stored and reported but ignored. */
export interface TopicConfig {
  readonly compact: boolean;
  readonly delete: boolean;
  /** -1 means unlimited. */
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly segmentMs: number;
  readonly segmentBytes: number;
  readonly minCompactionLagMs: number;
  readonly deleteRetentionMs: number;
}

// Kafka's own topic config names: Kafka rejects unknown names, so the embedded log does too.
const knownToKafka = new Set([
  'cleanup.policy',
  'compression.type',
  'delete.retention.ms',
  'file.delete.delay.ms',
  'flush.messages',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'index.interval.bytes',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'max.message.bytes',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.difference.max.ms',
  'message.timestamp.type',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.storage.enable',
  'remote.log.copy.disable',
  'remote.log.delete.on.disable',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
  'segment.index.bytes',
  'segment.jitter.ms',
  'segment.ms',
  'unclean.leader.election.enable',
]);

const policies = ['delete', 'compact', 'compact,delete', 'delete,compact'];

// Kafka's defaults; segment.bytes is capped at 2^31-1 as in Kafka (positions are 32-bit).
const defaults = {
  'retention.ms': 7 * 24 * 3600 * 1000,
  'retention.bytes': -1,
  'segment.ms': 7 * 24 * 3600 * 1000,
  'segment.bytes': 1024 * 1024 * 1024,
  'min.compaction.lag.ms': 0,
  'delete.retention.ms': 24 * 3600 * 1000,
} as const;

const minimum: Readonly<Record<keyof typeof defaults, number>> = {
  'retention.ms': -1,
  'retention.bytes': -1,
  'segment.ms': 1,
  'segment.bytes': 14,
  'min.compaction.lag.ms': 0,
  'delete.retention.ms': 0,
};

function invalid(topic: string, name: string, value: string, allowed: string): BusError {
  return new BusError(
    BusErrorCodes.INVALID_CONFIG,
    `Topic ${topic}: config ${name}=${value} is invalid: allowed values are ${allowed}`,
  );
}

/** Throws INVALID_CONFIG for an unknown name or a value Kafka would refuse for the configs we enforce. */
export function validateTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    if (!knownToKafka.has(name)) {
      throw new BusError(BusErrorCodes.INVALID_CONFIG, `Topic ${topic}: unknown topic config "${name}"`, {
        hint: `the embedded log enforces ${['cleanup.policy', ...Object.keys(defaults)].join(', ')}`,
      });
    }
    if (typeof value !== 'string') throw invalid(topic, name, String(value), 'strings');
    if (name === 'cleanup.policy') {
      if (!policies.includes(value.replace(/\s+/g, '')))
        throw invalid(topic, name, value, policies.join(' | '));
    } else if (name in defaults) {
      const n = Number(value);
      const min = minimum[name as keyof typeof defaults];
      const max = name === 'segment.bytes' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
      if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
        throw invalid(topic, name, value, `integers from ${min} to ${max}`);
      }
    }
  }
}

export function resolveTopicConfig(configs: Readonly<Record<string, string>>): TopicConfig {
  const num = (name: keyof typeof defaults): number =>
    configs[name] === undefined ? defaults[name] : Number(configs[name]);
  const policy = (configs['cleanup.policy'] ?? 'delete').replace(/\s+/g, '');
  return {
    compact: policy.includes('compact'),
    delete: policy.includes('delete'),
    retentionMs: num('retention.ms'),
    retentionBytes: num('retention.bytes'),
    segmentMs: num('segment.ms'),
    segmentBytes: num('segment.bytes'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    deleteRetentionMs: num('delete.retention.ms'),
  };
}

/** Kafka's topic name rule: [a-zA-Z0-9._-], 1 to 249 characters, not "." or "..". */
export function validateTopicName(name: string): void {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 249 ||
    name === '.' ||
    name === '..' ||
    !/^[a-zA-Z0-9._-]+$/.test(name)
  ) {
    throw new BusError(
      BusErrorCodes.INVALID_ARGUMENT,
      `Invalid topic name "${String(name)}": use 1 to 249 characters from [a-zA-Z0-9._-], not "." or ".."`,
    );
  }
}
