// The closed set of observability error codes (metrics, health server, ports), in the bus's shape.

export const ObservabilityErrorCodes = {
  /** The metrics/health port is taken by another process (choose another port, or 0). */
  PORT_IN_USE: 'PORT_IN_USE',
  /** The server could not listen for another reason (no such address, no permission); see `cause`. */
  LISTEN_FAILED: 'LISTEN_FAILED',
  /** A metric value or option that cannot be right: NaN, negative counts, an unknown state. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A metric name is already registered with another type by code outside this module. */
  METRIC_CONFLICT: 'METRIC_CONFLICT',
} as const;

export type ObservabilityErrorCode = (typeof ObservabilityErrorCodes)[keyof typeof ObservabilityErrorCodes];

export interface ObservabilityErrorOptions {
  readonly cause?: unknown;
  /** What the caller can do about it, appended to the message. */
  readonly hint?: string;
}

export class ObservabilityError extends Error {
  readonly code: ObservabilityErrorCode;

  constructor(code: ObservabilityErrorCode, message: string, options: ObservabilityErrorOptions = {}) {
    super(options.hint ? `${message} (${options.hint})` : message, { cause: options.cause });
    this.name = 'ObservabilityError';
    this.code = code;
  }
}

export function isObservabilityError(
  error: unknown,
  code?: ObservabilityErrorCode,
): error is ObservabilityError {
  return error instanceof ObservabilityError && (code === undefined || error.code === code);
}
