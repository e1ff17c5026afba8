// The log interface every StreamForge service is written against; both backends implement it.
//
// Offsets and timestamps are plain numbers: Kafka offsets are int64 but never reach 2^53 in
// practice, and backends reject anything that is not a safe integer at their boundary.

/** Record headers as stored on the log. Keys are UTF-8; values are raw bytes. */
export type Headers = Readonly<Record<string, Buffer>>;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** For a commit: the offset of the next record to read (last processed + 1), as in Kafka. */
  readonly offset: number;
}

export interface ProduceRecord {
  readonly topic: string;
  /** Decides the partition (murmur2, as Kafka's default partitioner) unless `partition` is set. */
  readonly key?: Buffer | string | null;
  /** `null` is a tombstone: on a compacted topic it deletes the key. */
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string>>;
  readonly partition?: number;
  /** Milliseconds since the epoch (CreateTime). Defaults to the time of `send`. */
  readonly timestamp?: number;
}

export interface RecordMetadata extends TopicPartitionOffset {
  readonly timestamp: number;
}

export interface BusRecord extends TopicPartitionOffset {
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

export interface ProducerOptions {
  readonly clientId?: string;
  /** How long `send` may wait to fill a batch. Default 5 ms. */
  readonly lingerMs?: number;
  /** A batch is sent as soon as it holds this many records. Default 10,000. */
  readonly maxBatchRecords?: number;
  /**
   * ... or this many bytes of records (payload plus framing). Default 900 KiB, under Kafka's
   * default `max.message.bytes` of 1 MiB per partition batch.
   */
  readonly maxBatchBytes?: number;
}

/**
 * A batching producer. Every `send` resolves once the record is durable on the log
 * (acks=all on Kafka, written per the fsync policy on the embedded log) and rejects
 * otherwise; records to one partition are appended in call order.
 */
export interface Producer {
  send(record: ProduceRecord): Promise<RecordMetadata>;
  sendBatch(records: readonly ProduceRecord[]): Promise<RecordMetadata[]>;
  /** Resolves once every record sent so far is acknowledged. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const OffsetResets = { EARLIEST: 'earliest', LATEST: 'latest', NONE: 'none' } as const;
export type OffsetReset = (typeof OffsetResets)[keyof typeof OffsetResets];

export interface ConsumerOptions {
  /** Consumer group. Required for `subscribe` and `commit`; `assign` works without one. */
  readonly groupId?: string;
  readonly clientId?: string;
  /** Where to start on a partition with no committed offset. Default `latest`, as in Kafka. */
  readonly autoOffsetReset?: OffsetReset;
  /** A member that does not heartbeat for this long is removed from the group. Default 10,000 ms. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** Upper bound on records returned by one `poll`. Default 1,000. */
  readonly maxPollRecords?: number;
}

export interface RebalanceListener {
  /**
   * Called inside `poll` when the group starts a rebalance, before this member rejoins: any of
   * `partitions` may move to another member, which starts from the committed offsets, so commit
   * what was processed here. No record is returned until the new assignment is applied.
   */
  onRebalancing?(partitions: readonly TopicPartition[]): Promise<void> | void;
  /** Called before partitions are taken away: commit what was processed here. */
  onRevoked?(partitions: readonly TopicPartition[]): Promise<void> | void;
  onAssigned?(partitions: readonly TopicPartition[]): Promise<void> | void;
}

export interface PollOptions {
  readonly maxRecords?: number;
  /** How long to wait for at least one record. Default 1,000 ms; 0 returns at once. */
  readonly timeoutMs?: number;
}

/**
 * A pull consumer, shaped like Kafka's Java consumer: `poll` returns records in partition
 * order and advances the in-memory position; nothing is committed until `commit` is called
 * (commit after processing gives at-least-once delivery).
 */
export interface Consumer {
  /** Joins the group and takes part in partition assignment and rebalancing. */
  subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void>;
  /** Reads the given partitions outside any group assignment. */
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  assignment(): TopicPartition[];
  poll(options?: PollOptions): Promise<BusRecord[]>;
  /**
   * Commits the given offsets, or by default the current position of every assigned
   * partition (everything returned by `poll` so far). While the group rebalances it may
   * reject with REBALANCE_IN_PROGRESS (`canRetry`): keep polling, which completes the
   * rebalance; records whose commit failed are delivered again to the partition's next owner.
   */
  commit(offsets?: readonly TopicPartitionOffset[]): Promise<void>;
  /** The group's committed offset per partition; `null` where nothing is committed. */
  committed(
    partitions: readonly TopicPartition[],
  ): Promise<Array<TopicPartition & { offset: number | null }>>;
  /** The offset of the next record `poll` will return for an assigned partition. */
  position(partition: TopicPartition): number;
  seek(partition: TopicPartition, offset: number): void;
  seekToBeginning(partitions?: readonly TopicPartition[]): Promise<void>;
  seekToEnd(partitions?: readonly TopicPartition[]): Promise<void>;
  /** Moves to the first record whose timestamp is >= `timestamp` (the end if there is none). */
  seekToTimestamp(timestamp: number, partitions?: readonly TopicPartition[]): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  paused(): TopicPartition[];
  /** Leaves the group (its partitions move to the other members) and releases resources. */
  close(): Promise<void>;
}

export const CleanupPolicies = {
  DELETE: 'delete',
  COMPACT: 'compact',
  COMPACT_DELETE: 'compact,delete',
} as const;

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Ignored by the embedded log (one copy on one disk). Default 1. */
  readonly replicationFactor?: number;
  /**
   * Kafka topic configs by their Kafka names. Both backends honour `cleanup.policy`,
   * `retention.ms`, `retention.bytes`, `segment.ms`, `segment.bytes`,
   * `min.compaction.lag.ms` and `delete.retention.ms`; Kafka takes any other.
   */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface PartitionDescription {
  readonly partition: number;
  readonly leader: number | null;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: readonly PartitionDescription[];
  readonly replicationFactor: number;
  /** Every config explicitly set on the topic (not broker defaults). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface PartitionOffset {
  readonly partition: number;
  readonly offset: number;
}

/** Which offset `listOffsets` looks up: the first, the next to be written, or by timestamp. */
export type OffsetSpec = 'earliest' | 'latest' | { readonly timestamp: number };

export interface GroupListing {
  readonly groupId: string;
  readonly state: string;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: readonly TopicPartition[];
}

export interface GroupDescription {
  readonly groupId: string;
  /** Kafka's names: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead. */
  readonly state: string;
  readonly members: readonly GroupMember[];
}

export interface PartitionLag extends TopicPartition {
  /** `null` where the group has committed nothing for the partition. */
  readonly committed: number | null;
  readonly logStart: number;
  readonly logEnd: number;
  /** logEnd - committed, or logEnd - logStart when nothing is committed. */
  readonly lag: number;
}

/** Where `resetGroupOffsets` moves a group. `datetime` is milliseconds since the epoch. */
export type ResetTarget =
  | 'earliest'
  | 'latest'
  | { readonly datetime: number }
  | { readonly offsets: readonly TopicPartitionOffset[] };

export interface Admin {
  createTopics(topics: readonly TopicSpec[], options?: { readonly ifNotExists?: boolean }): Promise<void>;
  deleteTopics(names: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  /** Sets (or with `null`, removes) topic configs, leaving the others unchanged. */
  alterTopicConfigs(name: string, configs: Readonly<Record<string, string | null>>): Promise<void>;
  /** Raises a topic's partition count (it can never be lowered). */
  createPartitions(name: string, totalCount: number): Promise<void>;
  /**
   * One offset per partition. For a timestamp: the first record whose timestamp is >= it,
   * or the log end offset where there is none.
   */
  listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]>;
  listGroups(): Promise<GroupListing[]>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  /** Lag of the group on every partition of the topics it has offsets for (or of `topics`). */
  groupLag(groupId: string, topics?: readonly string[]): Promise<PartitionLag[]>;
  /**
   * Moves a group's committed offsets (time travel). The group must have no active
   * members, as with `kafka-consumer-groups --reset-offsets`. Returns the new offsets.
   */
  resetGroupOffsets(
    groupId: string,
    topics: readonly string[],
    to: ResetTarget,
  ): Promise<TopicPartitionOffset[]>;
  deleteGroup(groupId: string): Promise<void>;
  close(): Promise<void>;
}

export const BusKinds = { KAFKA: 'kafka', EMBEDDED: 'embedded' } as const;
export type BusKind = (typeof BusKinds)[keyof typeof BusKinds];

/** One connection to a log backend: a factory of producers, consumers and admins. */
export interface Bus {
  readonly kind: BusKind;
  /** The address it was opened with, for messages (`kafka://127.0.0.1:9092`, `embedded:/dir`). */
  readonly uri: string;
  producer(options?: ProducerOptions): Producer;
  consumer(options?: ConsumerOptions): Consumer;
  admin(): Admin;
  /** Closes every producer, consumer and admin it made. */
  close(): Promise<void>;
}
