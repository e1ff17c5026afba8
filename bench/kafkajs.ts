// KafkaJS, the most used pure-JavaScript Kafka client, measured with batching settings that suit it.

import kafkajs, { type Kafka as KafkaClient, type Message } from 'kafkajs';
import { valuePool } from './payload.ts';
import { type Figure, figure } from './types.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;

/**
 * Arrays of up to `chunk` messages (and `chunkBytes` of values: KafkaJS puts one send in one
 * record batch, which must stay under the broker's 1 MB message.max.bytes) per
 * `producer.send`, `concurrent` sends at a time, acks -1, no compression. Not idempotent:
 * KafkaJS's idempotent mode forces one request in flight, which would slow it down.
 */
export const KAFKAJS_PRODUCE = { chunk: 5_000, chunkBytes: 768 * 1024, concurrent: 4 } as const;

export const kafkajsChunk = (recordSize: number): number =>
  Math.max(1, Math.min(KAFKAJS_PRODUCE.chunk, Math.floor(KAFKAJS_PRODUCE.chunkBytes / recordSize)));
/** 4 MiB per partition per fetch, as the StreamForge consumer asks for. */
export const KAFKAJS_CONSUME = { maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 } as const;

export function kafkajsClient(bootstrap: string): KafkaClient {
  return new Kafka({ clientId: 'kafkajs-bench', brokers: [bootstrap], logLevel: logLevel.ERROR });
}

export async function kafkajsProduce(
  kafka: KafkaClient,
  topic: string,
  records: number,
  recordSize: number,
): Promise<Figure> {
  const values = valuePool(recordSize);
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const start = performance.now();
  try {
    const chunk = kafkajsChunk(recordSize);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < records) {
        const from = next;
        const n = Math.min(chunk, records - from);
        next += n;
        const messages: Message[] = new Array<Message>(n);
        for (let i = 0; i < n; i++) messages[i] = { key: null, value: values[(from + i) % values.length]! };
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all(Array.from({ length: KAFKAJS_PRODUCE.concurrent }, worker));
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - start) / 1000;
  return figure(
    records,
    records * recordSize,
    seconds,
    `producer.send of ${kafkajsChunk(recordSize)} messages, ${KAFKAJS_PRODUCE.concurrent} concurrent; acks -1, not idempotent (connect excluded)`,
  );
}

/** Measures from the GROUP_JOIN event until the N-th record reaches `eachBatch`. */
export async function kafkajsConsume(
  kafka: KafkaClient,
  topic: string,
  records: number,
  group: string,
): Promise<{ fetch: Figure; total: Figure }> {
  const consumer = kafka.consumer({
    groupId: group,
    maxBytesPerPartition: KAFKAJS_CONSUME.maxBytesPerPartition,
    maxBytes: KAFKAJS_CONSUME.maxBytes,
    maxWaitTimeInMs: 500,
  });
  const begin = performance.now();
  let joined = begin;
  let count = 0;
  let bytes = 0;
  let end = begin;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = performance.now();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (performance.now() - (end > begin ? end : joined) > 60_000) {
          clearInterval(timer);
          reject(new Error(`KafkaJS consumer got no record for 60 s after ${count} of ${records}`));
        }
      }, 1000);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
            count += batch.messages.length;
            end = performance.now();
            if (count >= records) {
              clearInterval(timer);
              resolve();
            }
          },
        })
        .catch((error: unknown) => {
          clearInterval(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  const note = `eachBatch, maxBytesPerPartition 4 MiB, autoCommit off`;
  return {
    fetch: figure(count, bytes, (end - joined) / 1000, `${note}; after group join`),
    total: figure(count, bytes, (end - begin) / 1000, `${note}; including connect and group join`),
  };
}
