// The BatchContext `afterBatch` gets: emits and store access after a whole poll's records are handled.

import { type ProduceRecord } from '../bus/types.ts';
import {
  type BytesProduct,
  encodeBytes,
  encodeTombstone,
  type JsonProduct,
  type Product,
} from '../contracts/index.ts';
import { emitRecord } from './emit.ts';
import { type ContextHost } from './record-context.ts';
import { type BatchContext, type EmitOptions, type TableView } from './service.ts';
import { type KeyValueStore } from './state/index.ts';

/**
 * Outputs go to `emitted`, which the runner sends with the batch's other outputs and state
 * changes before it commits the batch's offsets. They start new traces: a batch's output (a
 * store checkpoint, a throttled snapshot, a database write) has no single input it continues.
 */
export class BatchEmitter implements BatchContext {
  readonly #host: ContextHost;
  readonly #emitted: ProduceRecord[];
  readonly partitions: readonly number[];
  readonly records: number;

  constructor(host: ContextHost, emitted: ProduceRecord[], partitions: readonly number[], records: number) {
    this.#host = host;
    this.#emitted = emitted;
    this.partitions = partitions;
    this.records = records;
  }

  get service(): string {
    return this.#host.identity.service;
  }

  get instance(): string {
    return this.#host.identity.instance;
  }

  get signal(): AbortSignal {
    return this.#host.signal;
  }

  emit<T>(product: JsonProduct<T>, value: T, options?: EmitOptions): void {
    this.#emitted.push(emitRecord(product, value, this.#host.identity, options));
  }

  emitBytes(
    product: BytesProduct,
    value: Buffer | string,
    key: string,
    headers: Readonly<Record<string, string>>,
  ): void {
    this.#emitted.push(encodeBytes(product, value, key, headers, this.#host.identity));
  }

  emitTombstone(product: Product, key: string): void {
    this.#emitted.push(encodeTombstone(product, key, this.#host.identity));
  }

  store<V>(name: string, partition: number): KeyValueStore<V> {
    return this.#host.store<V>(name, partition);
  }

  table<V>(name: string): TableView<V> {
    return this.#host.table<V>(name);
  }
}
