// Topic, group and offset administration on Kafka through @platformatic/kafka's Admin client.

import {
  Admin as KafkaClientAdmin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  ListOffsetTimestamps,
} from '@platformatic/kafka';
import { BusError, BusErrorCodes } from '../errors.ts';
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
import { type KafkaClientConfig } from './client-config.ts';
import { hasKafkaError, toBusError } from './errors.ts';
import { TopicMetadataCache } from './metadata.ts';
import { retrying } from './retry.ts';

const stateNames: Readonly<Record<string, string>> = {
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
  STABLE: 'Stable',
  DEAD: 'Dead',
  EMPTY: 'Empty',
};

export class KafkaAdmin implements Admin {
  readonly #client: KafkaClientAdmin;
  readonly #metadata: TopicMetadataCache;
  readonly #brokers: readonly string[];
  readonly #onClose: () => void;

  constructor(config: KafkaClientConfig, onClose: () => void) {
    this.#brokers = config.bootstrapBrokers;
    this.#client = new KafkaClientAdmin({ ...config });
    this.#metadata = new TopicMetadataCache(this.#client, config.bootstrapBrokers);
    this.#onClose = onClose;
  }

  /** Fails fast with the address tried when no broker answers. */
  async ping(): Promise<void> {
    try {
      await this.#client.metadata({ topics: [] });
    } catch (error) {
      throw toBusError(error, 'Connecting to Kafka', this.#brokers);
    }
  }

  async createTopics(
    topics: readonly TopicSpec[],
    options: { readonly ifNotExists?: boolean } = {},
  ): Promise<void> {
    for (const spec of topics) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new BusError(
          BusErrorCodes.INVALID_ARGUMENT,
          `Topic ${spec.name}: partitions must be a positive integer, got ${spec.partitions}`,
        );
      }
      try {
        await this.#client.createTopics({
          topics: [spec.name],
          partitions: spec.partitions,
          replicas: spec.replicationFactor ?? 1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (error) {
        if (options.ifNotExists && hasKafkaError(error, 'TOPIC_ALREADY_EXISTS')) continue;
        throw toBusError(error, `Creating topic ${spec.name}`, this.#brokers);
      }
    }
    this.#metadata.forget();
    await this.#waitForTopics(topics.map((t) => t.name));
  }

  /** The controller has the topic before every broker's metadata does; wait for leaders. */
  async #waitForTopics(names: readonly string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (true) {
      try {
        const metadata = await this.#client.metadata({ topics: [...names], forceUpdate: true });
        const ready = names.every((n) => {
          const topic = metadata.topics.get(n);
          return topic !== undefined && topic.partitions.every((p) => p.leader >= 0);
        });
        if (ready) return;
      } catch (error) {
        if (Date.now() > deadline)
          throw toBusError(error, `Waiting for topic(s) ${names.join(', ')}`, this.#brokers);
      }
      if (Date.now() > deadline)
        throw new BusError(BusErrorCodes.TIMEOUT, `Topic(s) ${names.join(', ')} have no leader after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    try {
      await this.#client.deleteTopics({ topics: [...names] });
    } catch (error) {
      throw toBusError(error, `Deleting topic(s) ${names.join(', ')}`, this.#brokers);
    }
    this.#metadata.forget();
  }

  async listTopics(): Promise<string[]> {
    try {
      return (await this.#client.listTopics({ includeInternals: false })).sort();
    } catch (error) {
      throw toBusError(error, 'Listing topics', this.#brokers);
    }
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    const metadata = await this.#metadata.fetch(names, true);
    let configs;
    try {
      configs = await this.#client.describeConfigs({
        resources: names.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name })),
      });
    } catch (error) {
      throw toBusError(error, `Describing configs of ${names.join(', ')}`, this.#brokers);
    }
    return names.map((name) => {
      const topic = metadata.topics.get(name)!;
      const explicit: Record<string, string> = {};
      for (const c of configs.find((d) => d.resourceName === name)?.configs ?? []) {
        if (c.configSource === ConfigSources.TOPIC_CONFIG && typeof c.value === 'string')
          explicit[c.name] = c.value;
      }
      return {
        name,
        partitions: topic.partitions.map((p, partition) => ({
          partition,
          leader: p.leader >= 0 ? p.leader : null,
          replicas: p.replicas,
          isr: p.isr,
        })),
        replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
        configs: explicit,
      };
    });
  }

  async alterTopicConfigs(name: string, configs: Readonly<Record<string, string | null>>): Promise<void> {
    await this.#metadata.fetch([name], true);
    try {
      await this.#client.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: name,
            configs: Object.entries(configs).map(([configName, value]) =>
              value === null
                ? { name: configName, configOperation: IncrementalAlterConfigOperationTypes.DELETE }
                : { name: configName, configOperation: IncrementalAlterConfigOperationTypes.SET, value },
            ),
          },
        ],
      });
    } catch (error) {
      throw toBusError(error, `Altering configs of topic ${name}`, this.#brokers);
    }
  }

  async createPartitions(name: string, totalCount: number): Promise<void> {
    const current = await this.#metadata.partitionCount(name);
    if (!Number.isInteger(totalCount) || totalCount <= current) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `Topic ${name} has ${current} partitions; the new count must be larger, got ${totalCount}`,
      );
    }
    try {
      await this.#client.createPartitions({ topics: [{ name, count: totalCount }] });
    } catch (error) {
      throw toBusError(error, `Adding partitions to ${name}`, this.#brokers);
    }
    this.#metadata.forget();
  }

  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    const count = await this.#metadata.partitionCount(topic);
    const timestamp =
      spec === 'earliest'
        ? ListOffsetTimestamps.EARLIEST
        : spec === 'latest'
          ? ListOffsetTimestamps.LATEST
          : BigInt(spec.timestamp);
    const list = async (ts: bigint): Promise<Map<number, bigint>> => {
      try {
        const result = await this.#client.listOffsets({
          topics: [
            {
              name: topic,
              partitions: Array.from({ length: count }, (_, partitionIndex) => ({
                partitionIndex,
                timestamp: ts,
              })),
            },
          ],
        });
        return new Map(result.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.offset] as const)));
      } catch (error) {
        throw toBusError(error, `Listing offsets of ${topic}`, this.#brokers);
      }
    };
    const listed = await list(timestamp);
    const needEnd = [...listed.values()].some((o) => o < 0n);
    const ends = needEnd ? await list(ListOffsetTimestamps.LATEST) : listed;
    return Array.from({ length: count }, (_, partition) => {
      const offset = listed.get(partition) ?? -1n;
      return { partition, offset: Number(offset >= 0n ? offset : ends.get(partition)!) };
    });
  }

  async listGroups(): Promise<GroupListing[]> {
    try {
      const groups = await retrying(() => this.#client.listGroups());
      return [...groups.values()]
        .map((g) => ({ groupId: g.id, state: stateNames[g.state] ?? g.state }))
        .sort((a, b) => a.groupId.localeCompare(b.groupId));
    } catch (error) {
      throw toBusError(error, 'Listing consumer groups', this.#brokers);
    }
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    let group;
    try {
      group = (await retrying(() => this.#client.describeGroups({ groups: [groupId] }))).get(groupId);
    } catch (error) {
      throw toBusError(error, `Describing group ${groupId}`, this.#brokers);
    }
    if (!group) throw new BusError(BusErrorCodes.UNKNOWN_GROUP, `Group ${groupId} does not exist`);
    return {
      groupId,
      state: stateNames[group.state] ?? group.state,
      members: [...group.members.values()].map((m) => ({
        memberId: m.id,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: [...(m.assignments?.values() ?? [])].flatMap((a) =>
          a.partitions.map((partition) => ({ topic: a.topic, partition })),
        ),
      })),
    };
  }

  async groupLag(groupId: string, topics?: readonly string[]): Promise<PartitionLag[]> {
    const committed = await this.#committed(groupId);
    const names = topics ?? [...new Set(committed.map((c) => c.topic))].sort();
    const out: PartitionLag[] = [];
    for (const topic of names) {
      const [starts, ends] = await Promise.all([
        this.listOffsets(topic, 'earliest'),
        this.listOffsets(topic, 'latest'),
      ]);
      for (const { partition, offset: logEnd } of ends) {
        const logStart = starts[partition]!.offset;
        const c = committed.find((x) => x.topic === topic && x.partition === partition)?.offset ?? null;
        out.push({
          topic,
          partition,
          committed: c,
          logStart,
          logEnd,
          lag: Math.max(0, logEnd - (c ?? logStart)),
        });
      }
    }
    return out;
  }

  async resetGroupOffsets(
    groupId: string,
    topics: readonly string[],
    to: ResetTarget,
  ): Promise<TopicPartitionOffset[]> {
    // As kafka-consumer-groups does: only a group without members may be moved.
    const group = await this.describeGroup(groupId).catch(() => null);
    if (group && group.members.length > 0) {
      throw new BusError(
        BusErrorCodes.GROUP_NOT_EMPTY,
        `Group ${groupId} has ${group.members.length} active member(s); stop them before resetting its offsets`,
      );
    }
    const offsets: TopicPartitionOffset[] = [];
    if (typeof to === 'object' && 'offsets' in to) {
      offsets.push(...to.offsets);
    } else {
      const spec: OffsetSpec = typeof to === 'string' ? to : { timestamp: to.datetime };
      for (const topic of topics) {
        for (const { partition, offset } of await this.listOffsets(topic, spec))
          offsets.push({ topic, partition, offset });
      }
    }
    const byTopic = new Map<string, Array<{ partition: number; offset: bigint }>>();
    for (const o of offsets)
      byTopic.set(o.topic, [
        ...(byTopic.get(o.topic) ?? []),
        { partition: o.partition, offset: BigInt(o.offset) },
      ]);
    try {
      const alterTopics = [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets }));
      await retrying(() => this.#client.alterConsumerGroupOffsets({ groupId, topics: alterTopics }));
    } catch (error) {
      const busError = toBusError(error, `Resetting offsets of group ${groupId}`, this.#brokers);
      if (
        busError.code === BusErrorCodes.GROUP_NOT_EMPTY ||
        busError.code === BusErrorCodes.REBALANCE_IN_PROGRESS
      ) {
        throw new BusError(
          BusErrorCodes.GROUP_NOT_EMPTY,
          `Group ${groupId} has active members; stop them before resetting its offsets`,
          {
            cause: error,
          },
        );
      }
      throw busError;
    }
    return offsets;
  }

  async deleteGroup(groupId: string): Promise<void> {
    try {
      await retrying(() => this.#client.deleteGroups({ groups: [groupId] }));
    } catch (error) {
      throw toBusError(error, `Deleting group ${groupId}`, this.#brokers);
    }
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => undefined);
    this.#onClose();
  }

  async #committed(groupId: string): Promise<TopicPartitionOffset[]> {
    try {
      const [group] = await retrying(() => this.#client.listConsumerGroupOffsets({ groups: [groupId] }));
      return (group?.topics ?? []).flatMap((t) =>
        t.partitions
          .filter((p) => p.committedOffset >= 0n)
          .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })),
      );
    } catch (error) {
      throw toBusError(error, `Reading offsets of group ${groupId}`, this.#brokers);
    }
  }
}
