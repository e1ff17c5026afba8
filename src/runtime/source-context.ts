// The SourceContext a source service gets: records emitted from outside events, sent in order in background batches.

import { type ProduceRecord } from '../bus/types.ts';
import {
  type BytesProduct,
  encodeBytes,
  type JsonProduct,
  type ProducerIdentity,
} from '../contracts/index.ts';
import { emitRecord } from './emit.ts';
import { type EmitOptions, type SourceContext } from './service.ts';

/** Bytes emitted but not yet acknowledged beyond which the bus is too slow to keep up: the source fails. */
export const MAX_PENDING_BYTES = 256 * 1024 * 1024;

export interface SourceSink {
  readonly identity: ProducerIdentity;
  readonly signal: AbortSignal;
  /** Sends a batch (with the runner's retries); rejects when it cannot be sent. */
  send(records: readonly ProduceRecord[]): Promise<void>;
  progress(loaded: number, total?: number): void;
  /** The bus failed to take what was emitted: the instance fails (its supervisor restarts it). */
  failed(error: unknown): void;
}

/**
 * Emits are collected for the rest of the current turn of the event loop and sent as one
 * batch; batches go one after another, never side by side, so a retried batch cannot land
 * after a later one (a raw frame's order on its partition is its receive order).
 */
export class SourceEmitter implements SourceContext {
  readonly #sink: SourceSink;
  #batch: ProduceRecord[] = [];
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #error: unknown = null;
  #sent = 0;

  constructor(sink: SourceSink) {
    this.#sink = sink;
  }

  get service(): string {
    return this.#sink.identity.service;
  }

  get instance(): string {
    return this.#sink.identity.instance;
  }

  get signal(): AbortSignal {
    return this.#sink.signal;
  }

  /** Records acknowledged by the bus so far. */
  get sent(): number {
    return this.#sent;
  }

  emit<T>(product: JsonProduct<T>, value: T, options?: EmitOptions): void {
    this.#push(emitRecord(product, value, this.#sink.identity, options));
  }

  emitBytes(
    product: BytesProduct,
    value: Buffer | string,
    key: string,
    headers: Readonly<Record<string, string>>,
  ): void {
    this.#push(encodeBytes(product, value, key, headers, this.#sink.identity));
  }

  async flush(): Promise<void> {
    if (this.#batch.length > 0) this.#sendBatch();
    await this.#chain;
    if (this.#error !== null) throw this.#error;
  }

  progress(loaded: number, total?: number): void {
    this.#sink.progress(loaded, total);
  }

  #push(record: ProduceRecord): void {
    if (this.#error !== null) throw this.#error;
    this.#batch.push(record);
    this.#pendingBytes += record.value?.length ?? 0;
    if (this.#pendingBytes > MAX_PENDING_BYTES) {
      const error = new Error(
        `${this.#pendingBytes} bytes emitted and not yet acknowledged (limit ${MAX_PENDING_BYTES}): ` +
          'the bus does not keep up with the source; check the broker and the network',
      );
      this.#fail(error);
      throw error;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#sendBatch());
    }
  }

  #sendBatch(): void {
    this.#scheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const bytes = batch.reduce((n, r) => n + (r.value?.length ?? 0), 0);
    this.#chain = this.#chain.then(async () => {
      if (this.#error !== null) return;
      try {
        await this.#sink.send(batch);
        this.#pendingBytes -= bytes;
        this.#sent += batch.length;
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  #fail(error: unknown): void {
    if (this.#error !== null) return;
    this.#error = error;
    this.#sink.failed(error);
  }
}
