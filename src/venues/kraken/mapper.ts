// Kraken WebSocket v1 frames -> normalized book deltas (`book-<depth>`) and trades (`trade`).

import { type BookDelta } from '../../contracts/schema/book.ts';
import { Exchanges, type PriceLevel } from '../../contracts/schema/primitives.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { FrameErrorCodes } from '../errors.ts';
import { FrameKinds, type MapResult, type NormalizedEvent, type RawFrame } from '../types.ts';
import {
  array,
  at,
  bodyText,
  emit,
  fail,
  isObject,
  levels,
  msFromSeconds,
  object,
  parseJson,
  positive,
  skip,
  skipMarker,
  symbol,
  text,
  type Untrusted,
  type VenueMapper,
  type Where,
} from '../venue.ts';
import { type KrakenBookSnapshot, type KrakenBookUpdate, type KrakenEvent } from './raw-types.ts';

/** Why frames are skipped; stable texts (a variable detail, when any, follows a colon). */
export const KrakenSkips = {
  EVENT: 'event',
  ERROR: 'error reply',
  NOT_NORMALIZED: 'channel not normalized',
} as const;

const BOOK_CHANNEL = /^book-(\d+)$/;
// The depths Kraken v1 accepts for `book`.
const BOOK_DEPTHS: ReadonlySet<number> = new Set([10, 25, 100, 500, 1000]);
const NOT_NORMALIZED = /^(?:ticker|spread|ohlc-\d+)$/;

/**
 * The subscribed depth of a `book-<depth>` channel name (`book-1000` -> 1000), or undefined.
 * Kraken keeps (and checksums) the book truncated to this depth, and sends no delete for a level
 * pushed out of it, so a consumer rebuilding the book must truncate after every update.
 * BookDeltaV1 has no field for it: it stays derivable from the raw frame on `md.raw.kraken`
 * (its channel name) and from the loader's subscription (`ConnectionMarker.streams`).
 */
export function krakenBookDepth(channelName: string): number | undefined {
  const m = BOOK_CHANNEL.exec(channelName);
  const depth = m ? Number(m[1]) : undefined;
  return depth !== undefined && BOOK_DEPTHS.has(depth) ? depth : undefined;
}

const UINT32_MAX = 4_294_967_295;
const CHECKSUM = /^(?:0|[1-9][0-9]{0,9})$/;
// The pair is the array's last element: read from the frame's end without parsing it.
const TAIL_PAIR = /"([^"]+)"\s*\]\s*$/;
const TAIL_BYTES = 64;
const tailDecoder = new TextDecoder('utf-8');

export class KrakenMapper implements VenueMapper {
  readonly exchange = Exchanges.KRAKEN;

  symbolOf(frame: RawFrame): string | null {
    if (frame.kind !== FrameKinds.WS || frame.body[0] !== 0x5b /* [ */) return null;
    const tail = tailDecoder.decode(frame.body.subarray(Math.max(0, frame.body.length - TAIL_BYTES)));
    return TAIL_PAIR.exec(tail)?.[1] ?? null;
  }

  map(frame: RawFrame): MapResult {
    if (frame.kind === FrameKinds.MARKER) return skipMarker(frame);
    const body = bodyText(frame);
    const where: Where = { text: body, path: '' };
    if (frame.kind === FrameKinds.REST)
      fail(FrameErrorCodes.UNKNOWN_SOURCE, where, '', `no Kraken REST mapping for ${frame.source}`);
    const json = parseJson(body);
    if (isObject(json)) return event(json, where);
    if (!Array.isArray(json) || json.length < 4)
      fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, '', 'expected an event object or a channel array');
    const n = json.length;
    const channel = json[n - 2];
    if (typeof channel !== 'string')
      fail(FrameErrorCodes.BAD_VALUE, where, `[${n - 2}]`, 'expected the channel name');
    const pair = symbol(json[n - 1], where, `[${n - 1}]`);
    if (channel === 'trade') return emit(trades(json[1], pair, frame.receivedAt, where));
    if (BOOK_CHANNEL.test(channel)) {
      if (krakenBookDepth(channel) === undefined)
        fail(FrameErrorCodes.BAD_VALUE, where, `[${n - 2}]`, `no such book depth: ${channel}`);
      return emit([{ type: 'book', value: book(json, pair, frame.receivedAt, where) }]);
    }
    if (NOT_NORMALIZED.test(channel)) return skip(`${KrakenSkips.NOT_NORMALIZED}: ${channel}`);
    return fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, `[${n - 2}]`, `unknown channel ${channel}`);
  }
}

function event(json: Untrusted<KrakenEvent>, where: Where): MapResult {
  const name = text(json, 'event', where);
  if (json.status === 'error' || name === 'error')
    return skip(`${KrakenSkips.ERROR}: ${name} ${String(json.errorMessage)}`);
  return skip(`${KrakenSkips.EVENT}: ${name}`);
}

/** Latest level time, in ms: the book's exchange time (Kraken v1 sends no time per message). */
function latestTime(rows: readonly unknown[], where: Where, field: string, latest: number): number {
  for (let i = 0; i < rows.length; i++) {
    const ms = msFromSeconds((rows[i] as readonly unknown[])[2], where, `${field}[${i}][2]`);
    if (ms > latest) latest = ms;
  }
  return latest;
}

function book(json: readonly unknown[], pair: string, receivedAt: number, where: Where): BookDelta {
  const first = object<KrakenBookSnapshot & KrakenBookUpdate>(json[1], at(where, '[1]'));
  if (first.as !== undefined || first.bs !== undefined) {
    const w = at(where, '[1]');
    const asks = levels(first.as, w, 'as');
    const bids = levels(first.bs, w, 'bs');
    let latest = latestTime(first.as as readonly unknown[], w, 'as', -1);
    latest = latestTime(first.bs as readonly unknown[], w, 'bs', latest);
    return {
      exchange: Exchanges.KRAKEN,
      symbol: pair,
      // An empty book has no level time; its receive time is the best there is.
      timestamp: latest < 0 ? receivedAt : latest,
      localTimestamp: receivedAt,
      isSnapshot: true,
      bids,
      asks,
    };
  }
  // One or two payload objects between the channel id and the channel name.
  let asks: PriceLevel[] = [];
  let bids: PriceLevel[] = [];
  let checksum: string | undefined;
  let latest = -1;
  for (let i = 1; i < json.length - 2; i++) {
    const w = at(where, `[${i}]`);
    const u = i === 1 ? first : object<KrakenBookUpdate>(json[i], w);
    if (u.a !== undefined) {
      asks = asks.length === 0 ? levels(u.a, w, 'a') : asks.concat(levels(u.a, w, 'a'));
      latest = latestTime(u.a as readonly unknown[], w, 'a', latest);
    }
    if (u.b !== undefined) {
      bids = bids.length === 0 ? levels(u.b, w, 'b') : bids.concat(levels(u.b, w, 'b'));
      latest = latestTime(u.b as readonly unknown[], w, 'b', latest);
    }
    if (u.c !== undefined) checksum = text(u, 'c', w);
  }
  if (latest < 0)
    fail(FrameErrorCodes.MISSING_FIELD, where, '[1]', 'a book update without `a` or `b` levels');
  const delta: BookDelta = {
    exchange: Exchanges.KRAKEN,
    symbol: pair,
    timestamp: latest,
    localTimestamp: receivedAt,
    isSnapshot: false,
    bids,
    asks,
  };
  if (checksum !== undefined) {
    const c = CHECKSUM.test(checksum) ? Number(checksum) : NaN;
    if (!(c <= UINT32_MAX))
      fail(FrameErrorCodes.BAD_VALUE, where, 'c', `expected an unsigned 32-bit integer, got ${checksum}`);
    delta.checksum = c;
  }
  return delta;
}

function trades(payload: unknown, pair: string, receivedAt: number, where: Where): NormalizedEvent[] {
  const rows = array(payload, where, '[1]');
  const out: NormalizedEvent[] = new Array<NormalizedEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const field = `[1][${i}]`;
    const r = array(rows[i], where, field);
    const side = r[3];
    if (side !== 'b' && side !== 's')
      fail(FrameErrorCodes.BAD_VALUE, where, `${field}[3]`, `expected b or s, got ${JSON.stringify(side)}`);
    const trade: Trade = {
      exchange: Exchanges.KRAKEN,
      symbol: pair,
      timestamp: msFromSeconds(r[2], where, `${field}[2]`),
      localTimestamp: receivedAt,
      price: positive(r[0], where, `${field}[0]`),
      quantity: positive(r[1], where, `${field}[1]`),
      // Kraken v1's side is the taker's; v1 trades carry no id.
      aggressorSide: side === 'b' ? 'buy' : 'sell',
    };
    out[i] = { type: 'trade', value: trade };
  }
  return out;
}
