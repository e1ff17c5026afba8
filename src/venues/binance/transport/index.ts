// The Binance transport's public surface: stream connections and the weight-aware REST client the loader uses.

export {
  BinanceStreams,
  type BinanceStreamsOptions,
  type ConnectionInfo,
  type StreamFrame,
} from './streams.ts';
export { BinanceRest, type BinanceRestOptions, type PagingOptions, type ThrottleEvent } from './rest.ts';
export { type AggTradesQuery, type AggTradesStart, type KlinesQuery } from './paging.ts';
export {
  type AggTradeRow,
  type DepthBody,
  type ExchangeInfoBody,
  type KlineRow,
  type RestResult,
} from './rest-bodies.ts';
export {
  BinanceTransportError,
  type TransportErrorCode,
  TransportErrorCodes,
  isTransportError,
} from './errors.ts';
export {
  type BinanceExchange,
  DEFAULT_WEIGHT_LIMIT,
  type RestEndpoint,
  RestEndpoints,
  requestWeight,
  restPath,
} from './weights.ts';
export { streamNameProblem } from './stream-names.ts';
