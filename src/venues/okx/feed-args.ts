// OKX v5 public subscription arguments: platform channels as OKX channels, `channel:instId` keys, request batches.

import { type FeedChannel } from '../feed.ts';
import { OkxFeedError, OkxFeedErrorCodes } from './feed-errors.ts';
import { type OkxArg } from './raw-types.ts';

/**
 * `books` rather than `books5`/`books-l2-tbt`: 400 levels, snapshot then updates with seqId and a
 * checksum, and no login or VIP tier needed. `bbo-tbt`: best bid/offer on every change.
 */
export const OKX_CHANNELS = {
  trades: 'trades',
  book: 'books',
  top: 'bbo-tbt',
  klines: 'candle1m',
} as const satisfies Record<FeedChannel, string>;

// OKX caps the total length of one request's args at 64 KB; staying well under leaves room for the envelope.
export const MAX_REQUEST_BYTES = 60_000;

// instIds as OKX writes them: BTC-USDT, BTC-USD-220527, UNI-USD-SWAP, BTC-USD-240628-60000-C.
const INST_ID = /^[A-Z0-9]+(?:-[A-Z0-9]+)*$/;

/** The pair as one string, `books:BTC-USDT`; also how markers name what a connection carries. */
export function argKey(arg: OkxArg): string {
  return `${arg.channel}:${arg.instId}`;
}

export function argOfKey(key: string): OkxArg {
  const colon = key.indexOf(':');
  return { channel: key.slice(0, colon), instId: key.slice(colon + 1) };
}

/** Every (channel, instId) pair, channels outermost; throws `invalid-argument` before anything is sent. */
export function argKeysFor(symbols: readonly string[], channels: readonly FeedChannel[]): string[] {
  const keys: string[] = [];
  for (const channel of channels) {
    const okx = (OKX_CHANNELS as Record<string, string | undefined>)[channel];
    if (okx === undefined) {
      throw new OkxFeedError(
        OkxFeedErrorCodes.INVALID_ARGUMENT,
        `unknown channel ${JSON.stringify(channel)}`,
      );
    }
    for (const instId of symbols) {
      if (typeof instId !== 'string' || !INST_ID.test(instId)) {
        throw new OkxFeedError(
          OkxFeedErrorCodes.INVALID_ARGUMENT,
          `instId must be OKX's upper-case id like BTC-USDT, got ${JSON.stringify(instId)}`,
        );
      }
      keys.push(argKey({ channel: okx, instId }));
    }
  }
  return [...new Set(keys)];
}

/** One request as sent: the text and the pairs it carries. */
export interface OkxRequestText {
  readonly text: string;
  readonly keys: readonly string[];
}

/** `op` requests carrying `keys`, each under OKX's size limit. */
export function requestTexts(op: 'subscribe' | 'unsubscribe', keys: readonly string[]): OkxRequestText[] {
  const out: OkxRequestText[] = [];
  let batch: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    out.push({ text: JSON.stringify({ op, args: batch.map(argOfKey) }), keys: batch });
    batch = [];
    bytes = 0;
  };
  for (const key of keys) {
    const size = JSON.stringify(argOfKey(key)).length + 1;
    if (batch.length > 0 && bytes + size > MAX_REQUEST_BYTES) flush();
    batch.push(key);
    bytes += size;
  }
  if (batch.length > 0) flush();
  return out;
}
