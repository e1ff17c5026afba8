// Runtime overhead: a pass-through service vs the plain poll/sendBatch/commit loop, copying the same real trades.

import { type Bus, type ProduceRecord } from '../src/bus/types.ts';
import {
  deadLetterProduct,
  encode,
  type JsonProduct,
  type ProducerIdentity,
  topicConfigs,
  trades,
} from '../src/contracts/index.ts';
import { defineService, type RuntimeMetrics, ServiceRunner } from '../src/runtime/index.ts';
import { createMetricsRegistry, createServiceMetrics } from '../src/runtime/observability/index.ts';
import { capturedTrades, renamed, type Trade } from '../test/runtime/helpers.ts';
import { best, type Figure, figure, progress, type RuntimeParams } from './types.ts';

/** What every runtime test shares: the topic layout of md.trades and the poll timeout of the runner. */
export const RUNTIME_SETTINGS = {
  /** md.trades has 12 partitions; the copies use the catalog's count so the fan-out is the real one. */
  partitions: trades.partitions,
  /** ServiceRunner polls with a 200 ms timeout; the raw loop does the same. */
  pollTimeoutMs: 200,
  /** Prefill chunk: the producer's default maxBatchRecords. */
  prefillChunk: 10_000,
} as const;

const FEED: ProducerIdentity = { service: 'bench-feed', instance: `bench-feed-${process.pid}` };
/** A copy that makes no progress for this long has failed; a healthy one moves every few ms. */
const STALL_MS = 60_000;
/** Captured trades available: the whole 2024-08-08 part of both recordings. */
const CAPTURED = 1_000_000;

export type TradeProduct = JsonProduct<Trade>;

/**
 * `count` real Binance trades. The capture holds ~16k; beyond that it is replayed as if the
 * market went on: each replay shifts trade ids by the id span of its symbol and times by the
 * capture's duration, so every (symbol, trade id) stays unique and ids stay in order.
 */
export async function benchTrades(count: number): Promise<Trade[]> {
  const base = await capturedTrades(CAPTURED);
  if (base.length === 0) throw new Error('no captured trades found in ../shared/data/market');
  const spans = new Map<string, { min: number; max: number }>();
  for (const t of base) {
    const id = Number(t.tradeId);
    const s = spans.get(t.symbol);
    if (!s) spans.set(t.symbol, { min: id, max: id });
    else if (id < s.min) s.min = id;
    else if (id > s.max) s.max = id;
  }
  const times = base.map((t) => t.timestamp);
  const duration = Math.max(...times) - Math.min(...times) + 1;
  const out = new Array<Trade>(count);
  for (let i = 0; i < count; i++) {
    const t = base[i % base.length]!;
    const replay = Math.floor(i / base.length);
    if (replay === 0) {
      out[i] = t;
      continue;
    }
    const span = spans.get(t.symbol)!;
    out[i] = {
      ...t,
      tradeId: String(Number(t.tradeId) + replay * (span.max - span.min + 1)),
      timestamp: t.timestamp + replay * duration,
      localTimestamp: t.localTimestamp + replay * duration,
    };
  }
  return out;
}

/** Encodes trades as the parser would: validated, with the standard headers. */
export function encodeTrades(product: TradeProduct, values: readonly Trade[]): ProduceRecord[] {
  return values.map((v) => encode(product, v, FEED));
}

/** The service measured: it only copies, so what it costs is what the runtime adds. */
export function passThrough(name: string, input: TradeProduct, output: TradeProduct, maxPollRecords: number) {
  return defineService({
    name,
    description: 'bench: copies every trade unchanged',
    consumes: [input] as const,
    produces: [output],
    maxPollRecords,
    handle: (record, ctx) => ctx.emit(output, record.value),
  });
}

/**
 * Runner options as a deployed instance has them, minus the control plane: that would join the
 * shared queue-control/queue-events topics of whatever broker --bootstrap names, and it costs
 * nothing per record. Metrics are the real Prometheus ones (`ServiceHost` gives every instance
 * those); `tap` sees the calls, which is how the bench knows when the service is done.
 */
export function runnerMetrics(group: string, tap: Partial<RuntimeMetrics> = {}): RuntimeMetrics {
  const real: RuntimeMetrics = createServiceMetrics(createMetricsRegistry({ processMetrics: false }), {
    service: group,
    instance: `${group}-0`,
  });
  return {
    ...real,
    recordsIn: (topic, n) => {
      real.recordsIn(topic, n);
      tap.recordsIn?.(topic, n);
    },
    commit: (n) => {
      real.commit(n);
      tap.commit?.(n);
    },
  };
}

/** Topics and consumer groups the runtime tests create; `cleanup` deletes them at the end of the run. */
export class RuntimeScratch {
  readonly bus: Bus;
  readonly run: string;
  readonly #topics: string[] = [];
  readonly #groups: string[] = [];

  constructor(bus: Bus, run: string) {
    this.bus = bus;
    this.run = run;
  }

  /** A product like md.trades (partitions, configs) under a unique name, with its DLQ, created now. */
  async product(name: string): Promise<TradeProduct> {
    const product = renamed(trades, `${this.run}-${name}`) as TradeProduct;
    const specs = [product, deadLetterProduct(product)].map((p) => ({
      name: p.topic,
      partitions: p.partitions,
      replicationFactor: 1,
      configs: topicConfigs(p.cleanup),
    }));
    const admin = this.bus.admin();
    try {
      await admin.createTopics(specs);
    } finally {
      await admin.close();
    }
    this.#topics.push(...specs.map((s) => s.name));
    return product;
  }

  /** A consumer group name (also a valid service name), deleted at the end. */
  group(name: string): string {
    const group = `${this.run}-${name}`;
    this.#groups.push(group);
    return group;
  }

  async cleanup(): Promise<void> {
    progress(`deleting the ${this.#topics.length} runtime test topics and ${this.#groups.length} groups`);
    const admin = this.bus.admin();
    try {
      for (const group of this.#groups) await admin.deleteGroup(group).catch(() => undefined);
      await admin
        .deleteTopics(this.#topics)
        .catch((e: unknown) => progress(`could not delete topics: ${String(e)}`));
    } finally {
      await admin.close();
    }
  }
}

export async function produceAll(bus: Bus, records: readonly ProduceRecord[]): Promise<void> {
  const producer = bus.producer();
  try {
    for (let i = 0; i < records.length; i += RUNTIME_SETTINGS.prefillChunk)
      await producer.sendBatch(records.slice(i, i + RUNTIME_SETTINGS.prefillChunk));
  } finally {
    await producer.close();
  }
}

async function sumEndOffsets(bus: Bus, topic: string): Promise<number> {
  const admin = bus.admin();
  try {
    const ends = await admin.listOffsets(topic, 'latest');
    return ends.reduce((sum, p) => sum + p.offset, 0);
  } finally {
    await admin.close();
  }
}

interface Measured {
  readonly seconds: number;
  readonly cpuMicros: number;
  /** Raw loop only: where its time went, per poll that returned records. */
  readonly phases?: RawPhases;
}

/** Mean milliseconds per batch in each step of the raw loop: shows a step that waits rather than works. */
export interface RawPhases {
  readonly batches: number;
  readonly pollMs: number;
  readonly sendMs: number;
  readonly commitMs: number;
}

/** The reference: consume in a group, send each poll's records as they are (key, value, headers), commit. */
async function rawCopy(
  bus: Bus,
  input: TradeProduct,
  output: TradeProduct,
  group: string,
  records: number,
  maxPollRecords: number,
): Promise<Measured> {
  const consumer = bus.consumer({ groupId: group, autoOffsetReset: 'earliest', maxPollRecords });
  const producer = bus.producer();
  try {
    await consumer.subscribe([input.topic]);
    const start = performance.now();
    const cpu = process.cpuUsage();
    let copied = 0;
    let moved = start;
    let batches = 0;
    const spent = { poll: 0, send: 0, commit: 0 };
    while (copied < records) {
      const t0 = performance.now();
      const batch = await consumer.poll({ timeoutMs: RUNTIME_SETTINGS.pollTimeoutMs });
      if (batch.length === 0) {
        if (performance.now() - moved > STALL_MS)
          throw new Error(`raw copy stalled at ${copied} of ${records} records`);
        continue;
      }
      const t1 = performance.now();
      await producer.sendBatch(
        batch.map((r) => ({ topic: output.topic, key: r.key, value: r.value, headers: r.headers })),
      );
      const t2 = performance.now();
      await consumer.commit();
      moved = performance.now();
      spent.poll += t1 - t0;
      spent.send += t2 - t1;
      spent.commit += moved - t2;
      batches++;
      copied += batch.length;
    }
    const used = process.cpuUsage(cpu);
    return {
      seconds: (performance.now() - start) / 1000,
      cpuMicros: used.user + used.system,
      phases: {
        batches,
        pollMs: spent.poll / batches,
        sendMs: spent.send / batches,
        commitMs: spent.commit / batches,
      },
    };
  } finally {
    await producer.close();
    await consumer.close();
  }
}

/** The same copy done by a ServiceRunner; done at the first commit that covers `records` handled records. */
async function serviceCopy(
  bus: Bus,
  input: TradeProduct,
  output: TradeProduct,
  group: string,
  records: number,
  maxPollRecords: number,
): Promise<Measured> {
  let handled = 0;
  let start = 0;
  let cpu = process.cpuUsage();
  const result: { measured: Measured | null } = { measured: null };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const metrics = runnerMetrics(group, {
    recordsIn: (_topic, n) => void (handled += n),
    commit: () => {
      if (result.measured !== null || handled < records) return;
      // Taken inside the runner's commit callback: the end is the commit itself, not our next look.
      const used = process.cpuUsage(cpu);
      result.measured = { seconds: (performance.now() - start) / 1000, cpuMicros: used.user + used.system };
      finish();
    },
  });
  const runner = new ServiceRunner(passThrough(group, input, output, maxPollRecords), {
    bus,
    control: false,
    metrics,
  });
  await runner.start();
  start = performance.now();
  cpu = process.cpuUsage();
  let seen = 0;
  let moved = start;
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (handled !== seen) {
        seen = handled;
        moved = performance.now();
      } else if (performance.now() - moved > STALL_MS) {
        reject(new Error(`service copy stalled at ${handled} of ${records} records`));
      }
    }, 1000);
  });
  const failed = runner.done().then(() => {
    throw new Error(
      `the service stopped before the end: ${runner.lifecycle.reason ?? runner.lifecycle.state}`,
    );
  });
  try {
    await Promise.race([finished, watchdog, failed]);
  } finally {
    clearInterval(timer);
    await runner.stop('bench done');
  }
  return result.measured!;
}

export interface RuntimeOverheadResult {
  readonly partitions: number;
  readonly maxPollRecords: number;
  readonly raw: Figure;
  readonly service: Figure;
  /** 1 - service/raw records per second, in percent: what the runtime costs in throughput. */
  readonly overheadPercent: number;
  /** Service CPU per record over the raw loop's: what it costs in CPU. */
  readonly cpuRatio: number;
  /** Where the best raw round's time went: the service does the same steps, so a wait here is in both. */
  readonly rawPhases: RawPhases;
  readonly note: string;
}

const RAW_NOTE =
  'poll -> sendBatch of the polled records as they are (key, value, headers) -> commit(), awaited in turn';
const SERVICE_NOTE =
  'ServiceRunner: per record JSON decode, schema-id/version headers read, schema validation, handler, ' +
  'emit = validate again + JSON.stringify + new producer/traceparent/schema/event-time headers, DLQ on ' +
  'failure, handler-time histogram; per poll sendBatch of the outputs, then commit of explicit offsets';

/** Index of the round `best` keeps. */
const fastest = (figures: readonly Figure[]): number =>
  figures.reduce((top, f, i) => (f.recordsPerSec > figures[top]!.recordsPerSec ? i : top), 0);

export async function benchRuntimeOverhead(
  scratch: RuntimeScratch,
  params: RuntimeParams,
  rounds: number,
): Promise<RuntimeOverheadResult> {
  const { bus } = scratch;
  const { records, maxPollRecords } = params;
  progress(
    `runtime overhead: encoding ${records} real trades into a ${RUNTIME_SETTINGS.partitions}-partition topic`,
  );
  const input = await scratch.product('rt-in');
  const encoded = encodeTrades(input, await benchTrades(records));
  const bytes = encoded.reduce((sum, r) => sum + (r.value as Buffer).length, 0);
  await produceAll(bus, encoded);

  type Copy = typeof rawCopy;
  const copies: Record<'raw' | 'service', Copy> = { raw: rawCopy, service: serviceCopy };
  const warmup = Math.min(records, 20_000);
  const warmupOut = await scratch.product('rt-warmup-out');
  for (const kind of ['raw', 'service'] as const) {
    progress(`runtime overhead warm-up: ${kind} copies ${warmup} trades`);
    await copies[kind](bus, input, warmupOut, scratch.group(`rt-warmup-${kind}`), warmup, maxPollRecords);
  }
  const figures: Record<'raw' | 'service', Figure[]> = { raw: [], service: [] };
  const phases: RawPhases[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const kind of ['raw', 'service'] as const) {
      progress(`runtime overhead: ${kind} copies ${records} trades (round ${r}/${rounds})...`);
      const output = await scratch.product(`rt-${kind}-out-r${r}`);
      const w = await copies[kind](
        bus,
        input,
        output,
        scratch.group(`rt-${kind}-r${r}`),
        records,
        maxPollRecords,
      );
      const written = await sumEndOffsets(bus, output.topic);
      if (written < records)
        throw new Error(`${kind} copy reported done with ${written} of ${records} in the output`);
      const extra = written > records ? `; ${written - records} records written twice (a rebalance)` : '';
      const f = figure(records, bytes, w.seconds, `${kind === 'raw' ? RAW_NOTE : SERVICE_NOTE}${extra}`);
      const withCpu = { ...f, cpuMicrosPerRecord: w.cpuMicros / records };
      progress(
        `  ${kind}: ${Math.round(withCpu.recordsPerSec).toLocaleString('en-US')} records/s, ` +
          `${withCpu.cpuMicrosPerRecord.toFixed(2)} us CPU/record`,
      );
      figures[kind].push(withCpu);
      if (w.phases) {
        phases.push(w.phases);
        progress(
          `  raw per batch: poll ${w.phases.pollMs.toFixed(1)} ms, sendBatch ${w.phases.sendMs.toFixed(1)} ms, ` +
            `commit ${w.phases.commitMs.toFixed(1)} ms`,
        );
      }
    }
  }
  const raw = best(figures.raw);
  const service = best(figures.service);
  return {
    partitions: RUNTIME_SETTINGS.partitions,
    maxPollRecords,
    raw,
    service,
    overheadPercent: (1 - service.recordsPerSec / raw.recordsPerSec) * 100,
    cpuRatio: service.cpuMicrosPerRecord! / raw.cpuMicrosPerRecord!,
    rawPhases: phases[fastest(figures.raw)]!,
    note:
      `${records} real Binance trades (BTCUSDT/ETHUSDT captures, replayed with shifted ids), encode()d, ` +
      `in ${RUNTIME_SETTINGS.partitions} partitions; each copy is a fresh group from the earliest offset, ` +
      `maxPollRecords ${maxPollRecords}, measured from the group join to the commit of the last record; ` +
      `best of ${rounds} round(s); CPU is the whole bench process (client included) per record`,
  };
}
