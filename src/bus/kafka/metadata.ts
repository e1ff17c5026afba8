// Caches topic partition counts and ids from Kafka metadata, for partitioning and fetching.

import { type ClusterMetadata, type MetadataOptions } from '@platformatic/kafka';
import { BusError, BusErrorCodes } from '../errors.ts';
import { isUnknownTopic, toBusError } from './errors.ts';

/** Any @platformatic/kafka client: each can fetch cluster metadata. */
export interface MetadataClient {
  metadata(options: MetadataOptions): Promise<ClusterMetadata>;
}

export class TopicMetadataCache {
  readonly #client: MetadataClient;
  readonly #brokers: readonly string[];
  #counts = new Map<string, number>();

  constructor(client: MetadataClient, brokers: readonly string[]) {
    this.#client = client;
    this.#brokers = brokers;
  }

  async partitionCount(topic: string): Promise<number> {
    const cached = this.#counts.get(topic);
    if (cached !== undefined) return cached;
    const metadata = await this.fetch([topic]);
    const count = metadata.topics.get(topic)!.partitionsCount;
    this.#counts.set(topic, count);
    return count;
  }

  async fetch(topics: readonly string[], forceUpdate = false): Promise<ClusterMetadata> {
    try {
      return await this.#client.metadata({ topics: [...topics], forceUpdate, autocreateTopics: false });
    } catch (error) {
      if (isUnknownTopic(error)) {
        throw new BusError(
          BusErrorCodes.UNKNOWN_TOPIC,
          `Topic ${topics.join(', ')} does not exist on ${this.#brokers.join(',')}`,
          {
            cause: error,
            hint: `create it first, e.g. \`streamforge topics create ${topics[0]} --partitions 3\``,
          },
        );
      }
      throw toBusError(error, `Reading metadata of ${topics.join(', ')}`, this.#brokers);
    }
  }

  forget(): void {
    this.#counts.clear();
  }
}
