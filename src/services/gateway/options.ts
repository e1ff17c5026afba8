// The gateway's options, their defaults, and the checks that turn a wrong setting into a clear error at start.

import { type Bus } from '../../bus/types.ts';
import {
  alerts,
  bookDepth,
  bookTop,
  candles,
  type JsonProduct,
  queueEvents,
  trades,
} from '../../contracts/index.ts';
import { type Alert } from '../../contracts/schema/alerts.ts';
import { type BookDepth, type BookTop } from '../../contracts/schema/book.ts';
import { type Candle, type CandleInterval } from '../../contracts/schema/candles.ts';
import { type QueueEvent } from '../../contracts/schema/control.ts';
import { type Trade } from '../../contracts/schema/trades.ts';

export interface GatewayTopics {
  readonly candles: Readonly<Record<CandleInterval, JsonProduct<Candle>>>;
  readonly bookTop: JsonProduct<BookTop>;
  readonly bookDepth: JsonProduct<BookDepth>;
  readonly trades: JsonProduct<Trade>;
  readonly alerts: JsonProduct<Alert>;
  readonly queueEvents: JsonProduct<QueueEvent>;
}

export interface GatewayOptions {
  readonly bus: Bus;
  /** HTTP and WebSocket port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** Default 127.0.0.1 (the dashboard starts workflows: do not expose it without a proxy in front). */
  readonly host?: string;
  /** Where the page finds the orchestrator's API (served to it in /config.json). Default http://127.0.0.1:8081. */
  readonly orchestratorUrl?: string;
  /** One frame per client at most this often: updates in between are conflated. Default 200 ms. */
  readonly conflateMs?: number;
  /** Most trades of the subscribed instrument in one frame (the newest; the tape shows fewer). Default 100. */
  readonly maxTradesPerFrame?: number;
  /** Most alerts and most queue events in one frame; the rest wait for the next frames. Default 50. */
  readonly maxListPerFrame?: number;
  /** A client whose socket holds more than this many unsent bytes skips frames. Default 512 KiB. */
  readonly maxBufferedBytes?: number;
  /** A client with this many frames sent and not acknowledged (drawn) skips frames. Default 4. */
  readonly maxUnackedFrames?: number;
  /** How often consumer-group lag is sampled. Default 2000 ms. */
  readonly lagIntervalMs?: number;
  /** Samples of lag history kept (and sent to a new page). Default 150 (5 minutes at 2 s). */
  readonly lagHistory?: number;
  /** Which consumer groups the lag panel shows: a list, a pattern, or (default) all up to `maxGroups`. */
  readonly groups?: readonly string[] | RegExp;
  /** Default 24. */
  readonly maxGroups?: number;
  /** Candles kept per instrument and interval (what a new page draws at once). Default 500. */
  readonly candleHistory?: number;
  /** Alerts and queue events kept for a new page. Default 200 each. */
  readonly listHistory?: number;
  /** Other topics than the catalog's (tests on a shared broker). */
  readonly topics?: Partial<Omit<GatewayTopics, 'candles'>> & {
    readonly candles?: Partial<Readonly<Record<CandleInterval, JsonProduct<Candle>>>>;
  };
  /** Where the page's files are; default src/apps/dashboard next to this service. */
  readonly staticDir?: string;
  /** Where problems are reported (bad records, sampling failures); default stderr. */
  readonly log?: (line: string) => void;
}

export interface ResolvedGatewayOptions {
  readonly bus: Bus;
  readonly port: number;
  readonly host: string;
  readonly orchestratorUrl: string;
  readonly conflateMs: number;
  readonly maxTradesPerFrame: number;
  readonly maxListPerFrame: number;
  readonly maxBufferedBytes: number;
  readonly maxUnackedFrames: number;
  readonly lagIntervalMs: number;
  readonly lagHistory: number;
  readonly groups: readonly string[] | RegExp | undefined;
  readonly maxGroups: number;
  readonly candleHistory: number;
  readonly listHistory: number;
  readonly topics: GatewayTopics;
  readonly staticDir: string | undefined;
  readonly log: (line: string) => void;
}

export class GatewayConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`gateway option ${field}: ${message}`);
    this.name = 'GatewayConfigError';
    this.field = field;
  }
}

function integer(
  field: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new GatewayConfigError(field, `must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  if (!options.bus) throw new GatewayConfigError('bus', 'is required (openBus(uri) gives one)');
  const orchestratorUrl = options.orchestratorUrl ?? 'http://127.0.0.1:8081';
  let parsed: URL;
  try {
    parsed = new URL(orchestratorUrl);
  } catch {
    throw new GatewayConfigError(
      'orchestratorUrl',
      `${JSON.stringify(orchestratorUrl)} is not a URL; write http://host:port`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new GatewayConfigError('orchestratorUrl', `must be http(s), got ${parsed.protocol}`);
  const host = options.host ?? '127.0.0.1';
  if (host.length === 0) throw new GatewayConfigError('host', 'is empty; write 127.0.0.1 or 0.0.0.0');
  const t = options.topics ?? {};
  return {
    bus: options.bus,
    port: integer('port', options.port, 8080, 0, 65_535),
    host,
    orchestratorUrl: orchestratorUrl.replace(/\/+$/, ''),
    conflateMs: integer('conflateMs', options.conflateMs, 200, 10, 10_000),
    maxTradesPerFrame: integer('maxTradesPerFrame', options.maxTradesPerFrame, 100, 1, 10_000),
    maxListPerFrame: integer('maxListPerFrame', options.maxListPerFrame, 50, 1, 10_000),
    maxBufferedBytes: integer('maxBufferedBytes', options.maxBufferedBytes, 512 * 1024, 1024, 1 << 30),
    maxUnackedFrames: integer('maxUnackedFrames', options.maxUnackedFrames, 4, 1, 1000),
    lagIntervalMs: integer('lagIntervalMs', options.lagIntervalMs, 2000, 100, 3_600_000),
    lagHistory: integer('lagHistory', options.lagHistory, 150, 1, 100_000),
    groups: options.groups,
    maxGroups: integer('maxGroups', options.maxGroups, 24, 1, 1000),
    candleHistory: integer('candleHistory', options.candleHistory, 500, 1, 100_000),
    listHistory: integer('listHistory', options.listHistory, 200, 1, 100_000),
    topics: {
      candles: { ...candles, ...t.candles },
      bookTop: t.bookTop ?? bookTop,
      bookDepth: t.bookDepth ?? bookDepth,
      trades: t.trades ?? trades,
      alerts: t.alerts ?? alerts,
      queueEvents: t.queueEvents ?? queueEvents,
    },
    staticDir: options.staticDir,
    log: options.log ?? ((line) => void process.stderr.write(`gateway: ${line}\n`)),
  };
}
