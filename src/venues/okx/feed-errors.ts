// The closed set of OKX feed error codes; callers act on `code` and `canRetry`, never on message text.

export const OkxFeedErrorCodes = {
  /** A symbol, channel or option is invalid; nothing was sent. */
  INVALID_ARGUMENT: 'invalid-argument',
  /** OKX answered `{"event":"error",...}` (unknown instId: 60018, bad request: 60012, ...). Asking again fails again. */
  REJECTED: 'rejected',
  /** OKX did not answer a subscribe/unsubscribe, or a `ping`, in time; the connection is replaced. */
  TIMEOUT: 'timeout',
  /** The connection failed or dropped; the feed reconnects on its own. */
  UNREACHABLE: 'unreachable',
  /** The feed was closed. */
  CLOSED: 'closed',
} as const;
export type OkxFeedErrorCode = (typeof OkxFeedErrorCodes)[keyof typeof OkxFeedErrorCodes];

export interface OkxFeedErrorDetails {
  readonly url?: string;
  /** OKX's own code from the error event (`"60018"`), as text like OKX sends it. */
  readonly okxCode?: string;
  /** The `channel:instId` pairs the error is about. */
  readonly args?: readonly string[];
  readonly cause?: unknown;
}

export class OkxFeedError extends Error {
  readonly code: OkxFeedErrorCode;
  readonly canRetry: boolean;
  readonly url: string | undefined;
  readonly okxCode: string | undefined;
  readonly args: readonly string[];

  constructor(code: OkxFeedErrorCode, message: string, details: OkxFeedErrorDetails = {}) {
    super(details.url ? `${details.url}: ${message}` : message, { cause: details.cause });
    this.name = 'OkxFeedError';
    this.code = code;
    this.canRetry = code === OkxFeedErrorCodes.TIMEOUT || code === OkxFeedErrorCodes.UNREACHABLE;
    this.url = details.url;
    this.okxCode = details.okxCode;
    this.args = details.args ?? [];
  }
}

export function isOkxFeedError(error: unknown, code?: OkxFeedErrorCode): error is OkxFeedError {
  return error instanceof OkxFeedError && (code === undefined || error.code === code);
}
