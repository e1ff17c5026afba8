// Dead-letter topics: `<topic>.dlq` derived for every product, and the record that goes there.

import { type BusRecord, type ProduceRecord } from '../bus/types.ts';
import { type ProducerIdentity } from './encode.ts';
import {
  type BytesProduct,
  DAY_MS,
  DEFAULT_MAX_VALUE_BYTES,
  type HeaderSpec,
  type Product,
} from './product.ts';

export const DeadLetterHeaders = {
  /** Error code (ContractErrorCode, or a service's own) that sent the record here. */
  CODE: 'sf-dlq-code',
  /** Human-readable reason, e.g. the ContractError message with the failing path. */
  REASON: 'sf-dlq-reason',
  TOPIC: 'sf-dlq-topic',
  PARTITION: 'sf-dlq-partition',
  OFFSET: 'sf-dlq-offset',
  /** How many times processing was tried (1 for a record that failed validation). */
  ATTEMPTS: 'sf-dlq-attempts',
  /** Service and instance that gave up on the record. */
  SERVICE: 'sf-dlq-service',
  INSTANCE: 'sf-dlq-instance',
  /** When it was dead-lettered, integer ms since the epoch. */
  TIME: 'sf-dlq-time',
} as const;

export const DLQ_SUFFIX = '.dlq';

const headerSpecs: readonly HeaderSpec[] = [
  { name: DeadLetterHeaders.CODE, meaning: 'error code', format: 'text', required: true },
  { name: DeadLetterHeaders.REASON, meaning: 'why it failed', format: 'text', required: true },
  { name: DeadLetterHeaders.TOPIC, meaning: 'original topic', format: 'text', required: true },
  { name: DeadLetterHeaders.PARTITION, meaning: 'original partition', format: 'int', required: true },
  { name: DeadLetterHeaders.OFFSET, meaning: 'original offset', format: 'int', required: true },
  { name: DeadLetterHeaders.ATTEMPTS, meaning: 'processing attempts made', format: 'int', required: true },
  { name: DeadLetterHeaders.SERVICE, meaning: 'service that gave up', format: 'text', required: true },
  { name: DeadLetterHeaders.INSTANCE, meaning: 'instance that gave up', format: 'text', required: true },
  { name: DeadLetterHeaders.TIME, meaning: 'when, ms since the epoch', format: 'int', required: true },
];

/** The dead-letter product of `product`: same owner, original bytes, the failure in headers. */
export function deadLetterProduct(product: Product): BytesProduct {
  const topic = `${product.topic}${DLQ_SUFFIX}`;
  return {
    topic,
    declaration: `${product.declaration}${DLQ_SUFFIX}`,
    deadLetterOf: product.topic,
    owner: product.owner,
    description:
      `Records of ${product.topic} that failed validation or processing after retries, byte for byte, with the ` +
      'reason and the original topic/partition/offset in headers; nothing is dropped silently. One partition ' +
      'keeps failures in the order they happened (they are rare); kept 14 days to fix the cause and replay.',
    key: { name: product.key.name, meaning: 'the original record key, unchanged' },
    partitions: 1,
    cleanup: { policy: 'delete', retentionMs: 14 * DAY_MS },
    // A dead letter is the original value plus headers, so it needs the original's room.
    maxValueBytes: Math.max(product.maxValueBytes, DEFAULT_MAX_VALUE_BYTES),
    value: {
      format: 'bytes',
      meaning: `the value of the failed ${product.topic} record exactly as it was on the log`,
      headers: headerSpecs,
      example: {
        key: 'binance:BTCUSDT',
        value: '{"exchange":"binance","symbol":"BTCUSDT","price":"6.1e4"}',
        headers: {
          [DeadLetterHeaders.CODE]: 'SCHEMA_VIOLATION',
          [DeadLetterHeaders.REASON]: `${product.topic}[3]@1234: value breaks the schema at /price`,
          [DeadLetterHeaders.TOPIC]: product.topic,
          [DeadLetterHeaders.PARTITION]: '3',
          [DeadLetterHeaders.OFFSET]: '1234',
          [DeadLetterHeaders.ATTEMPTS]: '1',
          [DeadLetterHeaders.SERVICE]: 'writer',
          [DeadLetterHeaders.INSTANCE]: 'writer-0',
          [DeadLetterHeaders.TIME]: '1723161260000',
        },
      },
    },
  };
}

export interface Failure {
  readonly code: string;
  readonly reason: string;
  readonly attempts: number;
}

/**
 * The record to send to `<record.topic>.dlq`: original key, value and headers (so a replay can
 * decode it as before), plus the failure. Headers of an earlier dead-lettering are replaced.
 */
export function toDeadLetter(
  record: BusRecord,
  failure: Failure,
  by: ProducerIdentity,
  now: number = Date.now(),
): ProduceRecord {
  const headers: Record<string, Buffer | string> = {};
  const dlqNames = new Set<string>(Object.values(DeadLetterHeaders));
  for (const [name, value] of Object.entries(record.headers)) if (!dlqNames.has(name)) headers[name] = value;
  Object.assign(headers, {
    [DeadLetterHeaders.CODE]: failure.code,
    // Header values have no hard limit, but a multi-megabyte reason helps nobody.
    [DeadLetterHeaders.REASON]: failure.reason.slice(0, 4096),
    [DeadLetterHeaders.TOPIC]: record.topic,
    [DeadLetterHeaders.PARTITION]: String(record.partition),
    [DeadLetterHeaders.OFFSET]: String(record.offset),
    [DeadLetterHeaders.ATTEMPTS]: String(failure.attempts),
    [DeadLetterHeaders.SERVICE]: by.service,
    [DeadLetterHeaders.INSTANCE]: by.instance,
    [DeadLetterHeaders.TIME]: String(now),
  });
  return { topic: `${record.topic}${DLQ_SUFFIX}`, key: record.key, value: record.value, headers };
}
