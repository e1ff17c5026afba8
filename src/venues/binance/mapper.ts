// Binance spot and USD-M futures frames (WebSocket events, REST bodies) -> normalized trades, book deltas, klines, instruments.

import { type BookDelta } from '../../contracts/schema/book.ts';
import { type Kline } from '../../contracts/schema/candles.ts';
import { Exchanges } from '../../contracts/schema/primitives.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { FrameErrorCodes } from '../errors.ts';
import { FrameKinds, type MapResult, type NormalizedEvent, type RawFrame } from '../types.ts';
import {
  array,
  at,
  bodyText,
  bool,
  emit,
  fail,
  isObject,
  levels,
  nonNegative,
  nonNegativeField,
  object,
  parseJson,
  positive,
  positiveField,
  skip,
  skipMarker,
  symbol,
  text,
  uint,
  uintField,
  type Untrusted,
  type VenueMapper,
  type Where,
} from '../venue.ts';
import {
  type BinanceAck,
  type BinanceCombined,
  type BinanceDepthSnapshot,
  type BinanceDepthUpdate,
  type BinanceExchangeInfo,
  type BinanceKline,
  type BinanceKlineBody,
  type BinanceRestAggTrade,
  type BinanceRestError,
  type BinanceTrade,
  type BinanceWsError,
} from './raw-types.ts';
import { endpointOf, instrumentOf, queryParam, streamSymbol } from './symbols.ts';

export type BinanceExchange = typeof Exchanges.BINANCE | typeof Exchanges.BINANCE_FUTURES;

/** Why frames are skipped; stable texts (a variable detail, when any, follows a colon). */
export const BinanceSkips = {
  BOOK_TICKER: 'bookTicker is not normalized: the orderbook service publishes md.book.top',
  PARTIAL_DEPTH: 'partial book depth is a top-N picture, not a diff: books are built from diffs',
  ACK: 'subscription ack',
  ERROR_REPLY: 'error reply',
  NOT_NORMALIZED: 'event type not normalized',
  CONTROL: 'control event',
} as const;

// Events Binance documents that StreamForge does not normalize (tickers, mark prices,
// liquidations, index and contract updates): known, so skipped, where an unknown type is an error.
const NOT_NORMALIZED: ReadonlySet<string> = new Set([
  '24hrTicker',
  '24hrMiniTicker',
  '1hTicker',
  '4hTicker',
  '1dTicker',
  'avgPrice',
  'markPriceUpdate',
  'forceOrder',
  'compositeIndex',
  'assetIndexUpdate',
  'continuous_kline',
]);
const CONTROL: ReadonlySet<string> = new Set(['serverShutdown', 'contractInfo']);

const INTERVAL = /^[0-9]+[smhdwM]$/;
// A combined stream of a partial book (`btcusdt@depth5`, `@depth20@100ms`), not the diff stream.
const PARTIAL_DEPTH_STREAM = /@depth\d/;
// Read from the frame's start without parsing it: the envelope's stream name, or a bare event's `s`.
const STREAM_PREFIX = /^\{\s*"stream"\s*:\s*"([^"]*)"/;
const BARE_SYMBOL = /"s"\s*:\s*"([A-Z0-9]+)"/;
const PREFIX_BYTES = 512;
const prefixDecoder = new TextDecoder('utf-8');

export class BinanceMapper implements VenueMapper {
  readonly exchange: BinanceExchange;
  readonly #restPrefix: string;

  constructor(exchange: BinanceExchange) {
    this.exchange = exchange;
    this.#restPrefix = exchange === Exchanges.BINANCE ? '/api/v3/' : '/fapi/v1/';
  }

  symbolOf(frame: RawFrame): string | null {
    if (frame.kind === FrameKinds.MARKER) return null;
    if (frame.kind === FrameKinds.REST) {
      const s = queryParam(frame.source, 'symbol');
      return s === undefined ? null : s.toUpperCase();
    }
    const head = prefixDecoder.decode(frame.body.subarray(0, PREFIX_BYTES));
    const stream = STREAM_PREFIX.exec(head)?.[1];
    if (stream !== undefined) return streamSymbol(stream);
    return BARE_SYMBOL.exec(head)?.[1] ?? null;
  }

  map(frame: RawFrame): MapResult {
    if (frame.kind === FrameKinds.MARKER) return skipMarker(frame);
    const body = bodyText(frame);
    const json = parseJson(body);
    const where: Where = { text: body, path: '' };
    return frame.kind === FrameKinds.REST
      ? this.#rest(json, frame, where)
      : this.#ws(json, frame.receivedAt, where);
  }

  #ws(json: unknown, receivedAt: number, where: Where): MapResult {
    if (Array.isArray(json)) return this.#eventArray(json, where);
    if (!isObject(json)) fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, '', 'expected a JSON object');
    let data: Record<string, unknown> = json;
    if ('stream' in json) {
      const envelope = json as Untrusted<BinanceCombined>;
      const stream = text(envelope, 'stream', where);
      if (PARTIAL_DEPTH_STREAM.test(stream)) return skip(BinanceSkips.PARTIAL_DEPTH);
      where = at(where, 'data');
      if (Array.isArray(envelope.data)) return this.#eventArray(envelope.data, where);
      data = object(envelope.data, where) as Record<string, unknown>;
    }
    const e = data['e'];
    switch (e) {
      case 'trade':
        return emit([{ type: 'trade', value: this.#trade(data, receivedAt, where) }]);
      case 'aggTrade':
        return emit([{ type: 'trade', value: this.#aggTrade(data, data['s'], receivedAt, where) }]);
      case 'depthUpdate':
        return emit([{ type: 'book', value: this.#depthUpdate(data, receivedAt, where) }]);
      case 'kline':
        return emit([{ type: 'kline', value: this.#kline(data, receivedAt, where) }]);
      case 'bookTicker':
        return skip(BinanceSkips.BOOK_TICKER);
      case undefined:
        return this.#withoutEventType(data, where);
    }
    if (typeof e === 'string' && NOT_NORMALIZED.has(e)) return skip(`${BinanceSkips.NOT_NORMALIZED}: ${e}`);
    if (typeof e === 'string' && CONTROL.has(e)) return skip(`${BinanceSkips.CONTROL}: ${e}`);
    return fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, 'e', `unknown event type ${JSON.stringify(e)}`);
  }

  /** All-market streams (`!miniTicker@arr`, `!markPrice@arr`) send arrays of events no mapper normalizes. */
  #eventArray(events: readonly unknown[], where: Where): MapResult {
    const first = events[0];
    const e = isObject(first) ? first['e'] : undefined;
    if (typeof e === 'string' && NOT_NORMALIZED.has(e)) return skip(`${BinanceSkips.NOT_NORMALIZED}: ${e}`);
    return fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, '[0].e', 'an array of events of no known type');
  }

  /** Frames without `e`: spot's bookTicker and partial depth, request acks and error replies. */
  #withoutEventType(data: Record<string, unknown>, where: Where): MapResult {
    if ('error' in data) {
      const reply = data as Untrusted<BinanceWsError>;
      const error = isObject(reply.error) ? reply.error : {};
      return skip(`${BinanceSkips.ERROR_REPLY}: ${String(error['code'])} ${String(error['msg'])}`);
    }
    if ('result' in data && 'id' in data) {
      const ack = data as Untrusted<BinanceAck>;
      return skip(`${BinanceSkips.ACK}: id ${String(ack.id)}`);
    }
    if ('u' in data && 'b' in data && 'B' in data && 'a' in data && 'A' in data)
      return skip(BinanceSkips.BOOK_TICKER);
    if ('lastUpdateId' in data && 'bids' in data) return skip(BinanceSkips.PARTIAL_DEPTH);
    return fail(FrameErrorCodes.UNKNOWN_MESSAGE, where, 'e', 'no event type and no known shape');
  }

  #trade(d: Untrusted<BinanceTrade>, receivedAt: number, where: Where): Trade {
    return {
      exchange: this.exchange,
      symbol: symbol(d.s, where, 's'),
      timestamp: uintField(d, 'T', where),
      localTimestamp: receivedAt,
      tradeId: String(uintField(d, 't', where)),
      price: positiveField(d, 'p', where),
      quantity: positiveField(d, 'q', where),
      // m: the buyer is the maker, so the taker sold.
      aggressorSide: bool(d, 'm', where) ? 'sell' : 'buy',
    };
  }

  /** An aggregate trade (WS event or REST row); its id is prefixed: aggregate ids are not trade ids. */
  #aggTrade(d: Untrusted<BinanceRestAggTrade>, s: unknown, receivedAt: number, where: Where): Trade {
    return {
      exchange: this.exchange,
      symbol: symbol(s, where, 's'),
      timestamp: uintField(d, 'T', where),
      localTimestamp: receivedAt,
      tradeId: `agg-${uintField(d, 'a', where)}`,
      price: positiveField(d, 'p', where),
      quantity: positiveField(d, 'q', where),
      aggressorSide: bool(d, 'm', where) ? 'sell' : 'buy',
    };
  }

  #depthUpdate(d: Untrusted<BinanceDepthUpdate>, receivedAt: number, where: Where): BookDelta {
    const first = uintField(d, 'U', where);
    const last = uintField(d, 'u', where);
    if (first > last) fail(FrameErrorCodes.BAD_VALUE, where, 'U', `first update id ${first} > last ${last}`);
    const delta: BookDelta = {
      exchange: this.exchange,
      symbol: symbol(d.s, where, 's'),
      timestamp: uintField(d, 'E', where),
      localTimestamp: receivedAt,
      isSnapshot: false,
      firstUpdateId: first,
      lastUpdateId: last,
      bids: levels(d.b, where, 'b'),
      asks: levels(d.a, where, 'a'),
    };
    // Futures chain diffs by `pu`; spot has no such field.
    if (this.exchange === Exchanges.BINANCE_FUTURES || d.pu !== undefined)
      delta.prevLastUpdateId = uintField(d, 'pu', where);
    return delta;
  }

  #kline(d: Untrusted<BinanceKline>, receivedAt: number, where: Where): Kline {
    const kw = at(where, 'k');
    const k = object<BinanceKlineBody>(d.k, kw);
    const kline: Kline = {
      exchange: this.exchange,
      symbol: symbol(d.s, where, 's'),
      timestamp: uintField(d, 'E', where),
      localTimestamp: receivedAt,
      interval: interval(k.i, kw, 'i'),
      openTime: uintField(k, 't', kw),
      closeTime: uintField(k, 'T', kw),
      open: positiveField(k, 'o', kw),
      high: positiveField(k, 'h', kw),
      low: positiveField(k, 'l', kw),
      close: positiveField(k, 'c', kw),
      volume: nonNegativeField(k, 'v', kw),
      quoteVolume: nonNegativeField(k, 'q', kw),
      trades: uintField(k, 'n', kw),
      takerBuyVolume: nonNegativeField(k, 'V', kw),
      takerBuyQuoteVolume: nonNegativeField(k, 'Q', kw),
      isClosed: bool(k, 'x', kw),
    };
    if (kline.closeTime < kline.openTime)
      fail(
        FrameErrorCodes.BAD_VALUE,
        kw,
        'T',
        `close time ${kline.closeTime} before open time ${kline.openTime}`,
      );
    // -1: no trade in the interval yet, so no first/last trade id.
    if (k.f !== -1) kline.firstTradeId = uintField(k, 'f', kw);
    if (k.L !== -1) kline.lastTradeId = uintField(k, 'L', kw);
    return kline;
  }

  #rest(json: unknown, frame: RawFrame, where: Where): MapResult {
    if (isObject(json) && 'code' in json && 'msg' in json && !('symbols' in json)) {
      const e = json as Untrusted<BinanceRestError>;
      return skip(`${BinanceSkips.ERROR_REPLY}: ${String(e.code)} ${String(e.msg)}`);
    }
    const source = frame.source;
    const endpoint = endpointOf(source);
    if (!endpoint.startsWith(this.#restPrefix))
      fail(FrameErrorCodes.UNKNOWN_SOURCE, where, '', `${source} is not a ${this.exchange} REST endpoint`);
    switch (endpoint.slice(this.#restPrefix.length)) {
      case 'depth':
        return emit([
          { type: 'book', value: this.#snapshot(json, this.#querySymbol(source, where), frame, where) },
        ]);
      case 'exchangeInfo':
        return emit(this.#exchangeInfo(json, frame.receivedAt, where));
      case 'klines':
        return emit(this.#restKlines(json, frame, where));
      case 'aggTrades':
        return emit(this.#restAggTrades(json, frame, where));
    }
    return fail(FrameErrorCodes.UNKNOWN_SOURCE, where, '', `no mapping for the REST endpoint ${endpoint}`);
  }

  #querySymbol(source: string, where: Where): string {
    const s = queryParam(source, 'symbol');
    if (s === undefined) fail(FrameErrorCodes.UNKNOWN_SOURCE, where, '', `${source} names no symbol`);
    return symbol(s.toUpperCase(), where, 'source.symbol');
  }

  #snapshot(json: unknown, s: string, frame: RawFrame, where: Where): BookDelta {
    const d = object<BinanceDepthSnapshot>(json, where);
    return {
      exchange: this.exchange,
      symbol: s,
      // Spot's answer has no time; futures' has E.
      timestamp: d.E === undefined ? frame.receivedAt : uintField(d, 'E', where),
      localTimestamp: frame.receivedAt,
      isSnapshot: true,
      lastUpdateId: uintField(d, 'lastUpdateId', where),
      bids: levels(d.bids, where, 'bids'),
      asks: levels(d.asks, where, 'asks'),
    };
  }

  #exchangeInfo(json: unknown, receivedAt: number, where: Where): NormalizedEvent[] {
    const info = object<BinanceExchangeInfo>(json, where);
    const symbols = array(info.symbols, where, 'symbols');
    const out: NormalizedEvent[] = new Array<NormalizedEvent>(symbols.length);
    for (let i = 0; i < symbols.length; i++)
      out[i] = {
        type: 'instrument',
        value: instrumentOf(symbols[i], this.exchange, receivedAt, at(where, `symbols[${i}]`)),
      };
    return out;
  }

  /**
   * A page of klines. REST has no event time: a closed kline's time is its close time (it did
   * not change after), an open one's is the receive time. Open iff it closes after the answer arrived.
   */
  #restKlines(json: unknown, frame: RawFrame, where: Where): NormalizedEvent[] {
    const s = this.#querySymbol(frame.source, where);
    const name = interval(queryParam(frame.source, 'interval'), where, 'source.interval');
    const rows = array(json, where, '');
    const out: NormalizedEvent[] = new Array<NormalizedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const w = at(where, `[${i}]`);
      const r = array(rows[i], w, '');
      const closeTime = uint(r[6], w, '[6]');
      const isClosed = closeTime < frame.receivedAt;
      const kline: Kline = {
        exchange: this.exchange,
        symbol: s,
        timestamp: isClosed ? closeTime : frame.receivedAt,
        localTimestamp: frame.receivedAt,
        interval: name,
        openTime: uint(r[0], w, '[0]'),
        closeTime,
        open: positive(r[1], w, '[1]'),
        high: positive(r[2], w, '[2]'),
        low: positive(r[3], w, '[3]'),
        close: positive(r[4], w, '[4]'),
        volume: nonNegative(r[5], w, '[5]'),
        quoteVolume: nonNegative(r[7], w, '[7]'),
        trades: uint(r[8], w, '[8]'),
        takerBuyVolume: nonNegative(r[9], w, '[9]'),
        takerBuyQuoteVolume: nonNegative(r[10], w, '[10]'),
        isClosed,
      };
      out[i] = { type: 'kline', value: kline };
    }
    return out;
  }

  #restAggTrades(json: unknown, frame: RawFrame, where: Where): NormalizedEvent[] {
    const s = this.#querySymbol(frame.source, where);
    const rows = array(json, where, '');
    const out: NormalizedEvent[] = new Array<NormalizedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const w = at(where, `[${i}]`);
      out[i] = { type: 'trade', value: this.#aggTrade(object(rows[i], w), s, frame.receivedAt, w) };
    }
    return out;
  }
}

function interval(value: unknown, where: Where, field: string): string {
  if (typeof value !== 'string' || !INTERVAL.test(value))
    fail(
      value === undefined ? FrameErrorCodes.MISSING_FIELD : FrameErrorCodes.BAD_VALUE,
      where,
      field,
      `expected an interval name such as 1m, got ${JSON.stringify(value)}`,
    );
  return value;
}
