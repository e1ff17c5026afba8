// The pull consumer on Kafka: group membership from @platformatic/kafka, our own fetch loop.

import {
  ConnectionPool,
  Consumer as KafkaClientConsumer,
  type ClusterMetadata,
  kOptions,
  type ConsumerGroupJoinPayload,
  type fetchV17,
  ListOffsetTimestamps,
} from '@platformatic/kafka';
import { BusError, BusErrorCodes } from '../errors.ts';
import { checkOffset } from '../record.ts';
import {
  type BusRecord,
  type Consumer,
  type ConsumerOptions,
  type PollOptions,
  type RebalanceListener,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../types.ts';
import { type KafkaClientConfig } from './client-config.ts';
import { hasKafkaError, toBusError } from './errors.ts';
import { TopicMetadataCache } from './metadata.ts';
import { retrying } from './retry.ts';
import { type DecodedRecords, decodeRecordBatches } from './record-batch.ts';

/** Per partition per fetch. */
const PARTITION_FETCH_BYTES = 4 * 1024 * 1024;
/**
 * A partition is fetched again while it holds less than this: two fetches' worth, so that
 * the next fetch is on its way while the caller processes a whole previous one (with one
 * fetch's worth, a full answer stopped fetching until the caller had drained it).
 */
const PARTITION_BUFFER_BYTES = 2 * PARTITION_FETCH_BYTES;
/** No fetch starts while the consumer holds this much in all, which bounds its memory. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** Records of one fetch answer for one partition, and the bytes they arrived in (which bound memory). */
interface Chunk {
  readonly records: BusRecord[];
  readonly bytes: number;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Next offset `poll` returns; null until initialised from the committed offset or the reset policy. */
  position: number | null;
  /** Next offset to fetch (ahead of `position` by what is buffered). */
  fetchOffset: number;
  /** Fetched, not yet polled: whole fetch results, read from `head` of the first. */
  chunks: Chunk[];
  head: number;
  bufferedBytes: number;
  /** Bumped by every seek, so that a fetch answered after it is thrown away. */
  epoch: number;
  paused: boolean;
}

const keyOf = (topic: string, partition: number): string => `${topic}\0${partition}`;

/**
 * Shaped like Kafka's Java consumer. Group membership (join, sync, heartbeats) runs in the
 * background in the client; assignment changes are applied inside `poll`, so that a
 * rebalance listener never runs in the middle of the caller's processing of a batch.
 */
export class KafkaConsumer implements Consumer {
  readonly #client: KafkaClientConsumer;
  readonly #metadata: TopicMetadataCache;
  readonly #brokers: readonly string[];
  readonly #groupId: string | null;
  readonly #options: ConsumerOptions;
  readonly #maxPollRecords: number;
  readonly #onClose: () => void;
  /**
   * Fetches get connections of their own: a fetch that waits (up to maxWaitTime) for new
   * records at the log end would otherwise hold the connection that commits, heartbeats and
   * metadata share, and every commit would wait behind it.
   */
  readonly #fetchPool: ConnectionPool;
  #mode: 'none' | 'subscribe' | 'assign' = 'none';
  #states = new Map<string, PartitionState>();
  #listener: RebalanceListener | undefined;
  #pendingAssignment: TopicPartition[] | null = null;
  /** The client's rejoin, held until `poll` has let the listener commit (see #prepareRejoin). */
  #rejoinRequest: (() => void) | null = null;
  #rejoinFallback: NodeJS.Timeout | null = null;
  /** Between the commit before a rejoin and the new assignment: poll returns nothing. */
  #rejoining = false;
  #inFlight = new Set<number>();
  #waiters: Array<() => void> = [];
  #fetchError: BusError | null = null;
  #failures = 0;
  #closed = false;

  constructor(config: KafkaClientConfig, options: ConsumerOptions, onClose: () => void) {
    this.#brokers = config.bootstrapBrokers;
    this.#groupId = options.groupId ?? null;
    this.#options = options;
    this.#maxPollRecords = options.maxPollRecords ?? 1000;
    this.#onClose = onClose;
    this.#client = new KafkaClientConsumer({
      ...config,
      clientId: options.clientId ?? config.clientId,
      // The client needs a group id even for a consumer that never joins one.
      groupId: options.groupId ?? `streamforge-unused-${process.pid}-${Math.random().toString(36).slice(2)}`,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 30_000,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      isolationLevel: 0,
      // Patched into the client (patches/@platformatic+kafka+*.patch): a rebalance seen by the
      // heartbeat waits for this member's commit before it rejoins, as in the Java consumer.
      beforeRejoin: (rejoin: () => void) => this.#requestRejoin(rejoin),
    });
    this.#fetchPool = new ConnectionPool(options.clientId ?? config.clientId, {
      ...(this.#client as unknown as Record<typeof kOptions, object>)[kOptions],
    });
    this.#metadata = new TopicMetadataCache(this.#client, config.bootstrapBrokers);
    this.#client.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      this.#pendingAssignment = (payload.assignments ?? []).flatMap((a) =>
        a.partitions.map((partition) => ({ topic: a.topic, partition })),
      );
      this.#rejoining = false;
      this.#wake();
    });
    // Emitted when a rejoin ended, also when it failed: poll must not wait for an assignment then.
    this.#client.on('consumer:rejoin', () => {
      this.#rejoining = false;
      this.#wake();
    });
  }

  async subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void> {
    this.#checkOpen();
    if (this.#mode !== 'none')
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, 'The consumer already subscribed or assigned');
    const groupId = this.#requireGroup('subscribe');
    if (topics.length === 0)
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, 'subscribe needs at least one topic');
    await this.#metadata.fetch(topics, true);
    this.#mode = 'subscribe';
    this.#listener = listener;
    for (const topic of topics) this.#client.topics.track(topic);
    try {
      await retrying(() =>
        this.#client.joinGroup({
          sessionTimeout: this.#options.sessionTimeoutMs ?? 10_000,
          heartbeatInterval: this.#options.heartbeatIntervalMs ?? 1_000,
          rebalanceTimeout: this.#options.rebalanceTimeoutMs ?? 30_000,
        }),
      );
    } catch (error) {
      throw toBusError(error, `Joining group ${groupId}`, this.#brokers);
    }
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.#checkOpen();
    if (this.#mode === 'subscribe')
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        'The consumer is subscribed to a group; it cannot also assign',
      );
    const topics = [...new Set(partitions.map((p) => p.topic))];
    if (topics.length > 0) {
      const metadata = await this.#metadata.fetch(topics, true);
      for (const { topic, partition } of partitions) {
        const count = metadata.topics.get(topic)!.partitionsCount;
        if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
          throw new BusError(
            BusErrorCodes.INVALID_ARGUMENT,
            `Partition ${partition} does not exist: topic ${topic} has ${count}`,
          );
        }
      }
    }
    this.#mode = 'assign';
    this.#setAssignment(partitions);
    await this.#initPositions();
  }

  assignment(): TopicPartition[] {
    return [...this.#states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  async poll(options: PollOptions = {}): Promise<BusRecord[]> {
    this.#checkOpen();
    const max = options.maxRecords ?? this.#maxPollRecords;
    const deadline = Date.now() + (options.timeoutMs ?? 1000);
    while (true) {
      await this.#applyPendingAssignment();
      await this.#prepareRejoin();
      await this.#initPositions();
      if (this.#fetchError) {
        const error = this.#fetchError;
        this.#fetchError = null;
        throw error;
      }
      const records = this.#rejoining ? [] : this.#drain(max);
      this.#kickFetch();
      if (records.length > 0) return records;
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) return [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.push(done);
      });
    }
  }

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen();
    const groupId = this.#requireGroup('commit');
    const list =
      offsets ??
      [...this.#states.values()]
        .filter((s) => s.position !== null)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
    if (list.length === 0) return;
    for (const o of list) checkOffset(o.offset, `Commit offset for ${o.topic}[${o.partition}]`);
    try {
      const commitOffsets = list.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: BigInt(o.offset),
        leaderEpoch: -1,
      }));
      // 30 s: when the coordinator's broker dies, a new one is elected for __consumer_offsets first.
      await retrying(() => this.#client.commit({ offsets: commitOffsets }), 30_000);
    } catch (error) {
      throw toBusError(error, `Committing offsets of group ${groupId}`, this.#brokers);
    }
  }

  async committed(
    partitions: readonly TopicPartition[],
  ): Promise<Array<TopicPartition & { offset: number | null }>> {
    this.#checkOpen();
    const groupId = this.#requireGroup('committed');
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions)
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    let result: Map<string, bigint[]>;
    try {
      const topics = [...byTopic].map(([topic, parts]) => ({ topic, partitions: parts }));
      result = await retrying(() => this.#client.listCommittedOffsets({ topics }), 10_000);
    } catch (error) {
      throw toBusError(error, `Reading committed offsets of group ${groupId}`, this.#brokers);
    }
    return partitions.map(({ topic, partition }) => {
      const offset = result.get(topic)?.[partition];
      return { topic, partition, offset: offset === undefined || offset < 0n ? null : Number(offset) };
    });
  }

  position(tp: TopicPartition): number {
    const state = this.#state(tp);
    if (state.position === null) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `The position of ${tp.topic}[${tp.partition}] is not known yet; poll first`,
      );
    }
    return state.position;
  }

  seek(tp: TopicPartition, offset: number): void {
    checkOffset(offset, `Seek offset for ${tp.topic}[${tp.partition}]`);
    this.#moveTo(this.#state(tp), offset);
  }

  async seekToBeginning(partitions?: readonly TopicPartition[]): Promise<void> {
    await this.#seekToListed(partitions, ListOffsetTimestamps.EARLIEST);
  }

  async seekToEnd(partitions?: readonly TopicPartition[]): Promise<void> {
    await this.#seekToListed(partitions, ListOffsetTimestamps.LATEST);
  }

  async seekToTimestamp(timestamp: number, partitions?: readonly TopicPartition[]): Promise<void> {
    checkOffset(timestamp, 'Seek timestamp');
    await this.#seekToListed(partitions, BigInt(timestamp));
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#state(tp).paused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#state(tp).paused = false;
    this.#kickFetch();
  }

  paused(): TopicPartition[] {
    return [...this.#states.values()]
      .filter((s) => s.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#rejoinFallback) clearTimeout(this.#rejoinFallback);
    this.#wake();
    try {
      await this.#client.close();
    } catch {
      // Leaving the group can fail when the broker is gone; the session timeout removes us then.
      await new Promise<void>((resolve) => this.#client.close(true, () => resolve()));
    }
    await new Promise<void>((resolve) => this.#fetchPool.close(() => resolve()));
    this.#onClose();
  }

  #checkOpen(): void {
    if (this.#closed) throw new BusError(BusErrorCodes.CLOSED, 'The consumer is closed');
  }

  #requireGroup(what: string): string {
    if (this.#groupId === null) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `${what} needs a consumer group: create the consumer with { groupId }`,
      );
    }
    return this.#groupId;
  }

  #state(tp: TopicPartition): PartitionState {
    const state = this.#states.get(keyOf(tp.topic, tp.partition));
    if (!state)
      throw new BusError(
        BusErrorCodes.NOT_ASSIGNED,
        `${tp.topic}[${tp.partition}] is not assigned to this consumer`,
      );
    return state;
  }

  #setAssignment(partitions: readonly TopicPartition[]): void {
    const next = new Map<string, PartitionState>();
    for (const { topic, partition } of partitions) {
      const id = keyOf(topic, partition);
      next.set(
        id,
        this.#states.get(id) ?? {
          topic,
          partition,
          position: null,
          fetchOffset: 0,
          chunks: [],
          head: 0,
          bufferedBytes: 0,
          epoch: 0,
          paused: false,
        },
      );
    }
    this.#states = next;
  }

  async #applyPendingAssignment(): Promise<void> {
    const assignment = this.#pendingAssignment;
    if (assignment === null) return;
    this.#pendingAssignment = null;
    const incoming = new Set(assignment.map((tp) => keyOf(tp.topic, tp.partition)));
    const revoked = this.assignment().filter((tp) => !incoming.has(keyOf(tp.topic, tp.partition)));
    const added = assignment.filter((tp) => !this.#states.has(keyOf(tp.topic, tp.partition)));
    if (revoked.length > 0) await this.#listener?.onRevoked?.(revoked);
    this.#setAssignment(assignment);
    // Positions of partitions we keep are re-read from the group: another member may have
    // owned them in between.
    for (const state of this.#states.values()) this.#reset(state);
    await this.#initPositions();
    if (added.length > 0) await this.#listener?.onAssigned?.(added);
  }

  /**
   * The heartbeat saw a rebalance. The rejoin waits for the next `poll`, which runs the
   * listener's onRebalancing (it commits what the caller processed) first; a member that does
   * not poll within half the session (or rebalance) timeout rejoins anyway, rather than be expelled.
   */
  #requestRejoin(rejoin: () => void): void {
    let once = false;
    this.#rejoinRequest = () => {
      if (once) return;
      once = true;
      if (this.#rejoinFallback) clearTimeout(this.#rejoinFallback);
      this.#rejoinFallback = null;
      this.#rejoining = true;
      if (!this.#closed) rejoin();
    };
    // No heartbeat goes out until the rejoin: stay well inside the session timeout too.
    const fallbackMs =
      Math.min(this.#options.rebalanceTimeoutMs ?? 30_000, this.#options.sessionTimeoutMs ?? 10_000) / 2;
    this.#rejoinFallback = setTimeout(() => {
      this.#rejoinFallback = null;
      const request = this.#rejoinRequest;
      this.#rejoinRequest = null;
      request?.();
    }, fallbackMs);
    this.#rejoinFallback.unref();
    this.#wake();
  }

  async #prepareRejoin(): Promise<void> {
    const rejoin = this.#rejoinRequest;
    if (rejoin === null) return;
    this.#rejoinRequest = null;
    try {
      if (this.#mode === 'subscribe') await this.#listener?.onRebalancing?.(this.assignment());
    } finally {
      rejoin();
    }
  }

  #reset(state: PartitionState): void {
    state.position = null;
    state.chunks = [];
    state.head = 0;
    state.bufferedBytes = 0;
    state.epoch++;
  }

  #moveTo(state: PartitionState, offset: number): void {
    state.position = offset;
    state.fetchOffset = offset;
    state.chunks = [];
    state.head = 0;
    state.bufferedBytes = 0;
    state.epoch++;
    this.#kickFetch();
  }

  /** Gives partitions without a position their committed offset, or applies the reset policy. */
  async #initPositions(): Promise<void> {
    const missing = [...this.#states.values()].filter((s) => s.position === null);
    if (missing.length === 0) return;
    const committed = this.#groupId === null ? [] : await this.committed(missing);
    const needReset: PartitionState[] = [];
    missing.forEach((state, i) => {
      const offset = committed[i]?.offset ?? null;
      if (offset !== null) {
        state.position = offset;
        state.fetchOffset = offset;
      } else {
        needReset.push(state);
      }
    });
    if (needReset.length === 0) return;
    const policy = this.#options.autoOffsetReset ?? 'latest';
    if (policy === 'none') {
      const names = needReset.map((s) => `${s.topic}[${s.partition}]`).join(', ');
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `No committed offset for ${names} and autoOffsetReset is 'none'`,
      );
    }
    const offsets = await this.#listOffsets(
      needReset,
      policy === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    );
    needReset.forEach((state, i) => {
      state.position = offsets[i]!;
      state.fetchOffset = offsets[i]!;
    });
  }

  async #seekToListed(partitions: readonly TopicPartition[] | undefined, timestamp: bigint): Promise<void> {
    this.#checkOpen();
    const states = (partitions ?? this.assignment()).map((tp) => this.#state(tp));
    const offsets = await this.#listOffsets(states, timestamp);
    states.forEach((state, i) => this.#moveTo(state, offsets[i]!));
  }

  /** Offsets for a timestamp per partition; where no record is that late, the log end. */
  async #listOffsets(states: readonly TopicPartition[], timestamp: bigint): Promise<number[]> {
    const byTopic: Record<string, number[]> = {};
    for (const { topic, partition } of states) (byTopic[topic] ??= []).push(partition);
    const topics = Object.keys(byTopic);
    try {
      const listed = await this.#client.listOffsets({
        topics,
        partitions: byTopic,
        timestamp,
        isolationLevel: 0,
      });
      const missing = states.filter((s) => (listed.get(s.topic)?.[s.partition] ?? -1n) < 0n);
      const ends =
        missing.length > 0
          ? await this.#client.listOffsets({
              topics,
              partitions: byTopic,
              timestamp: ListOffsetTimestamps.LATEST,
              isolationLevel: 0,
            })
          : listed;
      return states.map((s) => {
        const offset = listed.get(s.topic)?.[s.partition] ?? -1n;
        return Number(offset >= 0n ? offset : ends.get(s.topic)![s.partition]!);
      });
    } catch (error) {
      throw toBusError(error, `Listing offsets of ${topics.join(', ')}`, this.#brokers);
    }
  }

  #drain(max: number): BusRecord[] {
    let out: BusRecord[] = [];
    for (const state of this.#states.values()) {
      if (state.paused) continue;
      while (out.length < max && state.chunks.length > 0) {
        const chunk = state.chunks[0]!;
        const records = chunk.records;
        const end = Math.min(records.length, state.head + max - out.length);
        if (state.head === 0 && end === records.length && out.length === 0) {
          // The common case: a whole fetch answer is returned as it is, without a copy.
          out = records;
        } else {
          for (let i = state.head; i < end; i++) out.push(records[i]!);
        }
        state.position = records[end - 1]!.offset + 1;
        state.head = end;
        if (end === records.length) {
          // Its bytes count until the last of its records is handed out (a bound, not a tally).
          state.bufferedBytes -= chunk.bytes;
          state.chunks.shift();
          state.head = 0;
        }
      }
      if (out.length >= max) break;
    }
    // Rotate so that a busy partition does not starve the others across polls.
    if (this.#states.size > 1 && out.length > 0) {
      const first = this.#states.entries().next().value!;
      this.#states.delete(first[0]);
      this.#states.set(first[0], first[1]);
    }
    return out;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Starts one fetch per leader for assigned, unpaused partitions whose buffer has room. */
  #kickFetch(): void {
    if (this.#closed || this.#states.size === 0) return;
    let buffered = 0;
    for (const s of this.#states.values()) buffered += s.bufferedBytes;
    if (buffered >= MAX_BUFFERED_BYTES) return;
    const wanted = [...this.#states.values()].filter(
      (s) => !s.paused && s.position !== null && s.bufferedBytes < PARTITION_BUFFER_BYTES,
    );
    if (wanted.length === 0) return;
    const topics = [...new Set(wanted.map((s) => s.topic))];
    this.#client.metadata({ topics }, (error, metadata) => {
      if (error || !metadata || this.#closed) {
        if (error) this.#fetchFailed(error);
        return;
      }
      const byLeader = new Map<number, PartitionState[]>();
      for (const state of wanted) {
        const leader = metadata.topics.get(state.topic)?.partitions[state.partition]?.leader;
        if (leader === undefined || leader < 0 || this.#inFlight.has(leader)) continue;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), state]);
      }
      for (const [leader, states] of byLeader) this.#fetchFrom(leader, states, metadata);
    });
  }

  #fetchFrom(leader: number, states: PartitionState[], metadata: ClusterMetadata): void {
    this.#inFlight.add(leader);
    const asked = states.map((s) => ({ state: s, offset: s.fetchOffset, epoch: s.epoch }));
    const byTopic = new Map<string, typeof asked>();
    for (const a of asked) byTopic.set(a.state.topic, [...(byTopic.get(a.state.topic) ?? []), a]);
    const names = new Map<string, string>();
    const topics = [...byTopic].map(([topic, list]) => {
      const topicId = metadata.topics.get(topic)!.id;
      names.set(topicId, topic);
      return {
        topicId,
        partitions: list.map((a) => ({
          partition: a.state.partition,
          fetchOffset: BigInt(a.offset),
          partitionMaxBytes: PARTITION_FETCH_BYTES,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        })),
      };
    });
    this.#client.fetch({ node: leader, topics, connectionPool: this.#fetchPool }, (error, response) => {
      this.#inFlight.delete(leader);
      if (this.#closed) return;
      if (error) {
        if (hasKafkaError(error, 'OFFSET_OUT_OF_RANGE')) {
          void this.#recoverOutOfRange(asked.map((a) => a.state));
          return;
        }
        this.#fetchFailed(error);
        return;
      }
      this.#failures = 0;
      if (response) this.#accept(response, names, asked);
      this.#kickFetch();
    });
  }

  #accept(
    response: fetchV17.FetchResponse,
    names: Map<string, string>,
    asked: ReadonlyArray<{ state: PartitionState; offset: number; epoch: number }>,
  ): void {
    let woke = false;
    for (const topicResponse of response.responses) {
      const topic = names.get(topicResponse.topicId);
      if (topic === undefined) continue;
      for (const part of topicResponse.partitions) {
        const a = asked.find((x) => x.state.topic === topic && x.state.partition === part.partitionIndex);
        // A seek or a reassignment since the request makes this answer stale.
        if (
          !a ||
          a.state.epoch !== a.epoch ||
          this.#states.get(keyOf(topic, part.partitionIndex)) !== a.state
        )
          continue;
        // A partition without records (at the log end) has no batches to decode.
        if (!part.recordsBuffer) continue;
        let decoded: DecodedRecords;
        try {
          decoded = decodeRecordBatches(topic, part.partitionIndex, part.recordsBuffer, a.offset);
        } catch (error) {
          // A batch we cannot read (corrupt, or an unknown codec) must not be skipped silently:
          // the partition stops here and every poll reports it until the caller seeks past it.
          a.state.paused = true;
          this.#fetchError = toBusError(
            error,
            `Decoding ${topic}[${part.partitionIndex}] at offset ${a.offset}`,
            this.#brokers,
          );
          woke = true;
          continue;
        }
        const { records, next } = decoded;
        if (next > a.state.fetchOffset) a.state.fetchOffset = next;
        if (records.length > 0) {
          const bytes = part.recordsBuffer.length;
          a.state.chunks.push({ records, bytes });
          a.state.bufferedBytes += bytes;
          woke = true;
        }
      }
    }
    if (woke) this.#wake();
  }

  async #recoverOutOfRange(states: readonly PartitionState[]): Promise<void> {
    try {
      const policy = this.#options.autoOffsetReset ?? 'latest';
      if (policy === 'none') {
        this.#fetchError = new BusError(
          BusErrorCodes.INVALID_ARGUMENT,
          'Fetch position is out of range and autoOffsetReset is none',
        );
        this.#wake();
        return;
      }
      const [starts, ends] = await Promise.all([
        this.#listOffsets(states, ListOffsetTimestamps.EARLIEST),
        this.#listOffsets(states, ListOffsetTimestamps.LATEST),
      ]);
      states.forEach((state, i) => {
        if (state.fetchOffset < starts[i]! || state.fetchOffset > ends[i]!) {
          this.#moveTo(state, policy === 'earliest' ? starts[i]! : ends[i]!);
        }
      });
    } catch (error) {
      this.#fetchFailed(error);
    }
    this.#kickFetch();
  }

  #fetchFailed(error: unknown): void {
    this.#failures++;
    this.#metadata.forget();
    if (this.#failures >= 5) {
      this.#fetchError = toBusError(error, 'Fetching records', this.#brokers);
      this.#failures = 0;
      this.#wake();
    }
    const delay = Math.min(2000, 100 * 2 ** this.#failures);
    setTimeout(() => this.#kickFetch(), delay).unref();
  }
}
