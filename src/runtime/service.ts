// What a service is to the runtime: a name, the products it reads and writes, and a handler.

import { type Bus, type BusRecord } from '../bus/types.ts';
import {
  type DecodedBytes,
  type BytesProduct,
  type JsonProduct,
  type Product,
  type RecordMeta,
} from '../contracts/index.ts';
import { type LifecycleQueueCommand, type QueueEvent } from '../contracts/schema/control.ts';
import { type RetryPolicy } from './retry.ts';
import { type KeyValueStore, type StoreSpec } from './state/index.ts';

/** The decoded value a consumed product yields: the typed JSON value, or the raw bytes with their headers. */
export type ValueOf<P extends Product> =
  P extends JsonProduct<infer T> ? T : P extends BytesProduct ? DecodedBytes : never;

/** One consumed record, decoded and validated. */
export interface Input<P extends Product = Product> {
  readonly product: P;
  readonly value: ValueOf<P>;
  readonly key: string | null;
  readonly meta: RecordMeta;
  /** The record as it was on the log (topic, partition, offset, timestamp, headers). */
  readonly record: BusRecord;
}

/** The input union of a service that consumes the products `C`. */
export type InputOf<C extends readonly Product[]> = { [K in keyof C]: Input<C[K]> }[number];

/** Narrows an input to the product it came from. */
export function isFrom<P extends Product>(input: Input, product: P): input is Input<P> {
  return input.product.topic === product.topic;
}

export interface EmitOptions {
  /** Defaults to the product's key function applied to the value. */
  readonly key?: string;
  readonly partition?: number;
  /** Record timestamp; the time of sending when absent. */
  readonly timestamp?: number;
}

/** Which instance runs, and its stop signal (aborted when it stops or fails). */
export interface InstanceContext {
  readonly service: string;
  readonly instance: string;
  readonly signal: AbortSignal;
}

/** Emitting records, as handlers, batches and sources do alike. */
export interface Emitter {
  emit<T>(product: JsonProduct<T>, value: T, options?: EmitOptions): void;
  emitBytes(
    product: BytesProduct,
    value: Buffer | string,
    key: string,
    headers: Readonly<Record<string, string>>,
  ): void;
}

/** What a handler can do besides computing: emit records (sent and acknowledged before its input is committed). */
export interface HandlerContext extends InstanceContext, Emitter {
  /** A tombstone: deletes `key` from a compacted product. */
  emitTombstone(product: Product, key: string): void;
  /**
   * The state store `name` for the input's partition. Writes apply at once and reach the
   * store's changelog with the handler's outputs, before the input is committed. A handler
   * that may still fail after writing should write last: a retried attempt sees its writes.
   */
  store<V>(name: string): KeyValueStore<V>;
  /** The local copy of a compacted product declared in `tables` (e.g. instruments): read, never ask. */
  table<V>(name: string): TableView<V>;
  /** Reports progress on queue-events (`loading`), at most once a second per queue. */
  progress(loaded: number, total?: number): void;
}

/**
 * What `afterBatch` gets once a poll's records are handled: emits (sent with the batch's other
 * outputs, before its offsets are committed) and the stores of any assigned partition.
 */
export interface BatchContext extends InstanceContext, Emitter {
  /** The input partitions that had records in this batch, ascending. */
  readonly partitions: readonly number[];
  /** How many records the batch handled (dead-lettered ones included). */
  readonly records: number;
  emitTombstone(product: Product, key: string): void;
  store<V>(name: string, partition: number): KeyValueStore<V>;
  table<V>(name: string): TableView<V>;
}

/** What `onStop` gets; `onStart` gets a StartContext. What onStart acquires is released when `signal` aborts. */
export type LifecycleContext = InstanceContext;

/**
 * What a service's own background work gets (onStart's timers and HTTP server, the jobs of
 * `jobs`): emits that outlive any handler, sent in background batches as a source's are, and
 * lifecycle events for queues other than the instance's own. Usable until `signal` aborts.
 */
export interface BackgroundContext extends SourceContext {
  /** Publishes a lifecycle event on queue-events for `queueId` (a job or workflow this instance runs). */
  report(
    queueId: string,
    event: QueueEvent['event'],
    fields?: Readonly<Record<string, unknown>>,
  ): Promise<void>;
  /** The local copy of a compacted product declared in `tables`. */
  table<V>(name: string): TableView<V>;
  /** The bus, for reading a bounded range of a topic outside the group (a job's input). */
  readonly bus: Bus;
}

/** What `onStart` gets: the instance and a background context that lives as long as the instance. */
export type StartContext = BackgroundContext;

/**
 * Jobs a service runs per queue (the job worker's `wf-<id>-<step>`): `start` and `stop` commands
 * addressed to an exact queue id with `queuePrefix` reach these handlers instead of starting or
 * stopping the instance; for every other queue they keep their meaning. A handler returns once
 * the job is started or told to stop (the job runs in the background on `ctx`) and reports the
 * job's events itself with `ctx.report(command.queue_id, ...)`. A throw is reported as an
 * `error` event on the job's queue.
 */
export interface JobHandlers {
  readonly queuePrefix: string;
  start(command: LifecycleQueueCommand, ctx: BackgroundContext): Promise<void> | void;
  stop(command: LifecycleQueueCommand, ctx: BackgroundContext): Promise<void> | void;
}

/** A read-only view of a global table. */
export interface TableView<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

/** A command on queue-control the service handles itself (beyond ping/start/stop/pause/resume). */
export type CommandHandler = (
  command: Readonly<Record<string, unknown>>,
  ctx: HandlerContext,
) => Promise<void> | void;

/**
 * What a source gets: it brings data in from outside (an exchange, a file) rather than from a
 * topic. Emitted records are sent in batches in the background; `flush` waits until all are
 * acknowledged. `signal` aborts when the service stops: the source then returns.
 */
export interface SourceContext extends InstanceContext, Emitter {
  /** Resolves once everything emitted so far is acknowledged by the bus. */
  flush(): Promise<void>;
  /** Reports progress on queue-events (`loading`), at most once a second per queue. */
  progress(loaded: number, total?: number): void;
}

export interface ServiceDefinition<C extends readonly Product[] = readonly Product[]> {
  /** Also the consumer group id and the prefix of its state topics: lower-case, digits, dashes. */
  readonly name: string;
  readonly description: string;
  readonly consumes: C;
  readonly produces: readonly Product[];
  /**
   * Handles one record. Method syntax on purpose: it keeps a ServiceDefinition of specific
   * products assignable to ServiceDefinition<readonly Product[]> (hosts hold lists of them).
   */
  handle?(input: InputOf<C>, ctx: HandlerContext): Promise<void> | void;
  /**
   * Runs after each poll's records are handled (also when a stop cut the batch short), before
   * the batch's outputs are sent and its offsets committed: the place for work done once per
   * batch (one database transaction, one store checkpoint per key, throttled outputs). A throw
   * fails the instance without committing, so the batch is handled again by the next owner.
   */
  afterBatch?(ctx: BatchContext): Promise<void> | void;
  /**
   * Runs once when an instance starts, after its stores and tables are ready and before it
   * joins the group: the place for slow set-up (opening a database, running migrations) that
   * would otherwise hold up the first batch past the group's timeouts. A throw fails the start.
   */
  onStart?(ctx: StartContext): Promise<void> | void;
  /** Runs once when a started instance stops or fails, after its last commit; errors are logged. */
  onStop?(ctx: LifecycleContext): Promise<void> | void;
  readonly retry?: Partial<RetryPolicy>;
  /** Records per poll, which bounds the records in flight (and so memory). Default 500. */
  readonly maxPollRecords?: number;
  /** Where a group with no committed offset starts. Default `earliest`: a new service bootstraps from history. */
  readonly startFrom?: 'earliest' | 'latest';
  readonly commands?: Readonly<Record<string, CommandHandler>>;
  /** Per-queue jobs (see JobHandlers); start/stop for the instance's own queue are unchanged. */
  readonly jobs?: JobHandlers;
  /** Keyed state stores, restored from their compacted changelogs when partitions are assigned. */
  readonly stores?: Readonly<Record<string, StoreSpec>>;
  /** Compacted products kept as local tables; the service starts once they are loaded. */
  readonly tables?: Readonly<Record<string, JsonProduct>>;
  /**
   * A source (the loader, a replay): consumes no topic (`consumes: []`, `handle` never
   * called) and brings data in through this function instead, which runs until `ctx.signal`
   * aborts or it returns (a finished backfill: the service then reports `finished` and stops).
   * Control-plane commands reach it through `commands` as for any service.
   */
  source?(ctx: SourceContext): Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Checks a service definition and returns it typed; errors name the field and how to fix it. */
export function defineService<const C extends readonly Product[]>(
  definition: ServiceDefinition<C>,
): ServiceDefinition<C> {
  const fail = (what: string): never => {
    throw new Error(`Service ${JSON.stringify(definition.name)}: ${what}`);
  };
  if (!NAME.test(definition.name))
    fail('the name must be lower-case letters, digits and dashes, starting with a letter');
  if (definition.consumes.length === 0 && !definition.source)
    fail('consumes no product; a service reads at least one topic, or is a source (define `source`)');
  if (definition.consumes.length > 0 && !definition.handle) fail('consumes topics but has no handle()');
  if (definition.source && definition.afterBatch)
    fail('is a source and has afterBatch(); a source has no batches');
  if (definition.consumes.length > 0 && definition.source)
    fail('is a source and consumes topics; a source reads from outside only (split it in two services)');
  const topics = definition.consumes.map((p) => p.topic);
  if (new Set(topics).size !== topics.length) fail(`consumes a topic twice: ${topics.join(', ')}`);
  if (
    definition.maxPollRecords !== undefined &&
    !(Number.isInteger(definition.maxPollRecords) && definition.maxPollRecords > 0)
  )
    fail('maxPollRecords must be a positive integer');
  for (const [name, product] of Object.entries(definition.tables ?? {}))
    if (product.cleanup.policy !== 'compact')
      fail(`table ${name}: ${product.topic} is not a compacted product`);
  if (definition.jobs && !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(definition.jobs.queuePrefix))
    fail('jobs.queuePrefix must be a queue id prefix (letters, digits, ".", "_", ":", "-"), not a pattern');
  const reserved = ['ping', 'start', 'stop', 'pause', 'resume'];
  for (const name of Object.keys(definition.commands ?? {}))
    if (reserved.includes(name)) fail(`command ${name} is handled by the runtime and cannot be redefined`);
  return definition;
}
