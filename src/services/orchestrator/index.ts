// The orchestrator: workflows over the job worker, driven only through queue-control and followed only through queue-events.

import {
  type JsonProduct,
  LeaderStates,
  type OrchestratorLeader,
  orchestratorLeaders,
  queueControl,
  queueEvents,
  workflows,
} from '../../contracts/index.ts';
import { type Workflow } from '../../contracts/schema/workflows.ts';
import {
  type BackgroundContext,
  defineService,
  type RuntimeLogger,
  type ServiceDefinition,
  ServiceRunner,
} from '../../runtime/index.ts';
import { createLogger } from '../../runtime/observability/index.ts';
import { type ApiServer, NotLeaderError, startApi, type WorkflowBook } from './api.ts';
import { LeaderElection } from './leader.ts';
import { WorkflowEngine } from './workflow.ts';

export { MAX_KLINES, openApiDocument, validateCreate } from './api.ts';
export { STEPS, stepQueue, workflowQueue } from './workflow.ts';

export const ORCHESTRATOR_DEFAULTS = {
  port: 8081,
  host: '127.0.0.1',
  deadlineMs: 30_000,
  retryLimit: 3,
  checkIntervalMs: 1000,
  sessionTimeoutMs: 10_000,
} as const;

export interface OrchestratorOptions {
  /** Service and consumer-group name; default `orchestrator`. The election group is `<name>-leader`. */
  readonly name?: string;
  /** HTTP port (0: any free one) and address; default 8081 on 127.0.0.1. */
  readonly port?: number;
  readonly host?: string;
  /** A running step with no progress for longer than this is stuck; default 30 s. */
  readonly deadlineMs?: number;
  /** Restarts of a stuck or failed step before it fails the workflow; default 3. */
  readonly retryLimit?: number;
  /** How often the watchdog looks; default 1 s. */
  readonly checkIntervalMs?: number;
  /**
   * A leader silent for this long (a crash) loses leadership to a standby; default 10 s. Also the
   * session of the leader's queue-events group, which the new leader joins after it.
   */
  readonly sessionTimeoutMs?: number;
  /** The service whose jobs run the steps; default `jobs`. */
  readonly jobService?: string;
  /** Other topics than the catalog's (tests on a shared broker). */
  readonly topics?: {
    readonly workflows?: JsonProduct<Workflow>;
    readonly leaders?: typeof orchestratorLeaders;
  };
  /** Told the API's address once it listens (port 0 picks a free one). */
  readonly onListening?: (url: string) => void;
  /** Where the election and the leader's queue-events consumer log; default warnings to stdout. */
  readonly log?: RuntimeLogger;
}

export type OrchestratorRole = 'leader' | 'standby';

export interface OrchestratorHandle {
  /** The HTTP API's base URL while an instance runs (null otherwise). */
  readonly url: string | null;
  /** Whether the running instance leads (acts) or stands by; null when none runs. */
  readonly role: OrchestratorRole | null;
  /**
   * Drops the instance as a crash would: no resignation, no commit, the groups left to notice by
   * their session timeout. For tests in one process on the embedded log (a Kafka client keeps
   * heartbeating: there, kill the process).
   */
  abandon(): Promise<void>;
}

/**
 * Workflow state is a materialized view: of queue-events (the jobs' started, loading, finished,
 * error, interrupted) and of the orchestrator's own decisions, each change written whole to the
 * compacted `orchestrator.workflows`.
 *
 * Any number of instances may run; one leads (see LeaderElection) and only the leader acts. It
 * runs the workflow engine as a service of its own under the orchestrator's name: it loads the
 * workflows topic, re-issues the start of every running step (which the job worker answers
 * without running a job twice), then follows queue-events from the group's committed offsets (a
 * change and the offset it came from are committed together: outputs first). When it loses
 * leadership it stops that service (batch finished, outputs flushed, offsets committed) before
 * its election consumer rejoins, so the next leader starts where it stopped. Standbys serve the
 * API's reads from their own copy of the workflows topic and answer writes 503, naming the leader.
 */
export function createOrchestrator(
  options: OrchestratorOptions = {},
): ServiceDefinition & OrchestratorHandle {
  const o = { ...ORCHESTRATOR_DEFAULTS, ...options };
  const name = o.name ?? 'orchestrator';
  const product = o.topics?.workflows ?? workflows;
  const leaders = o.topics?.leaders ?? orchestratorLeaders;
  if (!(Number.isInteger(o.deadlineMs) && o.deadlineMs > 0))
    throw new Error(`orchestrator deadlineMs must be a positive number of milliseconds, got ${o.deadlineMs}`);
  if (!(Number.isInteger(o.retryLimit) && o.retryLimit >= 0))
    throw new Error(`orchestrator retryLimit must be a whole number >= 0, got ${o.retryLimit}`);
  if (!(Number.isInteger(o.sessionTimeoutMs) && o.sessionTimeoutMs >= 1000))
    throw new Error(`orchestrator sessionTimeoutMs must be at least 1000 ms, got ${o.sessionTimeoutMs}`);

  // The leader's state: its engine and the background emitter every write goes through (handler's
  // and watchdog's alike, so the compacted topic's latest record of a workflow is its latest state).
  let engine: WorkflowEngine | null = null;
  let background: BackgroundContext | null = null;
  let timer: NodeJS.Timeout | null = null;
  // The instance's state, leader or not.
  let api: ApiServer | null = null;
  let election: LeaderElection | null = null;
  let active: ServiceRunner | null = null;
  let outer: BackgroundContext | null = null;

  /** What the leader runs: the engine over queue-events, in the orchestrator's consumer group. */
  const leaderService = defineService({
    name,
    description: 'the leading orchestrator instance: its workflow engine over queue-events',
    consumes: [queueEvents],
    produces: [queueControl, queueEvents, product],
    tables: { workflows: product },
    startFrom: 'earliest',
    onStart(ctx: BackgroundContext) {
      const e = new WorkflowEngine({
        service: name,
        instance: ctx.instance,
        deadlineMs: o.deadlineMs,
        retryLimit: o.retryLimit,
        jobService: o.jobService ?? 'jobs',
        product,
      });
      for (const [, w] of ctx.table<Workflow | null>('workflows').entries()) if (w) e.restore(w);
      e.resume(ctx);
      engine = e;
      background = ctx;
      timer = setInterval(() => {
        if (!ctx.signal.aborted && election?.leading) e.watch(ctx);
      }, o.checkIntervalMs);
      timer.unref();
      return ctx.flush();
    },
    handle(input) {
      if (engine && background) engine.onEvent(background, input.value);
    },
    async afterBatch() {
      // What the batch's events changed is acknowledged before their offsets are committed.
      await background?.flush();
    },
    onStop() {
      if (timer) clearInterval(timer);
      timer = null;
      engine = null;
      background = null;
    },
  });

  /** The engine when this instance leads and has loaded the workflows; the API's writes need it. */
  const acting = (): { engine: WorkflowEngine; ctx: BackgroundContext } => {
    if (election?.leading && engine && background) return { engine, ctx: background };
    throw new NotLeaderError(
      election?.leading
        ? 'this instance was just elected leader and is loading the workflows; retry in a moment'
        : 'this orchestrator instance is a standby; send writes to the leader',
      election?.leading ? (api?.url ?? null) : leaderUrl(),
    );
  };

  /** The URL of the latest instance that announced it leads, other than this one. */
  const leaderUrl = (): string | null => {
    if (!outer) return null;
    let best: { url: string | null; since: number } | null = null;
    for (const [, r] of outer.table<OrchestratorLeader | null>('leaders').entries()) {
      if (!r || r.orchestrator !== name || r.instance === outer.instance) continue;
      if (r.state === LeaderStates.LEADING && (best === null || r.since > best.since)) best = r;
    }
    return best?.url ?? null;
  };

  /** A standby's reads: its own copy of the workflows topic, always following it. */
  const copy = (): Workflow[] =>
    outer
      ? [...outer.table<Workflow | null>('workflows').entries()]
          .map(([, w]) => w)
          .filter((w): w is Workflow => w !== null)
      : [];

  const book: WorkflowBook = {
    list() {
      if (election?.leading && engine) return engine.list();
      return copy().sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1));
    },
    get(id) {
      if (election?.leading && engine) return engine.get(id);
      return outer?.table<Workflow | null>('workflows').get(id) ?? undefined;
    },
    async create(params) {
      const { engine: e, ctx } = acting();
      const w = e.create(ctx, params);
      await ctx.flush();
      return w;
    },
    async stop(id) {
      const { engine: e, ctx } = acting();
      const result = e.stop(ctx, id);
      if (result !== null && result !== 'ended') await ctx.flush();
      return result;
    },
    role: () => ({
      role: election?.leading ? 'leader' : 'standby',
      leader: election?.leading ? (api?.url ?? null) : leaderUrl(),
    }),
  };

  const definition = defineService({
    name,
    description:
      'runs workflows (backfill, persist, features) by commands on queue-control, following queue-events; ' +
      'one instance leads, the others stand by',
    consumes: [],
    produces: [queueControl, queueEvents, product, leaders],
    tables: { workflows: product, leaders },
    async onStart(ctx: BackgroundContext) {
      if (outer)
        throw new Error(
          `${name}: one instance per definition; run more instances with more definitions or processes`,
        );
      outer = ctx;
      api = await startApi(book, { port: o.port, host: o.host });
      o.onListening?.(api.url);
    },
    async source(ctx) {
      const log = o.log ?? createLogger({ service: name, instance: ctx.instance, level: 'warn' });
      const e = new LeaderElection({
        bus: outer!.bus,
        product: leaders,
        name,
        identity: { service: name, instance: ctx.instance },
        url: () => api?.url ?? null,
        sessionTimeoutMs: o.sessionTimeoutMs,
        log,
        async lead() {
          const runner = new ServiceRunner(leaderService, {
            bus: outer!.bus,
            instance: ctx.instance,
            control: false,
            heartbeatMs: 0,
            lagIntervalMs: 0,
            sessionTimeoutMs: o.sessionTimeoutMs,
            log,
          });
          active = runner;
          await runner.start();
          // A leader whose engine failed must not keep the partition: the instance fails, leaves the
          // election group, and a standby takes over.
          void runner.done().then(() => {
            if (active === runner && runner.lifecycle.state === 'failed')
              e.fail(new Error(`the leading engine failed: ${runner.lifecycle.reason ?? 'unknown'}`));
          });
        },
        async resign() {
          const runner = active;
          active = null;
          await runner?.stop('lost leadership');
        },
      });
      election = e;
      await e.run(ctx.signal);
    },
    async onStop() {
      await api?.close();
      api = null;
      election = null;
      outer = null;
    },
  });
  return Object.defineProperties(definition, {
    url: { get: () => api?.url ?? null, enumerable: true },
    role: {
      get: () => (api ? (election?.leading ? 'leader' : 'standby') : null),
      enumerable: true,
    },
    abandon: {
      value: async () => {
        election?.abandon();
        // Forgotten first: an abandoned engine is not a failed one that should fail the instance.
        const runner = active;
        active = null;
        await runner?.abandon();
        if (timer) clearInterval(timer);
        await api?.close();
        api = null;
      },
    },
  }) as unknown as ServiceDefinition & OrchestratorHandle;
}

/**
 * STREAMFORGE_ORCHESTRATOR_PORT (default 8081), STREAMFORGE_ORCHESTRATOR_HOST (127.0.0.1; 0.0.0.0
 * in a container), STREAMFORGE_ORCHESTRATOR_DEADLINE_MS (30000), STREAMFORGE_ORCHESTRATOR_RETRY_LIMIT (3),
 * STREAMFORGE_ORCHESTRATOR_SESSION_TIMEOUT_MS (10000: how soon a standby replaces a crashed leader).
 */
export function orchestratorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): OrchestratorOptions {
  const int = (name: string, min: number, what: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min)
      throw new Error(`${name}=${raw}: give ${what}`);
    return n;
  };
  const port = int('STREAMFORGE_ORCHESTRATOR_PORT', 0, 'a port number (0: any free port)');
  if (port !== undefined && port > 65535)
    throw new Error(`STREAMFORGE_ORCHESTRATOR_PORT=${port}: a port is at most 65535`);
  const deadlineMs = int('STREAMFORGE_ORCHESTRATOR_DEADLINE_MS', 1, 'a positive number of milliseconds');
  const retryLimit = int('STREAMFORGE_ORCHESTRATOR_RETRY_LIMIT', 0, 'a whole number of restarts (0: none)');
  const sessionTimeoutMs = int(
    'STREAMFORGE_ORCHESTRATOR_SESSION_TIMEOUT_MS',
    1000,
    'milliseconds, at least 1000 (Kafka brokers accept 6000 and more by default)',
  );
  const host = env['STREAMFORGE_ORCHESTRATOR_HOST'] || undefined;
  return {
    ...(port === undefined ? {} : { port }),
    ...(host ? { host } : {}),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
    ...(retryLimit === undefined ? {} : { retryLimit }),
    ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
  };
}
