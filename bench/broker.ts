// The broker the Kafka tests run on: a fresh single node started for the run, or one given by --bootstrap.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { resolveKafkaClasspath, startKafka, stopKafka } from '../src/ops/kafka/index.ts';
import { progress } from './types.ts';

export interface Broker {
  readonly bootstrap: string;
  /** The version started, or for a given broker the version of the tools the bench runs. */
  readonly version: string;
  readonly startedByBench: boolean;
  /** Stops a broker the bench started (idempotent); does nothing for a given one. */
  stop(): Promise<void>;
}

export const BENCH_HOME = path.resolve(import.meta.dirname, '..', '.streamforge', 'bench-kafka');

let starting: Promise<unknown> | null = null;
let mustStop = false;

/** Stops the bench's broker if one was (or is being) started. Safe to call from a signal handler. */
export async function stopBenchBroker(): Promise<void> {
  if (!mustStop) return;
  // A start in progress holds the home lock; stopping before it returns would wait on ourselves.
  if (starting) await starting.catch(() => undefined);
  mustStop = false;
  const result = await stopKafka({ home: BENCH_HOME, onProgress: progress });
  progress(`Kafka stopped (pids ${result.stopped.join(', ') || 'none running'})`);
  // The run leaves gigabytes of records behind; the next run formats afresh anyway.
  await rm(BENCH_HOME, { recursive: true, force: true });
}

export async function acquireBroker(bootstrap: string | null): Promise<Broker> {
  if (bootstrap !== null) {
    const { version } = await resolveKafkaClasspath({ onProgress: progress });
    return { bootstrap, version, startedByBench: false, stop: async () => undefined };
  }
  mustStop = true;
  const start = startKafka({ mode: 'single', home: BENCH_HOME, port: 0, fresh: true, onProgress: progress });
  starting = start;
  const running = await start;
  starting = null;
  return {
    bootstrap: running.bootstrap,
    version: running.version,
    startedByBench: true,
    stop: stopBenchBroker,
  };
}
