// Changelog topics of state stores: their names, and creating or checking them before a service starts.

import { isBusError } from '../../bus/errors.ts';
import { type Admin, CleanupPolicies } from '../../bus/types.ts';
import { topicConfigs } from '../../contracts/index.ts';
import { StateError, StateErrorCodes } from './errors.ts';

const STORE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Kafka's limit on topic names. */
const MAX_TOPIC_LENGTH = 249;

/** Kafka Streams' naming, so operators recognise the topic: `<service>-<store>-changelog`. */
export function changelogTopic(service: string, store: string): string {
  if (!STORE_NAME.test(store)) {
    throw new StateError(
      StateErrorCodes.INVALID_ARGUMENT,
      `store name ${JSON.stringify(store)} of service ${service} must be lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  const topic = `${service}-${store}-changelog`;
  if (!/^[a-zA-Z0-9._-]+$/.test(topic) || topic.length > MAX_TOPIC_LENGTH) {
    throw new StateError(
      StateErrorCodes.INVALID_ARGUMENT,
      `changelog topic ${JSON.stringify(topic)} is not a legal Kafka topic name (letters, digits, . _ -, at most ${MAX_TOPIC_LENGTH} characters)`,
      { hint: 'shorten the service or store name' },
    );
  }
  return topic;
}

/**
 * The partition count every input of a stateful service shares. Partition p of every input
 * feeds state partition p, which is only right when a key lands on the same partition number
 * in every input topic, i.e. when they have the same count (Kafka Streams' co-partitioning).
 */
export function statePartitionCount(
  service: string,
  inputTopics: readonly string[],
  partitionsOf: (topic: string) => number,
): number {
  if (inputTopics.length === 0) {
    throw new StateError(StateErrorCodes.INVALID_ARGUMENT, `service ${service} has state but no input topic`);
  }
  const counts = inputTopics.map((topic) => ({ topic, partitions: partitionsOf(topic) }));
  for (const c of counts) {
    if (!Number.isSafeInteger(c.partitions) || c.partitions < 1) {
      throw new StateError(
        StateErrorCodes.INVALID_ARGUMENT,
        `partitionsOf(${c.topic}) returned ${String(c.partitions)}, not a positive partition count`,
      );
    }
  }
  if (new Set(counts.map((c) => c.partitions)).size > 1) {
    throw new StateError(
      StateErrorCodes.NOT_CO_PARTITIONED,
      `service ${service} keeps keyed state, but its inputs have different partition counts (` +
        `${counts.map((c) => `${c.topic}: ${c.partitions}`).join(', ')}), so one key would land in different state partitions`,
      { hint: 'give every input topic of a stateful service the same partition count' },
    );
  }
  return counts[0]!.partitions;
}

/** A changelog only needs the latest value per key; a tombstone stays a day so a slow restore still sees it. */
const CHANGELOG_CONFIGS = topicConfigs({
  policy: 'compact',
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
});

/**
 * Creates the changelog topics that are missing with `partitions` partitions, and checks that
 * those that exist have at least that many and are compacted.
 */
export async function ensureChangelogs(
  admin: Admin,
  topics: readonly string[],
  partitions: number,
  replicationFactor: number,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    // Replicas of one service start together: whoever creates a topic first wins, the others check it.
    await admin.createTopics(
      missing.map((name) => ({ name, partitions, replicationFactor, configs: CHANGELOG_CONFIGS })),
      { ifNotExists: true },
    );
  }
  const described = await admin.describeTopics(topics);
  for (const topic of described) {
    if (topic.partitions.length < partitions) {
      throw new StateError(
        StateErrorCodes.CHANGELOG_MISMATCH,
        `changelog topic ${topic.name} has ${topic.partitions.length} partitions, the input has ${partitions}, so state partitions ${topic.partitions.length}..${partitions - 1} would have no changelog`,
        {
          hint: `raise it to ${partitions} partitions (kafka-topics --alter --partitions ${partitions}), or delete it to start the store empty`,
        },
      );
    }
    const policy = topic.configs['cleanup.policy'];
    if (policy === undefined || !policy.split(',').includes(CleanupPolicies.COMPACT)) {
      throw new StateError(
        StateErrorCodes.CHANGELOG_MISMATCH,
        `changelog topic ${topic.name} has cleanup.policy=${policy ?? '(broker default, delete)'}, so the state of keys not written lately would be lost`,
        { hint: `set cleanup.policy=compact on ${topic.name}` },
      );
    }
  }
}

/** The replication factor of the first input topic, which the changelog copies. */
export async function inputReplication(admin: Admin, inputTopic: string): Promise<number> {
  try {
    const [description] = await admin.describeTopics([inputTopic]);
    return description!.replicationFactor;
  } catch (error) {
    if (!isBusError(error, 'UNKNOWN_TOPIC')) throw error;
    throw new StateError(
      StateErrorCodes.CHANGELOG_MISMATCH,
      `input topic ${inputTopic} does not exist, so its state changelogs cannot be sized after it`,
      { hint: 'create the input topics first (`streamforge topics apply`)', cause: error },
    );
  }
}
