// The job worker (`jobs`): runs workflow steps (backfill, persist, features) that start/stop commands address by queue id.

import { type BytesProduct, type JsonProduct, klines, rawTopics } from '../../contracts/index.ts';
import { type Kline } from '../../contracts/schema/candles.ts';
import { JobKinds, type LifecycleQueueCommand } from '../../contracts/schema/control.ts';
import { type BackgroundContext, defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { errorMessage } from '../../runtime/retry.ts';
import { type BinanceRestOptions } from '../../venues/binance/transport/index.ts';
import { walkBackfill } from '../backfill/index.ts';
import { BINANCE_LIVE, SIMULATOR_DEFAULT } from '../loader/config.ts';
import { defaultDatabaseUrl } from '../writer/config.ts';
import { migrate } from '../writer/db/migrate.ts';
import { openDatabase } from '../writer/db/open.ts';
import { type SqlDatabase } from '../writer/db/types.ts';
import { redact } from '../writer/db/url.ts';
import { DatabaseLease } from '../writer/lease.ts';
import { expectedKlines, jobSpec, type JobSpec } from './args.ts';
import { runFeatures } from './features.ts';
import { runPersist } from './persist.ts';
import { claimJob, endJob, JobStates, loadJob, sqlCheckpoints } from './store.ts';

export { computeFeatures, WINDOWS } from './features.ts';
export { JobArgsError, jobSpec, type JobSpec } from './args.ts';

/** How far before its workflow's backfill began the persist step starts reading md.klines. */
const CLOCK_MARGIN_MS = 5 * 60_000;

/** Queue ids of workflow jobs: `wf-<workflow id>-<step>`. */
export const JOB_QUEUE_PREFIX = 'wf-';

export interface JobsOptions {
  /** Service name; default `jobs`. */
  readonly name?: string;
  /** postgres://..., pglite:<dir>, or an open database the caller closes. */
  readonly database: string | SqlDatabase;
  readonly schema?: string;
  /** Binance REST base URLs; the simulator's in tests. */
  readonly restUrls: Readonly<Record<'binance' | 'binance-futures', string>>;
  readonly rest?: Partial<Omit<BinanceRestOptions, 'exchange' | 'restUrl'>>;
  /** Klines per REST page; default 1000 (Binance's most). */
  readonly pageLimit?: number;
  /** At most one `loading` event per job per this many ms; default 1000. */
  readonly progressMs?: number;
  /** Other topics than the catalog's (tests on a shared broker). */
  readonly topics?: {
    readonly raw?: Partial<Readonly<Record<'binance' | 'binance-futures', BytesProduct>>>;
    readonly klines?: JsonProduct<Kline>;
  };
}

interface RunningJob {
  readonly attempt: number;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/**
 * Jobs are idempotent by queue id: a start for a job running here is answered `started` and not
 * run twice (a start with a higher attempt replaces the running one); a start for a finished job
 * is answered `finished` at once; any other start resumes from the job's checkpoint in the jobs
 * table, which moves only past work that is durable (raw pages acknowledged by the bus, klines
 * committed in SQL). Workers claim a job in the jobs table (one attempt, one worker), so replicas
 * in any number of processes never run a job twice; a worker that died holding a job leaves it to
 * the orchestrator's next attempt.
 */
export function createJobs(options: JobsOptions): ServiceDefinition {
  const name = options.name ?? 'jobs';
  const raw = {
    binance: options.topics?.raw?.binance ?? rawTopics.binance,
    'binance-futures': options.topics?.raw?.['binance-futures'] ?? rawTopics['binance-futures'],
  };
  const klineProduct = options.topics?.klines ?? klines;
  const progressMs = options.progressMs ?? 1000;
  const external = typeof options.database !== 'string' ? options.database : null;
  const lease = new DatabaseLease(
    async () => {
      if (external) {
        await migrate(external);
        return external;
      }
      const url = options.database as string;
      let db: SqlDatabase | null = null;
      try {
        db = await openDatabase(url, options.schema ? { schema: options.schema } : {});
        await migrate(db);
        return db;
      } catch (error) {
        await db?.close().catch(() => undefined);
        throw new Error(
          `the job worker could not open its database ${redact(url)}: ${errorMessage(error)}; ` +
            'check STREAMFORGE_DATABASE_URL (postgres://user@host:port/db or pglite:<dir>)',
          { cause: error },
        );
      }
    },
    async (db) => {
      if (!external) await db.close();
    },
  );
  const running = new Map<string, RunningJob>();

  function launch(spec: JobSpec, ctx: BackgroundContext, commandId: string): void {
    const abort = new AbortController();
    const onStop = (): void => abort.abort('the job worker is stopping');
    ctx.signal.addEventListener('abort', onStop, { once: true });
    let lastSent = 0;
    let lastLoaded = -1;
    const progress = (loaded: number, total?: number | null): void => {
      const now = Date.now();
      if (loaded === lastLoaded || now - lastSent < progressMs) return;
      lastSent = now;
      lastLoaded = loaded;
      void ctx.report(spec.queueId, 'loading', { loaded, ...(total == null ? {} : { total }) });
    };
    const done = (async () => {
      const q = spec.queueId;
      try {
        const loaded = await lease.use(ctx.signal, async (db) => {
          await ctx.report(q, 'started', { command_id: commandId });
          const result = await run(spec, db, ctx, abort.signal, progress);
          if (abort.signal.aborted) return null;
          await endJob(db, q, JobStates.FINISHED, { loaded: result });
          return result;
        });
        if (loaded === null) {
          const reason = String(abort.signal.reason ?? 'stopped');
          await lease
            .use(ctx.signal, (db) => endJob(db, q, JobStates.INTERRUPTED, { error: reason }))
            .catch(() => undefined);
          await ctx.report(q, 'interrupted', { reason });
        } else await ctx.report(q, 'finished', { loaded });
      } catch (error) {
        const reason = errorMessage(error).slice(0, 1000) || 'the job failed';
        if (abort.signal.aborted)
          await ctx.report(q, 'interrupted', { reason: String(abort.signal.reason ?? reason) });
        else {
          await lease
            .use(ctx.signal, (db) => endJob(db, q, JobStates.FAILED, { error: reason }))
            .catch(() => undefined);
          await ctx.report(q, 'error', { reason, code: 'JOB_FAILED' });
        }
      } finally {
        ctx.signal.removeEventListener('abort', onStop);
        if (running.get(spec.queueId)?.abort === abort) running.delete(spec.queueId);
      }
    })();
    running.set(spec.queueId, { attempt: spec.attempt, abort, done });
  }

  async function run(
    spec: JobSpec,
    db: SqlDatabase,
    ctx: BackgroundContext,
    signal: AbortSignal,
    progress: (loaded: number, total?: number | null) => void,
  ): Promise<number> {
    switch (spec.job) {
      case JobKinds.BACKFILL: {
        const total = expectedKlines(spec);
        const sink = { emitBytes: ctx.emitBytes.bind(ctx), flush: () => ctx.flush(), signal };
        return walkBackfill(
          sink,
          {
            exchange: spec.exchange,
            symbol: spec.symbol,
            kind: { klines: spec.interval },
            from: spec.from,
            to: spec.to,
            restUrl: options.restUrls[spec.exchange],
            product: raw[spec.exchange],
            ...(options.rest ? { rest: options.rest } : {}),
            ...(options.pageLimit ? { pageLimit: options.pageLimit } : {}),
          },
          sqlCheckpoints(db, spec.queueId, total),
          (p) => progress(p.rows, p.total),
        );
      }
      case JobKinds.PERSIST: {
        // As many klines as the workflow's backfill loaded (an exchange may have gaps), else one per interval.
        const backfill = spec.workflowId
          ? await loadJob(db, `${JOB_QUEUE_PREFIX}${spec.workflowId}-backfill`)
          : null;
        const expected = backfill?.state === JobStates.FINISHED ? backfill.loaded : expectedKlines(spec);
        // The records' timestamps are their producer's clock: a margin for clocks that disagree.
        const since = backfill?.firstStartedAt == null ? null : backfill.firstStartedAt - CLOCK_MARGIN_MS;
        return runPersist({
          spec,
          db,
          bus: ctx.bus,
          klines: klineProduct,
          clientId: `${ctx.instance}-${spec.queueId}`,
          signal,
          expected,
          since,
          progress,
        });
      }
      case JobKinds.FEATURES: {
        const rows = await runFeatures(db, spec, signal);
        progress(rows, rows);
        return rows;
      }
    }
  }

  return defineService({
    name,
    description:
      'runs workflow steps (backfill, persist, features) started by the orchestrator on queue-control',
    consumes: [],
    produces: [raw.binance, raw['binance-futures']],
    async onStart(ctx) {
      // Opens the database (and migrates it) now, so a wrong address fails the start, not a job.
      await lease.use(ctx.signal, async () => undefined);
    },
    async source(ctx) {
      // The jobs run on the background context; this only waits for the instance to stop,
      // then for its jobs to report that they were interrupted.
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.allSettled([...running.values()].map((j) => j.done));
    },
    jobs: {
      queuePrefix: JOB_QUEUE_PREFIX,
      async start(command: LifecycleQueueCommand, ctx) {
        const spec = jobSpec(command);
        const current = running.get(spec.queueId);
        if (current) {
          if (spec.attempt <= current.attempt) {
            await ctx.report(spec.queueId, 'started', { command_id: command.command_id });
            return;
          }
          current.abort.abort(`superseded by attempt ${spec.attempt}`);
          await current.done;
        }
        const { row, claimed } = await lease.use(ctx.signal, async (db) => {
          const before = await loadJob(db, spec.queueId);
          if (before?.state === JobStates.FINISHED) return { row: before, claimed: false };
          return { row: before, claimed: await claimJob(db, spec) };
        });
        if (row?.state === JobStates.FINISHED) {
          await ctx.report(spec.queueId, 'finished', { loaded: row.loaded, command_id: command.command_id });
          return;
        }
        // Another worker holds this attempt: it answers; a second copy would write everything twice.
        if (!claimed) return;
        launch(spec, ctx, command.command_id);
      },
      stop(command: LifecycleQueueCommand) {
        const reason = `stop command ${command.command_id}${command.args?.reason ? `: ${command.args.reason}` : ''}`;
        running.get(command.queue_id)?.abort.abort(reason);
      },
    },
  });
}

/**
 * STREAMFORGE_DATABASE_URL (else the default for STREAMFORGE_BUS), STREAMFORGE_DATABASE_SCHEMA,
 * STREAMFORGE_LIVE=1 (Binance itself) or STREAMFORGE_BINANCE_REST_URL / STREAMFORGE_BINANCE_FUTURES_REST_URL
 * (default: the simulator on 127.0.0.1:8090).
 */
export function jobsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): JobsOptions {
  const database = env['STREAMFORGE_DATABASE_URL'] || defaultDatabaseUrl(env['STREAMFORGE_BUS'] || undefined);
  const schema = env['STREAMFORGE_DATABASE_SCHEMA'] || undefined;
  const base = env['STREAMFORGE_LIVE'] === '1' ? BINANCE_LIVE : SIMULATOR_DEFAULT;
  return {
    database,
    ...(schema ? { schema } : {}),
    restUrls: {
      binance: env['STREAMFORGE_BINANCE_REST_URL'] || base.binance.restUrl,
      'binance-futures': env['STREAMFORGE_BINANCE_FUTURES_REST_URL'] || base['binance-futures'].restUrl,
    },
  };
}
