// Coinbase Exchange (legacy ws-feed) frames -> normalized book deltas (level2), trades (matches) and instruments (/products).

import { type BookDelta } from '../../contracts/schema/book.ts';
import { Exchanges, type PriceLevel } from '../../contracts/schema/primitives.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { FrameErrorCodes } from '../errors.ts';
import { FrameKinds, type MapResult, type RawFrame } from '../types.ts';
import {
  array,
  bodyText,
  emit,
  fail,
  isObject,
  levels,
  msFromIso,
  nonNegative,
  parseJson,
  positive,
  positiveField,
  skip,
  skipMarker,
  symbol,
  text,
  uintField,
  type Untrusted,
  type VenueMapper,
  type Where,
} from '../venue.ts';
import { products } from './products.ts';
import {
  type CoinbaseError,
  type CoinbaseL2Update,
  type CoinbaseMatch,
  type CoinbaseSnapshot,
} from './raw-types.ts';

/** Why frames are skipped; stable texts (a variable detail, when any, follows a colon). */
export const CoinbaseSkips = {
  NOT_NORMALIZED: 'message type not normalized',
  ERROR: 'error reply',
} as const;

// Feed messages Coinbase documents that StreamForge does not normalize: subscription acks,
// heartbeats, tickers, the full channel's order messages and status.
const NOT_NORMALIZED: ReadonlySet<string> = new Set([
  'subscriptions',
  'heartbeat',
  'ticker',
  'ticker_batch',
  'status',
  'received',
  'open',
  'done',
  'change',
  'activate',
]);

const PRODUCT_ID = /"product_id"\s*:\s*"([^"]+)"/;
const PREFIX_BYTES = 512;
const prefixDecoder = new TextDecoder('utf-8');

export class CoinbaseMapper implements VenueMapper {
  readonly exchange = Exchanges.COINBASE;

  symbolOf(frame: RawFrame): string | null {
    if (frame.kind !== FrameKinds.WS) return null;
    const head = prefixDecoder.decode(frame.body.subarray(0, PREFIX_BYTES));
    return PRODUCT_ID.exec(head)?.[1] ?? null;
  }

  map(frame: RawFrame): MapResult {
    if (frame.kind === FrameKinds.MARKER) return skipMarker(frame);
    const body = bodyText(frame);
    const json = parseJson(body);
    const where: Where = { text: body, path: '' };
    if (frame.kind === FrameKinds.REST) {
      const path = frame.source.split('?', 1)[0];
      if (path !== '/products')
        fail(FrameErrorCodes.UNKNOWN_SOURCE, where, '', `no Coinbase REST mapping for ${frame.source}`);
      return emit(products(json, frame.receivedAt, where));
    }
    if (!isObject(json)) fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, '', 'expected a JSON object');
    const type = text(json, 'type', where);
    switch (type) {
      case 'l2update':
        return emit([{ type: 'book', value: l2update(json, frame.receivedAt, where) }]);
      case 'match':
      case 'last_match':
        return emit([{ type: 'trade', value: match(json, frame.receivedAt, where) }]);
      case 'snapshot':
        return emit([{ type: 'book', value: snapshot(json, frame.receivedAt, where) }]);
      case 'error': {
        const e = json as Untrusted<CoinbaseError>;
        return skip(`${CoinbaseSkips.ERROR}: ${String(e.message)} ${String(e.reason ?? '')}`.trimEnd());
      }
    }
    if (NOT_NORMALIZED.has(type)) return skip(`${CoinbaseSkips.NOT_NORMALIZED}: ${type}`);
    return fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, 'type', `unknown message type ${type}`);
  }
}

function snapshot(m: Untrusted<CoinbaseSnapshot>, receivedAt: number, where: Where): BookDelta {
  return {
    exchange: Exchanges.COINBASE,
    symbol: symbol(m.product_id, where, 'product_id'),
    // The legacy feed's snapshot has no time; newer feeds add one.
    timestamp: m.time === undefined ? receivedAt : msFromIso(m.time, where, 'time'),
    localTimestamp: receivedAt,
    isSnapshot: true,
    bids: levels(m.bids, where, 'bids'),
    asks: levels(m.asks, where, 'asks'),
  };
}

function l2update(m: Untrusted<CoinbaseL2Update>, receivedAt: number, where: Where): BookDelta {
  const changes = array(m.changes, where, 'changes');
  const bids: PriceLevel[] = [];
  const asks: PriceLevel[] = [];
  for (let i = 0; i < changes.length; i++) {
    const field = `changes[${i}]`;
    const c = array(changes[i], where, field);
    const level: PriceLevel = [positive(c[1], where, `${field}[1]`), nonNegative(c[2], where, `${field}[2]`)];
    if (c[0] === 'buy') bids.push(level);
    else if (c[0] === 'sell') asks.push(level);
    else
      fail(
        FrameErrorCodes.BAD_VALUE,
        where,
        `${field}[0]`,
        `expected buy or sell, got ${JSON.stringify(c[0])}`,
      );
  }
  return {
    exchange: Exchanges.COINBASE,
    symbol: symbol(m.product_id, where, 'product_id'),
    timestamp: msFromIso(m.time, where, 'time'),
    localTimestamp: receivedAt,
    isSnapshot: false,
    bids,
    asks,
  };
}

function match(m: Untrusted<CoinbaseMatch>, receivedAt: number, where: Where): Trade {
  const side = m.side;
  if (side !== 'buy' && side !== 'sell')
    fail(FrameErrorCodes.BAD_VALUE, where, 'side', `expected buy or sell, got ${JSON.stringify(side)}`);
  return {
    exchange: Exchanges.COINBASE,
    symbol: symbol(m.product_id, where, 'product_id'),
    timestamp: msFromIso(m.time, where, 'time'),
    localTimestamp: receivedAt,
    tradeId: String(uintField(m, 'trade_id', where)),
    price: positiveField(m, 'price', where),
    quantity: positiveField(m, 'size', where),
    // Coinbase's side is the maker's: a resting sell was hit by a buyer.
    aggressorSide: side === 'sell' ? 'buy' : 'sell',
    sequence: uintField(m, 'sequence', where),
  };
}
