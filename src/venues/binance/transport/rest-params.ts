// Checks of REST request parameters, so a request Binance would refuse is never sent (nor charged weight).

import { BinanceTransportError, TransportErrorCodes } from './errors.ts';

// Binance symbols are upper case (BTCUSDT, BTCUSDT_250926); lower case is refused here, not sent.
const SYMBOL = /^[A-Z0-9_]{1,32}$/;

export function invalid(message: string, endpoint?: string, symbol?: string): BinanceTransportError {
  return new BinanceTransportError(TransportErrorCodes.INVALID_ARGUMENT, message, {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(symbol !== undefined ? { symbol } : {}),
  });
}

export function checkRestUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new BinanceTransportError(TransportErrorCodes.INVALID_ARGUMENT, `restUrl "${url}" is not a URL`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(`restUrl "${url}" must start with http:// or https:// (e.g. https://api.binance.com)`);
  }
  if (parsed.search || parsed.hash)
    throw invalid(`restUrl "${url}" must be a base URL without query or fragment`);
  return url.replace(/\/+$/, '');
}

export function symbolProblem(symbol: string): string | null {
  if (typeof symbol === 'string' && SYMBOL.test(symbol)) return null;
  const upper = typeof symbol === 'string' ? symbol.toUpperCase() : '';
  const hint = SYMBOL.test(upper) ? ` (Binance writes it "${upper}")` : '';
  return `"${String(symbol)}" is not a Binance symbol${hint}`;
}

export function checkTimes(startTime: number | undefined, endTime: number | undefined): string | null {
  for (const [name, value] of [
    ['startTime', startTime],
    ['endTime', endTime],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      return `${name} must be integer ms since the epoch, got ${value}`;
    }
  }
  if (startTime !== undefined && endTime !== undefined && endTime < startTime) {
    return `endTime ${endTime} is before startTime ${startTime}`;
  }
  return null;
}

export function checkLimit(limit: number | undefined, max: number): string | null {
  return limit === undefined || (Number.isInteger(limit) && limit >= 1 && limit <= max)
    ? null
    : `limit must be an integer 1..${max}, got ${limit}`;
}
