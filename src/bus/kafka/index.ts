// The Kafka backend of the bus: producers, consumers and admins on @platformatic/kafka.

import { BusError, BusErrorCodes } from '../errors.ts';
import {
  type Admin,
  type Bus,
  type Consumer,
  type ConsumerOptions,
  type Producer,
  type ProducerOptions,
} from '../types.ts';
import { KafkaAdmin } from './admin.ts';
import { clientConfig, type KafkaClientConfig } from './client-config.ts';
import { ensureZstdDecompression } from './compression.ts';
import { KafkaConsumer } from './consumer.ts';
import { KafkaProducer } from './producer.ts';

interface Closable {
  close(): Promise<void>;
}

class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly uri: string;
  readonly #config: KafkaClientConfig;
  readonly #open = new Set<Closable>();
  #closed = false;

  constructor(config: KafkaClientConfig) {
    this.#config = config;
    this.uri = `kafka://${config.bootstrapBrokers.join(',')}`;
  }

  producer(options: ProducerOptions = {}): Producer {
    return this.#track((done) => new KafkaProducer(this.#config, options, done));
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    return this.#track((done) => new KafkaConsumer(this.#config, options, done));
  }

  admin(): Admin {
    return this.#track((done) => new KafkaAdmin(this.#config, done));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#open].map((c) => c.close()));
  }

  #track<T extends Closable>(make: (onClose: () => void) => T): T {
    if (this.#closed) throw new BusError(BusErrorCodes.CLOSED, `The bus ${this.uri} is closed`);
    // The callback runs from close(), after construction, so `client` is assigned by then.
    const client: T = make(() => this.#open.delete(client));
    this.#open.add(client);
    return client;
  }
}

/** Opens the Kafka bus and checks that a broker answers, so a wrong address fails here. */
ensureZstdDecompression();

export async function openKafkaBus(
  brokers: readonly string[],
  options: Readonly<Record<string, string>>,
): Promise<Bus> {
  let config: KafkaClientConfig;
  try {
    config = clientConfig(brokers, options);
  } catch (error) {
    throw new BusError(BusErrorCodes.INVALID_CONFIG, (error as Error).message);
  }
  const probe = new KafkaAdmin({ ...config, retries: 1 }, () => undefined);
  try {
    await probe.ping();
  } finally {
    await probe.close();
  }
  return new KafkaBus(config);
}
