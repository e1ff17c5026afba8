// A local copy of a compacted JSON product (e.g. instruments), loaded from the beginning and kept up to date.

import { type Bus, type BusRecord, type Consumer, type TopicPartition } from '../../bus/types.ts';
import { decodeCompacted, type JsonProduct } from '../../contracts/index.ts';
import { noMetrics, type RuntimeLogger, type RuntimeMetrics, silentLogger } from '../log.ts';
import { backoffDelay, errorCode, errorMessage, isRetryable, retryPolicy, sleep } from '../retry.ts';
import { StateError, StateErrorCodes } from './errors.ts';

export interface GlobalTableOptions<T> {
  readonly bus: Bus;
  /** A compacted JSON product: the latest record per key is the current value, a tombstone removes it. */
  readonly product: JsonProduct<T>;
  readonly log?: RuntimeLogger;
  readonly metrics?: RuntimeMetrics;
  /** How long one poll waits for new records; bounds how long `close` takes. Default 200 ms. */
  readonly pollTimeoutMs?: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;
const RETRY = retryPolicy({ initialDelayMs: 100, maxDelayMs: 5_000 });

/**
 * Every partition of a compacted product read into a Map (key to decoded value), outside any
 * consumer group: each instance of a service keeps the whole table, which is how it uses
 * another team's data without calling it. Reading starts at construction and follows new
 * records until `close`; a record that breaks the contract is skipped, logged and counted
 * (`skipped`) rather than stopping the table, since one bad row of reference data must not
 * take every other row away.
 */
export class GlobalTable<T> {
  readonly #options: GlobalTableOptions<T>;
  readonly #log: RuntimeLogger;
  readonly #metrics: RuntimeMetrics;
  readonly #map = new Map<string, T>();
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #isReady = false;
  #closed = false;
  #skipped = 0;
  readonly #loop: Promise<void>;

  constructor(options: GlobalTableOptions<T>) {
    const { product } = options;
    if (product.value.format !== 'json' || product.cleanup.policy !== 'compact') {
      throw new StateError(
        StateErrorCodes.INVALID_ARGUMENT,
        `a global table needs a compacted JSON product; ${product.topic} has ${product.value.format} values and cleanup.policy=${product.cleanup.policy}`,
        {
          hint: 'on a product that is not compacted, old keys are deleted by retention and the table would be incomplete',
        },
      );
    }
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#metrics = options.metrics ?? noMetrics;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Awaited through ready(); without this, a table nobody awaits would crash the process on failure.
    this.#ready.catch(() => undefined);
    this.#loop = this.#run();
  }

  /** Resolves once every partition has been read up to its end offset as of the start; rejects if loading fails. */
  ready(): Promise<void> {
    return this.#ready;
  }

  get(key: string): T | undefined {
    return this.#map.get(key);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  entries(): IterableIterator<[string, T]> {
    return this.#map.entries();
  }

  get size(): number {
    return this.#map.size;
  }

  /** Records skipped because they had no key or broke the product's contract. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Stops following; `ready()` rejects if it had not caught up yet. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { bus, product } = this.#options;
    let consumer: Consumer | null = null;
    try {
      const { partitions, ends } = await endOffsets(bus, product.topic);
      consumer = bus.consumer();
      await consumer.assign(partitions);
      await consumer.seekToBeginning(partitions);
      this.#checkCaughtUp(consumer, partitions, ends);
      await this.#follow(consumer, partitions, ends);
      if (!this.#isReady) {
        this.#rejectReady(
          new StateError(
            StateErrorCodes.CLOSED,
            `the global table of ${product.topic} was closed before it caught up`,
          ),
        );
      }
    } catch (error) {
      this.#metrics.error('global-table');
      this.#log.error(
        { topic: product.topic, code: errorCode(error), err: errorMessage(error) },
        'the global table stopped following its topic',
      );
      this.#rejectReady(error);
    } finally {
      await consumer?.close().catch(() => undefined);
    }
  }

  async #follow(
    consumer: Consumer,
    partitions: readonly TopicPartition[],
    ends: ReadonlyMap<string, number>,
  ): Promise<void> {
    const timeoutMs = this.#options.pollTimeoutMs ?? 200;
    let failures = 0;
    while (!this.#closed) {
      let records: BusRecord[];
      try {
        records = await consumer.poll({ timeoutMs });
        failures = 0;
      } catch (error) {
        if (this.#closed) return;
        if (!isRetryable(error)) throw error;
        failures++;
        this.#log.warn(
          { topic: this.#options.product.topic, failures, err: errorMessage(error) },
          'global table poll failed; retrying',
        );
        await sleep(backoffDelay(RETRY, Math.min(failures, 8)));
        continue;
      }
      for (const record of records) this.#apply(record);
      if (!this.#isReady) this.#checkCaughtUp(consumer, partitions, ends);
    }
  }

  #apply(record: BusRecord): void {
    const product = this.#options.product;
    if (record.key === null) {
      this.#skip(record, 'NO_KEY', 'the record has no key, so it names no row');
      return;
    }
    const key = record.key.toString('utf8');
    let decoded;
    try {
      decoded = decodeCompacted(product, record);
    } catch (error) {
      this.#skip(record, errorCode(error), errorMessage(error));
      return;
    }
    if (decoded.value === null) this.#map.delete(key);
    else this.#map.set(key, decoded.value);
  }

  #skip(record: BusRecord, code: string, reason: string): void {
    this.#skipped++;
    this.#metrics.error('decode');
    this.#log.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset, code, err: reason },
      'global table skipped a record that breaks its contract',
    );
  }

  #checkCaughtUp(
    consumer: Consumer,
    partitions: readonly TopicPartition[],
    ends: ReadonlyMap<string, number>,
  ): void {
    for (const tp of partitions) if (consumer.position(tp) < ends.get(tpKey(tp.topic, tp.partition))!) return;
    this.#isReady = true;
    this.#log.info({ topic: this.#options.product.topic, size: this.#map.size }, 'global table loaded');
    this.#resolveReady();
  }
}

async function endOffsets(
  bus: Bus,
  topic: string,
): Promise<{ partitions: TopicPartition[]; ends: Map<string, number> }> {
  const admin = bus.admin();
  try {
    const listed = await admin.listOffsets(topic, 'latest');
    return {
      partitions: listed.map(({ partition }) => ({ topic, partition })),
      ends: new Map(listed.map(({ partition, offset }) => [tpKey(topic, partition), offset])),
    };
  } finally {
    await admin.close();
  }
}
