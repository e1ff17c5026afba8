// The embedded consumer: group membership or manual assignment, positions, poll, commit, seek.

import { BusError, BusErrorCodes } from '../errors.ts';
import { checkOffset } from '../record.ts';
import {
  type BusRecord,
  type Consumer,
  type ConsumerOptions,
  type OffsetReset,
  type PollOptions,
  type RebalanceListener,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../types.ts';
import { type EmbeddedLog } from './embedded-log.ts';
import { type GroupMember, type MemberOptions } from './group-coordinator.ts';
import { type PartitionLog } from './partition-log.ts';
import { PartitionReader } from './reader.ts';

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  position: number;
  paused: boolean;
  log: PartitionLog | null;
  reader: PartitionReader | null;
}

const keyOf = (topic: string, partition: number): string => `${topic}\0${partition}`;

export class EmbeddedConsumer implements Consumer {
  readonly #log: EmbeddedLog;
  readonly #groupId: string | null;
  readonly #clientId: string;
  readonly #reset: OffsetReset;
  readonly #maxPollRecords: number;
  readonly #memberOptions: Omit<MemberOptions, 'topics'>;
  readonly #onClose: () => void;
  #mode: 'none' | 'subscribe' | 'assign' = 'none';
  #member: GroupMember | null = null;
  #topics: readonly string[] = [];
  #listener: RebalanceListener | undefined;
  #states = new Map<string, PartitionState>();
  #rr = 0;
  #polling = false;
  #closing = false;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(log: EmbeddedLog, options: ConsumerOptions, onClose: () => void) {
    this.#log = log;
    this.#groupId = options.groupId ?? null;
    this.#clientId = options.clientId ?? 'streamforge';
    this.#reset = options.autoOffsetReset ?? 'latest';
    this.#maxPollRecords = options.maxPollRecords ?? 1000;
    this.#memberOptions = {
      clientId: this.#clientId,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 30_000,
      wake: () => this.#wake?.(),
    };
    this.#onClose = onClose;
  }

  async subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void> {
    this.#checkOpen();
    if (this.#mode !== 'none') {
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, 'The consumer already subscribed or assigned');
    }
    const groupId = this.#requireGroup('subscribe');
    if (topics.length === 0)
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, 'subscribe needs at least one topic');
    for (const topic of topics) this.#log.topic(topic);
    this.#mode = 'subscribe';
    this.#topics = [...new Set(topics)];
    this.#listener = listener;
    this.#member = this.#log.groups.join(groupId, { ...this.#memberOptions, topics: this.#topics });
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.#checkOpen();
    if (this.#mode === 'subscribe') {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        'The consumer is subscribed to a group; it cannot also assign',
      );
    }
    for (const { topic, partition } of partitions) this.#log.partition(topic, partition);
    const next = new Map<string, PartitionState>();
    for (const { topic, partition } of partitions) {
      const id = keyOf(topic, partition);
      next.set(id, this.#states.get(id) ?? this.#newState(topic, partition));
    }
    this.#mode = 'assign';
    this.#states = next;
  }

  assignment(): TopicPartition[] {
    return [...this.#states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  async poll(options: PollOptions = {}): Promise<BusRecord[]> {
    this.#checkOpen();
    if (this.#polling)
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, 'poll is already running on this consumer');
    const max = options.maxRecords ?? this.#maxPollRecords;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `maxRecords must be a positive integer, got ${String(max)}`,
      );
    }
    const deadline = Date.now() + (options.timeoutMs ?? 1000);
    this.#polling = true;
    if (this.#member) this.#member.inPoll = true;
    try {
      while (true) {
        if (this.#mode === 'subscribe') await this.#syncGroup();
        if (this.#closed || this.#closing) return [];
        const out = this.#fetch(max);
        if (out.length > 0) return out;
        const left = deadline - Date.now();
        if (left <= 0) return [];
        await this.#waitForData(left);
      }
    } finally {
      this.#polling = false;
      if (this.#member) {
        this.#member.inPoll = false;
        this.#member.lastSeen = Date.now();
      }
    }
  }

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen();
    const groupId = this.#requireGroup('commit');
    const list =
      offsets ??
      [...this.#states.values()].map(({ topic, partition, position }) => ({
        topic,
        partition,
        offset: position,
      }));
    if (list.length === 0) return;
    for (const o of list) {
      checkOffset(o.offset, `Commit offset for ${o.topic}[${o.partition}]`);
      this.#log.partition(o.topic, o.partition);
    }
    if (this.#mode === 'subscribe') this.#log.groups.checkOwnership(this.#member!, list);
    else if (this.#log.groups.hasMembers(groupId)) {
      throw new BusError(
        BusErrorCodes.GROUP_NOT_EMPTY,
        `Group ${groupId} has active members; a consumer outside the group cannot commit for it`,
      );
    }
    await this.#log.offsets.commit(
      groupId,
      list.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
    );
  }

  async committed(
    partitions: readonly TopicPartition[],
  ): Promise<Array<TopicPartition & { offset: number | null }>> {
    this.#checkOpen();
    const groupId = this.#requireGroup('committed');
    return partitions.map(({ topic, partition }) => ({
      topic,
      partition,
      offset: this.#log.offsets.get(groupId, topic, partition),
    }));
  }

  position(tp: TopicPartition): number {
    return this.#state(tp).position;
  }

  seek(tp: TopicPartition, offset: number): void {
    checkOffset(offset, `Seek offset for ${tp.topic}[${tp.partition}]`);
    this.#state(tp).position = offset;
  }

  async seekToBeginning(partitions?: readonly TopicPartition[]): Promise<void> {
    for (const s of this.#listed(partitions))
      s.position = this.#log.partition(s.topic, s.partition).logStartOffset;
  }

  async seekToEnd(partitions?: readonly TopicPartition[]): Promise<void> {
    for (const s of this.#listed(partitions))
      s.position = this.#log.partition(s.topic, s.partition).logEndOffset;
  }

  async seekToTimestamp(timestamp: number, partitions?: readonly TopicPartition[]): Promise<void> {
    checkOffset(timestamp, 'Seek timestamp');
    for (const s of this.#listed(partitions)) {
      s.position = this.#log.partition(s.topic, s.partition).offsetForTimestamp(timestamp);
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#state(tp).paused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#state(tp).paused = false;
    this.#wake?.();
  }

  paused(): TopicPartition[] {
    return [...this.#states.values()]
      .filter((s) => s.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#wake?.();
    try {
      const member = this.#member;
      if (member && !member.removed) {
        // Like Kafka's close: the listener may commit what it processed before the partitions move.
        const owned = this.assignment();
        try {
          if (owned.length > 0 && !this.#log.closed) await this.#listener?.onRevoked?.(owned);
        } finally {
          this.#log.groups.leave(member);
        }
      }
    } finally {
      this.#closed = true;
      this.#states.clear();
      this.#onClose();
    }
  }

  /** Runs pending rebalance steps for this member: revoke what moves away, then take what arrived. */
  async #syncGroup(): Promise<void> {
    const groups = this.#log.groups;
    while (!this.#closing) {
      const member = this.#member!;
      if (member.removed) {
        // Expired (stopped polling) or stuck in a rebalance: what it held is already lost.
        const lost = this.assignment();
        this.#states.clear();
        if (lost.length > 0) await this.#listener?.onRevoked?.(lost);
        this.#member = groups.join(this.#groupId!, { ...this.#memberOptions, topics: this.#topics });
        this.#member.inPoll = true;
        continue;
      }
      const revoke = groups.isRebalancing(member) ? member.toRevoke() : [];
      if (revoke.length > 0) {
        try {
          await this.#listener?.onRevoked?.(revoke);
        } finally {
          for (const tp of revoke) this.#states.delete(keyOf(tp.topic, tp.partition));
          groups.release(member);
        }
        continue;
      }
      const owned = new Set(member.owned.map((tp) => keyOf(tp.topic, tp.partition)));
      for (const id of [...this.#states.keys()]) if (!owned.has(id)) this.#states.delete(id);
      const added = member.owned.filter((tp) => !this.#states.has(keyOf(tp.topic, tp.partition)));
      if (added.length === 0) return;
      for (const { topic, partition } of added) {
        this.#states.set(keyOf(topic, partition), this.#newState(topic, partition));
      }
      await this.#listener?.onAssigned?.(added.map(({ topic, partition }) => ({ topic, partition })));
    }
  }

  #fetch(max: number): BusRecord[] {
    const out: BusRecord[] = [];
    const states = [...this.#states.values()];
    const n = states.length;
    if (n === 0) return out;
    const start = this.#rr++ % n;
    for (let k = 0; k < n && out.length < max; k++) {
      const s = states[(start + k) % n]!;
      if (s.paused) continue;
      const log = this.#log.topics.get(s.topic)?.partitions[s.partition];
      if (!log || log.closed) continue;
      if (s.log !== log) {
        s.log = log;
        s.reader = new PartitionReader(log);
      }
      if (s.position < log.logStartOffset || s.position > log.logEndOffset) {
        s.position = this.#resetPosition(log, 'is out of range');
      }
      s.position = s.reader!.read(s.position, max - out.length, out);
    }
    return out;
  }

  #waitForData(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancels: Array<() => void> = [];
      const done = (): void => {
        clearTimeout(timer);
        for (const cancel of cancels) cancel();
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      for (const s of this.#states.values()) {
        const log = this.#log.topics.get(s.topic)?.partitions[s.partition];
        if (log && !s.paused) cancels.push(log.onAppend(done));
      }
    });
  }

  #newState(topic: string, partition: number): PartitionState {
    const log = this.#log.partition(topic, partition);
    const committed = this.#groupId === null ? null : this.#log.offsets.get(this.#groupId, topic, partition);
    const position = committed ?? this.#resetPosition(log, 'has no committed offset');
    return { topic, partition, position, paused: false, log: null, reader: null };
  }

  #resetPosition(log: PartitionLog, why: string): number {
    if (this.#reset === 'earliest') return log.logStartOffset;
    if (this.#reset === 'latest') return log.logEndOffset;
    throw new BusError(
      BusErrorCodes.INVALID_ARGUMENT,
      `${log.topic}[${log.partition}] ${why} and autoOffsetReset is 'none'`,
    );
  }

  #listed(partitions: readonly TopicPartition[] | undefined): PartitionState[] {
    this.#checkOpen();
    return partitions ? partitions.map((tp) => this.#state(tp)) : [...this.#states.values()];
  }

  #checkOpen(): void {
    if (this.#closed || this.#log.closed) throw new BusError(BusErrorCodes.CLOSED, 'The consumer is closed');
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
    if (!state) {
      throw new BusError(
        BusErrorCodes.NOT_ASSIGNED,
        `${tp.topic}[${tp.partition}] is not assigned to this consumer`,
      );
    }
    return state;
  }
}
