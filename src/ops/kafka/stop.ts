// Stops every broker of a home (controlled shutdown first) and clears its recorded state.

import { withHomeLock } from './lock.ts';
import { resolveHome } from './paths.ts';
import { terminate } from './process.ts';
import { clearState, findBrokerProcesses, isBrokerAlive, readState } from './state.ts';
import { type ProgressListener } from './types.ts';

export interface StopKafkaOptions {
  readonly home?: string;
  /** How long brokers get for a controlled shutdown before SIGKILL. */
  readonly graceMs?: number;
  readonly onProgress?: ProgressListener;
}

export interface StopKafkaResult {
  /** Pids that were running and are now gone. */
  readonly stopped: readonly number[];
  /** Those of `stopped` that ignored SIGTERM for the grace period and were SIGKILLed. */
  readonly killed: readonly number[];
}

export async function stopKafka(options: StopKafkaOptions = {}): Promise<StopKafkaResult> {
  const home = resolveHome(options.home);
  return withHomeLock(home, () => stopUnlocked(home, options.graceMs ?? 30_000, options.onProgress));
}

/** For callers that already hold the home lock (start with `fresh`). */
export async function stopUnlocked(
  home: string,
  graceMs: number,
  onProgress?: ProgressListener,
): Promise<StopKafkaResult> {
  const recorded = await readState(home);
  const pids = new Set<number>();
  for (const broker of recorded?.brokers ?? []) {
    if (await isBrokerAlive(home, broker)) pids.add(broker.pid);
  }
  // Also brokers state.json lost track of (e.g. it was deleted): they would hold the ports and data.
  for (const pid of await findBrokerProcesses(home)) pids.add(pid);
  const stopped = [...pids];
  let killed: number[] = [];
  if (stopped.length > 0) {
    onProgress?.(
      `Stopping ${stopped.length} Kafka broker process(es) of ${home} (pids ${stopped.join(', ')})...`,
    );
    // All at once: in combined mode each node's controller outlives its broker, so the quorum is still
    // there to approve every controlled shutdown; one by one, the last node would wait for a lost quorum.
    killed = await terminate(stopped, graceMs);
    if (killed.length > 0)
      onProgress?.(`Killed pids ${killed.join(', ')} after ${graceMs / 1000} s without a clean shutdown`);
  }
  await clearState(home);
  return { stopped, killed };
}
