// End-to-end latency through one pass-through service on Kafka, with real trades sent at a fixed rate.

import { fork, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Bus } from '../src/bus/types.ts';
import { HeaderNames } from '../src/contracts/index.ts';
import { SERVICE_NODE_FLAGS } from '../src/apps/cli/node-flags.ts';
import { type FeedParams, type FeedReport, feedIndex, nowMs } from './latency-feed.ts';
import { RUNTIME_SETTINGS, type RuntimeScratch, type TradeProduct } from './runtime-overhead.ts';
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
  /**
   * The reference measured in the same run: from the feed's send to a plain consumer of the
   * input topic. The service's path is this hop, the service, and a second such hop.
   */
  readonly brokerHopMs: LatencyPercentiles;
  /** The latest the feed ever was behind its schedule. */
  readonly maxFeedLagMs: number;
  readonly note: string;
}

function percentiles(sorted: Float64Array): LatencyPercentiles {
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const at = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** Follows every partition of the output from its end, noting when each copy arrives (by its trace). */
async function follow(bus: Bus, output: TradeProduct, arrived: (index: number, at: number) => void) {
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
      const now = nowMs();
      for (const r of records) {
        const traceparent = r.headers[HeaderNames.TRACEPARENT];
        if (traceparent) arrived(feedIndex(traceparent.toString('latin1')), now);
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

/** Starts the feed process and waits for it to be ready; `run` sends it the parameters. */
async function startFeed(): Promise<{ run(params: FeedParams): Promise<FeedReport>; kill(): void }> {
  const child = fork(path.join(ROOT, 'bench/latency-feed.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the feed process exited with ${code}`))),
  );
  exited.catch(() => undefined);
  const next = (): Promise<FeedMessage> =>
    Promise.race([new Promise<FeedMessage>((resolve) => child.once('message', resolve)), exited]);
  await next();
  return {
    async run(params) {
      child.send(params);
      const answer = await next();
      if (answer.error !== undefined) throw new Error(`the feed failed: ${answer.error}`);
      return answer.report!;
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

interface FeedMessage {
  readonly ready?: boolean;
  readonly report?: FeedReport;
  readonly error?: string;
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
  const arrivedAt = new Float64Array(total).fill(NaN);
  // The reference: when each input record reaches a plain consumer of the input topic. The
  // broker hop alone, measured in the same run, beside the hop through the service.
  const inputAt = new Float64Array(total).fill(NaN);
  let received = 0;

  const group = scratch.group('lat-svc');
  // Three processes, as deployed: the feed (an upstream service), the service under test
  // (`streamforge run`) and this one, which only measures. Sharing an event loop would add
  // each one's work, and GC, to the others' latency.
  const service = spawn(
    process.execPath,
    [
      ...SERVICE_NODE_FLAGS,
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
  let watcher: { stop(): Promise<void> } | null = null;
  let inputWatcher: { stop(): Promise<void> } | null = null;
  let feed: Awaited<ReturnType<typeof startFeed>> | null = null;
  try {
    feed = await startFeed();
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
    inputWatcher = await follow(bus, input, (index, at) => {
      if (index >= 0 && index < total && Number.isNaN(inputAt[index]!)) inputAt[index] = at;
    });
    watcher = await follow(bus, output, (index, at) => {
      if (index < 0 || index >= total || !Number.isNaN(arrivedAt[index]!)) return;
      arrivedAt[index] = at;
      received++;
    });

    const report = await feed.run({ bus: bus.uri, topic: input.topic, rate, total, tickMs: TICK_MS });
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

    const { startMs, sentMs } = report;
    const intervalMs = 1000 / rate;
    const measured = total - warmupCount;
    const fromSend = new Float64Array(measured);
    const fromDue = new Float64Array(measured);
    const brokerHop = new Float64Array(measured);
    let hops = 0;
    let got = 0;
    let maxFeedLagMs = 0;
    for (let i = warmupCount; i < total; i++) {
      const due = startMs + i * intervalMs;
      maxFeedLagMs = Math.max(maxFeedLagMs, sentMs[i]! - due);
      if (!Number.isNaN(inputAt[i]!)) brokerHop[hops++] = inputAt[i]! - sentMs[i]!;
      if (Number.isNaN(arrivedAt[i]!)) continue;
      fromSend[got] = arrivedAt[i]! - sentMs[i]!;
      fromDue[got] = arrivedAt[i]! - due;
      got++;
    }
    const lat = fromSend.subarray(0, got).sort();
    const sched = fromDue.subarray(0, got).sort();
    const span = (sentMs[total - 1]! - sentMs[warmupCount]!) / 1000;
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
      brokerHopMs: percentiles(brokerHop.subarray(0, hops).sort()),
      maxFeedLagMs,
      note:
        `real trades encode()d as they fall due and sent every ${TICK_MS} ms (sendBatch, lingerMs 0) by a feed ` +
        `process to a ${RUNTIME_SETTINGS.partitions}-partition topic; one pass-through service in its own process ` +
        `(streamforge run, maxPollRecords ${params.maxPollRecords}, node ${SERVICE_NODE_FLAGS.join(' ')}) copies ` +
        'them with emit(); a consumer in a third process reads the copies and finds each one by the trace it ' +
        'continues; latency = poll return - sendBatch call on the machine-wide monotonic clock; ' +
        `first ${params.latencyWarmupSeconds} s not counted; one run`,
    };
  } finally {
    await watcher?.stop();
    await inputWatcher?.stop();
    feed?.kill();
    if (service.exitCode === null) service.kill('SIGTERM');
    await exited;
  }
}
