// The batching, idempotent (acks=all) Kafka producer behind the bus Producer interface.

import { Producer as KafkaClientProducer, ProduceAcks } from '@platformatic/kafka';
import { BusError, BusErrorCodes } from '../errors.ts';
import { checkProduceRecord, choosePartition, toBytes } from '../record.ts';
import { type ProduceRecord, type Producer, type ProducerOptions, type RecordMetadata } from '../types.ts';
import { type KafkaClientConfig } from './client-config.ts';
import { toBusError } from './errors.ts';
import { TopicMetadataCache } from './metadata.ts';

/** One `send`/`sendBatch` call: it resolves once all of its records are acknowledged. */
interface Call {
  readonly results: RecordMetadata[];
  remaining: number;
  failed: boolean;
  readonly resolve: (results: RecordMetadata[]) => void;
  readonly reject: (error: Error) => void;
}

/** A queued record, in the shape the Kafka client takes, plus where its result goes. */
interface Queued {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: Map<Buffer, Buffer> | undefined;
  readonly timestamp: bigint;
  readonly size: number;
  readonly call: Call;
  readonly index: number;
}

/**
 * Header names as bytes. Services send the same few names (schema, producer, trace, event
 * time) on every record; encoding them once saves a buffer per header per record. Bounded,
 * so that a producer of ever-new names does not grow it without end.
 */
const headerNames = new Map<string, Buffer>();
function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (headerNames.size < 1024) headerNames.set(name, bytes);
  }
  return bytes;
}

/**
 * The last value each header name was encoded with. Services repeat most header values on
 * every record (producer, instance, schema id and version): reusing the bytes when the text
 * is the same saves a buffer per such header per record; a value that changes (trace, event
 * time) costs one string compare. Bounded by the name cache's bound.
 */
const lastValues = new Map<string, { text: string; bytes: Buffer }>();
function headerValue(name: string, text: string): Buffer {
  const last = lastValues.get(name);
  if (last !== undefined && last.text === text) return last.bytes;
  const bytes = Buffer.from(text, 'utf8');
  if (last !== undefined) {
    last.text = text;
    last.bytes = bytes;
  } else if (lastValues.size < 1024) lastValues.set(name, { text, bytes });
  return bytes;
}

/** Most of a Kafka request: the broker takes 100 MiB by default; this keeps requests quick. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * Bytes a record takes in a Kafka record batch: the payload plus a bound on the varint
 * framing. A partition's batch is cut on this so that it stays under the broker's
 * `max.message.bytes` (1 MiB by default) whenever the records alone would.
 */
function sizeOf(
  key: Buffer | undefined,
  value: Buffer | undefined,
  headers: Map<Buffer, Buffer> | undefined,
): number {
  let size = 24 + (key?.length ?? 0) + (value?.length ?? 0);
  if (headers) for (const [k, v] of headers) size += 10 + k.length + v.length;
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
  readonly #onClose: () => void;
  #queue: Queued[] = [];
  #head = 0;
  #queueBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #sticky = Math.floor(Math.random() * 1_000_000);
  #closed = false;

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
    if (records.length === 0) return [];
    for (const record of records) checkProduceRecord(record);
    // Partition counts first, so that a bad record fails the call before any record is queued.
    const counts = new Map<string, number>();
    for (const record of records) {
      if (!counts.has(record.topic))
        counts.set(record.topic, await this.#metadata.partitionCount(record.topic));
    }
    const now = BigInt(Date.now());
    const prepared = records.map((record) => {
      const key = toBytes(record.key);
      const partition = choosePartition(record, key, counts.get(record.topic)!, this.#sticky);
      let headers: Map<Buffer, Buffer> | undefined;
      if (record.headers) {
        headers = new Map();
        for (const name in record.headers) {
          const value = record.headers[name]!;
          headers.set(headerName(name), typeof value === 'string' ? headerValue(name, value) : value);
        }
      }
      return { record, key: key ?? undefined, partition, headers };
    });
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call: Call = {
        results: new Array<RecordMetadata>(records.length),
        remaining: records.length,
        failed: false,
        resolve,
        reject,
      };
      prepared.forEach(({ record, key, partition, headers }, index) => {
        const value = toBytes(record.value) ?? undefined;
        const size = sizeOf(key, value, headers);
        const timestamp = record.timestamp === undefined ? now : BigInt(record.timestamp);
        this.#queue.push({
          topic: record.topic,
          partition,
          key,
          value,
          headers,
          timestamp,
          size,
          call,
          index,
        });
        this.#queueBytes += size;
      });
      this.#schedule();
    });
  }

  async flush(): Promise<void> {
    while (this.#queue.length > this.#head || this.#inFlight) {
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
    if (this.#queue.length - this.#head >= this.#maxBatchRecords || this.#queueBytes >= this.#maxBatchBytes) {
      this.#drain();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, this.#lingerMs);
  }

  /** Takes the next batch off the queue: up to the record limit, each partition under its byte limit. */
  #drain(): void {
    if (this.#inFlight || this.#queue.length === this.#head) return;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const perPartition = new Map<string, number>();
    let end = this.#head;
    let total = 0;
    while (end < this.#queue.length && end - this.#head < this.#maxBatchRecords) {
      const q = this.#queue[end]!;
      const id = `${q.topic}\0${q.partition}`;
      const bytes = (perPartition.get(id) ?? 0) + q.size;
      // A record alone over the limit still goes, alone, for the broker to accept or refuse.
      if (end > this.#head && (bytes > this.#maxBatchBytes || total + q.size > MAX_REQUEST_BYTES)) break;
      perPartition.set(id, bytes);
      total += q.size;
      end++;
    }
    const batch = this.#queue.slice(this.#head, end);
    this.#head = end;
    this.#queueBytes -= total;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 65_536) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#sticky++;
    this.#inFlight = this.#produce(batch).finally(() => {
      this.#inFlight = null;
      if (this.#queue.length > this.#head) this.#schedule();
    });
  }

  async #produce(batch: Queued[]): Promise<void> {
    let base: Map<string, number>;
    try {
      const result = await this.#client.send({ messages: batch });
      base = new Map((result.offsets ?? []).map((o) => [`${o.topic}\0${o.partition}`, Number(o.offset)]));
    } catch (error) {
      const busError = toBusError(error, `Producing ${batch.length} record(s)`, this.#brokers);
      if (busError.code === BusErrorCodes.UNKNOWN_TOPIC) this.#metadata.forget();
      for (const q of batch) fail(q.call, busError);
      return;
    }
    // The broker answers with one base offset per partition; the records of a partition were
    // appended in batch order, so each one's offset is the base plus its rank.
    const rank = new Map<string, number>();
    for (const q of batch) {
      const id = `${q.topic}\0${q.partition}`;
      const n = rank.get(id) ?? 0;
      rank.set(id, n + 1);
      const first = base.get(id);
      if (first === undefined) {
        fail(
          q.call,
          new BusError(BusErrorCodes.BACKEND, `Kafka acknowledged no offset for ${q.topic}[${q.partition}]`),
        );
        continue;
      }
      const call = q.call;
      call.results[q.index] = {
        topic: q.topic,
        partition: q.partition,
        offset: first + n,
        timestamp: Number(q.timestamp),
      };
      if (--call.remaining === 0 && !call.failed) call.resolve(call.results);
    }
  }
}

function fail(call: Call, error: Error): void {
  if (call.failed) return;
  call.failed = true;
  call.reject(error);
}
