// One store's state for one partition: a Map in memory whose every write is also queued for the changelog.

import { StateError, StateErrorCodes } from './errors.ts';
import { type Serde } from './serde.ts';

/** Keyed state of one store for one partition, as the handler sees it. */
export interface KeyValueStore<V> {
  readonly name: string;
  readonly partition: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** Applies at once; the write reaches the changelog with the outputs of the current batch. */
  put(key: string, value: V): void;
  /** Returns whether the key was there; a delete is written to the changelog as a tombstone either way. */
  delete(key: string): boolean;
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

/** Where a store's writes go: the changelog queue of its partition (`null` is a delete). */
export type WriteSink = (key: string, bytes: Buffer | null) => void;

export class PartitionStore<V> implements KeyValueStore<V> {
  readonly name: string;
  readonly partition: number;
  readonly #serde: Serde<V>;
  readonly #sink: WriteSink;
  readonly #map = new Map<string, V>();
  #detached = false;

  constructor(name: string, partition: number, serde: Serde<V>, sink: WriteSink) {
    this.name = name;
    this.partition = partition;
    this.#serde = serde;
    this.#sink = sink;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  put(key: string, value: V): void {
    this.#checkAttached();
    checkKey(this.name, key);
    let bytes: Buffer;
    try {
      bytes = this.#serde.serialize(value);
    } catch (error) {
      throw new StateError(
        StateErrorCodes.INVALID_VALUE,
        `store ${this.name}, key ${JSON.stringify(key)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    // The copy that a restore would produce, so live and restored state cannot differ.
    this.#map.set(key, this.#serde.deserialize(bytes));
    this.#sink(key, bytes);
  }

  delete(key: string): boolean {
    this.#checkAttached();
    checkKey(this.name, key);
    this.#sink(key, null);
    return this.#map.delete(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.#map.entries();
  }

  /**
   * Called when the partition is revoked: a handler that still holds this store must not write
   * state that now belongs to another instance.
   */
  detach(): void {
    this.#detached = true;
  }

  #checkAttached(): void {
    if (this.#detached) {
      throw new StateError(
        StateErrorCodes.NOT_ASSIGNED,
        `store ${this.name} partition ${this.partition} was revoked from this instance; its state now lives elsewhere`,
        { hint: 'get the store from the StateManager per record instead of keeping it' },
      );
    }
  }

  /** Applies one changelog record while restoring: no new changelog write. */
  restore(key: string, bytes: Buffer | null): void {
    if (bytes === null) this.#map.delete(key);
    else this.#map.set(key, this.#serde.deserialize(bytes));
  }
}

function checkKey(store: string, key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StateError(
      StateErrorCodes.INVALID_ARGUMENT,
      `store ${store}: keys are non-empty strings, got ${key === '' ? 'an empty string' : typeof key}`,
      { hint: 'a changelog record needs a key for compaction to keep its latest value' },
    );
  }
}
