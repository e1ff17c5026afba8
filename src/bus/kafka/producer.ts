// The batching, idempotent (acks=all) Kafka producer behind the bus Producer interface.

import { Producer as KafkaClientProducer, ProduceAcks } from '@platformatic/kafka';
import { BusError, BusErrorCodes } from '../errors.ts';
import { checkProduceRecord, choosePartition, toBytes, toHeaders } from '../record.ts';
import { type ProduceRecord, type Producer, type ProducerOptions, type RecordMetadata } from '../types.ts';
import { toBusError } from './errors.ts';
import { type KafkaClientConfig } from './client-config.ts';
import { TopicMetadataCache } from './metadata.ts';

interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Map<Buffer, Buffer> | undefined;
  readonly timestamp: number;
  readonly resolve: (metadata: RecordMetadata) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Bytes a record takes in a Kafka record batch: the payload plus a bound on the varint
 * framing. Batches are cut on this so that no partition's batch exceeds the broker's
 * `max.message.bytes` (1 MiB by default) when the payload alone would not.
 */
function sizeOf(p: {
  key: Buffer | null;
  value: Buffer | null;
  headers: Map<Buffer, Buffer> | undefined;
}): number {
  let size = 24 + (p.key?.length ?? 0) + (p.value?.length ?? 0);
  if (p.headers) for (const [k, v] of p.headers) size += 10 + k.length + v.length;
  return size;
}

/**
 * Records queue up and go out as one Produce request per batch. Only one request is in
 * flight at a time: the client assigns idempotent sequence numbers when a request is
 * acknowledged, so overlapping requests would be rejected as out of order. Batches grow
 * while a request is in flight, which is what keeps throughput up.
 */
export class KafkaProducer implements Producer {
  readonly #client: KafkaClientProducer;
  readonly #metadata: TopicMetadataCache;
  readonly #brokers: readonly string[];
  readonly #lingerMs: number;
  readonly #maxBatchRecords: number;
  readonly #maxBatchBytes: number;
  #queue: Pending[] = [];
  #queueBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #sticky = Math.floor(Math.random() * 1_000_000);
  #closed = false;
  readonly #onClose: () => void;

  constructor(config: KafkaClientConfig, options: ProducerOptions, onClose: () => void) {
    this.#brokers = config.bootstrapBrokers;
    this.#client = new KafkaClientProducer({
      ...config,
      clientId: options.clientId ?? config.clientId,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
    });
    this.#metadata = new TopicMetadataCache(this.#client, config.bootstrapBrokers);
    this.#lingerMs = options.lingerMs ?? 5;
    this.#maxBatchRecords = options.maxBatchRecords ?? 10_000;
    this.#maxBatchBytes = options.maxBatchBytes ?? 900 * 1024;
    this.#onClose = onClose;
  }

  async send(record: ProduceRecord): Promise<RecordMetadata> {
    const [metadata] = await this.sendBatch([record]);
    return metadata!;
  }

  async sendBatch(records: readonly ProduceRecord[]): Promise<RecordMetadata[]> {
    if (this.#closed) throw new BusError(BusErrorCodes.CLOSED, 'The producer is closed');
    for (const record of records) checkProduceRecord(record);
    // Resolve partition counts first so that a bad record fails the call before any is queued.
    const counts = new Map<string, number>();
    for (const record of records) {
      if (!counts.has(record.topic))
        counts.set(record.topic, await this.#metadata.partitionCount(record.topic));
    }
    const now = Date.now();
    const prepared = records.map((record) => {
      const key = toBytes(record.key);
      const partition = choosePartition(record, key, counts.get(record.topic)!, this.#sticky);
      let headers: Map<Buffer, Buffer> | undefined;
      if (record.headers) {
        headers = new Map();
        for (const [name, value] of Object.entries(toHeaders(record.headers)))
          headers.set(Buffer.from(name, 'utf8'), value);
      }
      return {
        topic: record.topic,
        partition,
        key,
        value: toBytes(record.value),
        headers,
        timestamp: record.timestamp ?? now,
      };
    });
    const promises = prepared.map(
      (p) =>
        new Promise<RecordMetadata>((resolve, reject) => {
          this.#queue.push({ ...p, resolve, reject });
          this.#queueBytes += sizeOf(p);
        }),
    );
    this.#schedule();
    return Promise.all(promises);
  }

  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight) {
      if (this.#inFlight) await this.#inFlight;
      else this.#drain();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
      await this.#client.close().catch(() => undefined);
      this.#onClose();
    }
  }

  #schedule(): void {
    if (this.#inFlight) return;
    if (this.#queue.length >= this.#maxBatchRecords || this.#queueBytes >= this.#maxBatchBytes) {
      this.#drain();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, this.#lingerMs);
  }

  #drain(): void {
    if (this.#inFlight || this.#queue.length === 0) return;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    let count = 0;
    let bytes = 0;
    while (count < this.#queue.length && count < this.#maxBatchRecords && bytes < this.#maxBatchBytes) {
      bytes += sizeOf(this.#queue[count]!);
      count++;
    }
    const batch = this.#queue.slice(0, count);
    this.#queue = this.#queue.slice(count);
    this.#queueBytes -= bytes;
    this.#sticky++;
    this.#inFlight = this.#produce(batch).finally(() => {
      this.#inFlight = null;
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  async #produce(batch: readonly Pending[]): Promise<void> {
    try {
      const result = await this.#client.send({
        messages: batch.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          key: p.key ?? undefined,
          value: p.value ?? undefined,
          headers: p.headers,
          timestamp: BigInt(p.timestamp),
        })),
      });
      // The broker answers with one base offset per partition; records of a partition were
      // appended in batch order, so each one's offset is the base plus its rank.
      const base = new Map<string, number>();
      for (const o of result.offsets ?? []) base.set(`${o.topic}\0${o.partition}`, Number(o.offset));
      const rank = new Map<string, number>();
      for (const p of batch) {
        const id = `${p.topic}\0${p.partition}`;
        const n = rank.get(id) ?? 0;
        rank.set(id, n + 1);
        const first = base.get(id);
        if (first === undefined) {
          p.reject(
            new BusError(
              BusErrorCodes.BACKEND,
              `Kafka acknowledged no offset for ${p.topic}[${p.partition}]`,
            ),
          );
          continue;
        }
        p.resolve({ topic: p.topic, partition: p.partition, offset: first + n, timestamp: p.timestamp });
      }
    } catch (error) {
      const busError = toBusError(error, `Producing ${batch.length} record(s)`, this.#brokers);
      if (busError.code === BusErrorCodes.UNKNOWN_TOPIC) this.#metadata.forget();
      for (const p of batch) p.reject(busError);
    }
  }
}
