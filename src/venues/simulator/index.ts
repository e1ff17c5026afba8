// The exchange simulator's public API: a local server speaking Binance's spot and USD-M REST + WebSocket subset.

import { type FaultInjector } from './faults.ts';

export { FaultNames, type FaultInjector, type FaultName } from './faults.ts';
export { startSimulator } from './start.ts';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = any free port (the default for the API; the CLI defaults to 8090). */
  port?: number;
  /** PRNG seed of the market model: the same seed gives the same sequence of events. Default 1. */
  seed?: number;
  /** Spot symbols, default BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT, BNBUSDT. */
  symbols?: readonly string[];
  /** USD-M perpetual symbols, default BTCUSDT, ETHUSDT; [] lists none. */
  futuresSymbols?: readonly string[];
  /** Replays real captures (hftbacktest-format Binance spot files) instead of running the model. */
  replay?: { files: readonly string[]; speed: number | 'max' };
  /** Server ping frames, default 20 s (Binance: every 20 s). */
  pingIntervalMs?: number;
  /** A connection whose pong is later than this is closed, default 60 s. */
  pongTimeoutMs?: number;
  /** Binance closes every connection after 24 h; default 24 h. */
  connectionLifetimeMs?: number;
  /** REST request-weight budget per minute and IP; default 6000 spot, 2400 USD-M (Binance's). */
  weightLimitPerMinute?: number;
  /** Market model step, default 25 ms; diffs still go out every 100 ms (`@depth@100ms`). */
  tickMs?: number;
  /** Time between the `serverShutdown` notice and the close, default 1 s (Binance: minutes). */
  shutdownGraceMs?: number;
}

export interface SimulatorStats {
  readonly mode: 'model' | 'replay';
  readonly uptimeMs: number;
  readonly connections: { readonly open: number; readonly total: number };
  /** Stream subscriptions (connection x stream) and distinct streams with a subscriber, per API. */
  readonly streams: {
    readonly spot: { readonly subscriptions: number; readonly active: number };
    readonly futures: { readonly subscriptions: number; readonly active: number };
  };
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly messagesReceived: number;
  /** Connections the server ended, by reason (lifetime, pongTimeout, messageRate, serverShutdown, dropped, ...). */
  readonly closedByServer: Readonly<Record<string, number>>;
  readonly rest: {
    readonly requests: number;
    readonly byStatus: Readonly<Record<string, number>>;
    /** Weight used in the current minute, all clients together. */
    readonly weightUsed: { readonly spot: number; readonly futures: number };
  };
  /** Events the model produced (whether or not anyone subscribed). */
  readonly market?: {
    readonly steps: number;
    readonly lagMs: number;
    readonly intensity: number;
    readonly trades: number;
    readonly aggTrades: number;
    readonly bookTickers: number;
    readonly depthDiffs: number;
    readonly klines: number;
    readonly gapsInjected: number;
  };
  readonly replay?: {
    readonly started: boolean;
    readonly done: boolean;
    readonly framesReplayed: number;
    readonly files: readonly string[];
    /** Why the replay stopped early (an unreadable or malformed capture). */
    readonly error?: string;
  };
}

export interface Simulator {
  /** http://host:port; spot REST under /api/v3/. */
  readonly restUrl: string;
  /** ws://host:port; spot streams at /stream?streams=a/b and /ws/<stream>. */
  readonly wsUrl: string;
  /** http://host:port; USD-M REST under /fapi/v1/. */
  readonly futuresRestUrl: string;
  /** ws://host:port/fstream; USD-M streams at /fstream/stream?streams=... and /fstream/ws/<stream>. */
  readonly futuresWsUrl: string;
  readonly faults: FaultInjector;
  stats(): SimulatorStats;
  close(): Promise<void>;
}
