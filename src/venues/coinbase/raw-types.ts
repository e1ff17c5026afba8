// Coinbase Exchange (legacy `ws-feed`) messages and the REST products list, as the exchange sends them.
//
// Prices and sizes are decimal text; ids and sequence numbers are JSON integers; times are
// RFC 3339 UTC text with microseconds ("2021-04-17T16:43:37.075687Z").

/** `level2`: the whole book when the subscription starts. */
export interface CoinbaseSnapshot {
  readonly type: 'snapshot';
  readonly product_id: string;
  readonly bids: readonly (readonly [string, string])[];
  readonly asks: readonly (readonly [string, string])[];
  /** Sent by newer feeds only. */
  readonly time?: string;
}

/** `level2`: changed levels, `[side, price, new size]`; size "0" removes the level. */
export interface CoinbaseL2Update {
  readonly type: 'l2update';
  readonly product_id: string;
  readonly changes: readonly (readonly ['buy' | 'sell', string, string])[];
  readonly time: string;
}

/** `matches`: a trade. `last_match` is the latest trade, sent once on subscribing. */
export interface CoinbaseMatch {
  readonly type: 'match' | 'last_match';
  readonly trade_id: number;
  readonly sequence: number;
  readonly maker_order_id: string;
  readonly taker_order_id: string;
  readonly time: string;
  readonly product_id: string;
  readonly size: string;
  readonly price: string;
  /** The maker's side: "sell" means a resting sell order was hit, so the taker bought. */
  readonly side: 'buy' | 'sell';
}

/** `{"type":"error","message":"Failed to subscribe","reason":"..."}`. */
export interface CoinbaseError {
  readonly type: 'error';
  readonly message: string;
  readonly reason?: string;
}

/** One product of `GET /products`. */
export interface CoinbaseProduct {
  readonly id: string;
  readonly base_currency: string;
  readonly quote_currency: string;
  readonly base_min_size: string;
  readonly base_max_size?: string;
  readonly quote_increment: string;
  readonly base_increment: string;
  readonly min_market_funds?: string;
  /** online, offline, internal, delisted. */
  readonly status: string;
  readonly trading_disabled?: boolean;
  readonly cancel_only?: boolean;
}
