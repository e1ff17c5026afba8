// Binance's documented REST paths, request weights and limit ranges for the market-data endpoints the loader uses.
//
// Figures from Binance's API docs (spot "Market data endpoints", USD-M futures "Market Data" REST pages).
// They change now and then; the X-MBX-USED-WEIGHT-1M header corrects the running total after every
// answer, so a stale figure here costs at most one request's worth of budget.

export type BinanceExchange = 'binance' | 'binance-futures';

export const RestEndpoints = {
  EXCHANGE_INFO: 'exchangeInfo',
  DEPTH: 'depth',
  KLINES: 'klines',
  AGG_TRADES: 'aggTrades',
} as const;
export type RestEndpoint = (typeof RestEndpoints)[keyof typeof RestEndpoints];

/** Default request-weight limit per minute per IP (spot 6000, USD-M futures 2400). */
export const DEFAULT_WEIGHT_LIMIT: Readonly<Record<BinanceExchange, number>> = {
  binance: 6000,
  'binance-futures': 2400,
};

export function restPath(exchange: BinanceExchange, endpoint: RestEndpoint): string {
  return exchange === 'binance' ? `/api/v3/${endpoint}` : `/fapi/v1/${endpoint}`;
}

/** Futures accepts only these depth limits; spot any of 1..5000. */
const FUTURES_DEPTH_LIMITS: readonly number[] = [5, 10, 20, 50, 100, 500, 1000];

interface Limits {
  readonly depthDefault: number;
  readonly klinesMax: number;
  readonly aggTradesMax: number;
}

export const LIMITS: Readonly<Record<BinanceExchange, Limits>> = {
  binance: { depthDefault: 100, klinesMax: 1000, aggTradesMax: 1000 },
  'binance-futures': { depthDefault: 500, klinesMax: 1500, aggTradesMax: 1000 },
};

/** Null when Binance accepts `limit` for the depth endpoint, else why not. */
export function depthLimitProblem(exchange: BinanceExchange, limit: number): string | null {
  if (exchange === 'binance-futures') {
    return FUTURES_DEPTH_LIMITS.includes(limit)
      ? null
      : `futures depth limit must be one of ${FUTURES_DEPTH_LIMITS.join(', ')}, got ${limit}`;
  }
  return Number.isInteger(limit) && limit >= 1 && limit <= 5000
    ? null
    : `spot depth limit must be an integer 1..5000, got ${limit}`;
}

/** Weight of one depth snapshot: it grows with the number of levels asked for. */
function depthWeight(exchange: BinanceExchange, limit: number): number {
  if (exchange === 'binance') {
    if (limit <= 100) return 5;
    if (limit <= 500) return 25;
    if (limit <= 1000) return 50;
    return 250;
  }
  if (limit <= 50) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}

/** Futures klines are charged by page size; spot klines cost 2 whatever the size. */
function klinesWeight(exchange: BinanceExchange, limit: number): number {
  if (exchange === 'binance') return 2;
  if (limit < 100) return 1;
  if (limit < 500) return 2;
  if (limit <= 1000) return 5;
  return 10;
}

/** The weight Binance charges for one request to `endpoint` with page size / depth `limit`. */
export function requestWeight(exchange: BinanceExchange, endpoint: RestEndpoint, limit?: number): number {
  const spot = exchange === 'binance';
  switch (endpoint) {
    case RestEndpoints.EXCHANGE_INFO:
      return spot ? 20 : 1;
    case RestEndpoints.DEPTH:
      return depthWeight(exchange, limit ?? LIMITS[exchange].depthDefault);
    case RestEndpoints.KLINES:
      return klinesWeight(exchange, limit ?? 500);
    case RestEndpoints.AGG_TRADES:
      return spot ? 4 : 20;
  }
}
