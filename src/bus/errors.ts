// The closed set of bus error codes; callers decide on retries from flags, never from message text.

export const BusErrorCodes = {
  /** The topic does not exist (create it, e.g. `streamforge topics create`). */
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC',
  TOPIC_EXISTS: 'TOPIC_EXISTS',
  UNKNOWN_GROUP: 'UNKNOWN_GROUP',
  /** The operation needs a group with no active members (e.g. an offset reset). */
  GROUP_NOT_EMPTY: 'GROUP_NOT_EMPTY',
  /** The group is rebalancing; the member must rejoin before it can commit. */
  REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
  /** The partition is not assigned to this consumer. */
  NOT_ASSIGNED: 'NOT_ASSIGNED',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** The broker (or the embedded log's directory) cannot be reached. */
  UNREACHABLE: 'UNREACHABLE',
  TIMEOUT: 'TIMEOUT',
  /** The client, producer or consumer was closed. */
  CLOSED: 'CLOSED',
  /** Stored data failed its checksum somewhere recovery cannot repair. */
  CORRUPT: 'CORRUPT',
  /** Another process holds the embedded log. */
  LOCKED: 'LOCKED',
  UNSUPPORTED: 'UNSUPPORTED',
  /** Anything the backend reported that has no code above; see `cause`. */
  BACKEND: 'BACKEND',
} as const;

export type BusErrorCode = (typeof BusErrorCodes)[keyof typeof BusErrorCodes];

const retriable: ReadonlySet<BusErrorCode> = new Set([
  BusErrorCodes.UNREACHABLE,
  BusErrorCodes.TIMEOUT,
  BusErrorCodes.REBALANCE_IN_PROGRESS,
]);

export interface BusErrorOptions {
  readonly cause?: unknown;
  readonly canRetry?: boolean;
  /** What the caller can do about it, appended to the message. */
  readonly hint?: string;
}

export class BusError extends Error {
  readonly code: BusErrorCode;
  /** Retrying the same operation later may succeed. */
  readonly canRetry: boolean;

  constructor(code: BusErrorCode, message: string, options: BusErrorOptions = {}) {
    super(options.hint ? `${message} (${options.hint})` : message, { cause: options.cause });
    this.name = 'BusError';
    this.code = code;
    this.canRetry = options.canRetry ?? retriable.has(code);
  }
}

export function isBusError(error: unknown, code?: BusErrorCode): error is BusError {
  return error instanceof BusError && (code === undefined || error.code === code);
}
