// Parses `npm run bench` flags into benchmark parameters.

import { parseArgs } from 'node:util';
import { type BenchParams } from './types.ts';

export const USAGE = `Usage: npm run bench -- [options]

  --bootstrap host:port   use a running broker instead of starting a fresh one
  --records N             records of 100 B per Kafka test (default 1,000,000; 1 KiB tests use N/2)
  --records-1k N          records of 1 KiB per Kafka test (default records/2)
  --embedded-records N    records appended to the embedded log (default 2,000,000)
  --partitions N          partitions of every test topic (default 1)
  --rounds N              run each measurement N times and keep the best (default 2; 1 with --quick)
  --quick                 smoke run: 100,000 / 50,000 / 200,000 records, one round
  --no-embedded           skip the embedded backend
  --no-parser             skip the parser throughput test (real captures, one core)
  --no-services           skip the stream processors: order book, candles, writer, whole pipeline
  --only-services         only the stream processors (the pipeline's Kafka run uses --bootstrap or a fresh broker)
  --no-kafka              skip the Kafka tests (the client tests and the runtime tests)
  --no-runtime            skip the service-runtime tests
  --only-runtime          only the service-runtime tests (no client tests, no embedded log)
  --runtime-records N     trades copied by the runtime overhead test (default 200,000; 50,000 with --quick)
  --runtime-poll N        maxPollRecords of the raw loop and the service alike (default 500, the runtime's)
  --latency-rate N        records/s sent through the pass-through service (default 10,000)
  --latency-seconds N     measured seconds of the latency test after 2 s of warm-up (default 20; 5 with --quick)
  --no-catchup            skip the catch-up test (a restarted candles service over a backlog of real trades)
  --only-catchup          only the catch-up test, on the embedded log and on Kafka (--bootstrap or a fresh broker; --no-kafka: embedded only)
  --catchup-minutes N     recorded minutes of trades in the backlog (default 10, about what the capture holds)
  --no-startup            skip the startup test (npm start to a dashboard with live data, then Ctrl-C)
  --only-startup          only the startup test (no broker)
  --startup-runs N        runs of npm start in a fresh directory (default 3; 1 with --quick), plus one with a cold tsx cache
  --no-startup-cold       leave out the run with a cold tsx cache (the first start of a clean clone)
  --help`;

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', '').replaceAll(',', ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} ${raw} is not a positive integer`);
  return n;
}

/** Returns null when only help was asked for. */
export function parseBenchArgs(argv: readonly string[]): BenchParams | null {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      bootstrap: { type: 'string' },
      records: { type: 'string' },
      'records-1k': { type: 'string' },
      'embedded-records': { type: 'string' },
      partitions: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-embedded': { type: 'boolean', default: false },
      'no-parser': { type: 'boolean', default: false },
      'no-services': { type: 'boolean', default: false },
      'only-services': { type: 'boolean', default: false },
      'no-kafka': { type: 'boolean', default: false },
      'no-runtime': { type: 'boolean', default: false },
      'only-runtime': { type: 'boolean', default: false },
      'runtime-records': { type: 'string' },
      'runtime-poll': { type: 'string' },
      'latency-rate': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'no-catchup': { type: 'boolean', default: false },
      'only-catchup': { type: 'boolean', default: false },
      'catchup-minutes': { type: 'string' },
      'no-startup': { type: 'boolean', default: false },
      'only-startup': { type: 'boolean', default: false },
      'startup-runs': { type: 'string' },
      'no-startup-cold': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const quick = values.quick ?? false;
  const small = count(values.records, 'records', quick ? 100_000 : 1_000_000);
  // Half the count at 1 KiB: about 0.5 GB, enough that a 1 KiB round lasts seconds, not one.
  const large = count(values['records-1k'], 'records-1k', Math.max(1, Math.floor(small / 2)));
  const bootstrap = values.bootstrap ?? null;
  if (bootstrap !== null && !/^[^:\s]+:\d{1,5}$/.test(bootstrap))
    throw new Error(`--bootstrap ${bootstrap} is not host:port`);
  const onlyRuntime = values['only-runtime'] ?? false;
  const onlyServices = values['only-services'] ?? false;
  const onlyCatchup = values['only-catchup'] ?? false;
  const onlyStartup = values['only-startup'] ?? false;
  if ([onlyRuntime, onlyServices, onlyCatchup, onlyStartup].filter(Boolean).length > 1)
    throw new Error('--only-runtime, --only-services, --only-catchup and --only-startup exclude each other');
  if (onlyCatchup && (values['no-catchup'] ?? false))
    throw new Error('--only-catchup cannot be combined with --no-catchup');
  if (onlyStartup && (values['no-startup'] ?? false))
    throw new Error('--only-startup cannot be combined with --no-startup');
  const only = onlyRuntime || onlyServices || onlyCatchup || onlyStartup;
  if (onlyServices && (values['no-services'] ?? false))
    throw new Error('--only-services cannot be combined with --no-services');
  // The startup test runs on the embedded log: no broker.
  const skipKafka = onlyStartup || (values['no-kafka'] ?? false);
  const skipRuntime = values['no-runtime'] ?? false;
  if (onlyRuntime && (skipKafka || skipRuntime))
    throw new Error('--only-runtime cannot be combined with --no-kafka or --no-runtime');
  return {
    bootstrap,
    partitions: count(values.partitions, 'partitions', 1),
    cases: [
      { recordSize: 100, records: small },
      { recordSize: 1024, records: large },
    ],
    embeddedRecords: count(values['embedded-records'], 'embedded-records', quick ? 200_000 : 2_000_000),
    embeddedBatch: 10_000,
    warmupRecords: quick ? 20_000 : 100_000,
    rounds: count(values.rounds, 'rounds', quick ? 1 : 2),
    quick,
    partial: only,
    skipEmbedded: only || (values['no-embedded'] ?? false),
    skipParser: only || (values['no-parser'] ?? false),
    skipServices: onlyRuntime || onlyCatchup || onlyStartup || (values['no-services'] ?? false),
    skipKafka,
    skipKafkaClients: only,
    skipRuntime: skipRuntime || onlyServices || onlyCatchup || onlyStartup,
    runtime: {
      records: count(values['runtime-records'], 'runtime-records', quick ? 50_000 : 200_000),
      maxPollRecords: count(values['runtime-poll'], 'runtime-poll', 500),
      latencyRate: count(values['latency-rate'], 'latency-rate', 10_000),
      latencySeconds: count(values['latency-seconds'], 'latency-seconds', quick ? 5 : 20),
      latencyWarmupSeconds: 2,
    },
    catchup: {
      skip: onlyRuntime || onlyServices || onlyStartup || (values['no-catchup'] ?? false),
      minutes: count(values['catchup-minutes'], 'catchup-minutes', 10),
    },
    startup: {
      skip: onlyRuntime || onlyServices || onlyCatchup || (values['no-startup'] ?? false),
      runs: count(values['startup-runs'], 'startup-runs', quick ? 1 : 3),
      cold: !(values['no-startup-cold'] ?? false),
    },
  };
}
