// Binance instruments: symbols in stream names and REST queries, and exchangeInfo symbols as md.instruments values.

import { type Exchange, Exchanges } from '../../contracts/schema/primitives.ts';
import { type Instrument } from '../../contracts/schema/instruments.ts';
import { FrameErrorCodes } from '../errors.ts';
import {
  array,
  fail,
  nonNegative,
  object,
  positive,
  symbol,
  text,
  type Untrusted,
  uint,
  type Where,
} from '../venue.ts';
import { type BinanceFilter, type BinanceSymbolInfo } from './raw-types.ts';

/** `btcusdt@depth@100ms` -> `BTCUSDT`; null for all-market streams (`!bookTicker`). Streams name symbols lower-case. */
export function streamSymbol(stream: string): string | null {
  const at = stream.indexOf('@');
  if (at <= 0 || stream.startsWith('!')) return null;
  return stream.slice(0, at).toUpperCase();
}

/** `/api/v3/depth?symbol=BTCUSDT&limit=1000` -> `/api/v3/depth`. */
export function endpointOf(source: string): string {
  const q = source.indexOf('?');
  return q < 0 ? source : source.slice(0, q);
}

/** A query parameter of a REST source, or undefined. */
export function queryParam(source: string, name: string): string | undefined {
  const q = source.indexOf('?');
  return q < 0 ? undefined : (new URLSearchParams(source.slice(q + 1)).get(name) ?? undefined);
}

type Status = Instrument['status'];

// Spot and USD-M futures statuses together: the names do not clash. A state StreamForge does not
// know maps to halted (see `statusOf`).
const STATUSES: Readonly<Record<string, Status>> = {
  TRADING: 'trading',
  PRE_TRADING: 'pre-trading',
  PENDING_TRADING: 'pre-trading',
  // An opening call auction: orders are accepted, nothing matches continuously yet.
  AUCTION_MATCH: 'pre-trading',
  POST_TRADING: 'post-trading',
  BREAK: 'halted',
  HALT: 'halted',
  END_OF_DAY: 'halted',
  PRE_DELIVERING: 'halted',
  DELIVERING: 'halted',
  PRE_SETTLE: 'halted',
  SETTLING: 'halted',
  CLOSE: 'halted',
  DELIVERED: 'delisted',
};

/**
 * Unknown statuses become `halted`, not an error: one new status name must not make the whole
 * exchangeInfo answer (every instrument) unreadable, and nothing should trade an instrument in
 * a state the platform does not understand. `exchangeStatus` keeps the text.
 */
export function statusOf(exchangeStatus: string): Status {
  return STATUSES[exchangeStatus] ?? 'halted';
}

const ASSET = /^[A-Z0-9]{1,20}$/;

function asset<T>(o: Untrusted<T>, key: keyof T & string, where: Where): string {
  const value = text(o, key, where);
  if (!ASSET.test(value)) fail(FrameErrorCodes.BAD_VALUE, where, key, `not an asset name: ${value}`);
  return value;
}

interface Filters {
  tickSize?: string;
  stepSize?: string;
  minQuantity?: string;
  maxQuantity?: string;
  minNotional?: string;
}

function readFilters(value: unknown, where: Where): Filters {
  const out: Filters = {};
  const rows = array(value, where, 'filters');
  for (let i = 0; i < rows.length; i++) {
    const w: Where = { text: where.text, path: `${where.path}.filters[${i}]` };
    const f = object<BinanceFilter>(rows[i], w);
    switch (text(f, 'filterType', w)) {
      case 'PRICE_FILTER':
        out.tickSize = positive(f.tickSize, w, 'tickSize');
        break;
      case 'LOT_SIZE':
        out.stepSize = positive(f.stepSize, w, 'stepSize');
        out.minQuantity = nonNegative(f.minQty, w, 'minQty');
        out.maxQuantity = positive(f.maxQty, w, 'maxQty');
        break;
      // Spot replaced MIN_NOTIONAL by NOTIONAL (both `minNotional`); futures' MIN_NOTIONAL says `notional`.
      case 'NOTIONAL':
        out.minNotional = nonNegative(f.minNotional, w, 'minNotional');
        break;
      case 'MIN_NOTIONAL':
        out.minNotional = nonNegative(f.minNotional ?? f.notional, w, 'notional');
        break;
    }
  }
  return out;
}

/** One exchangeInfo symbol; `receivedAt` is its time, as reference data has no exchange time. */
export function instrumentOf(
  value: unknown,
  exchange: Exchange,
  receivedAt: number,
  where: Where,
): Instrument {
  const s = object<BinanceSymbolInfo>(value, where);
  const exchangeStatus = text(s, 'status', where);
  const filters = readFilters(s.filters, where);
  if (filters.tickSize === undefined)
    fail(FrameErrorCodes.MISSING_FIELD, where, 'filters', 'no PRICE_FILTER (tick size)');
  if (filters.stepSize === undefined || filters.minQuantity === undefined)
    fail(FrameErrorCodes.MISSING_FIELD, where, 'filters', 'no LOT_SIZE (step size, min quantity)');
  const instrument: Instrument = {
    exchange,
    symbol: symbol(s.symbol, where, 'symbol'),
    timestamp: receivedAt,
    localTimestamp: receivedAt,
    base: asset(s, 'baseAsset', where),
    quote: asset(s, 'quoteAsset', where),
    type: 'spot',
    status: statusOf(exchangeStatus),
    exchangeStatus,
    tickSize: filters.tickSize,
    stepSize: filters.stepSize,
    minQuantity: filters.minQuantity,
  };
  if (filters.maxQuantity !== undefined) instrument.maxQuantity = filters.maxQuantity;
  if (filters.minNotional !== undefined) instrument.minNotional = filters.minNotional;
  if (exchange === Exchanges.BINANCE_FUTURES) {
    // PERPETUAL and TRADIFI_PERPETUAL never expire (their deliveryDate is a placeholder in 2100).
    const contractType = text(s, 'contractType', where);
    if (contractType.endsWith('PERPETUAL')) instrument.type = 'perpetual';
    else {
      instrument.type = 'future';
      instrument.expiry = uint(s.deliveryDate, where, 'deliveryDate');
    }
  }
  return instrument;
}
