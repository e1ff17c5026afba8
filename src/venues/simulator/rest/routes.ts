// The REST endpoints (spot /api/v3, USD-M /fapi/v1): their request weights, parameters and answers.

import { type Instrument, type MarketKind, MarketKinds } from '../model/instruments.ts';
import { FUTURES_INTERVALS, SPOT_INTERVALS } from '../../binance/intervals.ts';
import { futuresExchangeInfo, spotExchangeInfo } from './exchange-info.ts';
import { ApiError, invalidSymbol, type Params } from './params.ts';
import { type MarketSource } from './source.ts';

export interface RestContext {
  readonly source: MarketSource;
  readonly weightLimit: Readonly<Record<MarketKind, number>>;
  now(): number;
}

export interface Route {
  readonly kind: MarketKind;
  /** The request weight, from the raw query (depth and futures klines depend on `limit`). */
  weight(query: URLSearchParams): number;
  handle(params: Params, ctx: RestContext): string;
}

const HOUR = 3_600_000;
const FUTURES_DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000];

function rawLimit(query: URLSearchParams, fallback: number): number {
  const n = Number(query.get('limit') ?? fallback);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

function symbolOf(params: Params, ctx: RestContext, kind: MarketKind): Instrument {
  const symbol = params.required('symbol');
  // Lower case is not "unknown symbol" but illegal characters, as Binance answers it.
  if (!/^[A-Z0-9-_.]{1,20}$/.test(symbol))
    throw new ApiError(
      400,
      -1100,
      "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
    );
  const inst = ctx.source.instruments(kind).find((i) => i.symbol === symbol);
  if (!inst) throw invalidSymbol();
  return inst;
}

function limitOf(params: Params, fallback: number, max: number): number {
  const limit = params.integer('limit') ?? fallback;
  if (limit < 1) throw new ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.");
  return Math.min(limit, max);
}

function timeRange(params: Params): { startTime: number | undefined; endTime: number | undefined } {
  const startTime = params.integer('startTime');
  const endTime = params.integer('endTime');
  if (startTime !== undefined && endTime !== undefined && startTime > endTime)
    throw new ApiError(400, -1023, 'Start time is greater than end time.');
  return { startTime, endTime };
}

const ping = (kind: MarketKind): Route => ({ kind, weight: () => 1, handle: () => '{}' });
const time = (kind: MarketKind): Route => ({
  kind,
  weight: () => 1,
  handle: (_p, ctx) => `{"serverTime":${ctx.now()}}`,
});

const spotExchangeInfoRoute: Route = {
  kind: MarketKinds.SPOT,
  weight: () => 20,
  handle(params, ctx) {
    const all = ctx.source.instruments(MarketKinds.SPOT);
    const symbol = params.optional('symbol');
    const symbols = params.optional('symbols');
    params.optional('permissions');
    params.optional('showPermissionSets');
    params.optional('symbolStatus');
    params.finish();
    if (symbol !== undefined && symbols !== undefined)
      throw new ApiError(400, -1128, 'Combination of optional parameters invalid.');
    let wanted: unknown = symbol === undefined ? undefined : [symbol];
    if (symbols !== undefined) {
      try {
        wanted = JSON.parse(symbols);
      } catch {
        throw new ApiError(
          400,
          -1100,
          'Illegal characters found in parameter \'symbols\'; legal range is \'^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$\'.',
        );
      }
    }
    if (wanted === undefined) return spotExchangeInfo(all, ctx.weightLimit.spot, ctx.now());
    if (!Array.isArray(wanted)) throw invalidSymbol();
    const chosen: Instrument[] = [];
    for (const name of wanted) {
      const inst = all.find((i) => i.symbol === name);
      if (!inst) throw invalidSymbol();
      chosen.push(inst);
    }
    return spotExchangeInfo(chosen, ctx.weightLimit.spot, ctx.now());
  },
};

/** Spot depth weight: 5 up to 100 levels, 25 to 500, 50 to 1000, 250 beyond. */
function spotDepthWeight(limit: number): number {
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

const spotDepth: Route = {
  kind: MarketKinds.SPOT,
  weight: (q) => spotDepthWeight(rawLimit(q, 100)),
  handle(params, ctx) {
    const inst = symbolOf(params, ctx, MarketKinds.SPOT);
    // Binance answers a limit over 5000 with 5000 levels rather than an error.
    const limit = limitOf(params, 100, 5000);
    params.finish();
    return ctx.source.depthBody(inst, limit, ctx.now());
  },
};

/** USD-M depth: only the listed limits; weight 2 up to 50, then 5, 10, 20. */
const futuresDepth: Route = {
  kind: MarketKinds.FUTURES,
  weight(q) {
    const limit = rawLimit(q, 500);
    return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
  },
  handle(params, ctx) {
    const inst = symbolOf(params, ctx, MarketKinds.FUTURES);
    const limit = params.integer('limit') ?? 500;
    if (!FUTURES_DEPTH_LIMITS.includes(limit))
      throw new ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.");
    params.finish();
    return ctx.source.depthBody(inst, limit, ctx.now());
  },
};

function klines(kind: MarketKind): Route {
  const spot = kind === MarketKinds.SPOT;
  const intervals: readonly string[] = spot ? SPOT_INTERVALS : FUTURES_INTERVALS;
  return {
    kind,
    // Spot: 2. USD-M: by limit, 1 under 100, 2 under 500, 5 up to 1000, 10 above.
    weight(q) {
      if (spot) return 2;
      const limit = rawLimit(q, 500);
      return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
    },
    handle(params, ctx) {
      const inst = symbolOf(params, ctx, kind);
      const interval = params.required('interval');
      if (!intervals.includes(interval)) throw new ApiError(400, -1120, 'Invalid interval.');
      const { startTime, endTime } = timeRange(params);
      const limit = limitOf(params, 500, spot ? 1000 : 1500);
      if (spot) {
        const zone = params.optional('timeZone');
        if (zone !== undefined && !/^[+-]?0{1,2}(:00)?$/.test(zone))
          throw new ApiError(400, -1130, "Data sent for parameter 'timeZone' is not valid.");
      }
      params.finish();
      return `[${ctx.source.klineRows(inst, interval, startTime, endTime, limit).join(',')}]`;
    },
  };
}

function aggTrades(kind: MarketKind): Route {
  return {
    kind,
    weight: () => (kind === MarketKinds.SPOT ? 4 : 20),
    handle(params, ctx) {
      const inst = symbolOf(params, ctx, kind);
      const fromId = params.integer('fromId');
      const { startTime, endTime } = timeRange(params);
      const limit = limitOf(params, 500, 1000);
      params.finish();
      if (startTime !== undefined && endTime !== undefined && endTime - startTime > HOUR)
        throw new ApiError(400, -1127, 'More than 1 hours between startTime and endTime.');
      const query = {
        limit,
        ...(fromId !== undefined ? { fromId } : {}),
        ...(startTime !== undefined ? { startTime } : {}),
        ...(endTime !== undefined ? { endTime } : {}),
      };
      return `[${ctx.source.aggTradeRows(inst, query).join(',')}]`;
    },
  };
}

const futuresExchangeInfoRoute: Route = {
  kind: MarketKinds.FUTURES,
  weight: () => 1,
  handle(params, ctx) {
    params.finish();
    return futuresExchangeInfo(
      ctx.source.instruments(MarketKinds.FUTURES),
      ctx.weightLimit.futures,
      ctx.now(),
    );
  },
};

export const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/api/v3/ping', ping(MarketKinds.SPOT)],
  ['/api/v3/time', time(MarketKinds.SPOT)],
  ['/api/v3/exchangeInfo', spotExchangeInfoRoute],
  ['/api/v3/depth', spotDepth],
  ['/api/v3/klines', klines(MarketKinds.SPOT)],
  ['/api/v3/aggTrades', aggTrades(MarketKinds.SPOT)],
  ['/fapi/v1/ping', ping(MarketKinds.FUTURES)],
  ['/fapi/v1/time', time(MarketKinds.FUTURES)],
  ['/fapi/v1/exchangeInfo', futuresExchangeInfoRoute],
  ['/fapi/v1/depth', futuresDepth],
  ['/fapi/v1/klines', klines(MarketKinds.FUTURES)],
  ['/fapi/v1/aggTrades', aggTrades(MarketKinds.FUTURES)],
]);
