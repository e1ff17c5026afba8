// The closed set of contract error codes: what the runtime reads to route a record to its DLQ.

export const ContractErrorCodes = {
  /** No product in the catalog has this topic (or template) name. */
  UNKNOWN_PRODUCT: 'UNKNOWN_PRODUCT',
  /** A header the codec needs (schema version, a raw-frame header) is absent. */
  MISSING_HEADER: 'MISSING_HEADER',
  /** A header is present but its text is not what the contract says (not a number, bad traceparent). */
  INVALID_HEADER: 'INVALID_HEADER',
  /** The schema version header names a version the product's history does not have. */
  UNKNOWN_VERSION: 'UNKNOWN_VERSION',
  /** The schema id header names another product's schema: the record was written to the wrong topic. */
  SCHEMA_MISMATCH: 'SCHEMA_MISMATCH',
  /** The value is not UTF-8 JSON. */
  MALFORMED_JSON: 'MALFORMED_JSON',
  /** The value is JSON but breaks the schema; the message names the failing path. */
  SCHEMA_VIOLATION: 'SCHEMA_VIOLATION',
  /** The value is larger than the product allows. */
  OVERSIZED: 'OVERSIZED',
  /** A null value (tombstone) on a product that is not compacted. */
  MISSING_VALUE: 'MISSING_VALUE',
  /** JSON codec used on a bytes product, or the other way round: a programming error. */
  WRONG_FORMAT: 'WRONG_FORMAT',
  /** The catalog itself is inconsistent (duplicate topic, example that does not validate). */
  INVALID_DECLARATION: 'INVALID_DECLARATION',
} as const;

export type ContractErrorCode = (typeof ContractErrorCodes)[keyof typeof ContractErrorCodes];

/** Where the failing record sits on the log, when the error is about a consumed record. */
export interface RecordLocation {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: number;
}

export interface ContractErrorOptions {
  readonly cause?: unknown;
  readonly location?: RecordLocation;
  /** JSON pointer of the failing value inside the record value (`/bids/0/1`), or the header name. */
  readonly path?: string;
}

export class ContractError extends Error {
  readonly code: ContractErrorCode;
  /**
   * Always false: a record that breaks its contract breaks it on every attempt, so the runtime
   * sends it to the DLQ at once instead of retrying.
   */
  readonly canRetry = false;
  readonly location: RecordLocation | undefined;
  readonly path: string | undefined;

  constructor(code: ContractErrorCode, message: string, options: ContractErrorOptions = {}) {
    super(options.location ? `${describeLocation(options.location)}: ${message}` : message, {
      cause: options.cause,
    });
    this.name = 'ContractError';
    this.code = code;
    this.location = options.location;
    this.path = options.path;
  }
}

export function isContractError(error: unknown, code?: ContractErrorCode): error is ContractError {
  return error instanceof ContractError && (code === undefined || error.code === code);
}

/** `md.trades[3]@1234`: topic, partition and offset as Kafka tools print them. */
export function describeLocation(location: RecordLocation): string {
  const partition = location.partition === undefined ? '' : `[${location.partition}]`;
  const offset = location.offset === undefined ? '' : `@${location.offset}`;
  return `${location.topic}${partition}${offset}`;
}
