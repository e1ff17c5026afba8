// Binance stream names and combined-stream URLs: checks a name before it is sent, builds `/stream?streams=a/b/c`.

import { BinanceTransportError, TransportErrorCodes } from './errors.ts';

/**
 * `<symbol>@<channel>[@<option>]` with a lowercase symbol (`btcusdt@aggTrade`, `btcusdt@depth@100ms`,
 * `btcusdt_perpetual@continuousKline_1m`), or an all-market stream (`!miniTicker@arr`,
 * `!forceOrder@arr`). Binance silently sends nothing for an uppercase symbol, so it is refused here
 * instead of becoming a stream that never delivers.
 */
const STREAM_NAME = /^(?:[a-z0-9_-]+|![A-Za-z0-9_]+)@[A-Za-z0-9_@.-]+$/;

/** Null when `name` is a well-formed stream name, else why not. */
export function streamNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a stream name must be a non-empty string';
  if (STREAM_NAME.test(name)) return null;
  const at = name.indexOf('@');
  const symbol = at < 0 ? name : name.slice(0, at);
  if (at < 0) return `"${name}" is not <symbol>@<channel> (e.g. btcusdt@aggTrade)`;
  if (symbol !== symbol.toLowerCase())
    return `"${name}": Binance stream symbols are lowercase ("${symbol.toLowerCase()}")`;
  return `"${name}" has characters Binance stream names do not use`;
}

/** Throws `invalid-argument` naming every bad stream name in `names`. */
export function checkStreamNames(names: readonly string[], endpoint: string): void {
  const problems = names.map(streamNameProblem).filter((p): p is string => p !== null);
  if (problems.length > 0) {
    throw new BinanceTransportError(TransportErrorCodes.INVALID_ARGUMENT, problems.join('; '), { endpoint });
  }
}

/** The WebSocket base URL without a trailing slash; throws `invalid-argument` unless it is ws:// or wss://. */
export function checkWsBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new BinanceTransportError(TransportErrorCodes.INVALID_ARGUMENT, `wsUrl "${url}" is not a URL`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new BinanceTransportError(
      TransportErrorCodes.INVALID_ARGUMENT,
      `wsUrl "${url}" must start with ws:// or wss:// (e.g. wss://stream.binance.com:9443)`,
    );
  }
  if (parsed.search || parsed.hash) {
    throw new BinanceTransportError(
      TransportErrorCodes.INVALID_ARGUMENT,
      `wsUrl "${url}" must be a base URL without query or fragment; streams are added by the client`,
    );
  }
  return url.replace(/\/+$/, '');
}

/** The combined-stream URL carrying `streams`; names go unescaped, as Binance documents them (`@`, `!`, `/`). */
export function combinedStreamUrl(base: string, streams: readonly string[]): string {
  return `${base}/stream?streams=${streams.join('/')}`;
}

/**
 * How many of `streams` (in order, at least one) fit in a combined-stream URL of at most
 * `maxLength` characters. The rest are sent as SUBSCRIBE messages once the connection is open.
 */
export function streamsFittingUrl(base: string, streams: readonly string[], maxLength: number): number {
  let length = combinedStreamUrl(base, []).length;
  let count = 0;
  for (const name of streams) {
    length += name.length + (count > 0 ? 1 : 0);
    if (length > maxLength && count > 0) break;
    count++;
  }
  return count;
}
