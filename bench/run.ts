// `npm run bench`: Kafka producer/consumer throughput of StreamForge vs Kafka's Java tools and KafkaJS, the service runtime's overhead and latency, the embedded log, the stream processors, catch-up and startup.

import path from 'node:path';
import os from 'node:os';
import { parseBenchArgs, USAGE } from './args.ts';
import { acquireBroker, stopBenchBroker } from './broker.ts';
import { benchCatchup } from './catchup.ts';
import { benchEmbedded } from './embedded.ts';
import { KAFKAJS_CONSUME, KAFKAJS_PRODUCE } from './kafkajs.ts';
import { benchKafka } from './kafka-suite.ts';
import { openKafka, SF_CONSUME, SF_PRODUCE } from './kafka-streamforge.ts';
import {
  type BenchReport,
  evaluate,
  formatReport,
  machineInfo,
  type RuntimeReport,
  sourceInfo,
  writeReport,
} from './report.ts';
import { benchParser } from './parser.ts';
import { benchRuntimeLatency } from './runtime-latency.ts';
import { benchRuntimeOverhead, RUNTIME_SETTINGS, RuntimeScratch } from './runtime-overhead.ts';
import { benchServicesKafka, benchServicesLocal } from './services.ts';
import { benchStartup } from './startup.ts';
import { type BenchParams, progress } from './types.ts';

const RESULTS_DIR = path.resolve(import.meta.dirname, 'results');

/** Runtime overhead, then latency, on the broker the client tests used; their topics go at the end. */
async function benchRuntime(params: BenchParams, bootstrap: string): Promise<RuntimeReport> {
  const bus = await openKafka(bootstrap);
  const scratch = new RuntimeScratch(bus, `sfbench-${Date.now().toString(36)}`);
  try {
    const overhead = await benchRuntimeOverhead(scratch, params.runtime, params.rounds);
    const latency = await benchRuntimeLatency(scratch, params.runtime);
    return { overhead, latency };
  } finally {
    await scratch.cleanup();
    await bus.close();
  }
}

async function main(): Promise<void> {
  let params: BenchParams | null;
  try {
    params = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (params === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    source: sourceInfo(),
    machine: machineInfo(),
    kafka: null,
    params,
    clientSettings: {
      streamforgeProducer: SF_PRODUCE,
      streamforgeConsumer: SF_CONSUME,
      kafkajsProducer: KAFKAJS_PRODUCE,
      kafkajsConsumer: KAFKAJS_CONSUME,
      values: 'random bytes (a pool of 64 per size), null keys',
      runtime: RUNTIME_SETTINGS,
    },
    kafkaResults: [],
    runtime: null,
    embedded: null,
    parser: null,
    services: null,
    catchup: null,
    startup: null,
  };
  // CPU-bound single-core benches first, before a broker's JVM shares the cores.
  if (!params.skipServices) report.services = await benchServicesLocal(params.rounds);
  const catchup = { minutes: params.catchup.minutes, rounds: params.rounds };
  if (!params.catchup.skip)
    report.catchup = await benchCatchup({ ...catchup, backends: ['embedded'], kafkaBootstrap: null });
  // npm start on the embedded log uses both cores: before a broker's JVM shares them too.
  if (!params.startup.skip)
    report.startup = await benchStartup({ runs: params.startup.runs, cold: params.startup.cold });
  if (!params.skipKafka) {
    const broker = await acquireBroker(params.bootstrap);
    report.kafka = {
      version: broker.version,
      bootstrap: broker.bootstrap,
      startedByBench: broker.startedByBench,
    };
    try {
      if (!params.skipKafkaClients) await benchKafka(params, broker, report.kafkaResults);
      if (!params.skipRuntime) report.runtime = await benchRuntime(params, broker.bootstrap);
      if (report.services) await benchServicesKafka(report.services, broker.bootstrap);
      if (report.catchup) {
        const kafka = await benchCatchup({
          ...catchup,
          backends: ['kafka'],
          kafkaBootstrap: broker.bootstrap,
        });
        report.catchup = { ...report.catchup, rows: [...report.catchup.rows, ...kafka.rows] };
      }
    } finally {
      await broker.stop();
    }
  }
  if (!params.skipEmbedded) {
    report.embedded = await benchEmbedded(
      params.embeddedRecords,
      params.embeddedBatch,
      params.warmupRecords,
      params.rounds,
    );
  }
  if (!params.skipParser) report.parser = await benchParser(Math.max(2, params.rounds));
  report.machine.loadAverageAtEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  report.finishedAt = new Date().toISOString();
  evaluate(report);
  process.stdout.write(formatReport(report));
  const file = await writeReport(report, RESULTS_DIR);
  progress(
    `results written to ${path.relative(process.cwd(), file)}${params.partial ? '' : ' and bench/results/latest.json'}`,
  );
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping...`);
    void stopBenchBroker().finally(() => process.exit(130));
  });
}

try {
  await main();
  // KafkaJS and the Kafka clients may leave sockets and timers behind; the work is done.
  process.exit(0);
} catch (error) {
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stopBenchBroker().catch(() => undefined);
  process.exit(1);
}
