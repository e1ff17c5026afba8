// Keyed state stores of a service, co-partitioned with its input and backed by compacted changelog topics.

import {
  type Admin,
  type Bus,
  type BusRecord,
  type ProduceRecord,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../../bus/types.ts';
import { noMetrics, type RuntimeLogger, type RuntimeMetrics, silentLogger } from '../log.ts';
import { changelogTopic, ensureChangelogs, inputReplication, statePartitionCount } from './changelog.ts';
import { COMMIT_MARKER_KEY, encodeCommitMarker, MarkedChangelog, restorePoint } from './commit-marker.ts';
import { StateError, StateErrorCodes } from './errors.ts';
import { type KeyValueStore, PartitionStore } from './key-value-store.ts';
import { corruptChangelog, restorePartitions, type RestoreTarget } from './restore.ts';
import { jsonSerde, type Serde } from './serde.ts';

/** How one store is kept. */
export interface StoreSpec<V = unknown> {
  /** How values are written to the changelog; JSON by default. */
  readonly serde?: Serde<V>;
}

export interface StateManagerOptions {
  readonly bus: Bus;
  /** The service name: the prefix of its changelog topics. */
  readonly service: string;
  readonly stores: Readonly<Record<string, StoreSpec>>;
  /** The partition count of an input topic (from the catalog). */
  readonly partitionsOf: (topic: string) => number;
  readonly inputTopics: readonly string[];
  readonly metrics?: RuntimeMetrics;
  readonly log?: RuntimeLogger;
  /**
   * Called by `onAssigned` with, per assigned input partition whose state names a position for
   * it, the next offset that state reflects: the consumer must not resume before it, or records
   * already in the state would be applied again. The runner seeks there unless it is further.
   */
  readonly resumeAt?: (positions: readonly TopicPartitionOffset[]) => void;
}

interface StoreDefinition {
  readonly name: string;
  readonly topic: string;
  readonly serde: Serde<unknown>;
}

/** The changelog writes of one partition of one store since the last take: the latest per key. */
interface PendingWrites {
  readonly topic: string;
  readonly partition: number;
  readonly writes: Map<string, Buffer | null>;
}

const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/**
 * The state of a service instance, Kafka Streams style: the state of keys read from input
 * partition p lives in partition p of `<service>-<store>-changelog`, is restored when p is
 * assigned here and dropped when it is revoked. The runner sends `takeChangelog()` with the
 * batch's outputs; once they are acknowledged, it writes `commitMarkers()` (queued before the
 * next batch's records) and only then commits the inputs. A marker closes the batch in every
 * store of the partition and names the input positions the state reflects, so state and
 * position are committed together, as a store checkpoint would. A restore applies records up to
 * the last marker only (after it is an unfinished batch of an instance that died) and reports
 * the marker's positions through `resumeAt`, so each input record is applied to the state
 * exactly once, also after `kill -9`. Outputs are not: a replayed unfinished batch sends its
 * outputs again, which is why their consumers are idempotent by key. A changelog without any
 * marker (written before markers existed) is restored whole, and its inputs resume at the
 * committed offsets, as before; the first thing written to it then is a marker naming no
 * position, so that from then on an unfinished batch is told apart.
 */
export class StateManager {
  readonly #options: StateManagerOptions;
  readonly #metrics: RuntimeMetrics;
  readonly #log: RuntimeLogger;
  readonly #stores: ReadonlyMap<string, StoreDefinition>;
  /** Restored state per state partition number, then per store. */
  readonly #partitions = new Map<number, Map<string, PartitionStore<unknown>>>();
  /** Which input topics hold each state partition here: it is dropped when the last lets go. */
  readonly #holders = new Map<number, Set<string>>();
  readonly #pending = new Map<string, PendingWrites>();
  /**
   * Markers naming no position for partitions restored without any marker, sent ahead of their
   * first changes: a crash in the first batch then finds the batch unfinished. Without them a
   * fresh changelog holding a dead instance's first batch would look like one written before
   * markers existed, be restored whole, and that batch would be applied again.
   */
  #baselines: ProduceRecord[] = [];
  /** Per state partition held here: input topic -> next offset its state reflects (what the next marker names). */
  readonly #positions = new Map<number, Map<string, number>>();
  readonly #inputs: ReadonlySet<string>;
  #admin: Admin | null = null;
  #partitionCount = 0;
  #closed = false;

  constructor(options: StateManagerOptions) {
    this.#options = options;
    this.#metrics = options.metrics ?? noMetrics;
    this.#log = options.log ?? silentLogger;
    this.#inputs = new Set(options.inputTopics);
    this.#stores = new Map(
      Object.entries(options.stores).map(([name, spec]) => [
        name,
        { name, topic: changelogTopic(options.service, name), serde: spec.serde ?? jsonSerde() },
      ]),
    );
  }

  /** The changelog topic of each store. */
  get changelogTopics(): Readonly<Record<string, string>> {
    return Object.fromEntries([...this.#stores.values()].map((s) => [s.name, s.topic]));
  }

  /** Creates the changelog topics that are missing and checks those that exist. */
  async init(): Promise<void> {
    this.#checkOpen();
    if (this.#stores.size === 0) return;
    const { service, inputTopics, partitionsOf, bus } = this.#options;
    this.#partitionCount = statePartitionCount(service, inputTopics, partitionsOf);
    this.#admin ??= bus.admin();
    const replication = await inputReplication(this.#admin, inputTopics[0]!);
    await ensureChangelogs(
      this.#admin,
      [...this.#stores.values()].map((s) => s.topic),
      this.#partitionCount,
      replication,
    );
  }

  /**
   * Restores every store for the state partitions that the given input partitions bring here
   * (a partition already held through another input topic is not restored again); resolves
   * once they are restored.
   */
  async onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    this.#checkOpen();
    if (this.#stores.size === 0) return;
    const admin = this.#admin;
    if (admin === null) {
      throw new StateError(StateErrorCodes.INVALID_ARGUMENT, 'StateManager.onAssigned before init()', {
        hint: 'await init() once before the consumer subscribes',
      });
    }
    const fresh = new Set<number>();
    for (const { topic, partition } of partitions) {
      if (!this.#inputs.has(topic)) continue;
      if (partition >= this.#partitionCount) {
        throw new StateError(
          StateErrorCodes.CHANGELOG_MISMATCH,
          `${topic}[${partition}] is assigned, but the state of service ${this.#options.service} has ${this.#partitionCount} partitions`,
          {
            hint: 'an input topic grew after the service started; restart it so the changelogs are checked again',
          },
        );
      }
      let holders = this.#holders.get(partition);
      if (!holders) {
        holders = new Set();
        this.#holders.set(partition, holders);
        fresh.add(partition);
      }
      holders.add(topic);
    }
    if (fresh.size === 0) {
      this.#reportResume(partitions);
      return;
    }

    const restored = new Map<number, Map<string, PartitionStore<unknown>>>();
    const targets: RestoreTarget[] = [];
    const storeOf = new Map<string, string>();
    const readers = new Map<
      number,
      Array<{ reader: MarkedChangelog; def: StoreDefinition; store: PartitionStore<unknown> }>
    >();
    for (const partition of fresh) {
      const stores = new Map<string, PartitionStore<unknown>>();
      restored.set(partition, stores);
      readers.set(partition, []);
      for (const def of this.#stores.values()) {
        const store = this.#newStore(def, partition);
        stores.set(def.name, store);
        storeOf.set(tpKey(def.topic, partition), def.name);
        // Applied when a commit marker closes the record's batch, so errors name the record here.
        const reader = new MarkedChangelog((record) => {
          try {
            if (record.key === null) throw new Error('a changelog record has no key');
            store.restore(record.key.toString('utf8'), record.value);
          } catch (error) {
            throw corruptChangelog(record, error);
          }
        });
        readers.get(partition)!.push({ reader, def, store });
        targets.push({ topic: def.topic, partition, apply: (record) => reader.read(record) });
      }
    }
    let results;
    const dropped: Array<{ def: StoreDefinition; store: PartitionStore<unknown>; records: BusRecord[] }> = [];
    let unfinished = 0;
    const positions = new Map<number, Map<string, number>>();
    try {
      results = await restorePartitions(this.#options.bus, admin, targets);
      for (const [partition, list] of readers) {
        const at = restorePoint(list.map((r) => r.reader.last));
        for (const { reader, def, store } of list) {
          const records = reader.finish(at);
          unfinished += records.length;
          if (records.length > 0) dropped.push({ def, store, records });
        }
        positions.set(partition, new Map(at ?? []));
        if (at === null)
          for (const { def } of list)
            this.#baselines.push({
              topic: def.topic,
              partition,
              key: COMMIT_MARKER_KEY,
              value: encodeCommitMarker(new Map()),
            });
      }
    } catch (error) {
      // Not restored means not held: a later assignment of these partitions restores them again.
      for (const partition of fresh) this.#holders.delete(partition);
      throw error;
    }
    for (const [partition, at] of positions) this.#positions.set(partition, at);
    // The dropped records stay on the log, before the marker this instance writes next: their
    // keys are written again with the restored values, in the next batch, so that marker closes
    // the restored state rather than the dead instance's unfinished one.
    for (const { def, store, records } of dropped)
      for (const r of records) {
        const key = r.key!.toString('utf8');
        const value = store.get(key);
        this.#write(def, store.partition, key, value === undefined ? null : def.serde.serialize(value));
      }
    for (const [partition, stores] of restored) this.#partitions.set(partition, stores);
    if (unfinished > 0)
      this.#log.info(
        { partitions: [...fresh].sort((a, b) => a - b), records: unfinished },
        'changelog records after the last commit marker dropped: their inputs are processed again',
      );
    this.#reportResume(partitions);

    const perStore = new Map<string, { seconds: number; records: number }>();
    for (const r of results) {
      const name = storeOf.get(tpKey(r.topic, r.partition))!;
      const sum = perStore.get(name) ?? { seconds: 0, records: 0 };
      perStore.set(name, { seconds: Math.max(sum.seconds, r.seconds), records: sum.records + r.records });
    }
    for (const [name, { seconds, records }] of perStore) {
      this.#metrics.observeRestore(name, seconds, records);
      this.#log.info(
        { store: name, partitions: [...fresh].sort((a, b) => a - b), records, seconds },
        'state restored from the changelog',
      );
    }
  }

  /**
   * Drops the state of the partitions no input holds here any more; another instance restores
   * it. Writes not yet taken for them are dropped as well: they come from inputs this instance
   * has not committed, which the next owner processes again, so sending them would apply them twice.
   */
  onRevoked(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      if (!this.#inputs.has(topic)) continue;
      const holders = this.#holders.get(partition);
      if (!holders) continue;
      holders.delete(topic);
      if (holders.size > 0) continue;
      this.#holders.delete(partition);
      for (const store of this.#partitions.get(partition)?.values() ?? []) store.detach();
      this.#partitions.delete(partition);
      this.#positions.delete(partition);
      for (const def of this.#stores.values()) this.#pending.delete(tpKey(def.topic, partition));
      this.#baselines = this.#baselines.filter((r) => r.partition !== partition);
    }
  }

  /** The state partitions restored here, ascending. */
  assigned(): number[] {
    return [...this.#partitions.keys()].sort((a, b) => a - b);
  }

  /** Store `name` for state partition `partition` (the partition of the input record being handled). */
  store<V>(name: string, partition: number): KeyValueStore<V> {
    this.#checkOpen();
    if (!this.#stores.has(name)) {
      throw new StateError(
        StateErrorCodes.UNKNOWN_STORE,
        `service ${this.#options.service} has no store ${JSON.stringify(name)} (stores: ${[...this.#stores.keys()].join(', ') || 'none'})`,
        { hint: 'declare it in the stores given to the StateManager' },
      );
    }
    const store = this.#partitions.get(partition)?.get(name);
    if (!store) {
      throw new StateError(
        StateErrorCodes.NOT_ASSIGNED,
        `state partition ${partition} of service ${this.#options.service} is not assigned to this instance (assigned: ${this.assigned().join(', ') || 'none'})`,
        { hint: 'use the partition of the input record being handled; state is restored in onAssigned' },
      );
    }
    return store as KeyValueStore<V>;
  }

  /** The changelog records written since the last call: one per key written, the latest. */
  takeChangelog(): ProduceRecord[] {
    const out: ProduceRecord[] = [];
    for (const { topic, partition, writes } of this.#pending.values())
      for (const [key, value] of writes) out.push({ topic, partition, key, value });
    this.#pending.clear();
    return out;
  }

  /**
   * The markers naming no position of partitions restored without any marker, once: sent ahead
   * of the batch's `takeChangelog()`, so they precede the first changes in their partitions.
   */
  takeBaselines(): ProduceRecord[] {
    const out = this.#baselines;
    this.#baselines = [];
    return out;
  }

  /**
   * The commit markers of a batch whose outputs and changelog records are acknowledged:
   * `processed` holds the next offset of every input partition the batch read. Every store's
   * changelog partition p gets one for each state partition p the batch touched, naming every
   * input position its state reflects (also those of inputs the batch did not read).
   */
  commitMarkers(processed: readonly TopicPartitionOffset[]): ProduceRecord[] {
    const touched = new Set<number>();
    for (const { topic, partition, offset } of processed) {
      const positions = this.#positions.get(partition);
      if (!positions || !this.#inputs.has(topic)) continue;
      positions.set(topic, offset);
      touched.add(partition);
    }
    const out: ProduceRecord[] = [];
    for (const partition of touched) {
      const value = encodeCommitMarker(this.#positions.get(partition)!);
      for (const def of this.#stores.values())
        out.push({ topic: def.topic, partition, key: COMMIT_MARKER_KEY, value });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stores of this.#partitions.values()) for (const store of stores.values()) store.detach();
    this.#partitions.clear();
    this.#holders.clear();
    this.#pending.clear();
    this.#baselines = [];
    this.#positions.clear();
    await this.#admin?.close();
    this.#admin = null;
  }

  /** Tells `resumeAt` where the state of each assigned input partition says it must resume. */
  #reportResume(partitions: readonly TopicPartition[]): void {
    const resume: TopicPartitionOffset[] = [];
    for (const { topic, partition } of partitions) {
      const offset = this.#inputs.has(topic) ? this.#positions.get(partition)?.get(topic) : undefined;
      if (offset !== undefined) resume.push({ topic, partition, offset });
    }
    if (resume.length > 0) this.#options.resumeAt?.(resume);
  }

  #newStore(def: StoreDefinition, partition: number): PartitionStore<unknown> {
    return new PartitionStore(def.name, partition, def.serde, (key, bytes) =>
      this.#write(def, partition, key, bytes),
    );
  }

  #write(def: StoreDefinition, partition: number, key: string, bytes: Buffer | null): void {
    const id = tpKey(def.topic, partition);
    let pending = this.#pending.get(id);
    if (!pending) {
      pending = { topic: def.topic, partition, writes: new Map() };
      this.#pending.set(id, pending);
    }
    pending.writes.set(key, bytes);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StateError(StateErrorCodes.CLOSED, 'the StateManager is closed');
  }
}
