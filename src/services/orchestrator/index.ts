// The orchestrator: workflows over the job worker, driven only through queue-control and followed only through queue-events.

import { type JsonProduct, queueControl, queueEvents, workflows } from '../../contracts/index.ts';
import { type Workflow } from '../../contracts/schema/workflows.ts';
import { type BackgroundContext, defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { type ApiServer, startApi, type WorkflowBook } from './api.ts';
import { WorkflowEngine } from './workflow.ts';

export { MAX_KLINES, openApiDocument, validateCreate } from './api.ts';
export { STEPS, stepQueue, workflowQueue } from './workflow.ts';

export const ORCHESTRATOR_DEFAULTS = {
  port: 8081,
  host: '127.0.0.1',
  deadlineMs: 30_000,
  retryLimit: 3,
  checkIntervalMs: 1000,
} as const;

export interface OrchestratorOptions {
  /** Service and consumer-group name; default `orchestrator`. */
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
  /** The service whose jobs run the steps; default `jobs`. */
  readonly jobService?: string;
  /** Another workflows topic than the catalog's (tests on a shared broker). */
  readonly topics?: { readonly workflows?: JsonProduct<Workflow> };
  /** Told the API's address once it listens (port 0 picks a free one). */
  readonly onListening?: (url: string) => void;
}

export interface OrchestratorHandle {
  /** The HTTP API's base URL while an instance runs (null otherwise). */
  readonly url: string | null;
}

/**
 * Workflow state is a materialized view: of queue-events (the jobs' started, loading, finished,
 * error, interrupted) and of the orchestrator's own decisions, each change written whole to the
 * compacted `orchestrator.workflows`. A restarted orchestrator loads that topic (a runtime table)
 * before it starts, follows queue-events from its group's committed offsets (a change and the
 * offset it came from are committed together: outputs first), and re-issues the start of every
 * running step, which the job worker answers without running a job twice. One instance at a time:
 * the workflows live in its memory.
 */
export function createOrchestrator(
  options: OrchestratorOptions = {},
): ServiceDefinition & OrchestratorHandle {
  const o = { ...ORCHESTRATOR_DEFAULTS, ...options };
  const name = o.name ?? 'orchestrator';
  const product = o.topics?.workflows ?? workflows;
  if (!(Number.isInteger(o.deadlineMs) && o.deadlineMs > 0))
    throw new Error(`orchestrator deadlineMs must be a positive number of milliseconds, got ${o.deadlineMs}`);
  if (!(Number.isInteger(o.retryLimit) && o.retryLimit >= 0))
    throw new Error(`orchestrator retryLimit must be a whole number >= 0, got ${o.retryLimit}`);
  let engine: WorkflowEngine | null = null;
  // Every write goes through the one background emitter, handler's and watchdog's alike, so the
  // compacted topic's latest record of a workflow is always its latest state.
  let background: BackgroundContext | null = null;
  let api: ApiServer | null = null;
  let timer: NodeJS.Timeout | null = null;

  const definition = defineService({
    name,
    description:
      'runs workflows (backfill, persist, features) by commands on queue-control, following queue-events',
    consumes: [queueEvents],
    produces: [queueControl, queueEvents, product],
    tables: { workflows: product },
    startFrom: 'earliest',
    async onStart(ctx: BackgroundContext) {
      if (engine)
        throw new Error(
          `${name}: one orchestrator instance per definition (run it with --replicas 1); the workflows live in its memory`,
        );
      const e = new WorkflowEngine({
        service: name,
        instance: ctx.instance,
        deadlineMs: o.deadlineMs,
        retryLimit: o.retryLimit,
        jobService: o.jobService ?? 'jobs',
        product,
      });
      for (const [, w] of ctx.table<Workflow | null>('workflows').entries()) if (w) e.restore(w);
      engine = e;
      background = ctx;
      e.resume(ctx);
      await ctx.flush();
      const book: WorkflowBook = {
        list: () => e.list(),
        get: (id) => e.get(id),
        async create(params) {
          const w = e.create(ctx, params);
          await ctx.flush();
          return w;
        },
        async stop(id) {
          const result = e.stop(ctx, id);
          if (result !== null && result !== 'ended') await ctx.flush();
          return result;
        },
      };
      api = await startApi(book, { port: o.port, host: o.host });
      o.onListening?.(api.url);
      timer = setInterval(() => {
        if (!ctx.signal.aborted) e.watch(ctx);
      }, o.checkIntervalMs);
      timer.unref();
    },
    handle(input) {
      if (engine && background) engine.onEvent(background, input.value);
    },
    async afterBatch() {
      // What the batch's events changed is acknowledged before their offsets are committed.
      await background?.flush();
    },
    async onStop() {
      if (timer) clearInterval(timer);
      timer = null;
      await api?.close();
      api = null;
      engine = null;
      background = null;
    },
  });
  return Object.defineProperty(definition, 'url', {
    get: () => api?.url ?? null,
    enumerable: true,
  }) as unknown as ServiceDefinition & OrchestratorHandle;
}

/**
 * STREAMFORGE_ORCHESTRATOR_PORT (default 8081), STREAMFORGE_ORCHESTRATOR_HOST (127.0.0.1; 0.0.0.0
 * in a container), STREAMFORGE_ORCHESTRATOR_DEADLINE_MS (30000), STREAMFORGE_ORCHESTRATOR_RETRY_LIMIT (3).
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
  const host = env['STREAMFORGE_ORCHESTRATOR_HOST'] || undefined;
  return {
    ...(port === undefined ? {} : { port }),
    ...(host ? { host } : {}),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
    ...(retryLimit === undefined ? {} : { retryLimit }),
  };
}
