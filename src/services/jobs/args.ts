// A job's description from a `start` command's args, checked: errors name the field and what is expected.

import { type Exchange } from '../../contracts/schema/primitives.ts';
import { JobKinds, type JobKind, type LifecycleQueueCommand } from '../../contracts/schema/control.ts';
import { fixedIntervalMs } from '../../venues/binance/intervals.ts';

export interface JobSpec {
  readonly queueId: string;
  readonly job: JobKind;
  readonly exchange: 'binance' | 'binance-futures';
  readonly symbol: string;
  readonly interval: string;
  readonly intervalMs: number;
  /** Open times of the first and last kline, inclusive. */
  readonly from: number;
  readonly to: number;
  readonly workflowId: string | null;
  readonly attempt: number;
}

/** A job's arguments were wrong: reported as an `error` event on its queue, never retried. */
export class JobArgsError extends Error {
  readonly code = 'BAD_JOB_ARGS';
  readonly canRetry = false;

  constructor(queueId: string, message: string) {
    super(`job ${queueId}: ${message}`);
    this.name = 'JobArgsError';
  }
}

const BINANCE: readonly Exchange[] = ['binance', 'binance-futures'];

export function jobSpec(command: LifecycleQueueCommand): JobSpec {
  const queueId = command.queue_id;
  const bad = (message: string): never => {
    throw new JobArgsError(queueId, message);
  };
  const a = command.args ?? {};
  if (a.job === undefined) bad(`args.job is missing; give one of ${Object.values(JobKinds).join(', ')}`);
  if (a.exchange === undefined || !BINANCE.includes(a.exchange))
    bad(
      `args.exchange must be binance or binance-futures (the job worker reads Binance REST), got ${String(a.exchange)}`,
    );
  if (a.symbol === undefined) bad('args.symbol is missing (e.g. BTCUSDT)');
  if (a.interval === undefined) bad('args.interval is missing (e.g. 1m)');
  const intervalMs = fixedIntervalMs(a.interval!);
  if (intervalMs === undefined)
    bad(`args.interval ${a.interval} is not a Binance interval of fixed length (1s..1d)`);
  if (a.from === undefined || a.to === undefined) bad('args.from and args.to (epoch ms) are required');
  if (!(a.from! <= a.to!)) bad(`args.from ${a.from} is after args.to ${a.to}`);
  return {
    queueId,
    job: a.job!,
    exchange: a.exchange as 'binance' | 'binance-futures',
    symbol: a.symbol!,
    interval: a.interval!,
    intervalMs: intervalMs!,
    from: a.from!,
    to: a.to!,
    workflowId: a.workflow_id ?? null,
    attempt: a.attempt ?? 1,
  };
}

/** Klines expected in a job's range: one per interval from the first open time to the last. */
export function expectedKlines(spec: Pick<JobSpec, 'from' | 'to' | 'intervalMs'>): number {
  return Math.floor((spec.to - spec.from) / spec.intervalMs) + 1;
}
