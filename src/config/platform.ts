// The platform's services, each built from the configuration: the one list `up` (both modes) and `run` use.

import { type ServiceDefinition } from '../runtime/index.ts';
import { databaseUrlOf } from './load.ts';
import { type Config, type PlatformServiceName } from './schema.ts';

export interface PlatformService {
  readonly name: PlatformServiceName;
  /** Builds the service from the configuration; imports its code only when called. */
  create(config: Config): Promise<ServiceDefinition>;
}

const BINANCE_LIVE_URLS = {
  binance: { restUrl: 'https://api.binance.com', wsUrl: 'wss://stream.binance.com:9443' },
  'binance-futures': { restUrl: 'https://fapi.binance.com', wsUrl: 'wss://fstream.binance.com' },
} as const;

/** The exchange endpoints the loader connects to: the overrides, else Binance (live) or the simulator's port. */
export function marketUrls(config: Config): { restUrl: string; wsUrl: string } {
  const m = config.market;
  const sim = `127.0.0.1:${m.simulatorPort}`;
  const base =
    m.source === 'live'
      ? BINANCE_LIVE_URLS[m.exchange]
      : {
          restUrl: `http://${sim}`,
          wsUrl: m.exchange === 'binance' ? `ws://${sim}` : `ws://${sim}/fstream`,
        };
  return { restUrl: m.restUrl ?? base.restUrl, wsUrl: m.wsUrl ?? base.wsUrl };
}

/** Drops undefined fields: the services' options are `exactOptionalPropertyTypes`-strict. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * In start order (producers before consumers). Adding a service to the platform is one entry
 * here plus its name in PLATFORM_SERVICE_NAMES (schema.ts): `up` runs it in one process or
 * under the supervisor, and `streamforge run <name>` builds it from the same configuration.
 */
export const PLATFORM_SERVICES: readonly PlatformService[] = [
  {
    name: 'loader',
    async create(config) {
      const { createLoader } = await import('../services/loader/index.ts');
      const m = config.market;
      return createLoader({
        exchange: m.exchange,
        ...marketUrls(config),
        symbols: m.symbols,
        channels: m.channels,
        klineIntervals: m.klineIntervals,
        ...defined({ depthLimit: config.services.loader.depthLimit }),
      });
    },
  },
  {
    name: 'parser',
    async create(config) {
      const { createParser } = await import('../services/parser/index.ts');
      return createParser({ exchanges: [config.market.exchange] });
    },
  },
  {
    name: 'orderbook',
    async create(config) {
      const { createOrderbook } = await import('../services/orderbook/index.ts');
      return createOrderbook(defined({ ...config.services.orderbook }));
    },
  },
  {
    name: 'candles',
    async create(config) {
      const { createCandles } = await import('../services/candles/index.ts');
      return createCandles(defined({ ...config.services.candles }));
    },
  },
  {
    name: 'detector',
    async create(config) {
      const { createDetector } = await import('../services/detector/index.ts');
      return createDetector(defined({ ...config.services.detector }));
    },
  },
  {
    name: 'writer',
    async create(config) {
      const { createWriter } = await import('../services/writer/index.ts');
      return createWriter(
        defined({
          database: databaseUrlOf(config),
          schema: config.database.schema,
          ...config.services.writer,
        }),
      );
    },
  },
  {
    name: 'jobs',
    async create(config) {
      const { createJobs } = await import('../services/jobs/index.ts');
      return createJobs({
        database: databaseUrlOf(config),
        ...defined({ schema: config.database.schema, ...config.services.jobs }),
        restUrls: restUrlsOf(config),
      });
    },
  },
  {
    name: 'orchestrator',
    async create(config) {
      const { createOrchestrator } = await import('../services/orchestrator/index.ts');
      return createOrchestrator(
        defined({ port: config.ports.orchestrator, ...config.services.orchestrator }),
      );
    },
  },
];

/** Binance REST base URLs of both markets for the job worker: Binance itself, or the simulator (one server for both). */
export function restUrlsOf(config: Config): Record<'binance' | 'binance-futures', string> {
  const m = config.market;
  if (m.source === 'live')
    return {
      binance:
        m.exchange === 'binance'
          ? (m.restUrl ?? BINANCE_LIVE_URLS.binance.restUrl)
          : BINANCE_LIVE_URLS.binance.restUrl,
      'binance-futures':
        m.exchange === 'binance-futures'
          ? (m.restUrl ?? BINANCE_LIVE_URLS['binance-futures'].restUrl)
          : BINANCE_LIVE_URLS['binance-futures'].restUrl,
    };
  const url = m.restUrl ?? `http://127.0.0.1:${m.simulatorPort}`;
  return { binance: url, 'binance-futures': url };
}

export function platformService(name: string): PlatformService | undefined {
  return PLATFORM_SERVICES.find((s) => s.name === name);
}
