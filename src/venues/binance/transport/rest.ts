// BinanceRest: market-data REST requests to one Binance host that stay inside the request-weight limit.

import { type BackoffOptions, DEFAULT_BACKOFF, checkBackoff } from '../../backoff.ts';
import { BinanceTransportError, TransportErrorCodes } from './errors.ts';
import { getOnce, statusError } from './http.ts';
import {
  type AggTradesQuery,
  type AggTradesStart,
  type KlinesQuery,
  type PageSource,
  walkAggTrades,
  walkKlines,
} from './paging.ts';
import { RequestQueue, type ThrottleEvent } from './request-queue.ts';
import { intervalsOf } from '../intervals.ts';
import { checkLimit, checkRestUrl, checkTimes, invalid, symbolProblem } from './rest-params.ts';
import {
  type AggTradeRow,
  type BodyContext,
  type DepthBody,
  type ExchangeInfoBody,
  type KlineRow,
  type RestResult,
  aggTradeRows,
  depthBody,
  exchangeInfoBody,
  klineRows,
} from './rest-bodies.ts';
import { WeightBudget } from './weight-budget.ts';
import {
  type BinanceExchange,
  DEFAULT_WEIGHT_LIMIT,
  LIMITS,
  type RestEndpoint,
  RestEndpoints,
  depthLimitProblem,
  requestWeight,
  restPath,
} from './weights.ts';

export type { ThrottleEvent } from './request-queue.ts';

export interface BinanceRestOptions {
  readonly exchange: BinanceExchange;
  /** https://api.binance.com, https://fapi.binance.com, or a simulator's http://127.0.0.1:<port>. */
  readonly restUrl: string;
  /** Default 6000 (spot) / 2400 (futures), Binance's per-IP limit. */
  readonly weightLimitPerMinute?: number;
  /** Fraction of the limit left unused for other clients on the IP and estimate error; default 0.1. */
  readonly safetyMargin?: number;
  /** Fetch timeout per request; default 10 s. */
  readonly timeoutMs?: number;
  /** Requests on the wire at once; default 2. */
  readonly maxInFlight?: number;
  /** Further attempts after a 429, 5xx, timeout or network failure; default 3. */
  readonly maxRetries?: number;
  /** Backoff between those attempts (not for 429, which waits Retry-After); default 500 ms .. 30 s. */
  readonly backoff?: BackoffOptions;
  /** See WeightBudgetOptions.clockSlackMs; default 1000 ms. */
  readonly clockSlackMs?: number;
  /** A request is held back (weight budget, Retry-After): for logs and metrics. */
  readonly onThrottle?: (event: ThrottleEvent) => void;
}

/**
 * One Binance REST host. Every request is queued and sent only when the minute's weight budget
 * has room (documented weights booked before sending, X-MBX-USED-WEIGHT-1M taken after), so the
 * client waits rather than provoking a 429; a 429 holds the host back for Retry-After, and a 418
 * fails everything until the ban's end. Answers keep the exact body bytes and the path as sent.
 */
export class BinanceRest implements PageSource {
  readonly exchange: BinanceExchange;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #budget: WeightBudget;
  readonly #queue: RequestQueue;

  constructor(options: BinanceRestOptions) {
    if (options.exchange !== 'binance' && options.exchange !== 'binance-futures') {
      throw invalid(`exchange must be 'binance' or 'binance-futures', got ${String(options.exchange)}`);
    }
    this.exchange = options.exchange;
    this.#base = checkRestUrl(options.restUrl);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    try {
      this.#budget = new WeightBudget({
        limitPerMinute: options.weightLimitPerMinute ?? DEFAULT_WEIGHT_LIMIT[options.exchange],
        safetyMargin: options.safetyMargin ?? 0.1,
        ...(options.clockSlackMs !== undefined ? { clockSlackMs: options.clockSlackMs } : {}),
      });
      this.#queue = new RequestQueue(this.#budget, {
        maxInFlight: options.maxInFlight ?? 2,
        maxRetries: options.maxRetries ?? 3,
        backoff: checkBackoff(options.backoff ?? DEFAULT_BACKOFF),
        ...(options.onThrottle ? { onThrottle: options.onThrottle } : {}),
      });
    } catch (error) {
      throw invalid((error as Error).message);
    }
  }

  /** Weight used in the current minute as this client knows it (for metrics). */
  get usedWeight(): number {
    return this.#budget.used;
  }

  /** Binance's per-minute limit and the part of it this client uses. */
  get weightLimit(): { readonly limit: number; readonly budget: number } {
    return { limit: this.#budget.limit, budget: this.#budget.budget };
  }

  /** Until when nothing is sent (429 Retry-After or 418 ban), ms since the epoch; 0 if not held back. */
  get blockedUntil(): number {
    return this.#budget.blockedUntil > Date.now() ? this.#budget.blockedUntil : 0;
  }

  /** Requests waiting for weight budget or their turn. */
  get queued(): number {
    return this.#queue.waiting;
  }

  exchangeInfo(): Promise<RestResult<ExchangeInfoBody>> {
    return this.#get(RestEndpoints.EXCHANGE_INFO, undefined, [], undefined, exchangeInfoBody);
  }

  /** Order book snapshot; `limit` defaults to Binance's (100 spot, 500 futures); the weight grows with it. */
  depth(symbol: string, limit?: number): Promise<RestResult<DepthBody>> {
    const path = restPath(this.exchange, RestEndpoints.DEPTH);
    const size = limit ?? LIMITS[this.exchange].depthDefault;
    const problem = symbolProblem(symbol) ?? depthLimitProblem(this.exchange, size);
    if (problem) return Promise.reject(invalid(problem, path, symbol));
    return this.#get(RestEndpoints.DEPTH, symbol, [['limit', limit]], size, depthBody);
  }

  klines(
    symbol: string,
    interval: string,
    query: KlinesQuery = {},
  ): Promise<RestResult<readonly KlineRow[]>> {
    const path = restPath(this.exchange, RestEndpoints.KLINES);
    const intervals = intervalsOf(this.exchange);
    const problem =
      symbolProblem(symbol) ??
      (intervals.includes(interval)
        ? null
        : `interval must be one of ${intervals.join(', ')}, got "${interval}"`) ??
      checkTimes(query.startTime, query.endTime) ??
      checkLimit(query.limit, LIMITS[this.exchange].klinesMax);
    if (problem) return Promise.reject(invalid(problem, path, symbol));
    const params: Param[] = [
      ['interval', interval],
      ['startTime', query.startTime],
      ['endTime', query.endTime],
      ['limit', query.limit],
    ];
    return this.#get(RestEndpoints.KLINES, symbol, params, query.limit ?? 500, klineRows);
  }

  aggTrades(symbol: string, query: AggTradesQuery = {}): Promise<RestResult<readonly AggTradeRow[]>> {
    const path = restPath(this.exchange, RestEndpoints.AGG_TRADES);
    const problem =
      symbolProblem(symbol) ??
      (query.fromId !== undefined && (query.startTime !== undefined || query.endTime !== undefined)
        ? 'send either fromId or startTime/endTime, not both (Binance may time out on the mix)'
        : null) ??
      (query.fromId !== undefined && !(Number.isSafeInteger(query.fromId) && query.fromId >= 0)
        ? `fromId must be a non-negative integer, got ${query.fromId}`
        : null) ??
      checkTimes(query.startTime, query.endTime) ??
      (query.startTime !== undefined &&
      query.endTime !== undefined &&
      query.endTime - query.startTime >= 3_600_000
        ? 'startTime and endTime must be less than one hour apart'
        : null) ??
      checkLimit(query.limit, LIMITS[this.exchange].aggTradesMax);
    if (problem) return Promise.reject(invalid(problem, path, symbol));
    const params: Param[] = [
      ['fromId', query.fromId],
      ['startTime', query.startTime],
      ['endTime', query.endTime],
      ['limit', query.limit],
    ];
    return this.#get(RestEndpoints.AGG_TRADES, symbol, params, query.limit, aggTradeRows);
  }

  /**
   * Every kline with open time in [from, to], page by page. Pages of 1000 by default: the most
   * rows per weight on both APIs (futures charges 10 above 1000).
   */
  klinesRange(
    symbol: string,
    interval: string,
    from: number,
    to: number,
    options: PagingOptions = {},
  ): AsyncGenerator<RestResult<readonly KlineRow[]>> {
    return walkKlines(this, symbol, interval, from, to, options.pageLimit ?? 1000);
  }

  /** Aggregate trades from an id or a time on, page by page (1000 a page by default), until trade time `until` or the present. */
  aggTradesFrom(
    symbol: string,
    start: AggTradesStart,
    until?: number,
    options: PagingOptions = {},
  ): AsyncGenerator<RestResult<readonly AggTradeRow[]>> {
    return walkAggTrades(this, symbol, start, until, options.pageLimit ?? LIMITS[this.exchange].aggTradesMax);
  }

  /** Fails queued requests with `closed`; requests on the wire still finish. */
  close(): void {
    this.#queue.close();
  }

  #get<T>(
    endpoint: RestEndpoint,
    symbol: string | undefined,
    params: readonly Param[],
    limit: number | undefined,
    check: (json: unknown, context: BodyContext) => T,
  ): Promise<RestResult<T>> {
    const search = new URLSearchParams();
    if (symbol !== undefined) search.set('symbol', symbol);
    for (const [name, value] of params) if (value !== undefined) search.set(name, String(value));
    const query = search.toString();
    const path = `${restPath(this.exchange, endpoint)}${query ? `?${query}` : ''}`;
    const context = symbol === undefined ? { endpoint: path } : { endpoint: path, symbol };
    const weight = requestWeight(this.exchange, endpoint, limit);
    return this.#queue.submit(weight, context, async (window) => {
      const answer = await getOnce(`${this.#base}${path}`, this.#timeoutMs, context);
      const header = answer.headers.get('x-mbx-used-weight-1m');
      const usedWeight = header === null ? undefined : Number(header);
      if (usedWeight !== undefined && Number.isFinite(usedWeight)) this.#budget.observe(usedWeight, window);
      if (answer.status < 200 || answer.status > 299) {
        throw statusError(answer, context, this.#untilNextWindow());
      }
      let json: unknown;
      try {
        json = JSON.parse(answer.body.toString('utf8'));
      } catch (error) {
        throw new BinanceTransportError(TransportErrorCodes.BAD_RESPONSE, 'body is not JSON', {
          ...context,
          cause: error,
        });
      }
      return {
        path,
        body: answer.body,
        json: check(json, context),
        receivedAt: answer.receivedAt,
        weight,
        usedWeight,
      };
    });
  }

  /** A 429 without Retry-After waits out the weight window. */
  #untilNextWindow(): number {
    const now = Date.now();
    return (this.#budget.windowOf(now) + 1) * 60_000 + 1000 - now;
  }
}

/** Page size of a paging walk (the `limit` of each request). */
export interface PagingOptions {
  readonly pageLimit?: number;
}

type Param = readonly [string, string | number | undefined];
