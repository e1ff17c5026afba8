// Turns a consumed BusRecord back into a typed value, or a classified ContractError for the DLQ.

import { type BusRecord, type Headers } from '../bus/types.ts';
import { ContractError, ContractErrorCodes, type RecordLocation } from './errors.ts';
import { HeaderNames, headerInt, headerText, parseIntHeader, requiredHeaderText } from './headers.ts';
import { type BytesProduct, type JsonProduct, type Product } from './product.ts';
import { parseTraceparent, type TraceContext } from './traceparent.ts';
import { validate } from './validator.ts';

/** What the standard headers say about a record. */
export interface RecordMeta {
  readonly producer: { readonly service: string; readonly instance: string } | undefined;
  /**
   * The record's trace, or undefined when absent or invalid: the W3C spec says to start a new
   * trace then, so a bad traceparent never costs a record.
   */
  readonly trace: TraceContext | undefined;
  readonly eventTime: number | undefined;
}

export interface Decoded<T> extends RecordMeta {
  readonly value: T;
  /** The schema version the record was written with (it validated against that version). */
  readonly version: number;
}

export interface DecodedBytes extends RecordMeta {
  readonly value: Buffer;
  /** The product's own headers (raw frame receive time, connection, ...) as text. */
  readonly headers: Readonly<Record<string, string>>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function locate(record: BusRecord): RecordLocation {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}

function readMeta(headers: Headers, location: RecordLocation): RecordMeta {
  const service = headerText(headers, HeaderNames.PRODUCER_SERVICE);
  const instance = headerText(headers, HeaderNames.PRODUCER_INSTANCE);
  const traceparent = headerText(headers, HeaderNames.TRACEPARENT);
  return {
    producer: service === undefined ? undefined : { service, instance: instance ?? '' },
    trace: traceparent === undefined ? undefined : parseTraceparent(traceparent),
    eventTime: headerInt(headers, HeaderNames.EVENT_TIME, location),
  };
}

function checkValue(product: Product, record: BusRecord, location: RecordLocation): Buffer {
  if (record.value === null) {
    throw new ContractError(
      ContractErrorCodes.MISSING_VALUE,
      product.cleanup.policy === 'compact'
        ? 'the value is null (a tombstone): use decodeCompacted for a compacted product'
        : `the value is null, and ${product.topic} is not compacted, so a tombstone means nothing here`,
      { location },
    );
  }
  if (record.value.length > product.maxValueBytes) {
    throw new ContractError(
      ContractErrorCodes.OVERSIZED,
      `value is ${record.value.length} bytes, the product allows ${product.maxValueBytes}`,
      { location },
    );
  }
  return record.value;
}

function wrongFormat(product: Product, location: RecordLocation, expected: string): ContractError {
  return new ContractError(
    ContractErrorCodes.WRONG_FORMAT,
    `product ${product.topic} has ${product.value.format} values, not ${expected}`,
    { location },
  );
}

/**
 * Decodes a record of a JSON product: checks the schema id, reads the schema version from the
 * headers, parses the JSON and validates it against that version. Every failure is a
 * ContractError with `canRetry: false` naming topic, partition, offset and the failing path.
 */
export function decode<T>(product: JsonProduct<T>, record: BusRecord): Decoded<T> {
  const location = locate(record);
  if (product.value.format !== 'json') throw wrongFormat(product, location, 'json');
  const bytes = checkValue(product, record, location);

  const schemaId = requiredHeaderText(record.headers, HeaderNames.SCHEMA_ID, location);
  if (schemaId !== product.value.schemaId) {
    throw new ContractError(
      ContractErrorCodes.SCHEMA_MISMATCH,
      `header ${HeaderNames.SCHEMA_ID} is ${JSON.stringify(schemaId.slice(0, 128))}, this topic holds ${product.value.schemaId}`,
      { location, path: HeaderNames.SCHEMA_ID },
    );
  }
  const versionText = requiredHeaderText(record.headers, HeaderNames.SCHEMA_VERSION, location);
  const version = parseIntHeader(versionText, HeaderNames.SCHEMA_VERSION, location);
  const schema = product.value.versions[version - 1];
  if (!schema) {
    throw new ContractError(
      ContractErrorCodes.UNKNOWN_VERSION,
      `schema version ${version} of ${product.value.schemaId} is unknown here (known: ` +
        `${product.value.versions.map((v) => v.version).join(', ')}); upgrade this consumer before producers`,
      { location, path: HeaderNames.SCHEMA_VERSION },
    );
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    throw new ContractError(
      ContractErrorCodes.MALFORMED_JSON,
      `value is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`,
      { location, cause: error },
    );
  }
  const failure = validate(schema.schema, parsed);
  if (failure) {
    throw new ContractError(
      ContractErrorCodes.SCHEMA_VIOLATION,
      `value breaks ${product.value.schemaId} v${version} at ${failure.path || '/'}: ${failure.message}`,
      { location, path: failure.path },
    );
  }
  // Every older version is a subset of the current one (the compatibility test enforces it),
  // so a value valid under its own version is also a valid T.
  return { value: parsed as T, version, ...readMeta(record.headers, location) };
}

/** As `decode`, but a null value on a compacted product is returned as a deletion of the key. */
export function decodeCompacted<T>(
  product: JsonProduct<T>,
  record: BusRecord,
): Decoded<T> | (RecordMeta & { readonly value: null; readonly version: undefined }) {
  if (record.value === null && product.cleanup.policy === 'compact') {
    return { value: null, version: undefined, ...readMeta(record.headers, locate(record)) };
  }
  return decode(product, record);
}

/** Decodes a record of a bytes product: the value as is, the product's headers checked. */
export function decodeBytes(product: BytesProduct, record: BusRecord): DecodedBytes {
  const location = locate(record);
  if (product.value.format !== 'bytes') throw wrongFormat(product, location, 'bytes');
  const value = checkValue(product, record, location);
  const headers: Record<string, string> = {};
  for (const spec of product.value.headers) {
    const text = headerText(record.headers, spec.name);
    if (text === undefined || text.length === 0) {
      if (!spec.required) continue;
      throw new ContractError(ContractErrorCodes.MISSING_HEADER, `header ${spec.name} is missing`, {
        location,
        path: spec.name,
      });
    }
    if (spec.format === 'int') parseIntHeader(text, spec.name, location);
    headers[spec.name] = text;
  }
  return { value, headers, ...readMeta(record.headers, location) };
}
