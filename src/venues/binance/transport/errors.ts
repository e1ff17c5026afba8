// The closed set of Binance transport error codes; callers retry on `canRetry`, never on message text.

export const TransportErrorCodes = {
  /** A parameter or option is invalid (bad URL, lowercase symbol, limit Binance does not accept); nothing was sent. */
  INVALID_ARGUMENT: 'invalid-argument',
  /**
   * Binance refused the request itself: HTTP 4xx other than 429/418 (e.g. code -1121 "Invalid
   * symbol"), or an error answer to a WebSocket SUBSCRIBE/UNSUBSCRIBE. Sending it again fails again.
   */
  REJECTED: 'rejected',
  /** HTTP 429: over the request-weight limit; the client waits `retryAfterMs` before the host sees another request. */
  RATE_LIMITED: 'rate-limited',
  /** HTTP 418: the IP is banned until `bannedUntil`; nothing is sent to the host before then. */
  BANNED: 'banned',
  /** HTTP 5xx: Binance's side; a GET can be repeated. */
  SERVER_ERROR: 'server-error',
  /** No answer in time: a REST request past its fetch timeout, a SUBSCRIBE without its `{"result":null}`. */
  TIMEOUT: 'timeout',
  /** The host could not be reached (DNS, refused, reset, TLS), or the connection dropped before answering. */
  UNREACHABLE: 'unreachable',
  /** A 2xx answer whose body is not the JSON shape the endpoint documents. */
  BAD_RESPONSE: 'bad-response',
  /** The client was closed; queued and later calls fail with this. */
  CLOSED: 'closed',
} as const;
export type TransportErrorCode = (typeof TransportErrorCodes)[keyof typeof TransportErrorCodes];

const retriable: ReadonlySet<TransportErrorCode> = new Set<TransportErrorCode>([
  TransportErrorCodes.RATE_LIMITED,
  TransportErrorCodes.SERVER_ERROR,
  TransportErrorCodes.TIMEOUT,
  TransportErrorCodes.UNREACHABLE,
]);

export interface TransportErrorDetails {
  /** REST path (`/api/v3/depth`) or WebSocket URL the error is about. */
  readonly endpoint?: string;
  readonly symbol?: string;
  readonly status?: number;
  /** Binance's own error code from the body (`-1121`), when it sent one. */
  readonly binanceCode?: number;
  /** How long the client waits before the host sees another request (429). */
  readonly retryAfterMs?: number;
  /** End of an IP ban (418), ms since the epoch. */
  readonly bannedUntil?: number;
  readonly cause?: unknown;
}

/** A failure talking to Binance, naming the endpoint and symbol it concerns. */
export class BinanceTransportError extends Error {
  readonly code: TransportErrorCode;
  /** The message without the endpoint and symbol in front. */
  readonly reason: string;
  /** Repeating the same call later may succeed. */
  readonly canRetry: boolean;
  readonly endpoint: string | undefined;
  readonly symbol: string | undefined;
  readonly status: number | undefined;
  readonly binanceCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly bannedUntil: number | undefined;

  constructor(code: TransportErrorCode, message: string, details: TransportErrorDetails = {}) {
    const where = [details.endpoint, details.symbol && `symbol ${details.symbol}`].filter(Boolean).join(' ');
    super(where ? `${where}: ${message}` : message, { cause: details.cause });
    this.name = 'BinanceTransportError';
    this.code = code;
    this.reason = message;
    this.canRetry = retriable.has(code);
    this.endpoint = details.endpoint;
    this.symbol = details.symbol;
    this.status = details.status;
    this.binanceCode = details.binanceCode;
    this.retryAfterMs = details.retryAfterMs;
    this.bannedUntil = details.bannedUntil;
  }
}

export function isTransportError(error: unknown, code?: TransportErrorCode): error is BinanceTransportError {
  return error instanceof BinanceTransportError && (code === undefined || error.code === code);
}

/** Text for a marker or log line from anything thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
