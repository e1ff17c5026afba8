// Assembles a simulator: options, the market (model or replay), the HTTP server for REST, streams and admin.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ADMIN_PREFIX, handleAdmin } from './admin.ts';
import { FaultState } from './faults.ts';
import { type Simulator, type SimulatorOptions, type SimulatorStats } from './index.ts';
import { createInjector } from './injector.ts';
import { Engine } from './model/engine.ts';
import { instrumentFor, type MarketKind, MarketKinds, SYMBOL_PATTERN } from './model/instruments.ts';
import { handleRest, isRestPath, type RestStats } from './rest/handler.ts';
import { WeightLimiter } from './rest/limiter.ts';
import { type MarketSource, ModelSource } from './rest/source.ts';
import { type ClientConnection, type ConnectionContext, type WsStats } from './streams/connection.ts';
import { StreamHub } from './streams/hub.ts';
import { parseStream } from './streams/names.ts';
import { Publisher } from './streams/publisher.ts';
import { handleUpgrade } from './streams/upgrade.ts';
import { startReplayBackend, type ReplayBackend } from './replay/backend.ts';

export const DEFAULT_SPOT_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'BNBUSDT'] as const;
export const DEFAULT_FUTURES_SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;
const DAY = 24 * 3_600_000;

interface Resolved {
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  readonly symbols: readonly string[];
  readonly futuresSymbols: readonly string[];
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly connectionLifetimeMs: number;
  readonly weightLimit: Readonly<Record<MarketKind, number>>;
  readonly tickMs: number;
  readonly shutdownGraceMs: number;
}

function positive(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  return value;
}

function symbolList(
  name: string,
  list: readonly string[] | undefined,
  fallback: readonly string[],
): string[] {
  const symbols = [...new Set(list ?? fallback)];
  for (const s of symbols)
    if (!SYMBOL_PATTERN.test(s))
      throw new RangeError(`${name}: "${s}" is not a Binance symbol (upper-case A-Z, 0-9)`);
  return symbols;
}

export function resolveOptions(o: SimulatorOptions): Resolved {
  const port = o.port ?? 0;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed))
    throw new RangeError(`seed must be an integer, got ${o.seed}`);
  const symbols = symbolList('symbols', o.symbols, DEFAULT_SPOT_SYMBOLS);
  if (symbols.length === 0 && !o.replay) throw new RangeError('symbols: list at least one spot symbol');
  return {
    host: o.host ?? '127.0.0.1',
    port,
    seed: o.seed ?? 1,
    symbols,
    futuresSymbols: symbolList('futuresSymbols', o.futuresSymbols, DEFAULT_FUTURES_SYMBOLS),
    pingIntervalMs: positive('pingIntervalMs', o.pingIntervalMs, 20_000),
    pongTimeoutMs: positive('pongTimeoutMs', o.pongTimeoutMs, 60_000),
    connectionLifetimeMs: positive('connectionLifetimeMs', o.connectionLifetimeMs, DAY, 2 ** 31 - 1),
    weightLimit: {
      spot: positive('weightLimitPerMinute', o.weightLimitPerMinute, 6000),
      futures: positive('weightLimitPerMinute', o.weightLimitPerMinute, 2400),
    },
    tickMs: positive('tickMs', o.tickMs, 25, 1000),
    shutdownGraceMs: positive('shutdownGraceMs', o.shutdownGraceMs, 1000),
  };
}

/** Starts the simulator and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const o = resolveOptions(options);
  const started = Date.now();
  const faults = new FaultState();
  const hubs = { spot: new StreamHub(MarketKinds.SPOT), futures: new StreamHub(MarketKinds.FUTURES) };
  let engine: Engine | undefined;
  let publisher: Publisher | undefined;
  let replay: ReplayBackend | undefined;
  let source: MarketSource;
  if (options.replay) {
    replay = await startReplayBackend(options.replay, hubs, faults);
    source = replay.source;
  } else {
    publisher = new Publisher(hubs, faults);
    engine = new Engine({
      seed: o.seed,
      tickMs: o.tickMs,
      spot: o.symbols.map((s) => instrumentFor(MarketKinds.SPOT, s)),
      futures: o.futuresSymbols.map((s) => instrumentFor(MarketKinds.FUTURES, s)),
      listener: publisher,
    });
    source = new ModelSource(engine);
  }
  const listed = {
    spot: new Set(source.instruments(MarketKinds.SPOT).map((i) => i.symbol)),
    futures: new Set(source.instruments(MarketKinds.FUTURES).map((i) => i.symbol)),
  };
  const wsStats: WsStats = {
    connectionsOpen: 0,
    connectionsTotal: 0,
    framesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    closedByServer: {},
  };
  const registry = new Set<ClientConnection>();
  const context = (kind: MarketKind): ConnectionContext => ({
    kind,
    hub: hubs[kind],
    faults,
    stats: wsStats,
    registry,
    settings: {
      pingIntervalMs: o.pingIntervalMs,
      pongTimeoutMs: o.pongTimeoutMs,
      lifetimeMs: o.connectionLifetimeMs,
      messagesPerSecond: kind === MarketKinds.SPOT ? 5 : 10,
      shutdownGraceMs: o.shutdownGraceMs,
    },
    validStream: (name) => parseStream(kind, name, listed[kind]) !== undefined,
  });
  const contexts = { spot: context(MarketKinds.SPOT), futures: context(MarketKinds.FUTURES) };
  const restStats: RestStats = { requests: 0, byStatus: {} };
  const limiters = {
    spot: new WeightLimiter(o.weightLimit.spot),
    futures: new WeightLimiter(o.weightLimit.futures),
  };
  const restState = {
    ctx: { source, weightLimit: o.weightLimit, now: () => Date.now() },
    limiters,
    faults,
    stats: restStats,
  };
  const injector = createInjector({
    faults,
    connections: registry,
    engine,
    symbols: { spot: [...listed.spot], futures: [...listed.futures] },
  });

  const stats = (): SimulatorStats => ({
    mode: replay ? 'replay' : 'model',
    uptimeMs: Date.now() - started,
    connections: { open: wsStats.connectionsOpen, total: wsStats.connectionsTotal },
    streams: {
      spot: { subscriptions: hubs.spot.subscriptions, active: hubs.spot.activeStreams },
      futures: { subscriptions: hubs.futures.subscriptions, active: hubs.futures.activeStreams },
    },
    framesSent: wsStats.framesSent,
    bytesSent: wsStats.bytesSent,
    messagesReceived: wsStats.messagesReceived,
    closedByServer: { ...wsStats.closedByServer },
    rest: {
      requests: restStats.requests,
      byStatus: { ...restStats.byStatus },
      weightUsed: { spot: limiters.spot.usedByAll(), futures: limiters.futures.usedByAll() },
    },
    ...(engine && publisher
      ? {
          market: {
            steps: engine.steps,
            lagMs: engine.lagMs,
            intensity: engine.intensity,
            ...publisher.counts,
          },
        }
      : {}),
    ...(replay ? { replay: replay.stats() } : {}),
  });

  // Room for a stream URL naming 1024 streams: the stream-count rule, not the header size, refuses more.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith(ADMIN_PREFIX)) return handleAdmin(req, res, injector, stats);
    if (isRestPath(path)) return handleRest(req, res, restState);
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"code":-1000,"msg":"Unknown path."}');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => handleUpgrade(wss, req, socket, head, contexts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  engine?.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const base = `${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    restUrl: `http://${base}`,
    wsUrl: `ws://${base}`,
    futuresRestUrl: `http://${base}`,
    futuresWsUrl: `ws://${base}/fstream`,
    faults: injector,
    stats,
    close() {
      closing ??= (async () => {
        engine?.stop();
        replay?.stop();
        for (const c of [...registry]) c.drop('simulatorClosed');
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
