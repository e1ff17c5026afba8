// The closed set of state error codes (stores, changelogs, global tables, windows), in the bus's shape.

export const StateErrorCodes = {
  /** A store, window or table option that cannot be right: a bad name, a non-integer size. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A store name that the StateManager was not given. */
  UNKNOWN_STORE: 'UNKNOWN_STORE',
  /** The state partition is not assigned to (or not yet restored by) this instance. */
  NOT_ASSIGNED: 'NOT_ASSIGNED',
  /** The input topics of a service with state differ in partition count, so a key's state would split. */
  NOT_CO_PARTITIONED: 'NOT_CO_PARTITIONED',
  /** A changelog topic exists with fewer partitions than the input, or is not compacted. */
  CHANGELOG_MISMATCH: 'CHANGELOG_MISMATCH',
  /** A changelog record cannot be read back (no key, a value the serde rejects). */
  CORRUPT_CHANGELOG: 'CORRUPT_CHANGELOG',
  /** A value the serde cannot write so that it reads back exactly (NaN, undefined, a Date, a cycle). */
  INVALID_VALUE: 'INVALID_VALUE',
  /** An event time that is not integer ms since the epoch. */
  INVALID_TIME: 'INVALID_TIME',
  /** The StateManager or GlobalTable was closed. */
  CLOSED: 'CLOSED',
} as const;

export type StateErrorCode = (typeof StateErrorCodes)[keyof typeof StateErrorCodes];

export interface StateErrorOptions {
  readonly cause?: unknown;
  /** What the caller can do about it, appended to the message. */
  readonly hint?: string;
}

export class StateError extends Error {
  readonly code: StateErrorCode;
  /**
   * Always false: every state error is a programming, configuration or data error that fails
   * the same way on every attempt; bus errors underneath keep their own flags.
   */
  readonly canRetry = false;

  constructor(code: StateErrorCode, message: string, options: StateErrorOptions = {}) {
    super(options.hint ? `${message} (${options.hint})` : message, { cause: options.cause });
    this.name = 'StateError';
    this.code = code;
  }
}

export function isStateError(error: unknown, code?: StateErrorCode): error is StateError {
  return error instanceof StateError && (code === undefined || error.code === code);
}
