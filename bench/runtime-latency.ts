// End-to-end latency through one pass-through service on Kafka, with real trades sent at a fixed rate.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Bus, type ProduceRecord } from '../src/bus/types.ts';
import { type Trade } from '../test/runtime/helpers.ts';
import {
  benchTrades,
  encodeTrades,
  RUNTIME_SETTINGS,
  type RuntimeScratch,
  type TradeProduct,
} from './runtime-overhead.ts';
import { progress, type RuntimeParams } from './types.ts';

/** The goal the issue sets: p99 within this many ms at this rate, on loopback. */
const ROOT = path.resolve(import.meta.dirname, '..');

export const LATENCY_TARGET = { p99Ms: 10, rate: 10_000 } as const;

/** How often the feed sends what is due: small batches, as a live feed would, not one burst. */
const TICK_MS = 1;
/** After the last send, how long arrivals may pause before the rest count as lost... */
const DRAIN_MS = 10_000;
/** ... and how long a service that fell behind may take to catch up in all. */
const DRAIN_MAX_MS = 120_000;

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface RuntimeLatencyResult {
  readonly partitions: number;
  readonly maxPollRecords: number;
  readonly targetRate: number;
  /** Records per second actually handed to the producer during the measured phase. */
  readonly achievedRate: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Records sent after the warm-up; only these are counted. */
  readonly measured: number;
  readonly received: number;
  /** Milliseconds from the feed's sendBatch call to the measuring consumer's poll returning the copy. */
  readonly ms: LatencyPercentiles;
  /**
   * p99 counted from when each record was due by the schedule instead of when it was sent: it
   * adds the feed's own lateness (it shares the event loop with the service), so a stalled
   * feed cannot hide latency (coordinated omission).
   */
  readonly p99FromScheduleMs: number;
  /** The latest the feed ever was behind its schedule. */
  readonly maxFeedLagMs: number;
  readonly note: string;
}

function percentiles(sorted: Float64Array): LatencyPercentiles {
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const at = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** Follows every partition of `topic` from its end, noting when each trade arrives. */
async function follow(bus: Bus, output: TradeProduct, arrived: (key: string, at: number) => void) {
  const consumer = bus.consumer();
  await consumer.assign(
    Array.from({ length: output.partitions }, (_, partition) => ({ topic: output.topic, partition })),
  );
  await consumer.seekToEnd();
  let running = true;
  const loop = (async () => {
    while (running) {
      const records = await consumer.poll({ timeoutMs: 100 });
      // One clock reading per poll: every record in it was handed over at this moment.
      const now = performance.now();
      for (const r of records) {
        const trade = JSON.parse(r.value!.toString('utf8')) as Trade;
        arrived(`${trade.symbol}:${trade.tradeId}`, now);
      }
    }
  })();
  return {
    async stop(): Promise<void> {
      running = false;
      await loop;
      await consumer.close();
    },
  };
}

export async function benchRuntimeLatency(
  scratch: RuntimeScratch,
  params: RuntimeParams,
): Promise<RuntimeLatencyResult> {
  const { bus } = scratch;
  const rate = params.latencyRate;
  const warmupCount = Math.round(rate * params.latencyWarmupSeconds);
  const total = warmupCount + Math.round(rate * params.latencySeconds);
  progress(
    `runtime latency: ${rate} records/s for ${params.latencyWarmupSeconds} s warm-up + ` +
      `${params.latencySeconds} s through one pass-through service`,
  );
  const input = await scratch.product('lat-in');
  const output = await scratch.product('lat-out');
  const trades = await benchTrades(total);
  // Encoded ahead: the feed stands for an upstream service in another process, so its
  // encoding must not take the event loop away from the service being measured.
  const records: ProduceRecord[] = encodeTrades(input, trades);
  // The send time is kept here, by trade, not in the record. The service re-encodes the value
  // and has no way to forward a header, and the trade schema has no field for it (`sequence`
  // is the exchange's sequence id; CreateTime is whole ms). Feed, service and measuring
  // consumer share this process and its clock, so the copy's (symbol, trade id) finds it.
  const indexOf = new Map<string, number>(trades.map((t, i) => [`${t.symbol}:${t.tradeId}`, i]));
  const sentAt = new Float64Array(total);
  const arrivedAt = new Float64Array(total).fill(NaN);
  let received = 0;

  const group = scratch.group('lat-svc');
  // The service runs in a process of its own, as deployed (`streamforge run`): sharing this
  // process's event loop with the feed and the measuring consumer would add their work to its
  // latency. Feed and measurer stay here, on one clock.
  const service = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/streamforge.js'),
      '--bus',
      bus.uri,
      'run',
      path.join(ROOT, 'test/runtime/fixtures/pass-through.ts'),
      '--instance-prefix',
      'bench-latency',
      '--log-level',
      'warn',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SF_TEST_INPUT: input.topic,
        SF_TEST_OUTPUT: output.topic,
        SF_TEST_GROUP: group,
        SF_TEST_MAX_POLL: String(params.maxPollRecords),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => service.once('exit', () => resolve()));
  const producer = bus.producer({
    clientId: 'bench-feed',
    // The feed batches by its own 1 ms tick; lingering too would add its delay to every record
    // and blame it on the service. The service's producer keeps the runtime's defaults.
    lingerMs: 0,
  });
  let watcher: { stop(): Promise<void> } | null = null;
  try {
    const joined = performance.now();
    const admin = bus.admin();
    try {
      for (;;) {
        if (service.exitCode !== null) throw new Error(`the service process exited with ${service.exitCode}`);
        if (performance.now() - joined > 60_000) throw new Error('the service got no partitions in 60 s');
        const members = await admin.describeGroup(group).then(
          (g) => g.members,
          () => [],
        );
        if (members.reduce((n, m) => n + m.assignment.length, 0) >= input.partitions) break;
        await sleep(100);
      }
    } finally {
      await admin.close();
    }
    watcher = await follow(bus, output, (key, at) => {
      const i = indexOf.get(key);
      if (i === undefined || !Number.isNaN(arrivedAt[i]!)) return;
      arrivedAt[i] = at;
      received++;
    });

    const pending = new Set<Promise<unknown>>();
    let sendError: unknown = null;
    const start = performance.now();
    const intervalMs = 1000 / rate;
    for (let sent = 0; sent < total;) {
      if (sendError !== null) throw sendError;
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      if (due > sent) {
        sentAt.fill(now, sent, due);
        const p = producer.sendBatch(records.slice(sent, due));
        pending.add(p);
        p.then(
          () => pending.delete(p),
          (error: unknown) => {
            pending.delete(p);
            sendError = error;
          },
        );
        if (sent < warmupCount && due >= warmupCount) progress('  warm-up done, measuring...');
        sent = due;
      }
      await sleep(TICK_MS);
    }
    await Promise.all(pending);
    let last = received;
    let lastMove = performance.now();
    const drainEnd = lastMove + DRAIN_MAX_MS;
    while (received < total && performance.now() - lastMove < DRAIN_MS && performance.now() < drainEnd) {
      await sleep(20);
      if (received !== last) {
        last = received;
        lastMove = performance.now();
      }
    }

    const measured = total - warmupCount;
    const fromSend = new Float64Array(measured);
    const fromDue = new Float64Array(measured);
    let got = 0;
    let maxFeedLagMs = 0;
    for (let i = warmupCount; i < total; i++) {
      const due = start + i * intervalMs;
      maxFeedLagMs = Math.max(maxFeedLagMs, sentAt[i]! - due);
      if (Number.isNaN(arrivedAt[i]!)) continue;
      fromSend[got] = arrivedAt[i]! - sentAt[i]!;
      fromDue[got] = arrivedAt[i]! - due;
      got++;
    }
    const lat = fromSend.subarray(0, got).sort();
    const sched = fromDue.subarray(0, got).sort();
    const span = (sentAt[total - 1]! - sentAt[warmupCount]!) / 1000;
    return {
      partitions: RUNTIME_SETTINGS.partitions,
      maxPollRecords: params.maxPollRecords,
      targetRate: rate,
      achievedRate: span > 0 ? (measured - 1) / span : NaN,
      warmupSeconds: params.latencyWarmupSeconds,
      seconds: params.latencySeconds,
      measured,
      received: got,
      ms: percentiles(lat),
      p99FromScheduleMs: percentiles(sched).p99,
      maxFeedLagMs,
      note:
        `real trades encode()d ahead, sent every ${TICK_MS} ms as due (sendBatch, lingerMs 0) to a ` +
        `${RUNTIME_SETTINGS.partitions}-partition topic; one pass-through service in its own process (streamforge run, ` +
        `maxPollRecords ${params.maxPollRecords}) copies them with emit(); a consumer assigned to the output ` +
        `reads them; latency = poll return - sendBatch call, one process clock; ` +
        `first ${params.latencyWarmupSeconds} s not counted; one run`,
    };
  } finally {
    await watcher?.stop();
    await producer.close().catch(() => undefined);
    if (service.exitCode === null) service.kill('SIGTERM');
    await exited;
  }
}
