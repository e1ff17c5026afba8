// The embedded producer: validates, partitions and appends records; `send` batches by linger.

import { BusError, BusErrorCodes } from '../errors.ts';
import { checkProduceRecord, choosePartition, toBytes, toHeaders } from '../record.ts';
import {
  type Headers,
  type ProduceRecord,
  type Producer,
  type ProducerOptions,
  type RecordMetadata,
} from '../types.ts';
import { type EmbeddedLog } from './embedded-log.ts';
import { FsyncPolicies } from './options.ts';
import { type PartitionLog, type RecordColumns } from './partition-log.ts';

/** Records prepared for appending, as columns (see RecordColumns), plus where each one goes. */
class Prepared implements RecordColumns {
  readonly keys: (Buffer | null)[] = [];
  readonly values: (Buffer | null)[] = [];
  readonly headers: (Headers | null)[] = [];
  readonly timestamps: number[] = [];
  readonly logs: PartitionLog[] = [];
  bytes = 0;

  get length(): number {
    return this.keys.length;
  }
}

interface Waiter {
  readonly resolve: (metadata: RecordMetadata) => void;
  readonly reject: (error: Error) => void;
}

export class EmbeddedProducer implements Producer {
  readonly #log: EmbeddedLog;
  readonly #lingerMs: number;
  readonly #maxBatchRecords: number;
  readonly #maxBatchBytes: number;
  readonly #onClose: () => void;
  #queue = new Prepared();
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | null = null;
  #sticky = Math.floor(Math.random() * 1_000_000);
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;
  readonly #keys = new Map<string, Buffer>();

  constructor(log: EmbeddedLog, options: ProducerOptions, onClose: () => void) {
    this.#log = log;
    this.#lingerMs = options.lingerMs ?? 5;
    this.#maxBatchRecords = options.maxBatchRecords ?? 10_000;
    this.#maxBatchBytes = options.maxBatchBytes ?? 900 * 1024;
    this.#onClose = onClose;
  }

  send(record: ProduceRecord): Promise<RecordMetadata> {
    try {
      this.#checkOpen();
      this.#prepare(this.#queue, record, Date.now(), this.#sticky);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const promise = new Promise<RecordMetadata>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#queue.length >= this.#maxBatchRecords || this.#queue.bytes >= this.#maxBatchBytes)
      this.#drain();
    else this.#timer ??= setTimeout(() => this.#drain(), this.#lingerMs);
    return promise;
  }

  async sendBatch(records: readonly ProduceRecord[]): Promise<RecordMetadata[]> {
    this.#checkOpen();
    const batch = new Prepared();
    const now = Date.now();
    // Everything is validated before anything is written: a bad record fails the whole call.
    for (const record of records) this.#prepare(batch, record, now, this.#sticky);
    this.#sticky++;
    // Records queued by `send` before this call go first: per-partition order is call order.
    this.#drain();
    const offsets = this.#append(batch);
    const out: RecordMetadata[] = new Array<RecordMetadata>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const log = batch.logs[i]!;
      out[i] = {
        topic: log.topic,
        partition: log.partition,
        offset: offsets[i]!,
        timestamp: batch.timestamps[i]!,
      };
    }
    await this.#durable(batch);
    return out;
  }

  async flush(): Promise<void> {
    this.#drain();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#log.closed) await this.flush();
    } finally {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#onClose();
    }
  }

  #checkOpen(): void {
    if (this.#closed || this.#log.closed) throw new BusError(BusErrorCodes.CLOSED, 'The producer is closed');
  }

  #prepare(into: Prepared, record: ProduceRecord, now: number, sticky: number): void {
    checkProduceRecord(record);
    const topic = this.#log.topic(record.topic);
    const key = typeof record.key === 'string' ? this.#keyBytes(record.key) : toBytes(record.key);
    if (key === null && topic.config.compact) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `Topic ${record.topic} is compacted: every record needs a key (as Kafka requires)`,
      );
    }
    const partition = choosePartition(record, key, topic.partitions.length, sticky);
    const value = toBytes(record.value);
    into.keys.push(key);
    into.values.push(value);
    into.headers.push(record.headers ? toHeaders(record.headers) : null);
    into.timestamps.push(record.timestamp ?? now);
    into.logs.push(topic.partitions[partition]!);
    into.bytes += (key === null ? 0 : key.length) + (value === null ? 0 : value.length);
  }

  // Keys are few and repeat (instrument ids), so their UTF-8 bytes are cached rather than
  // re-encoded per record; the cache is dropped whole when it grows past its bound.
  #keyBytes(key: string): Buffer {
    let bytes = this.#keys.get(key);
    if (bytes === undefined) {
      if (this.#keys.size >= 10_000) this.#keys.clear();
      bytes = Buffer.from(key, 'utf8');
      this.#keys.set(key, bytes);
    }
    return bytes;
  }

  /** Appends every prepared record, one write per partition; returns each record's offset. */
  #append(batch: Prepared): Float64Array {
    const offsets = new Float64Array(batch.length);
    const byLog = new Map<PartitionLog, number[]>();
    for (let i = 0; i < batch.length; i++) {
      const log = batch.logs[i]!;
      let order = byLog.get(log);
      if (!order) byLog.set(log, (order = []));
      order.push(i);
    }
    for (const [log, order] of byLog) {
      if (log.closed) throw new BusError(BusErrorCodes.UNKNOWN_TOPIC, `Topic ${log.topic} was deleted`);
      const base = log.append(batch, order);
      for (let k = 0; k < order.length; k++) offsets[order[k]!] = base + k;
    }
    return offsets;
  }

  /** Under fsync=always, waits until the partitions written are on disk (calls coalesce). */
  async #durable(batch: Prepared): Promise<void> {
    if (this.#log.options.fsync !== FsyncPolicies.ALWAYS) return;
    const syncs = [...new Set(batch.logs)].map((log) => log.sync());
    const all = Promise.all(syncs);
    this.#inFlight.add(all);
    try {
      await all;
    } catch (error) {
      throw new BusError(BusErrorCodes.BACKEND, 'fsync of the embedded log failed', {
        cause: error,
        canRetry: false,
      });
    } finally {
      this.#inFlight.delete(all);
    }
  }

  #drain(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    const waiters = this.#waiters;
    this.#queue = new Prepared();
    this.#waiters = [];
    this.#sticky++;
    let offsets: Float64Array;
    try {
      offsets = this.#append(batch);
    } catch (error) {
      for (const w of waiters) w.reject(error as Error);
      return;
    }
    const done = this.#durable(batch).then(
      () => {
        for (let i = 0; i < waiters.length; i++) {
          const log = batch.logs[i]!;
          waiters[i]!.resolve({
            topic: log.topic,
            partition: log.partition,
            offset: offsets[i]!,
            timestamp: batch.timestamps[i]!,
          });
        }
      },
      (error: Error) => {
        for (const w of waiters) w.reject(error);
      },
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }
}
