// Answers one REST request: route, weight charge (429/418), injected rate-limit faults, Binance error bodies.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type FaultState } from '../faults.ts';
import { type MarketKind, MarketKinds } from '../model/instruments.ts';
import { type WeightLimiter } from './limiter.ts';
import { ApiError, Params } from './params.ts';
import { ROUTES, type RestContext } from './routes.ts';

export interface RestStats {
  requests: number;
  /** HTTP status -> count. */
  byStatus: Record<string, number>;
}

export interface RestState {
  readonly ctx: RestContext;
  readonly limiters: Readonly<Record<MarketKind, WeightLimiter>>;
  readonly faults: FaultState;
  readonly stats: RestStats;
}

const JSON_TYPE = 'application/json;charset=UTF-8';

/** True when the path is a REST path of either API (the rest is the admin's or unknown). */
export function isRestPath(path: string): boolean {
  return path.startsWith('/api/') || path.startsWith('/fapi/');
}

export function handleRest(req: IncomingMessage, res: ServerResponse, state: RestState): void {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const route = ROUTES.get(url.pathname);
  const send = (status: number, body: string, headers: Record<string, string | number> = {}): void => {
    state.stats.requests++;
    state.stats.byStatus[status] = (state.stats.byStatus[status] ?? 0) + 1;
    res.writeHead(status, { 'Content-Type': JSON_TYPE, ...headers });
    res.end(body);
  };
  if (!route) return send(404, '{"code":-1000,"msg":"Unknown path."}');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return send(405, '{"code":-1020,"msg":"This operation is not supported."}');
  const ip = req.socket.remoteAddress ?? 'unknown';
  const limiter = state.limiters[route.kind];
  // Spot also sends the older unsuffixed header; both APIs send the one-minute one.
  const usedHeaders = (used: number): Record<string, number> =>
    route.kind === MarketKinds.SPOT
      ? { 'X-MBX-USED-WEIGHT': used, 'X-MBX-USED-WEIGHT-1M': used }
      : { 'X-MBX-USED-WEIGHT-1M': used };
  const forced = state.faults.nextRest();
  if (forced) {
    const msg =
      forced.status === 418
        ? `Way too much request weight used; IP banned until ${Date.now() + forced.retryAfterSeconds * 1000}. ` +
          'Please use WebSocket Streams for live updates to avoid bans.'
        : `Too much request weight used; current limit is ${limiter.limit} request weight per 1 MINUTE. ` +
          'Please use WebSocket Streams for live updates to avoid polling the API.';
    return send(forced.status, JSON.stringify({ code: -1003, msg }), {
      ...usedHeaders(limiter.used(ip)),
      'Retry-After': forced.retryAfterSeconds,
    });
  }
  const charge = limiter.charge(ip, route.weight(url.searchParams));
  if (!charge.ok)
    return send(charge.status, JSON.stringify({ code: -1003, msg: charge.msg }), {
      ...usedHeaders(charge.used),
      'Retry-After': charge.retryAfterSeconds,
    });
  try {
    send(200, route.handle(new Params(url.searchParams), state.ctx), usedHeaders(charge.used));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    send(error.status, error.body(), usedHeaders(charge.used));
  }
}
