// `streamforge up` (= `npm start`): the whole platform, in one process (embedded) or each service its own process under a supervisor (cluster).

import os from 'node:os';
import path from 'node:path';
import { type Command } from 'commander';
import { type Admin, type Bus, type Producer } from '../../../bus/types.ts';
import {
  alerts,
  bookDelta,
  bookTop,
  candles,
  encode,
  queueEvents,
  rawTopics,
  trades,
} from '../../../contracts/index.ts';
import { openBus } from '../../../bus/open.ts';
import {
  AUTOSCALE_DEFAULTS,
  type Config,
  CONFIG_FILE_ENV,
  CONFIG_JSON_ENV,
  databaseUrlOf,
  ENV_ALIASES,
  type FlagValue,
  FlagSyntaxError,
  kafkaBusFlag,
  LEAVES,
  maskUrl,
  parseAutoscaleFlag,
  parseReplicasFlag,
  PLATFORM_SERVICES,
  type PlatformServiceName,
  SINGLETON_SERVICES,
} from '../../../config/index.ts';
import {
  Autoscaler,
  publishDecision,
  Supervisor,
  type SupervisorEvent,
} from '../../../ops/supervisor/index.ts';
import { ensureTopics, ServiceHost } from '../../../runtime/host.ts';
import { startGateway, type Gateway } from '../../../services/gateway/index.ts';
import { type ServiceDefinition } from '../../../runtime/index.ts';
import { startSimulator, type Simulator } from '../../../venues/simulator/index.ts';
import { nonNegativeInt, positiveInt } from '../args.ts';
import { action, UsageError } from '../errors.ts';
import { configFromCommand, withConfigOptions } from './config.ts';

interface UpOptions {
  live?: boolean;
  symbols?: string;
  simPort?: number;
  metricsPort?: number;
  dashboardPort?: number;
  orchestratorPort?: number;
  seconds?: number;
  database?: string;
  kafka?: string;
  postgres?: string;
  cluster?: boolean;
  replicas?: FlagValue[];
  autoscale?: FlagValue[];
}

const BIN = path.resolve(import.meta.dirname, '../../../../bin/streamforge.js');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function totalOf(admin: Admin, topic: string): Promise<number> {
  const ends = await admin.listOffsets(topic, 'latest').catch(() => []);
  return ends.reduce((sum, p) => sum + p.offset, 0);
}

/** The data counts every status line starts with. */
async function dataCounts(admin: Admin): Promise<string> {
  const [raw, t, b, top, c, a] = await Promise.all(
    [rawTopics.binance, trades, bookDelta, bookTop, candles['1m'], alerts].map((p) =>
      totalOf(admin, p.topic),
    ),
  );
  return `frames ${raw}  trades ${t}  book deltas ${b}  tops ${top}  1m candles ${c}  alerts ${a}`;
}

function flagsOf(options: UpOptions): FlagValue[] {
  const flags: FlagValue[] = [];
  try {
    if (options.kafka !== undefined) flags.push(kafkaBusFlag(options.kafka));
  } catch (error) {
    if (error instanceof FlagSyntaxError) throw new UsageError(error.message);
    throw error;
  }
  if (options.database !== undefined && options.postgres !== undefined)
    throw new UsageError('give the database once: --postgres <url> or --database <url>, not both');
  if (options.postgres !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(options.postgres))
      throw new UsageError(
        `--postgres takes postgres://user@host:port/db, got "${maskUrl(options.postgres)}"`,
      );
    flags.push({ path: 'database.url', value: options.postgres, flag: '--postgres' });
  }
  if (options.database !== undefined)
    flags.push({ path: 'database.url', value: options.database, flag: '--database' });
  if (options.live) flags.push({ path: 'market.source', value: 'live', flag: '--live' });
  if (options.symbols !== undefined)
    flags.push({ path: 'market.symbols', value: options.symbols, flag: '--symbols' });
  if (options.simPort !== undefined)
    flags.push({ path: 'market.simulatorPort', value: options.simPort, flag: '--sim-port' });
  if (options.metricsPort !== undefined)
    flags.push({ path: 'ports.metrics', value: options.metricsPort, flag: '--metrics-port' });
  if (options.dashboardPort !== undefined)
    flags.push({ path: 'ports.dashboard', value: options.dashboardPort, flag: '--dashboard-port' });
  if (options.orchestratorPort !== undefined)
    flags.push({
      path: 'ports.orchestrator',
      value: options.orchestratorPort,
      flag: '--orchestrator-port',
    });
  flags.push(...(options.replicas ?? []), ...(options.autoscale ?? []));
  return flags;
}

function collect(parse: (raw: string) => FlagValue[]) {
  return (raw: string, previous: FlagValue[] | undefined): FlagValue[] => {
    try {
      return [...(previous ?? []), ...parse(raw)];
    } catch (error) {
      if (error instanceof FlagSyntaxError) throw new UsageError(error.message);
      throw error;
    }
  };
}

/** Resolves on Ctrl-C / SIGTERM (0), or `seconds` after `armTimer()` (once everything runs), or never. */
function stopSignal(seconds: number | undefined): {
  promise: Promise<number>;
  armTimer(): void;
  dispose(): void;
} {
  let onSignal: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<number>((resolve) => {
    onSignal = () => resolve(0);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return {
    promise,
    armTimer() {
      if (seconds !== undefined) timer = setTimeout(onSignal, seconds * 1000);
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearTimeout(timer);
    },
  };
}

function statusWriter(): { write(line: string): void; end(): string } {
  const tty = process.stderr.isTTY;
  return {
    write: (line) => void process.stderr.write(tty ? `\r${line}   ` : `${line}\n`),
    end: () => (tty ? '\n' : ''),
  };
}

async function startMarket(config: Config): Promise<{ sim: Simulator | null; config: Config }> {
  if (config.market.source === 'live') return { sim: null, config };
  const sim = await startSimulator({
    port: config.market.simulatorPort,
    symbols: config.market.symbols,
    futuresSymbols: [],
  });
  log(`Exchange simulator: ${sim.restUrl} (REST), ${sim.wsUrl}/stream (WebSocket)`);
  // The loader (here or in a child process) connects to the port it actually got.
  return { sim, config: { ...config, market: { ...config.market, restUrl: sim.restUrl, wsUrl: sim.wsUrl } } };
}

function banner(config: Config, mode: string): void {
  const m = config.market;
  log(
    `Bus: ${maskUrl(config.bus)}; database: ${maskUrl(databaseUrlOf(config))}; ` +
      `market: ${m.source === 'live' ? 'Binance (live)' : 'simulator'}; symbols ${m.symbols.join(', ')}; ${mode}`,
  );
}

/** The orchestrator keeps its workflows in its one process: a second replica would compete for them. */
function refuseSingletonScaling(config: Config): void {
  for (const name of SINGLETON_SERVICES) {
    const replicas = config.replicas[name];
    if (replicas !== undefined && replicas !== 1)
      throw new UsageError(
        `replicas ${name}=${replicas}: the ${name} runs as exactly one instance (its workflows live in that process); ` +
          `leave it at 1 and scale the jobs service instead`,
      );
    if (config.autoscale[name] !== undefined)
      throw new UsageError(
        `autoscale ${name}: the ${name} runs as exactly one instance; autoscale jobs instead`,
      );
  }
}

/** The dashboard: the gateway reads the topics of `bus` and points the page at the orchestrator's API. */
async function startDashboard(bus: Bus, config: Config, orchestratorUrl: string): Promise<Gateway> {
  const gateway = await startGateway({ bus, port: config.ports.dashboard, orchestratorUrl });
  log(
    `Dashboard: ${gateway.url}   |   workflows API: ${orchestratorUrl}/api/workflows (OpenAPI at /api/openapi.json)`,
  );
  return gateway;
}

const FOLLOW_HINT =
  'Follow the data: streamforge consume md.book.top   |   streamforge query candles --symbol BTCUSDT   |   ' +
  'streamforge tail queue-events   |   Ctrl-C stops';

/** Every service in this process: today's `npm start`. */
async function runInProcess(config: Config, seconds: number | undefined): Promise<void> {
  const ignored = Object.keys(config.autoscale);
  if (ignored.length > 0)
    log(
      `Note: autoscale (${ignored.join(', ')}) applies in cluster mode (--kafka); in one process replicas are fixed`,
    );
  refuseSingletonScaling(config);
  const { sim, config: effective } = await startMarket(config);
  const bus: Bus = await openBus(effective.bus);
  let host: ServiceHost | null = null;
  let gateway: Gateway | null = null;
  const admin = bus.admin();
  let timer: NodeJS.Timeout | undefined;
  const stop = stopSignal(seconds);
  try {
    const services = await Promise.all(
      PLATFORM_SERVICES.map(async (s) => ({
        definition: await s.create(effective),
        replicas: effective.replicas[s.name] ?? 1,
      })),
    );
    host = new ServiceHost({
      bus,
      services,
      metricsPort: effective.ports.metrics,
      logLevel: effective.log.level,
    });
    await host.start();
    const orchestrator = services.find((s) => s.definition.name === 'orchestrator')?.definition as
      { url?: string | null } | undefined;
    gateway = await startDashboard(
      bus,
      effective,
      orchestrator?.url ?? `http://127.0.0.1:${effective.ports.orchestrator}`,
    );
    stop.armTimer();
    banner(effective, 'all services in this process');
    if (host.server) log(`Metrics and health: ${host.server.url}/metrics, ${host.server.url}/health`);
    log(FOLLOW_HINT);
    const h = host;
    const status = async (): Promise<string> => {
      const states = Object.values(h.health().components).map((c) => c.state);
      const running = states.filter((s) => s === 'running').length;
      return `${await dataCounts(admin)}  services ${running}/${states.length} running`;
    };
    const out = statusWriter();
    timer = setInterval(() => void status().then(out.write), process.stderr.isTTY ? 1000 : 5000);
    const code = await Promise.race([stop.promise, host.done().then(() => h.exitCode())]);
    clearInterval(timer);
    await gateway.stop();
    await host.stop('exiting');
    log(`${out.end()}Stopped: ${await status()}`);
    process.exitCode = code;
  } finally {
    stop.dispose();
    clearInterval(timer);
    await gateway?.stop().catch(() => undefined);
    await host?.stop('exiting').catch(() => undefined);
    await admin.close().catch(() => undefined);
    await bus.close();
    await sim?.close();
  }
}

/**
 * The environment of a child: the configuration travels whole as STREAMFORGE_CONFIG_JSON, so the
 * variables it was built from are left out (a flag given to `up` must win over them in the child too).
 */
function childEnvironment(config: Config): NodeJS.ProcessEnv {
  const configNames = new Set([
    CONFIG_FILE_ENV,
    CONFIG_JSON_ENV,
    'STREAMFORGE_BUS',
    ...LEAVES.map((l) => l.env),
    ...Object.keys(ENV_ALIASES),
  ]);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!configNames.has(name)) env[name] = value;
  env[CONFIG_JSON_ENV] = JSON.stringify(config);
  return env;
}

/** A supervisor event on queue-events (service `supervisor`), for the dashboard and `tail queue-events`. */
async function publishSupervisorEvent(
  producer: Producer,
  instance: string,
  e: SupervisorEvent,
): Promise<void> {
  if (e.type !== 'restarting' && e.type !== 'gave-up') return;
  const reason =
    e.type === 'restarting'
      ? `${e.service}#${e.replica} crashed; restart ${e.attempt} in ${e.delayMs} ms`
      : e.reason.slice(0, 1024);
  await producer.send(
    encode(
      queueEvents,
      {
        service: 'supervisor',
        instance,
        queue_id: `supervisor-${e.service}`,
        time: Date.now(),
        event: 'error',
        reason,
        code: e.type === 'restarting' ? 'replica-crashed' : 'crash-loop',
      },
      { service: 'supervisor', instance },
    ),
  );
}

/**
 * Where replica `replica` of `service` serves /metrics: a fixed port from the configured base
 * (base + 1 + 64 x the service's place in the list + the replica), so that Prometheus can be
 * pointed at them; 0 (any free port) when the base is 0 or the port would not exist.
 */
export function childMetricsPort(base: number, service: string, replica: number): number {
  if (base === 0) return 0;
  const index = PLATFORM_SERVICES.findIndex((p) => p.name === service);
  const port = base + 1 + 64 * Math.max(0, index) + replica;
  return port <= 65535 ? port : 0;
}

/** Waits until each consuming service's group has as many members as the supervisor runs replicas; false on timeout. */
async function waitForMembers(
  admin: Admin,
  definitions: ReadonlyMap<string, ServiceDefinition>,
  supervisor: Supervisor,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const counts = await Promise.all(
      [...definitions].map(async ([name, d]) => {
        if (d.consumes.length === 0) return true;
        const members = await admin
          .describeGroup(d.name)
          .then((g) => g.members.length)
          .catch(() => 0);
        return members >= supervisor.replicas(name);
      }),
    );
    if (counts.every(Boolean)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/** Each service its own process(es) under the supervisor, on Kafka, with lag autoscalers. */
async function runCluster(config: Config, seconds: number | undefined): Promise<void> {
  if (!config.bus.startsWith('kafka://'))
    throw new UsageError(
      `cluster mode runs each service in its own process, which needs Kafka: give --kafka <host:port> (the bus is ${config.bus})`,
    );
  refuseSingletonScaling(config);
  const { sim, config: effective } = await startMarket(config);
  const bus = await openBus(effective.bus);
  let gateway: Gateway | null = null;
  const admin = bus.admin();
  const producer = bus.producer();
  const instance = `supervisor-${os.hostname()}-${process.pid}`;
  const childEnv = childEnvironment(effective);
  const s = effective.supervisor;
  let failure: string | null = null;
  let wake: () => void = () => undefined;
  const failed = new Promise<number>((resolve) => (wake = () => resolve(1)));
  const supervisor = new Supervisor({
    commandFor: (service, replica) => ({
      command: process.execPath,
      args: [
        BIN,
        '--bus',
        effective.bus,
        'run',
        service,
        '--instance-prefix',
        `${os.hostname()}-r${replica}`,
        '--log-level',
        effective.log.level,
        '--metrics-port',
        String(childMetricsPort(effective.ports.metrics, service, replica)),
      ],
      env: childEnv,
    }),
    policy: {
      initialMs: s.restartInitialMs,
      maxMs: s.restartMaxMs,
      healthyAfterMs: s.healthyAfterMs,
      crashLoopRestarts: s.crashLoopRestarts,
      crashLoopWindowMs: s.crashLoopWindowMs,
    },
    stopGraceMs: s.stopGraceMs,
    onEvent: (e) => {
      if (e.type === 'restarting')
        log(
          `supervisor: ${e.service}#${e.replica} crashed; restarting in ${e.delayMs} ms (attempt ${e.attempt})`,
        );
      if (e.type === 'gave-up') log(`supervisor: ${e.reason}`);
      void publishSupervisorEvent(producer, instance, e).catch(() => undefined);
    },
  });
  supervisor.onGiveUp((e) => {
    failure = e.reason;
    wake();
  });
  const autoscalers: Autoscaler[] = [];
  let timer: NodeJS.Timeout | undefined;
  const stop = stopSignal(seconds);
  try {
    const definitions = new Map(
      await Promise.all(PLATFORM_SERVICES.map(async (p) => [p.name, await p.create(effective)] as const)),
    );
    for (const name of Object.keys(effective.autoscale))
      if (definitions.get(name as PlatformServiceName)!.consumes.length === 0)
        throw new UsageError(
          `autoscale ${name}: ${name} reads no topic, so it has no consumer lag to scale on; autoscale a service that consumes (orderbook, candles, ...)`,
        );
    // Topics first: the autoscalers read lag on them before the first replica has created them.
    await ensureTopics(
      bus,
      [...definitions.values()].flatMap((d) => [...d.consumes, ...d.produces]),
    );
    for (const p of PLATFORM_SERVICES) {
      const auto = effective.autoscale[p.name];
      await supervisor.scale(p.name, effective.replicas[p.name] ?? auto?.min ?? 1);
    }
    for (const [name, auto] of Object.entries(effective.autoscale) as Array<
      [PlatformServiceName, NonNullable<Config['autoscale'][PlatformServiceName]>]
    >) {
      const definition = definitions.get(name)!;
      const autoscaler = new Autoscaler({
        service: name,
        group: auto.group ?? definition.name,
        topics: definition.consumes.map((p) => p.topic),
        admin,
        min: auto.min ?? AUTOSCALE_DEFAULTS.min,
        max: auto.max,
        lagPerReplica: auto.lagPerReplica,
        cooldownMs: auto.cooldownMs ?? AUTOSCALE_DEFAULTS.cooldownMs,
        intervalMs: auto.intervalMs ?? AUTOSCALE_DEFAULTS.intervalMs,
        current: () => supervisor.replicas(name),
        scale: (n) => supervisor.scale(name, n),
        onDecision: async (d) => {
          log(`autoscaler: ${d.reason}`);
          await publishDecision(producer, instance, d).catch(() => undefined);
        },
      });
      autoscaler.start((message) => log(message));
      autoscalers.push(autoscaler);
    }
    banner(effective, 'each service its own process under the supervisor');
    log('Waiting for every replica to join its consumer group ...');
    const joined = await Promise.race([
      waitForMembers(admin, definitions, supervisor, 180_000),
      stop.promise.then(() => 'stopped'),
      failed.then(() => 'failed'),
    ]);
    if (joined === true) log('Every replica has joined its group.');
    if (effective.ports.metrics !== 0)
      log(
        `Metrics of the replicas: http://127.0.0.1:<port>/metrics, ports ${PLATFORM_SERVICES.map(
          (p) => `${p.name} ${childMetricsPort(effective.ports.metrics, p.name, 0)}+`,
        ).join(', ')}`,
      );
    else if (joined === false)
      log('Not every replica joined within 180 s; running anyway (see the output above).');
    gateway = await startDashboard(bus, effective, `http://127.0.0.1:${effective.ports.orchestrator}`);
    stop.armTimer();
    log(FOLLOW_HINT);
    const status = async (): Promise<string> => {
      const parts = await Promise.all(
        PLATFORM_SERVICES.map(async (p) => {
          const d = definitions.get(p.name)!;
          const replicas = `${p.name} ${supervisor.replicas(p.name)}`;
          if (d.consumes.length === 0) return replicas;
          const lag = await admin
            .groupLag(
              d.name,
              d.consumes.map((c) => c.topic),
            )
            .then((l) => l.reduce((sum, x) => sum + x.lag, 0))
            .catch(() => null);
          return `${replicas} (lag ${lag ?? '?'})`;
        }),
      );
      return `${await dataCounts(admin)}  replicas: ${parts.join(', ')}`;
    };
    const out = statusWriter();
    timer = setInterval(() => void status().then(out.write), process.stderr.isTTY ? 2000 : 5000);
    const code = await Promise.race([stop.promise, failed]);
    clearInterval(timer);
    await Promise.all(autoscalers.map((a) => a.stop()));
    await gateway.stop();
    await supervisor.stop();
    log(`${out.end()}Stopped: ${await status()}`);
    if (failure !== null) log(`streamforge up: stopped because ${failure}`);
    process.exitCode = code;
  } finally {
    stop.dispose();
    clearInterval(timer);
    await gateway?.stop().catch(() => undefined);
    await Promise.all(autoscalers.map((a) => a.stop()));
    await supervisor.stop();
    await producer.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
    await bus.close();
    await sim?.close();
  }
}

export function registerUpCommand(program: Command): void {
  withConfigOptions(
    program
      .command('up')
      .description(
        'run the platform: the exchange simulator (or Binance with --live), loader, parser, orderbook, candles, ' +
          'detector, writer, the job worker and the orchestrator, and the dashboard (http://127.0.0.1:8080). Without --kafka all in this process on the configured bus (embedded by default) and ' +
          'database (PGlite beside the embedded log); with --kafka each service in its own process under a ' +
          'supervisor (restarts, --replicas, --autoscale). Ctrl-C stops it gracefully',
      ),
  )
    .option('--live', 'connect to Binance itself instead of the built-in simulator')
    .option('--symbols <list>', 'Binance symbols, comma separated (default BTCUSDT,ETHUSDT,SOLUSDT)')
    .option(
      '--sim-port <port>',
      'port of the simulator (0: any free port; default 8090)',
      nonNegativeInt('--sim-port'),
    )
    .option(
      '--metrics-port <port>',
      'port of /metrics, /health, /ready (0: any free port; default 9464)',
      nonNegativeInt('--metrics-port'),
    )
    .option(
      '--dashboard-port <port>',
      'port of the dashboard (0: any free port; default 8080)',
      nonNegativeInt('--dashboard-port'),
    )
    .option(
      '--orchestrator-port <port>',
      "port of the orchestrator's workflows API (0: any free port; default 8081)",
      nonNegativeInt('--orchestrator-port'),
    )
    .option(
      '--database <url>',
      'where the writer stores: postgres://user@host:port/db or pglite:<dir> (env STREAMFORGE_DATABASE_URL; default follows the bus)',
    )
    .option('--kafka <bootstrap>', 'cluster mode on Apache Kafka: host:port[,host:port]')
    .option('--postgres <url>', 'the PostgreSQL of cluster mode: postgres://user@host:port/db')
    .option('--cluster', 'cluster mode on the configured bus (which must be Kafka), as --kafka does')
    .option(
      '--replicas <service=n,...>',
      'replicas per service, e.g. orderbook=4,candles=2 (processes in cluster mode)',
      collect((raw) => parseReplicasFlag(raw)),
    )
    .option(
      '--autoscale <service:min=n,max=n,lag=n>',
      'scale a service on its consumer lag (cluster mode), e.g. orderbook:min=1,max=4,lag=5000[,cooldown=60000]',
      collect((raw) => parseAutoscaleFlag(raw)),
    )
    .option('--seconds <n>', 'stop by itself after n seconds (smoke tests, demos)', positiveInt('--seconds'))
    .action(
      action(async (options: UpOptions, command: Command) => {
        const { config } = configFromCommand(command, flagsOf(options));
        if (options.kafka !== undefined || options.cluster) await runCluster(config, options.seconds);
        else await runInProcess(config, options.seconds);
      }),
    );
}
