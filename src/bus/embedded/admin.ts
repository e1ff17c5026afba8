// The embedded admin: topics, configs, partitions, offsets lookups and consumer-group management.

import { BusError, BusErrorCodes } from '../errors.ts';
import { checkOffset } from '../record.ts';
import {
  type Admin,
  type GroupDescription,
  type GroupListing,
  type OffsetSpec,
  type PartitionLag,
  type PartitionOffset,
  type ResetTarget,
  type TopicDescription,
  type TopicPartitionOffset,
  type TopicSpec,
} from '../types.ts';
import { type EmbeddedLog } from './embedded-log.ts';
import { type PartitionLog } from './partition-log.ts';

export class EmbeddedAdmin implements Admin {
  readonly #log: EmbeddedLog;
  readonly #onClose: () => void;
  #closed = false;

  constructor(log: EmbeddedLog, onClose: () => void) {
    this.#log = log;
    this.#onClose = onClose;
  }

  async createTopics(
    topics: readonly TopicSpec[],
    options: { readonly ifNotExists?: boolean } = {},
  ): Promise<void> {
    this.#open().createTopics(topics, options.ifNotExists ?? false);
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    await this.#open().deleteTopics(names);
  }

  async listTopics(): Promise<string[]> {
    return [...this.#open().topics.keys()].sort();
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    const log = this.#open();
    return names.map((name) => {
      const topic = log.topic(name);
      return {
        name,
        partitions: topic.partitions.map((_, partition) => ({
          partition,
          leader: 0,
          replicas: [0],
          isr: [0],
        })),
        replicationFactor: 1,
        configs: { ...topic.configs },
      };
    });
  }

  async alterTopicConfigs(name: string, configs: Readonly<Record<string, string | null>>): Promise<void> {
    this.#open().alterTopicConfigs(name, configs);
  }

  async createPartitions(name: string, totalCount: number): Promise<void> {
    this.#open().createPartitions(name, totalCount);
  }

  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    if (typeof spec === 'object') checkOffset(spec.timestamp, 'listOffsets timestamp');
    return this.#open()
      .topic(topic)
      .partitions.map((log, partition) => ({ partition, offset: offsetFor(log, spec) }));
  }

  async listGroups(): Promise<GroupListing[]> {
    const log = this.#open();
    const ids = new Set([...log.groups.groupIds(), ...log.offsets.groups()]);
    return [...ids].sort().map((groupId) => ({ groupId, state: this.#describe(groupId).state }));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    this.#open();
    return this.#describe(groupId);
  }

  async groupLag(groupId: string, topics?: readonly string[]): Promise<PartitionLag[]> {
    const log = this.#open();
    const names = topics ?? [...new Set(log.offsets.offsets(groupId).map((o) => o.topic))].sort();
    const out: PartitionLag[] = [];
    for (const name of names) {
      log.topic(name).partitions.forEach((p, partition) => {
        const committed = log.offsets.get(groupId, name, partition);
        const logStart = p.logStartOffset;
        const logEnd = p.logEndOffset;
        const lag = Math.max(0, logEnd - (committed ?? logStart));
        out.push({ topic: name, partition, committed, logStart, logEnd, lag });
      });
    }
    return out;
  }

  async resetGroupOffsets(
    groupId: string,
    topics: readonly string[],
    to: ResetTarget,
  ): Promise<TopicPartitionOffset[]> {
    const log = this.#open();
    if (log.groups.hasMembers(groupId)) {
      throw new BusError(
        BusErrorCodes.GROUP_NOT_EMPTY,
        `Group ${groupId} has active members; stop its consumers before resetting its offsets`,
      );
    }
    for (const name of topics) log.topic(name);
    let offsets: TopicPartitionOffset[];
    if (typeof to === 'object' && 'offsets' in to) {
      for (const o of to.offsets) {
        log.partition(o.topic, o.partition);
        checkOffset(o.offset, `Offset for ${o.topic}[${o.partition}]`);
      }
      offsets = to.offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    } else {
      const spec: OffsetSpec = typeof to === 'object' ? { timestamp: to.datetime } : to;
      if (typeof spec === 'object') checkOffset(spec.timestamp, 'Reset datetime');
      offsets = topics.flatMap((topic) =>
        log.topic(topic).partitions.map((p, partition) => ({ topic, partition, offset: offsetFor(p, spec) })),
      );
    }
    await log.offsets.commit(groupId, offsets);
    return offsets;
  }

  async deleteGroup(groupId: string): Promise<void> {
    const log = this.#open();
    if (log.groups.hasMembers(groupId)) {
      throw new BusError(
        BusErrorCodes.GROUP_NOT_EMPTY,
        `Group ${groupId} has active members; it cannot be deleted`,
      );
    }
    if (!log.offsets.has(groupId))
      throw new BusError(BusErrorCodes.UNKNOWN_GROUP, `Unknown group ${groupId}`);
    await log.offsets.deleteGroup(groupId);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }

  #describe(groupId: string): GroupDescription {
    return this.#log.groups.describe(groupId, this.#log.offsets.has(groupId));
  }

  #open(): EmbeddedLog {
    if (this.#closed || this.#log.closed)
      throw new BusError(BusErrorCodes.CLOSED, 'The admin client is closed');
    return this.#log;
  }
}

function offsetFor(log: PartitionLog, spec: OffsetSpec): number {
  if (spec === 'earliest') return log.logStartOffset;
  if (spec === 'latest') return log.logEndOffset;
  return log.offsetForTimestamp(spec.timestamp);
}
