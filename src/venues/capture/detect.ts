// Tells which venue a capture file recorded, from its first frames (and the recorder's file name as a hint).

import path from 'node:path';
import { type Exchange, Exchanges } from '../../contracts/schema/primitives.ts';
import { CaptureError, CaptureErrorCodes } from '../errors.ts';
import { type CaptureFrame } from './frame.ts';

// cryptofeed names files `<EXCHANGE>.<ws|http>.<n>.<m>` (`BINANCE.ws.1.0`, `COINBASE.0`).
const CRYPTOFEED_PREFIX: Readonly<Record<string, Exchange>> = {
  BINANCE: Exchanges.BINANCE,
  BINANCE_FUTURES: Exchanges.BINANCE_FUTURES,
  OKX: Exchanges.OKX,
  KRAKEN: Exchanges.KRAKEN,
  COINBASE: Exchanges.COINBASE,
};
// hftbacktest's Binance collectors name files `<market>_<symbol>_<date>`.
const HFTBACKTEST_MARKET: Readonly<Record<string, Exchange>> = {
  spot: Exchanges.BINANCE,
  usdm: Exchanges.BINANCE_FUTURES,
  futures: Exchanges.BINANCE_FUTURES,
};

function nameHint(file: string): Exchange | undefined {
  const name = path.basename(file);
  const cryptofeed = /^([A-Z_]+)\./.exec(name)?.[1];
  if (cryptofeed !== undefined) return CRYPTOFEED_PREFIX[cryptofeed];
  const market = /^([a-z]+)_/.exec(name)?.[1];
  return market === undefined ? undefined : HFTBACKTEST_MARKET[market];
}

function isBinanceUs(file: string, frames: readonly CaptureFrame[]): boolean {
  return /^BINANCE_US[._]/i.test(path.basename(file)) || frames.some((f) => /\bbinance\.us\b/.test(f.source));
}

function fromSource(frame: CaptureFrame): Exchange | undefined {
  const s = frame.source;
  if (s.startsWith('/fapi/') || s.includes('fstream.binance.')) return Exchanges.BINANCE_FUTURES;
  if (s.startsWith('/api/v3/') || s.includes('stream.binance.')) return Exchanges.BINANCE;
  if (s.startsWith('/api/v5/') || s.includes('.okx.com')) return Exchanges.OKX;
  if (s.startsWith('/0/public/') || s.includes('ws.kraken.com')) return Exchanges.KRAKEN;
  if (s.includes('coinbase.com')) return Exchanges.COINBASE;
  return undefined;
}

function fromBody(body: string): Exchange | undefined {
  if (body === 'pong') return Exchanges.OKX;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed))
    return parsed.length >= 3 && typeof parsed[parsed.length - 2] === 'string' ? Exchanges.KRAKEN : undefined;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Record<string, unknown>;
  const data = 'stream' in o && typeof o['data'] === 'object' && o['data'] !== null ? o['data'] : o;
  const d = data as Record<string, unknown>;
  if (d['e'] === 'depthUpdate' && 'pu' in d) return Exchanges.BINANCE_FUTURES;
  if ('stream' in o || typeof d['e'] === 'string' || ('result' in o && 'id' in o)) return Exchanges.BINANCE;
  if ('arg' in o) return Exchanges.OKX;
  if (typeof o['type'] === 'string') return Exchanges.COINBASE;
  if (typeof o['event'] === 'string') return Exchanges.KRAKEN;
  return undefined;
}

/**
 * Evidence from the frames decides; the file name only settles what they leave open (no frame
 * told, or Binance frames that look the same on spot and futures). Futures evidence (`pu` in a
 * depth diff, an `fstream` URL, a `/fapi/` request) wins over spot-looking frames, because
 * futures trade and kline frames have the spot shape.
 */
export function detectVenue(file: string, firstFrames: readonly CaptureFrame[]): Exchange {
  if (isBinanceUs(file, firstFrames))
    throw new CaptureError(
      CaptureErrorCodes.UNSUPPORTED_VENUE,
      file,
      undefined,
      'Binance US is not a supported venue; its frames have the Binance spot shape, so `--venue binance` reads them as Binance spot',
    );
  const seen = new Set<Exchange>();
  for (const frame of firstFrames) {
    const venue = fromSource(frame) ?? (frame.kind === 'ws' ? fromBody(frame.body) : undefined);
    if (venue !== undefined) seen.add(venue);
  }
  if (seen.has(Exchanges.BINANCE_FUTURES)) seen.delete(Exchanges.BINANCE);
  const hint = nameHint(file);
  if (seen.size > 1)
    throw new CaptureError(
      CaptureErrorCodes.UNSUPPORTED_VENUE,
      file,
      undefined,
      `the frames look like several venues (${[...seen].join(', ')}); a capture must hold one venue`,
    );
  const [venue] = seen;
  if (venue === undefined) {
    if (hint !== undefined) return hint;
    throw new CaptureError(
      CaptureErrorCodes.UNSUPPORTED_VENUE,
      file,
      undefined,
      `cannot tell the venue from the first ${firstFrames.length} frame(s) or the file name; pass it explicitly`,
    );
  }
  return venue === Exchanges.BINANCE && hint === Exchanges.BINANCE_FUTURES ? hint : venue;
}
