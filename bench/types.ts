// Shapes shared by the benchmark modules: parameters, one measured figure, and what a client adapter offers.

export const Clients = {
  JAVA: 'java',
  /** The Java tool again with bigger batches: shows how much of its figure is its default batch.size. */
  JAVA_TUNED: 'java-tuned',
  STREAMFORGE: 'streamforge',
  KAFKAJS: 'kafkajs',
} as const;
export type Client = (typeof Clients)[keyof typeof Clients];

export const Directions = { PRODUCE: 'produce', CONSUME: 'consume' } as const;
export type Direction = (typeof Directions)[keyof typeof Directions];

/** One Kafka test: a record size and how many records every client moves. */
export interface SizeCase {
  readonly recordSize: number;
  readonly records: number;
}

/** The service-runtime tests: overhead of a pass-through service, and end-to-end latency through one. */
export interface RuntimeParams {
  /** Trades pre-filled into the input topic and copied by the raw loop and by the service. */
  readonly records: number;
  /** Records per poll, the same for the raw loop and the service (the runtime's default is 500). */
  readonly maxPollRecords: number;
  /** Records per second the latency test sends. */
  readonly latencyRate: number;
  /** Measured seconds of the latency test, after the warm-up. */
  readonly latencySeconds: number;
  readonly latencyWarmupSeconds: number;
}

export interface BenchParams {
  /** `host:port`; null starts a fresh single-node broker for the run. */
  readonly bootstrap: string | null;
  readonly partitions: number;
  readonly cases: readonly SizeCase[];
  readonly embeddedRecords: number;
  readonly embeddedBatch: number;
  readonly warmupRecords: number;
  /** Each measurement is repeated this many times and the best is kept. */
  readonly rounds: number;
  readonly quick: boolean;
  /** An --only-* run: its results go to their own file and leave bench/results/latest.json (the full run's) alone. */
  readonly partial: boolean;
  readonly skipEmbedded: boolean;
  readonly skipParser: boolean;
  /** Skips the stream-processor benches: order book, candles, writer and the whole pipeline. */
  readonly skipServices: boolean;
  /** No broker at all: neither the client tests nor the runtime tests. */
  readonly skipKafka: boolean;
  /** Skips the producer/consumer tests of the Kafka clients (for `--only-runtime`). */
  readonly skipKafkaClients: boolean;
  readonly skipRuntime: boolean;
  readonly runtime: RuntimeParams;
  /** Catch-up of a restarted candles service over a backlog of real trades (bench/catchup.ts). */
  readonly catchup: CatchupParams;
  /** Startup of `npm start` to a dashboard with live data, and Ctrl-C (bench/startup.ts). */
  readonly startup: StartupParams;
}

export interface StartupParams {
  readonly skip: boolean;
  /** Runs with tsx's transform cache warm; the median, min and max are reported. */
  readonly runs: number;
  /** One more run first with the cache disabled, as the first start of a clean clone. */
  readonly cold: boolean;
}

export interface CatchupParams {
  readonly skip: boolean;
  /** Recorded minutes of trades that arrive while the service is down (the capture holds about 10). */
  readonly minutes: number;
}

/** A throughput figure. `seconds` is the measured phase only (see `note` for what it spans). */
export interface Figure {
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** MiB per second of values, as Kafka's perf tools count "MB". */
  readonly mbPerSec: number;
  /** Every round's records/s, best first is not implied: in the order they ran. */
  readonly rounds: readonly number[];
  readonly note?: string;
  /**
   * CPU time (user + system, all threads) the client's process spent per record while it
   * ran: what a client costs independently of how busy the shared broker was. Only for the
   * clients that run inside the bench process (StreamForge, KafkaJS).
   */
  readonly cpuMicrosPerRecord?: number;
}

export function figure(records: number, bytes: number, seconds: number, note?: string): Figure {
  const recordsPerSec = records / seconds;
  return {
    records,
    bytes,
    seconds,
    recordsPerSec,
    mbPerSec: bytes / 1024 / 1024 / seconds,
    rounds: [recordsPerSec],
    ...(note === undefined ? {} : { note }),
  };
}

/** Runs an in-process client and adds the CPU it used per record to its figure(s). */
export async function withCpu<T extends Figure | { fetch: Figure; total: Figure }>(
  run: () => Promise<T>,
): Promise<T> {
  const before = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(before);
  const micros = used.user + used.system;
  const add = (f: Figure): Figure => ({ ...f, cpuMicrosPerRecord: micros / f.records });
  if ('fetch' in result) return { ...result, fetch: add(result.fetch), total: add(result.total) };
  return add(result as Figure) as T;
}

/** Keeps the best of several rounds, remembering every round's rate. */
export function best(figures: readonly Figure[]): Figure {
  const top = figures.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
  return { ...top, rounds: figures.map((f) => f.recordsPerSec) };
}

/** Progress lines go to stderr so that stdout holds only the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
