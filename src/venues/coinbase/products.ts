// Coinbase `GET /products` -> md.instruments values, one per product.

import { type Instrument } from '../../contracts/schema/instruments.ts';
import { Exchanges } from '../../contracts/schema/primitives.ts';
import { FrameErrorCodes } from '../errors.ts';
import { type NormalizedEvent } from '../types.ts';
import {
  array,
  at,
  fail,
  nonNegative,
  object,
  positive,
  positiveField,
  symbol,
  text,
  type Untrusted,
  type Where,
} from '../venue.ts';
import { type CoinbaseProduct } from './raw-types.ts';

const ASSET = /^[A-Z0-9]{1,20}$/;

function asset(p: Untrusted<CoinbaseProduct>, key: 'base_currency' | 'quote_currency', where: Where): string {
  const value = text(p, key, where);
  if (!ASSET.test(value)) fail(FrameErrorCodes.BAD_VALUE, where, key, `not an asset name: ${value}`);
  return value;
}

/**
 * `online` trades unless trading is disabled or the book only takes cancels; `delisted` is
 * delisted; anything else (`offline`, `internal`, a status StreamForge does not know) is halted,
 * so nothing trades an instrument in a state the platform does not understand.
 */
function statusOf(p: Untrusted<CoinbaseProduct>, exchangeStatus: string): Instrument['status'] {
  if (exchangeStatus === 'delisted') return 'delisted';
  if (exchangeStatus !== 'online' || p.trading_disabled === true || p.cancel_only === true) return 'halted';
  return 'trading';
}

function product(value: unknown, receivedAt: number, where: Where): Instrument {
  const p = object<CoinbaseProduct>(value, where);
  const exchangeStatus = text(p, 'status', where);
  const stepSize = positiveField(p, 'base_increment', where);
  const instrument: Instrument = {
    exchange: Exchanges.COINBASE,
    symbol: symbol(p.id, where, 'id'),
    timestamp: receivedAt,
    localTimestamp: receivedAt,
    base: asset(p, 'base_currency', where),
    quote: asset(p, 'quote_currency', where),
    type: 'spot',
    status: statusOf(p, exchangeStatus),
    exchangeStatus,
    tickSize: positiveField(p, 'quote_increment', where),
    stepSize,
    // Coinbase dropped base_min_size from /products in 2022; the smallest order is then one step.
    minQuantity:
      p.base_min_size === undefined ? stepSize : nonNegative(p.base_min_size, where, 'base_min_size'),
  };
  if (p.base_max_size !== undefined)
    instrument.maxQuantity = positive(p.base_max_size, where, 'base_max_size');
  if (p.min_market_funds !== undefined)
    instrument.minNotional = nonNegative(p.min_market_funds, where, 'min_market_funds');
  return instrument;
}

/** Reference data has no exchange time: every instrument's time is the answer's receive time. */
export function products(json: unknown, receivedAt: number, where: Where): NormalizedEvent[] {
  const rows = array(json, where, '');
  const out: NormalizedEvent[] = new Array<NormalizedEvent>(rows.length);
  for (let i = 0; i < rows.length; i++)
    out[i] = { type: 'instrument', value: product(rows[i], receivedAt, at(where, `[${i}]`)) };
  return out;
}
