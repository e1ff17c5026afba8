// OKX v5 public WebSocket frames -> normalized book deltas (books, books5, bbo-tbt, tick-by-tick books) and trades.

import { type BookDelta } from '../../contracts/schema/book.ts';
import { Exchanges } from '../../contracts/schema/primitives.ts';
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
  msFromDigits,
  object,
  parseJson,
  positiveField,
  skip,
  skipMarker,
  symbol,
  text,
  uint,
  type Untrusted,
  type VenueMapper,
  type Where,
} from '../venue.ts';
import { type OkxArg, type OkxBook, type OkxEvent, type OkxPush, type OkxTrade } from './raw-types.ts';

/** Why frames are skipped; stable texts (a variable detail, when any, follows a colon). */
export const OkxSkips = {
  PONG: 'pong',
  EVENT: 'event',
  ERROR: 'error reply',
  NOT_NORMALIZED: 'channel not normalized',
} as const;

/** Book channels with `action` (snapshot, then updates) and those that always send the whole (top of the) book. */
const INCREMENTAL_BOOKS: ReadonlySet<string> = new Set(['books', 'books-l2-tbt', 'books50-l2-tbt']);
const WHOLE_BOOKS: ReadonlySet<string> = new Set(['books5', 'bbo-tbt']);
// Public channels OKX documents that StreamForge does not normalize: known, so skipped.
const NOT_NORMALIZED =
  /^(?:tickers|index-tickers|mark-price|funding-rate|open-interest|price-limit|estimated-price|opt-summary|liquidation-orders|status|instruments|trades-all|(?:mark-price-|index-)?candle\w+)$/;

const EVENT_HEAD = /^\{\s*"event"/;
const INST_ID = /"instId"\s*:\s*"([^"]+)"/;
const PREFIX_BYTES = 256;
const prefixDecoder = new TextDecoder('utf-8');

export class OkxMapper implements VenueMapper {
  readonly exchange = Exchanges.OKX;

  symbolOf(frame: RawFrame): string | null {
    if (frame.kind !== FrameKinds.WS) return null;
    const head = prefixDecoder.decode(frame.body.subarray(0, PREFIX_BYTES));
    if (EVENT_HEAD.test(head)) return null;
    return INST_ID.exec(head)?.[1] ?? null;
  }

  map(frame: RawFrame): MapResult {
    if (frame.kind === FrameKinds.MARKER) return skipMarker(frame);
    const body = bodyText(frame);
    // OKX answers the text `ping` with the text `pong`, not JSON.
    if (body === 'pong') return skip(OkxSkips.PONG);
    const where: Where = { text: body, path: '' };
    if (frame.kind === FrameKinds.REST)
      fail(FrameErrorCodes.UNKNOWN_SOURCE, where, '', `no OKX REST mapping for ${frame.source}`);
    const json = parseJson(body);
    if (!isObject(json)) fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, '', 'expected a JSON object');
    if ('event' in json) return event(json, where);
    const push = json as Untrusted<OkxPush>;
    const argWhere = at(where, 'arg');
    const arg = object<OkxArg>(push.arg, argWhere);
    const channel = text(arg, 'channel', argWhere);
    if (channel === 'trades') return emit(trades(push, frame.receivedAt, where));
    const incremental = INCREMENTAL_BOOKS.has(channel);
    if (incremental || WHOLE_BOOKS.has(channel)) {
      const s = symbol(arg.instId, argWhere, 'instId');
      let isSnapshot = true;
      if (incremental) {
        const action = text(push, 'action', where);
        if (action !== 'snapshot' && action !== 'update')
          fail(FrameErrorCodes.BAD_VALUE, where, 'action', `expected snapshot or update, got ${action}`);
        isSnapshot = action === 'snapshot';
      }
      return emit(books(push, s, isSnapshot, frame.receivedAt, where));
    }
    if (NOT_NORMALIZED.test(channel)) return skip(`${OkxSkips.NOT_NORMALIZED}: ${channel}`);
    return fail(FrameErrorCodes.UNKNOWN_MESSAGE, argWhere, 'channel', `unknown channel ${channel}`);
  }
}

function event(json: Untrusted<OkxEvent>, where: Where): MapResult {
  const name = text(json, 'event', where);
  if (name === 'error') return skip(`${OkxSkips.ERROR}: ${String(json.code)} ${String(json.msg)}`);
  return skip(`${OkxSkips.EVENT}: ${name}`);
}

function trades(push: Untrusted<OkxPush>, receivedAt: number, where: Where): NormalizedEvent[] {
  const data = array(push.data, where, 'data');
  const out: NormalizedEvent[] = new Array<NormalizedEvent>(data.length);
  for (let i = 0; i < data.length; i++) {
    const w = at(where, `data[${i}]`);
    const t = object<OkxTrade>(data[i], w);
    const side = t.side;
    if (side !== 'buy' && side !== 'sell')
      fail(FrameErrorCodes.BAD_VALUE, w, 'side', `expected buy or sell, got ${JSON.stringify(side)}`);
    const tradeId = text(t, 'tradeId', w);
    if (tradeId.length === 0 || tradeId.length > 64)
      fail(FrameErrorCodes.BAD_VALUE, w, 'tradeId', 'expected 1 to 64 characters');
    const trade: Trade = {
      exchange: Exchanges.OKX,
      symbol: symbol(t.instId, w, 'instId'),
      timestamp: msFromDigits(t.ts, w, 'ts'),
      localTimestamp: receivedAt,
      tradeId,
      price: positiveField(t, 'px', w),
      quantity: positiveField(t, 'sz', w),
      // OKX's side is the taker's.
      aggressorSide: side,
    };
    out[i] = { type: 'trade', value: trade };
  }
  return out;
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function books(
  push: Untrusted<OkxPush>,
  s: string,
  isSnapshot: boolean,
  receivedAt: number,
  where: Where,
): NormalizedEvent[] {
  const data = array(push.data, where, 'data');
  const out: NormalizedEvent[] = new Array<NormalizedEvent>(data.length);
  for (let i = 0; i < data.length; i++) {
    const w = at(where, `data[${i}]`);
    const b = object<OkxBook>(data[i], w);
    const delta: BookDelta = {
      exchange: Exchanges.OKX,
      symbol: s,
      timestamp: msFromDigits(b.ts, w, 'ts'),
      localTimestamp: receivedAt,
      isSnapshot,
      bids: levels(b.bids, w, 'bids'),
      asks: levels(b.asks, w, 'asks'),
    };
    if (b.seqId !== undefined) delta.lastUpdateId = uint(b.seqId, w, 'seqId');
    // -1 on a snapshot: there is no previous push.
    if (b.prevSeqId !== undefined && b.prevSeqId !== -1)
      delta.prevLastUpdateId = uint(b.prevSeqId, w, 'prevSeqId');
    if (b.checksum !== undefined) {
      const c = b.checksum;
      if (typeof c !== 'number' || !Number.isInteger(c) || c < INT32_MIN || c > INT32_MAX)
        fail(
          FrameErrorCodes.BAD_VALUE,
          w,
          'checksum',
          `expected a signed 32-bit integer, got ${JSON.stringify(c)}`,
        );
      delta.checksum = c;
    }
    out[i] = { type: 'book', value: delta };
  }
  return out;
}
