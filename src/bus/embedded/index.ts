// Opens the embedded bus: a durable log in a local directory, shared (refcounted) by every Bus
// opened on the same directory in this process.

import fs from 'node:fs';
import path from 'node:path';
import { BusError, BusErrorCodes } from '../errors.ts';
import {
  type Admin,
  type Bus,
  BusKinds,
  type Consumer,
  type ConsumerOptions,
  type Producer,
  type ProducerOptions,
} from '../types.ts';
import { EmbeddedAdmin } from './admin.ts';
import { EmbeddedConsumer } from './consumer.ts';
import { EmbeddedLog } from './embedded-log.ts';
import { parseEmbeddedOptions } from './options.ts';
import { EmbeddedProducer } from './producer.ts';

interface Shared {
  readonly log: EmbeddedLog;
  refs: number;
}

const open = new Map<string, Shared>();

interface Closable {
  close(): Promise<void>;
}

class EmbeddedBus implements Bus {
  readonly kind = BusKinds.EMBEDDED;
  readonly uri: string;
  readonly #key: string;
  readonly #shared: Shared;
  readonly #clients = new Set<Closable>();
  #closed = false;

  constructor(key: string, shared: Shared) {
    this.uri = `embedded:${shared.log.dir}`;
    this.#key = key;
    this.#shared = shared;
  }

  producer(options: ProducerOptions = {}): Producer {
    return this.#track((done) => new EmbeddedProducer(this.#log(), options, done));
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    return this.#track((done) => new EmbeddedConsumer(this.#log(), options, done));
  }

  admin(): Admin {
    return this.#track((done) => new EmbeddedAdmin(this.#log(), done));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    for (const client of [...this.#clients]) await client.close().catch((e: unknown) => errors.push(e));
    this.#shared.refs--;
    if (this.#shared.refs === 0) {
      open.delete(this.#key);
      await this.#shared.log.close();
    }
    if (errors.length > 0) throw errors[0];
  }

  #log(): EmbeddedLog {
    if (this.#closed) throw new BusError(BusErrorCodes.CLOSED, `The bus ${this.uri} is closed`);
    return this.#shared.log;
  }

  #track<T extends Closable>(make: (done: () => void) => T): T {
    let client: T | null = null;
    client = make(() => {
      if (client) this.#clients.delete(client);
    });
    this.#clients.add(client);
    return client;
  }
}

/**
 * Opens (or joins, if this process already has it open) the embedded log in `dir`. Options come
 * from the bus URI's query string: fsync=always|interval|never, fsyncIntervalMs, cleanerIntervalMs.
 * A second open of the same directory shares the first one's log and options.
 */
export async function openEmbeddedBus(dir: string, options: Readonly<Record<string, string>>): Promise<Bus> {
  const parsed = parseEmbeddedOptions(options);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new BusError(BusErrorCodes.UNREACHABLE, `Cannot create the embedded log directory ${dir}`, {
      cause: error,
    });
  }
  const key = fs.realpathSync(path.resolve(dir));
  let shared = open.get(key);
  if (!shared) {
    shared = { log: EmbeddedLog.open(key, parsed), refs: 0 };
    open.set(key, shared);
  }
  shared.refs++;
  return new EmbeddedBus(key, shared);
}
