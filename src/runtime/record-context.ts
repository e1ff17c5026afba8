// The HandlerContext a handler gets for one record: a small object whose methods live on its prototype.

import { type ProduceRecord } from '../bus/types.ts';
import {
  type BytesProduct,
  childTraceparent,
  encodeBytes,
  encodeTombstone,
  type JsonProduct,
  type Product,
  type ProducerIdentity,
} from '../contracts/index.ts';
import { emitRecord } from './emit.ts';
import { type EmitOptions, type HandlerContext, type Input, type TableView } from './service.ts';
import { type KeyValueStore } from './state/index.ts';

/** What a record's context needs from the instance running it; one per instance. */
export interface ContextHost {
  readonly identity: ProducerIdentity;
  readonly signal: AbortSignal;
  store<V>(name: string, partition: number): KeyValueStore<V>;
  table<V>(name: string): TableView<V>;
  progress(loaded: number, total?: number): void;
}

/**
 * One per handled record (a class rather than an object of closures: a service handles
 * thousands of records a second, and closures cost an allocation and a name each). Outputs go
 * to `emitted`, which the runner sends before committing the input.
 */
export class RecordContext implements HandlerContext {
  readonly #host: ContextHost;
  readonly #input: Input;
  readonly #emitted: ProduceRecord[];
  /** Made on the first emit only: a handler that emits nothing (a sink, a filter) costs no span id. */
  #traceparent: string | undefined;

  constructor(host: ContextHost, input: Input, emitted: ProduceRecord[]) {
    this.#host = host;
    this.#input = input;
    this.#emitted = emitted;
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

  /** Every output continues the trace of the input that caused it (a new trace when it had none). */
  #trace(): string {
    return (this.#traceparent ??= childTraceparent(this.#input.meta.trace));
  }

  emit<T>(product: JsonProduct<T>, value: T, options?: EmitOptions): void {
    this.#emitted.push(emitRecord(product, value, this.#host.identity, options, this.#trace()));
  }

  emitBytes(
    product: BytesProduct,
    value: Buffer | string,
    key: string,
    headers: Readonly<Record<string, string>>,
  ): void {
    this.#emitted.push(
      encodeBytes(product, value, key, headers, this.#host.identity, { traceparent: this.#trace() }),
    );
  }

  emitTombstone(product: Product, key: string): void {
    this.#emitted.push(encodeTombstone(product, key, this.#host.identity, { traceparent: this.#trace() }));
  }

  store<V>(name: string): KeyValueStore<V> {
    return this.#host.store<V>(name, this.#input.record.partition);
  }

  table<V>(name: string): TableView<V> {
    return this.#host.table<V>(name);
  }

  progress(loaded: number, total?: number): void {
    this.#host.progress(loaded, total);
  }
}
