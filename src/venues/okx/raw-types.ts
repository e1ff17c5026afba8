// OKX v5 public WebSocket messages as the exchange sends them: pushes on a channel, and events.
//
// Every number OKX sends in data is text ("30218.8", "1652459223003"), except `checksum`,
// `seqId` and `prevSeqId`, which are JSON integers.

/** The channel and instrument a push belongs to. */
export interface OkxArg {
  readonly channel: string;
  readonly instId: string;
}

/** A push: `{"arg":{...},"action":"update","data":[...]}`. */
export interface OkxPush {
  readonly arg: OkxArg;
  /** `books`, `books-l2-tbt`, `books50-l2-tbt`: snapshot or update. Absent on `books5`, `bbo-tbt` (always whole). */
  readonly action?: 'snapshot' | 'update';
  readonly data: readonly unknown[];
}

/** `[price, size, liquidated orders (deprecated, "0"), number of orders]`. */
export type OkxLevel = readonly [string, string, string, string];

/** One element of a book push's `data`. */
export interface OkxBook {
  readonly asks: readonly OkxLevel[];
  readonly bids: readonly OkxLevel[];
  /** Time of the book change, ms as text. */
  readonly ts: string;
  /** Signed CRC32 of the top 25 levels after the change (see ./checksum.ts). */
  readonly checksum?: number;
  /** Sequence of this push and of the previous one; `prevSeqId` is -1 on a snapshot. Sent since 2022. */
  readonly seqId?: number;
  readonly prevSeqId?: number;
}

/** One element of a `trades` push. */
export interface OkxTrade {
  readonly instId: string;
  readonly tradeId: string;
  readonly px: string;
  readonly sz: string;
  /** The taker's side: OKX states the aggressor directly. */
  readonly side: 'buy' | 'sell';
  readonly ts: string;
}

/** `{"event":"subscribe","arg":{...}}`, `{"event":"error","code":"60012","msg":"..."}`. */
export interface OkxEvent {
  readonly event: string;
  readonly arg?: OkxArg;
  readonly code?: string;
  readonly msg?: string;
}
