// The platform's configuration: one TypeBox schema (types and validation) and the defaults it starts from.

import { type TInteger, Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The services `streamforge up` runs and `replicas` / `autoscale` may name. A service added to
 * the platform is added here (and to `PLATFORM_SERVICES` in platform.ts).
 */
export const PLATFORM_SERVICE_NAMES = [
  'loader',
  'parser',
  'orderbook',
  'candles',
  'detector',
  'writer',
  'jobs',
  'orchestrator',
] as const;
/** Services that must run as exactly one instance (their state lives in the one process). */
export const SINGLETON_SERVICES: readonly PlatformServiceName[] = ['orchestrator'];
export type PlatformServiceName = (typeof PLATFORM_SERVICE_NAMES)[number];

/** Leaves whose values are secrets: never printed, never logged (masked as `****`). */
export const SECRET_PATHS: readonly string[] = ['binance.apiKey', 'binance.apiSecret'];
/** Leaves that are addresses whose password part (`user:password@`) is a secret. */
export const URL_PATHS: readonly string[] = ['bus', 'database.url'];

const int = (minimum: number, description: string, maximum?: number): TInteger =>
  Type.Integer({ minimum, ...(maximum === undefined ? {} : { maximum }), description });
const Port = int(0, 'TCP port (0: any free port)', 65535);
const literals = <const T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );
const obj = <P extends Record<string, TSchema>>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });
const opt = <S extends TSchema>(schema: S) => Type.Optional(schema);

const SYMBOL = Type.String({
  pattern: '^[A-Z0-9]{2,20}$',
  description: 'an upper-case Binance symbol such as BTCUSDT',
});
const CHANNELS = ['trades', 'book', 'top', 'klines', 'instruments'] as const;
const CANDLE_INTERVALS = ['1s', '1m', '5m', '1h'] as const;

const Autoscale = obj(
  {
    group: opt(
      Type.String({
        minLength: 1,
        description: 'consumer group whose lag is watched (default: the service name)',
      }),
    ),
    min: opt(int(1, 'fewest replicas (default 1)')),
    max: int(1, 'most replicas (further capped at the partition count of the topics)'),
    lagPerReplica: int(1, 'records of lag one replica is expected to work off'),
    cooldownMs: opt(int(0, 'ms without a higher demand before scaling down (default 60000)')),
    intervalMs: opt(int(100, 'how often the lag is read, ms (default 5000)')),
  },
  'lag autoscaler of one service (like KEDA: desired = ceil(total lag / lagPerReplica))',
);

const perService = <S extends TSchema>(schema: S, description: string) =>
  obj(
    Object.fromEntries(PLATFORM_SERVICE_NAMES.map((n) => [n, opt(schema)])) as Record<
      PlatformServiceName,
      ReturnType<typeof opt<S>>
    >,
    description,
  );

const num = (description: string) =>
  Type.Number({ exclusiveMinimum: 0, description: `${description} (a number > 0)` });
const fraction = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });

export const ConfigSchema = obj(
  {
    bus: Type.String({
      pattern: '^(kafka://\\S+|embedded:\\S+)$',
      description: 'kafka://host:port[,host:port] or embedded:<dir>',
    }),
    database: obj(
      {
        url: opt(
          Type.String({
            // A plain directory is PGlite too, as the writer has always read it.
            pattern: '^(postgres(ql)?://\\S+|pglite:\\S+|(?![A-Za-z][A-Za-z0-9+.-]*:)\\S+)$',
            description:
              'postgres://user@host:port/db, pglite:<dir> or a directory (default: PostgreSQL with Kafka, PGlite beside the embedded log)',
          }),
        ),
        schema: opt(
          Type.String({ pattern: '^[a-z_][a-z0-9_]*$', description: 'schema of the tables, e.g. public' }),
        ),
      },
      'where the writer stores',
    ),
    market: obj(
      {
        source: literals(['simulator', 'live'], 'simulator (built in) or live (Binance itself)'),
        exchange: literals(['binance', 'binance-futures'], 'the venue the loader serves'),
        symbols: Type.Array(SYMBOL, { minItems: 1, maxItems: 1024, description: 'symbols to load' }),
        channels: Type.Array(literals(CHANNELS, CHANNELS.join(', ')), {
          minItems: 1,
          description: 'channels to load',
        }),
        klineIntervals: Type.Array(
          Type.String({ pattern: '^[0-9]+[smhdwM]$', description: '1m, 5m, 1h, ...' }),
          {
            minItems: 1,
            description: 'kline intervals of the klines channel',
          },
        ),
        simulatorPort: Port,
        restUrl: opt(
          Type.String({ pattern: '^https?://\\S+$', description: 'Binance REST base URL override' }),
        ),
        wsUrl: opt(
          Type.String({ pattern: '^wss?://\\S+$', description: 'Binance WebSocket base URL override' }),
        ),
      },
      'where market data comes from',
    ),
    ports: obj(
      { dashboard: Port, orchestrator: Port, metrics: Port },
      'ports of the dashboard, the orchestrator API and /metrics',
    ),
    binance: obj(
      {
        apiKey: opt(Type.String({ minLength: 1, description: 'Binance API key (secret)' })),
        apiSecret: opt(Type.String({ minLength: 1, description: 'Binance API secret (secret)' })),
      },
      'Binance credentials (market data needs none)',
    ),
    services: obj(
      {
        loader: obj({ depthLimit: opt(int(1, 'levels of a REST depth snapshot', 5000)) }, 'loader options'),
        parser: obj({}, 'parser options (none yet)'),
        orderbook: obj(
          {
            depthLevels: opt(int(1, 'levels per side in md.book.depth', 5000)),
            depthIntervalMs: opt(int(0, 'ms of event time between two md.book.depth (0: none)')),
            maxBufferedDeltas: opt(int(1, 'deltas kept while awaiting a snapshot')),
            snapshotRequestAfter: opt(int(1, 'deltas without a snapshot before asking for one')),
            snapshotRetryAfter: opt(int(1, 'deltas after asking before asking again')),
          },
          'order book options',
        ),
        candles: obj(
          {
            intervals: opt(
              Type.Array(literals(CANDLE_INTERVALS, CANDLE_INTERVALS.join(', ')), {
                minItems: 1,
                description: 'candle intervals',
              }),
            ),
            graceMs: opt(int(0, 'ms of event time late trades are still folded in')),
            interim: opt(Type.Boolean({ description: 'also publish still-open candles' })),
            maxFlatCandles: opt(int(0, 'most flat candles published for one gap')),
          },
          'candles options',
        ),
        detector: obj(
          {
            cooldownMs: opt(int(0, 'ms a rule stays quiet on an instrument after an alert')),
            bookLevels: opt(int(2, 'levels per side of the light book')),
            tradeMemory: opt(int(1, 'recent trades kept per instrument')),
            settleMs: opt(int(0, 'ms spoof/stale verdicts wait')),
            priceJump: opt(
              obj(
                {
                  bucketMs: opt(int(1, 'ms per bucket')),
                  window: opt(int(2, 'returns in the window')),
                  minSamples: opt(int(2, 'returns needed')),
                  zThreshold: opt(num('robust z threshold')),
                  minMoveBps: opt(num('smallest move in bps')),
                  minScaleBps: opt(num('scale floor in bps')),
                },
                'price.jump rule',
              ),
            ),
            volumeBurst: opt(
              obj(
                {
                  bucketMs: opt(int(1, 'ms per bucket')),
                  window: opt(int(1, 'buckets in the baseline')),
                  minSamples: opt(int(1, 'buckets needed')),
                  multiple: opt(num('multiple of the baseline')),
                  minTrades: opt(int(1, 'trades in the bucket')),
                },
                'volume.burst rule',
              ),
            ),
            washTrades: opt(
              obj(
                { minTrades: opt(int(2, 'trades in the run')), maxGapMs: opt(int(0, 'ms between trades')) },
                'trade.wash rule',
              ),
            ),
            spoofing: opt(
              obj(
                {
                  nearLevels: opt(int(1, 'levels from the best')),
                  sizeMultiple: opt(num('multiple of the median size')),
                  minLifeMs: opt(int(0, 'shortest life, ms')),
                  maxLifeMs: opt(int(1, 'longest life, ms')),
                  removedFraction: opt(fraction('fraction removed, 0 to 1')),
                  maxTradedFraction: opt(fraction('fraction traded, 0 to 1')),
                },
                'book.spoof rule',
              ),
            ),
            bookHealth: opt(
              obj(
                {
                  staleMs: opt(int(1, 'ms without change')),
                  staleMinTrades: opt(int(0, 'trades meanwhile')),
                },
                'book health rules',
              ),
            ),
          },
          'detector options (see DETECTOR_DEFAULTS)',
        ),
        writer: obj(
          {
            bookTopSampleMs: opt(int(0, 'ms of event time per book-top row per instrument')),
            maxPollRecords: opt(int(1, 'records (rows) per transaction')),
          },
          'writer options',
        ),
        jobs: obj(
          {
            pageLimit: opt(int(1, 'klines per REST page of a backfill', 1000)),
            progressMs: opt(int(1, 'ms between two loading events of a job')),
          },
          'job worker options (workflow steps: backfill, persist, features)',
        ),
        orchestrator: obj(
          {
            deadlineMs: opt(int(1, 'ms without progress after which a running step is stuck')),
            retryLimit: opt(int(0, 'restarts of a stuck or failed step before the workflow fails')),
            checkIntervalMs: opt(int(1, 'ms between two watchdog rounds')),
          },
          'orchestrator options (the watchdog)',
        ),
      },
      'per-service options; unset ones keep the service default',
    ),
    replicas: perService(int(1, 'replicas (processes in cluster mode)', 64), 'replicas per service'),
    autoscale: perService(Autoscale, 'lag autoscalers per service (cluster mode)'),
    supervisor: obj(
      {
        restartInitialMs: int(1, 'first restart delay after a crash, ms'),
        restartMaxMs: int(1, 'longest restart delay, ms'),
        healthyAfterMs: int(1, 'a replica up this long has its backoff reset, ms'),
        crashLoopRestarts: int(1, 'restarts within crashLoopWindowMs after which the supervisor gives up'),
        crashLoopWindowMs: int(1, 'window of the crash-loop limit, ms'),
        stopGraceMs: int(1, 'ms a replica has to stop after SIGTERM before SIGKILL'),
      },
      'the cluster-mode supervisor',
    ),
    log: obj({ level: literals(['debug', 'info', 'warn', 'error', 'silent'], 'log level') }, 'logging'),
  },
  'StreamForge configuration',
);

export type Config = Static<typeof ConfigSchema>;
export type AutoscaleConfig = NonNullable<Config['autoscale'][PlatformServiceName]>;

export const DEFAULT_BUS = 'embedded:.streamforge/bus';

/** Every default in one place; optional leaves left out here fall back to the service's own default. */
export const CONFIG_DEFAULTS: Config = {
  bus: DEFAULT_BUS,
  database: {},
  market: {
    source: 'simulator',
    exchange: 'binance',
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
    channels: ['trades', 'book', 'klines', 'instruments'],
    klineIntervals: ['1m'],
    simulatorPort: 8090,
  },
  ports: { dashboard: 8080, orchestrator: 8081, metrics: 9464 },
  binance: {},
  services: {
    loader: {},
    parser: {},
    orderbook: {},
    // The dashboard's chart draws the forming candle; the writer's upsert keeps the final one.
    candles: { interim: true },
    detector: {},
    writer: {},
    jobs: {},
    orchestrator: {},
  },
  replicas: {},
  autoscale: {},
  supervisor: {
    restartInitialMs: 500,
    restartMaxMs: 30_000,
    healthyAfterMs: 30_000,
    crashLoopRestarts: 5,
    crashLoopWindowMs: 60_000,
    stopGraceMs: 15_000,
  },
  log: { level: 'warn' },
};

/** Autoscaler defaults for the optional fields. */
export const AUTOSCALE_DEFAULTS = { min: 1, cooldownMs: 60_000, intervalMs: 5000 } as const;
