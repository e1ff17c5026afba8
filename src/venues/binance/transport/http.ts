// One GET to a Binance REST host with a timeout, and the translation of its status into the transport's error codes.

import { BinanceTransportError, TransportErrorCodes } from './errors.ts';

/** A REST answer as it came off the wire. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body byte for byte. */
  readonly body: Buffer;
  /** `Date.now()` when the whole body had arrived. */
  readonly receivedAt: number;
}

export interface RequestContext {
  /** Path and query as sent, e.g. `/api/v3/depth?symbol=BTCUSDT&limit=1000`. */
  readonly endpoint: string;
  readonly symbol?: string;
}

/** GETs `url`; network failures and timeouts become `unreachable` / `timeout` errors, any HTTP status is returned. */
export async function getOnce(url: string, timeoutMs: number, context: RequestContext): Promise<HttpAnswer> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body, receivedAt: Date.now() };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new BinanceTransportError(TransportErrorCodes.TIMEOUT, `no answer within ${timeoutMs} ms`, {
        ...context,
        cause: error,
      });
    }
    // fetch reports every network failure as "fetch failed"; the useful text is in `cause`.
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause.message : (error as Error).message;
    throw new BinanceTransportError(
      TransportErrorCodes.UNREACHABLE,
      `cannot reach ${new URL(url).host}: ${detail}`,
      {
        ...context,
        cause: error,
      },
    );
  }
}

/** Seconds (or an HTTP date) from a Retry-After header, as ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Binance's `{"code":-1121,"msg":"Invalid symbol."}` from an error body, when it is one. */
export function binanceError(body: Buffer): { readonly code?: number; readonly msg?: string } {
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    if (typeof json !== 'object' || json === null) return {};
    const { code, msg } = json as { code?: unknown; msg?: unknown };
    return {
      ...(typeof code === 'number' ? { code } : {}),
      ...(typeof msg === 'string' ? { msg } : {}),
    };
  } catch {
    return {};
  }
}

// A 418 without Retry-After still names its end in the message: "IP banned until 1620286253180."
const BANNED_UNTIL = /banned until (\d{12,})/i;

// Binance documents IP bans as lasting 2 minutes to 3 days; with no end given, assume the shortest.
const MIN_BAN_MS = 2 * 60_000;

/**
 * The error for a non-2xx answer. `fallbackRetryMs` is used for a 429 without Retry-After (the rest
 * of the current weight window).
 */
export function statusError(
  answer: HttpAnswer,
  context: RequestContext,
  fallbackRetryMs: number,
): BinanceTransportError {
  const { status } = answer;
  const { code, msg } = binanceError(answer.body);
  const said = msg !== undefined ? ` (${code !== undefined ? `code ${code}: ` : ''}${msg})` : '';
  const details = { ...context, status, ...(code !== undefined ? { binanceCode: code } : {}) };
  if (status === 429) {
    const wait = retryAfterMs(answer.headers, answer.receivedAt) ?? fallbackRetryMs;
    return new BinanceTransportError(
      TransportErrorCodes.RATE_LIMITED,
      `HTTP 429, request weight limit reached${said}; no request to this host for ${wait} ms`,
      { ...details, retryAfterMs: wait },
    );
  }
  if (status === 418) {
    const fromHeader = retryAfterMs(answer.headers, answer.receivedAt);
    const fromText = msg ? BANNED_UNTIL.exec(msg)?.[1] : undefined;
    const until =
      fromHeader !== undefined
        ? answer.receivedAt + fromHeader
        : fromText !== undefined
          ? Number(fromText)
          : answer.receivedAt + MIN_BAN_MS;
    return new BinanceTransportError(
      TransportErrorCodes.BANNED,
      `HTTP 418, this IP is banned by Binance until ${new Date(until).toISOString()}${said}; no request is sent before then`,
      { ...details, bannedUntil: until },
    );
  }
  if (status >= 500) {
    return new BinanceTransportError(
      TransportErrorCodes.SERVER_ERROR,
      `HTTP ${status} from Binance${said}`,
      details,
    );
  }
  return new BinanceTransportError(
    TransportErrorCodes.REJECTED,
    `HTTP ${status}, Binance refused the request${said}`,
    details,
  );
}
