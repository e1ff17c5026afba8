// Reports the broker(s) of a home from state.json, keeping only processes that are still our java brokers.

import { resolveHome } from './paths.ts';
import { isBrokerAlive, readState } from './state.ts';
import { type KafkaRunning } from './types.ts';

export interface KafkaStatusOptions {
  readonly home?: string;
}

/** The running brokers of `home`, or null when none runs (a degraded cluster lists its `down` nodes). */
export async function kafkaStatus(options: KafkaStatusOptions = {}): Promise<KafkaRunning | null> {
  const home = resolveHome(options.home);
  const recorded = await readState(home);
  if (!recorded) return null;
  const alive = await Promise.all(recorded.brokers.map((b) => isBrokerAlive(home, b)));
  const live = recorded.brokers.filter((_, i) => alive[i]);
  if (live.length === 0) return null;
  const down = recorded.brokers.filter((_, i) => !alive[i]).map((b) => b.nodeId);
  return {
    ...recorded,
    home,
    brokers: live,
    bootstrap: bootstrapOf(live),
    ...(down.length > 0 ? { down } : {}),
  };
}

export function bootstrapOf(brokers: readonly { readonly port: number }[]): string {
  return brokers.map((b) => `127.0.0.1:${b.port}`).join(',');
}
