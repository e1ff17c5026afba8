// Binance spot and USD-M futures messages as the exchange sends them (WebSocket events and REST bodies).
//
// Field letters follow Binance's documentation. Numbers that are prices or quantities come as
// decimal text; ids and times come as JSON integers (ms since the epoch).

/** A combined-stream envelope (`/stream?streams=...`): the stream name and the event. */
export interface BinanceCombined {
  /** `btcusdt@trade`, `btcusdt@depth@100ms`, `btcusdt@kline_1m`: the symbol lower-case. */
  readonly stream: string;
  readonly data: unknown;
}

/** `<symbol>@trade`: one trade. */
export interface BinanceTrade {
  readonly e: 'trade';
  /** Event time. */
  readonly E: number;
  readonly s: string;
  /** Trade id. */
  readonly t: number;
  readonly p: string;
  readonly q: string;
  /** Trade time. */
  readonly T: number;
  /** The buyer is the maker: the taker (aggressor) sold. */
  readonly m: boolean;
}

/** `<symbol>@aggTrade`: trades of one taker order at one price, aggregated. */
export interface BinanceAggTrade {
  readonly e: 'aggTrade';
  readonly E: number;
  readonly s: string;
  /** Aggregate trade id: a number space of its own, not a trade id. */
  readonly a: number;
  readonly p: string;
  readonly q: string;
  /** First and last trade id aggregated. */
  readonly f: number;
  readonly l: number;
  readonly T: number;
  readonly m: boolean;
}

/** `<symbol>@depth` / `@depth@100ms`: a diff of the order book. */
export interface BinanceDepthUpdate {
  readonly e: 'depthUpdate';
  readonly E: number;
  /** Transaction time (futures only). */
  readonly T?: number;
  readonly s: string;
  /** First and final update id in the event. */
  readonly U: number;
  readonly u: number;
  /** Final update id of the previous event (futures only): gap detection without a snapshot. */
  readonly pu?: number;
  /** Bids and asks to update, `[price, quantity]`; quantity "0" removes the level. */
  readonly b: readonly (readonly [string, string])[];
  readonly a: readonly (readonly [string, string])[];
}

/** The candle inside a `kline` event. */
export interface BinanceKlineBody {
  /** Open time and close time (last ms of the interval). */
  readonly t: number;
  readonly T: number;
  readonly s: string;
  /** Interval name: 1s, 1m, ..., 1M. */
  readonly i: string;
  /** First and last trade id; -1 when the interval has no trade yet. */
  readonly f: number;
  readonly L: number;
  readonly o: string;
  readonly c: string;
  readonly h: string;
  readonly l: string;
  /** Base volume. */
  readonly v: string;
  /** Number of trades. */
  readonly n: number;
  /** Is this kline closed (final)? */
  readonly x: boolean;
  /** Quote volume. */
  readonly q: string;
  /** Taker buy base and quote volume. */
  readonly V: string;
  readonly Q: string;
}

/** `<symbol>@kline_<interval>`. */
export interface BinanceKline {
  readonly e: 'kline';
  readonly E: number;
  readonly s: string;
  readonly k: BinanceKlineBody;
}

/** `<symbol>@bookTicker`: best bid and ask. Spot sends it without `e`; futures with `e`, `E`, `T`. */
export interface BinanceBookTicker {
  readonly e?: 'bookTicker';
  readonly u: number;
  readonly s: string;
  readonly b: string;
  readonly B: string;
  readonly a: string;
  readonly A: string;
}

/** The answer to a SUBSCRIBE/UNSUBSCRIBE request: `{"result":null,"id":1}`. */
export interface BinanceAck {
  readonly result: unknown;
  readonly id: number;
}

/** A WebSocket error reply: `{"error":{"code":2,"msg":"Invalid request"},"id":1}`. */
export interface BinanceWsError {
  readonly error: { readonly code: number; readonly msg: string };
  readonly id?: number;
}

/** A REST error body: `{"code":-1121,"msg":"Invalid symbol."}`. */
export interface BinanceRestError {
  readonly code: number;
  readonly msg: string;
}

/** `GET /api/v3/depth`, `GET /fapi/v1/depth`. */
export interface BinanceDepthSnapshot {
  readonly lastUpdateId: number;
  /** Message output time and transaction time (futures only). */
  readonly E?: number;
  readonly T?: number;
  readonly bids: readonly (readonly [string, string])[];
  readonly asks: readonly (readonly [string, string])[];
}

/** A filter in exchangeInfo; only the fields StreamForge reads. */
export interface BinanceFilter {
  readonly filterType: string;
  /** PRICE_FILTER */
  readonly tickSize?: string;
  /** LOT_SIZE */
  readonly stepSize?: string;
  readonly minQty?: string;
  readonly maxQty?: string;
  /** Spot NOTIONAL and spot MIN_NOTIONAL. */
  readonly minNotional?: string;
  /** Futures MIN_NOTIONAL. */
  readonly notional?: string;
}

/** One symbol of exchangeInfo. */
export interface BinanceSymbolInfo {
  readonly symbol: string;
  /** Spot: PRE_TRADING, TRADING, POST_TRADING, END_OF_DAY, HALT, AUCTION_MATCH, BREAK. Futures: PENDING_TRADING, TRADING, PRE_DELIVERING, DELIVERING, DELIVERED, PRE_SETTLE, SETTLING, CLOSE. */
  readonly status: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly filters: readonly BinanceFilter[];
  /** Futures: PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER, ... */
  readonly contractType?: string;
  /** Futures: delivery time in ms (a far-future date for perpetuals). */
  readonly deliveryDate?: number;
}

/** `GET /api/v3/exchangeInfo`, `GET /fapi/v1/exchangeInfo`. */
export interface BinanceExchangeInfo {
  readonly serverTime: number;
  readonly symbols: readonly BinanceSymbolInfo[];
}

/**
 * A row of `GET /api/v3/klines` / `/fapi/v1/klines`: open time, open, high, low, close, volume,
 * close time, quote volume, trades, taker buy base volume, taker buy quote volume, ignore.
 */
export type BinanceRestKline = readonly [
  number,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  string,
  string,
  ...unknown[],
];

/** A row of `GET /api/v3/aggTrades` / `/fapi/v1/aggTrades`: the aggTrade event without `e`, `E`, `s`. */
export type BinanceRestAggTrade = Omit<BinanceAggTrade, 'e' | 'E' | 's'>;
