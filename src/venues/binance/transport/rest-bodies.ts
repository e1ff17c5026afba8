// The parts of Binance REST bodies the transport itself reads (paging cursors, snapshot id), checked at the boundary.
//
// Full message shapes belong to the mapper (../raw-types.ts); the transport checks only the fields
// it acts on, so a body it cannot page through fails here with `bad-response` instead of looping.

import { BinanceTransportError, TransportErrorCodes } from './errors.ts';

/** `exchangeInfo`: an object with a `symbols` array. */
export interface ExchangeInfoBody {
  readonly symbols: readonly unknown[];
  readonly [field: string]: unknown;
}

/** `depth`: the snapshot's update id and its two sides. */
export interface DepthBody {
  readonly lastUpdateId: number;
  readonly bids: readonly unknown[];
  readonly asks: readonly unknown[];
  readonly [field: string]: unknown;
}

/** A `klines` row: open time first (the paging cursor), the rest for the mapper. */
export type KlineRow = readonly [number, ...unknown[]];

/** An `aggTrades` row: aggregate trade id `a` (the paging cursor) and trade time `T`. */
export interface AggTradeRow {
  readonly a: number;
  readonly T: number;
  readonly [field: string]: unknown;
}

export interface BodyContext {
  readonly endpoint: string;
  readonly symbol?: string;
}

function bad(context: BodyContext, what: string): BinanceTransportError {
  return new BinanceTransportError(TransportErrorCodes.BAD_RESPONSE, what, context);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function exchangeInfoBody(json: unknown, context: BodyContext): ExchangeInfoBody {
  if (!isRecord(json) || !Array.isArray(json['symbols']))
    throw bad(context, 'exchangeInfo body has no symbols array');
  return json as ExchangeInfoBody;
}

export function depthBody(json: unknown, context: BodyContext): DepthBody {
  if (!isRecord(json) || !isInteger(json['lastUpdateId']))
    throw bad(context, 'depth body has no integer lastUpdateId');
  if (!Array.isArray(json['bids']) || !Array.isArray(json['asks']))
    throw bad(context, 'depth body lacks bids/asks arrays');
  return json as DepthBody;
}

/** Rows with integer open times in strictly increasing order (the paging walk relies on it). */
export function klineRows(json: unknown, context: BodyContext): readonly KlineRow[] {
  if (!Array.isArray(json)) throw bad(context, 'klines body is not an array');
  let previous = -Infinity;
  for (const [i, row] of json.entries()) {
    const open: unknown = Array.isArray(row) ? row[0] : undefined;
    if (!isInteger(open)) throw bad(context, `klines row ${i} has no integer open time`);
    if (open <= previous)
      throw bad(context, `klines row ${i}: open time ${open} does not follow ${previous}`);
    previous = open;
  }
  return json as KlineRow[];
}

/** Rows with integer ids `a` in strictly increasing order and integer times `T`. */
export function aggTradeRows(json: unknown, context: BodyContext): readonly AggTradeRow[] {
  if (!Array.isArray(json)) throw bad(context, 'aggTrades body is not an array');
  let previous = -Infinity;
  for (const [i, row] of json.entries()) {
    if (!isRecord(row) || !isInteger(row['a']) || !isInteger(row['T'])) {
      throw bad(context, `aggTrades row ${i} lacks integer a/T`);
    }
    if (row['a'] <= previous)
      throw bad(context, `aggTrades row ${i}: id ${row['a']} does not follow ${previous}`);
    previous = row['a'];
  }
  return json as AggTradeRow[];
}

/** One REST answer: what the loader writes to the raw topic (path and bytes) and what paging reads (json). */
export interface RestResult<T> {
  /** Path and query as sent (`/api/v3/depth?symbol=BTCUSDT&limit=1000`): the raw frame's `source`. */
  readonly path: string;
  /** The body byte for byte. */
  readonly body: Buffer;
  /** The body parsed, checked as far as the transport relies on it. */
  readonly json: T;
  /** `Date.now()` when the body had arrived. */
  readonly receivedAt: number;
  /** Weight this request was charged, from Binance's documented table. */
  readonly weight: number;
  /** X-MBX-USED-WEIGHT-1M of this answer, when Binance sent it. */
  readonly usedWeight: number | undefined;
}
