// The jobs table: each job's state, attempt, progress and checkpoint, so repeats and restarts resume.

import { type SqlExecutor } from '../writer/db/types.ts';
import { type Checkpoint, type CheckpointStore } from '../backfill/index.ts';
import { type JobSpec } from './args.ts';

export const JobStates = {
  RUNNING: 'running',
  FINISHED: 'finished',
  FAILED: 'failed',
  INTERRUPTED: 'interrupted',
} as const;
export type JobState = (typeof JobStates)[keyof typeof JobStates];

export interface JobRow {
  readonly queueId: string;
  readonly state: JobState;
  readonly attempt: number;
  readonly loaded: number;
  readonly total: number | null;
  readonly checkpoint: unknown;
  /** When its first attempt was claimed (ms since the epoch). */
  readonly firstStartedAt: number | null;
}

interface RawRow {
  queue_id: string;
  state: JobState;
  attempt: number;
  loaded: string | number;
  total: string | number | null;
  checkpoint: unknown;
  first_started_at: string | number | null;
}

const toRow = (r: RawRow): JobRow => ({
  queueId: r.queue_id,
  state: r.state,
  attempt: Number(r.attempt),
  loaded: Number(r.loaded),
  total: r.total === null ? null : Number(r.total),
  checkpoint: typeof r.checkpoint === 'string' ? JSON.parse(r.checkpoint) : r.checkpoint,
  firstStartedAt: r.first_started_at === null ? null : Number(r.first_started_at),
});

export async function loadJob(db: SqlExecutor, queueId: string): Promise<JobRow | null> {
  const rows = await db.query<RawRow>(
    'SELECT queue_id, state, attempt, loaded, total, checkpoint, first_started_at FROM jobs WHERE queue_id = $1',
    [queueId],
  );
  return rows[0] ? toRow(rows[0]) : null;
}

/**
 * Claims a job for `attempt`, keeping its progress and checkpoint from earlier attempts: false when
 * another worker runs it at this attempt or a later one, or it is finished. A worker that died
 * with the job leaves it `running`; the orchestrator's next attempt (a higher number) claims it.
 */
export async function claimJob(db: SqlExecutor, spec: JobSpec): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO jobs (queue_id, job, workflow_id, args, state, attempt, updated_at, first_started_at)
     VALUES ($1, $2, $3, $4, 'running', $5, $6, $6)
     ON CONFLICT (queue_id) DO UPDATE SET state = 'running', attempt = EXCLUDED.attempt,
       error = NULL, updated_at = EXCLUDED.updated_at
     WHERE jobs.state IN ('failed', 'interrupted') OR (jobs.state = 'running' AND jobs.attempt < EXCLUDED.attempt)
     RETURNING queue_id`,
    [
      spec.queueId,
      spec.job,
      spec.workflowId,
      JSON.stringify({
        exchange: spec.exchange,
        symbol: spec.symbol,
        interval: spec.interval,
        from: spec.from,
        to: spec.to,
      }),
      spec.attempt,
      Date.now(),
    ],
  );
  return rows.length === 1;
}

export async function endJob(
  db: SqlExecutor,
  queueId: string,
  state: Exclude<JobState, 'running'>,
  fields: { loaded?: number; total?: number | null; error?: string } = {},
): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = $2, loaded = COALESCE($3, loaded), total = COALESCE($4, total),
       error = $5, updated_at = $6 WHERE queue_id = $1`,
    [queueId, state, fields.loaded ?? null, fields.total ?? null, fields.error ?? null, Date.now()],
  );
}

/** Saves a job's position (and its progress) in the same statement, so they never disagree. */
export async function saveCheckpoint(
  db: SqlExecutor,
  queueId: string,
  checkpoint: unknown,
  loaded: number,
  total: number | null,
): Promise<void> {
  await db.query(
    'UPDATE jobs SET checkpoint = $2, loaded = $3, total = $4, updated_at = $5 WHERE queue_id = $1',
    [queueId, JSON.stringify(checkpoint), loaded, total, Date.now()],
  );
}

/** The backfill walk's checkpoint, kept in the job's row instead of a file. */
export function sqlCheckpoints(db: SqlExecutor, queueId: string, total: number | null): CheckpointStore {
  return {
    async load() {
      const row = await loadJob(db, queueId);
      const c = row?.checkpoint as Partial<Checkpoint> | null | undefined;
      if (!c) return null;
      if (!Number.isSafeInteger(c.next) || !Number.isSafeInteger(c.rows) || !Number.isSafeInteger(c.pages))
        throw new Error(`job ${queueId}: its checkpoint in the jobs table is damaged: ${JSON.stringify(c)}`);
      return c as Checkpoint;
    },
    save: (checkpoint) => saveCheckpoint(db, queueId, checkpoint, checkpoint.rows, total),
  };
}
