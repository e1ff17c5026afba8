// Turns a typed value into a ProduceRecord: validated against the current schema, with the standard headers.

import { type ProduceRecord } from '../bus/types.ts';
import { ContractError, ContractErrorCodes } from './errors.ts';
import { HeaderNames, isIntText } from './headers.ts';
import { type BytesProduct, currentVersion, type JsonProduct, type Product } from './product.ts';
import { newTraceparent, traceparentProblem } from './traceparent.ts';
import { validate } from './validator.ts';

/** Who is producing: written to every record so a consumer (or an operator) can trace it back. */
export interface ProducerIdentity {
  readonly service: string;
  readonly instance: string;
}

export interface EncodeOptions {
  /** The trace this record belongs to; a new trace is started when absent. */
  readonly traceparent?: string;
  /** Overrides the event time taken from the value (`timestamp`, `time` or `issued_at`). */
  readonly eventTime?: number;
  /** Record timestamp (CreateTime); the time of `send` when absent. */
  readonly timestamp?: number;
}

function check(condition: boolean, product: Product, message: string, path?: string): asserts condition {
  if (!condition)
    throw new ContractError(ContractErrorCodes.INVALID_HEADER, message, {
      location: { topic: product.topic },
      ...(path === undefined ? {} : { path }),
    });
}

/** The event time a value states: market events' `timestamp`, the control plane's `time`/`issued_at`. */
export function eventTimeOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  for (const field of ['timestamp', 'time', 'issued_at']) {
    const t = v[field];
    if (typeof t === 'number' && Number.isSafeInteger(t) && t >= 0) return t;
  }
  return undefined;
}

function standardHeaders(
  product: Product,
  producer: ProducerIdentity,
  eventTime: number | undefined,
  options: EncodeOptions,
): Record<string, string> {
  check(
    producer.service.length > 0,
    product,
    'the producer service name is empty',
    HeaderNames.PRODUCER_SERVICE,
  );
  check(
    producer.instance.length > 0,
    product,
    'the producer instance is empty',
    HeaderNames.PRODUCER_INSTANCE,
  );
  const traceparent = options.traceparent ?? newTraceparent();
  const problem = traceparentProblem(traceparent);
  check(problem === undefined, product, `traceparent ${problem}`, HeaderNames.TRACEPARENT);
  const headers: Record<string, string> = {
    [HeaderNames.PRODUCER_SERVICE]: producer.service,
    [HeaderNames.PRODUCER_INSTANCE]: producer.instance,
    [HeaderNames.TRACEPARENT]: traceparent,
  };
  if (eventTime !== undefined) {
    check(
      Number.isSafeInteger(eventTime) && eventTime >= 0,
      product,
      `event time ${eventTime} is not integer ms since the epoch`,
      HeaderNames.EVENT_TIME,
    );
    headers[HeaderNames.EVENT_TIME] = String(eventTime);
  }
  return headers;
}

function checkSize(product: Product, bytes: Buffer): void {
  if (bytes.length > product.maxValueBytes) {
    throw new ContractError(
      ContractErrorCodes.OVERSIZED,
      `value is ${bytes.length} bytes, the product allows ${product.maxValueBytes}`,
      { location: { topic: product.topic } },
    );
  }
}

function wrongFormat(product: Product, expected: string): ContractError {
  return new ContractError(
    ContractErrorCodes.WRONG_FORMAT,
    `product ${product.topic} has ${product.value.format} values, not ${expected}`,
    { location: { topic: product.topic } },
  );
}

/** Validates `value` against the product's current schema and builds the record to send. */
export function encode<T>(
  product: JsonProduct<T>,
  value: T,
  producer: ProducerIdentity,
  options: EncodeOptions = {},
): ProduceRecord {
  if (product.value.format !== 'json') throw wrongFormat(product, 'json');
  const current = currentVersion(product);
  const failure = validate(current.schema, value);
  if (failure) {
    throw new ContractError(
      ContractErrorCodes.SCHEMA_VIOLATION,
      `value breaks ${product.value.schemaId} v${current.version} at ${failure.path || '/'}: ${failure.message}`,
      { location: { topic: product.topic }, path: failure.path },
    );
  }
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  checkSize(product, bytes);
  // One headers object per record, filled in place: this runs for every record a service emits.
  const headers = standardHeaders(product, producer, options.eventTime ?? eventTimeOf(value), options);
  headers[HeaderNames.SCHEMA_ID] = product.value.schemaId;
  headers[HeaderNames.SCHEMA_VERSION] = versionText(current.version);
  const record: { -readonly [K in keyof ProduceRecord]: ProduceRecord[K] } = {
    topic: product.topic,
    key: product.key.of(value),
    value: bytes,
    headers,
  };
  if (options.timestamp !== undefined) record.timestamp = options.timestamp;
  return record;
}

const versionTexts: string[] = [];
function versionText(version: number): string {
  return (versionTexts[version] ??= String(version));
}

/**
 * A tombstone (null value) that deletes `key` from a compacted product; MISSING_VALUE on a
 * product that is not compacted, where a null value would mean nothing.
 */
export function encodeTombstone(
  product: Product,
  key: string,
  producer: ProducerIdentity,
  options: EncodeOptions = {},
): ProduceRecord {
  if (product.cleanup.policy !== 'compact') {
    throw new ContractError(
      ContractErrorCodes.MISSING_VALUE,
      `a tombstone deletes a key only on a compacted topic, and ${product.topic} is not compacted`,
      { location: { topic: product.topic } },
    );
  }
  return {
    topic: product.topic,
    key,
    value: null,
    headers: standardHeaders(product, producer, options.eventTime, options),
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  };
}

/**
 * Builds a record of a bytes product (a raw exchange frame, a dead letter): the value is kept
 * byte for byte; the product's own headers are checked for presence and format.
 */
export function encodeBytes(
  product: BytesProduct,
  value: Buffer | string,
  key: string,
  productHeaders: Readonly<Record<string, string>>,
  producer: ProducerIdentity,
  options: EncodeOptions = {},
): ProduceRecord {
  if (product.value.format !== 'bytes') throw wrongFormat(product, 'bytes');
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  checkSize(product, bytes);
  for (const spec of product.value.headers) {
    const text = productHeaders[spec.name];
    if (text === undefined) {
      if (!spec.required) continue;
      throw new ContractError(ContractErrorCodes.MISSING_HEADER, `header ${spec.name} is missing`, {
        location: { topic: product.topic },
        path: spec.name,
      });
    }
    check(
      spec.format === 'text' ? text.length > 0 : isIntText(text),
      product,
      `header ${spec.name} must be ${spec.format === 'int' ? 'a non-negative integer' : 'non-empty text'}`,
      spec.name,
    );
  }
  return {
    topic: product.topic,
    key,
    value: bytes,
    headers: { ...productHeaders, ...standardHeaders(product, producer, options.eventTime, options) },
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  };
}
