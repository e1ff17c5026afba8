// The latency bench's feed, in a process of its own: sends real trades at a fixed rate and reports when each was sent.
//
// Run by bench/runtime-latency.ts with an IPC channel. Each record's traceparent carries its
// index in the trace-id; the service continues the trace, so the measuring consumer finds the
// index in the copy's header. Times are CLOCK_MONOTONIC (process.hrtime), one clock for every
// process on the machine. Trades are encoded as they fall due, not ahead: a heap of hundreds of
// thousands of prepared records would cost this process long GC pauses, which would show as
// latency of the service.

import { setTimeout as sleep } from 'node:timers/promises';
import { openBus } from '../src/bus/open.ts';
import { encode, trades, type JsonProduct, type ProducerIdentity } from '../src/contracts/index.ts';
import { type Trade } from '../test/runtime/helpers.ts';
import { benchTrades } from './runtime-overhead.ts';

export interface FeedParams {
  readonly bus: string;
  readonly topic: string;
  readonly rate: number;
  readonly total: number;
  readonly tickMs: number;
}

export interface FeedReport {
  /** Monotonic ms at which the schedule started: record i was due at start + i / rate. */
  readonly startMs: number;
  /** Monotonic ms of the sendBatch call that carried record i. */
  readonly sentMs: number[];
}

const FEED: ProducerIdentity = { service: 'bench-feed', instance: `bench-feed-${process.pid}` };
/** Distinct trades cycled through: enough for a realistic mix of keys, small enough to keep the heap small. */
const BASE_TRADES = 20_000;

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The traceparent that names record `index` (trace-id = index + 1 in hex; all zeros is invalid). */
export function feedTraceparent(index: number): string {
  return `00-${(index + 1).toString(16).padStart(32, '0')}-00000000000000a1-01`;
}

/** The record index a traceparent written by `feedTraceparent` (and continued by a service) names. */
export function feedIndex(traceparent: string): number {
  return Number.parseInt(traceparent.slice(3, 35), 16) - 1;
}

async function feed(params: FeedParams): Promise<FeedReport> {
  const base = await benchTrades(BASE_TRADES);
  const input: JsonProduct<Trade> = { ...trades, topic: params.topic, declaration: params.topic };
  const bus = await openBus(params.bus);
  // The feed batches by its own tick; lingering too would add its delay to every record.
  const producer = bus.producer({ clientId: 'bench-feed', lingerMs: 0 });
  const sentMs = new Array<number>(params.total);
  const intervalMs = 1000 / params.rate;
  const pending = new Set<Promise<unknown>>();
  let sendError: unknown = null;
  const startMs = nowMs();
  for (let sent = 0; sent < params.total;) {
    if (sendError !== null) throw sendError;
    const now = nowMs();
    const due = Math.min(params.total, Math.floor((now - startMs) / intervalMs) + 1);
    if (due > sent) {
      const batch = [];
      for (let i = sent; i < due; i++) {
        batch.push(encode(input, base[i % base.length]!, FEED, { traceparent: feedTraceparent(i) }));
        sentMs[i] = now;
      }
      const p = producer.sendBatch(batch);
      pending.add(p);
      p.then(
        () => pending.delete(p),
        (error: unknown) => {
          pending.delete(p);
          sendError = error;
        },
      );
      sent = due;
    }
    await sleep(params.tickMs);
  }
  await Promise.all(pending);
  await producer.close();
  await bus.close();
  return { startMs, sentMs };
}

if (process.send) {
  process.once('message', (message: FeedParams) => {
    feed(message).then(
      (report) => process.send!({ report }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
    );
  });
  process.send({ ready: true });
}
