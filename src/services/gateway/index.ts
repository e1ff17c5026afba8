// The gateway: serves the live dashboard and feeds it over WebSocket from the topics, as one more (broadcast) consumer.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { type CandleInterval } from '../../contracts/schema/candles.ts';
import { ClientHub, INTERVALS, subscriptionProblem } from './clients.ts';
import { BusFeed } from './feed.ts';
import { createRequestHandler } from './http.ts';
import { LagSampler } from './lag.ts';
import { type GatewayOptions, resolveGatewayOptions, type ResolvedGatewayOptions } from './options.ts';
import { MarketState } from './state.ts';
import { GatewayTelemetry } from './telemetry.ts';

export { GatewayConfigError, type GatewayOptions, type GatewayTopics } from './options.ts';
export { type GroupSample, type LagSample } from './lag.ts';
export { type Ticker, type WireCandle, type WireTrade } from './state.ts';

export interface Gateway {
  /** http://host:port once started. */
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** What /api/stats serves: records read, frames sent and skipped, updates conflated, clients. */
  stats(): Record<string, unknown>;
}

/**
 * The gateway is not a ServiceDefinition: a service's consumer group splits partitions among its
 * members, while every gateway (every replica behind a load balancer) must see every record. It
 * assigns itself all partitions instead, starting a short history back (see feed.ts), and commits
 * nothing: a restarted gateway starts from "now minus the history" again.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const o: ResolvedGatewayOptions = resolveGatewayOptions(options);
  const state = new MarketState(o);
  const feed = new BusFeed(o, state);
  const lag = new LagSampler(o);
  const hub = new ClientHub(o, state, lag);
  const telemetry = new GatewayTelemetry(o);
  const startedAt = Date.now();
  let server: Server | null = null;
  let wss: WebSocketServer | null = null;
  let port = 0;
  let running = false;
  let stopping: Promise<void> | null = null;

  const stats = (): Record<string, unknown> => ({
    uptimeMs: Date.now() - startedAt,
    conflateMs: o.conflateMs,
    records: { ...feed.counts.records },
    decodeErrors: feed.counts.decodeErrors,
    instruments: state.instruments.size,
    refusedInstruments: state.refusedInstruments,
    conflated: { ...state.conflated },
    alerts: { total: state.alerts.total, queued: state.alerts.queued, dropped: state.alerts.dropped },
    events: { total: state.events.total, queued: state.events.queued, dropped: state.events.dropped },
    lag: { samples: lag.history.length, failures: lag.failures },
    clients: { ...hub.counts, list: hub.clients() },
    memory: { heapUsedBytes: process.memoryUsage().heapUsed },
  });

  const handler = createRequestHandler(o, {
    config: () => ({
      orchestratorUrl: o.orchestratorUrl,
      conflateMs: o.conflateMs,
      intervals: INTERVALS,
      bus: o.bus.kind,
      maxUnackedFrames: o.maxUnackedFrames,
    }),
    stats,
    instruments: () => state.tickers(),
    candles: (instrument, interval, limit) => ({
      instrument,
      interval,
      candles: state.instruments.get(instrument)?.candles(interval).slice(-limit) ?? [],
    }),
    alerts: (limit) => ({ total: state.alerts.total, alerts: state.alerts.recent().slice(-limit) }),
    events: (limit) => ({ total: state.events.total, events: state.events.recent().slice(-limit) }),
    lag: () => ({ intervalMs: o.lagIntervalMs, samples: lag.history }),
    health: () => ({
      ok: running,
      detail: { clients: hub.counts.connected, instruments: state.instruments.size },
    }),
  });

  const refuseUpgrade = (socket: Socket, status: number, reason: string, message: string): void => {
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway');
    } catch {
      return refuseUpgrade(socket, 400, 'Bad Request', 'the request path is not a valid URL path');
    }
    if (url.pathname !== '/ws')
      return refuseUpgrade(socket, 404, 'Not Found', `no WebSocket at ${url.pathname}; the feed is at /ws`);
    // Another web site must not read the feed through a visitor's browser.
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      if (originHost !== req.headers.host)
        return refuseUpgrade(
          socket,
          403,
          'Forbidden',
          `origin ${origin} may not open the feed of ${req.headers.host}`,
        );
    }
    for (const name of url.searchParams.keys())
      if (name !== 'instrument' && name !== 'interval')
        return refuseUpgrade(
          socket,
          400,
          'Bad Request',
          `unknown query parameter ${JSON.stringify(name)}; /ws takes instrument and interval`,
        );
    const instrument = url.searchParams.get('instrument');
    const interval = url.searchParams.get('interval') ?? '1m';
    const problem = subscriptionProblem(instrument, interval);
    if (problem) return refuseUpgrade(socket, 400, 'Bad Request', problem);
    wss!.handleUpgrade(req, socket, head, (ws) =>
      hub.attach(ws, { instrument, interval: interval as CandleInterval }),
    );
  };

  return {
    get url() {
      return `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
    },
    get port() {
      return port;
    },
    stats,
    async start() {
      await feed.start();
      lag.start();
      hub.start();
      wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
      server = createServer(handler);
      server.on('upgrade', onUpgrade);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            error.code === 'EADDRINUSE'
              ? new Error(
                  `gateway: port ${o.port} on ${o.host} is in use; pick another with --port (0: any free port)`,
                )
              : error,
          ),
        );
        server!.listen(o.port, o.host, () => resolve());
      });
      port = (server.address() as AddressInfo).port;
      await telemetry.start();
      running = true;
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        await telemetry.stop('stopped');
        hub.stop();
        wss?.close();
        if (server) {
          const s = server;
          const closed = new Promise<void>((resolve) => s.close(() => resolve()));
          s.closeAllConnections();
          await closed;
        }
        await lag.stop();
        await feed.stop();
      })();
      return stopping;
    },
  };
}

/** Creates and starts a gateway; stop it with `stop()`. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const gateway = createGateway(options);
  try {
    await gateway.start();
  } catch (error) {
    await gateway.stop().catch(() => undefined);
    throw error;
  }
  return gateway;
}
