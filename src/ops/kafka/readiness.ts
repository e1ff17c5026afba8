// Waits until every broker answers a real Kafka Metadata request that lists all brokers of the cluster.

import { HOST } from './config.ts';

/** How many brokers `port`'s broker lists in its Metadata response, or undefined if it does not answer. */
export async function brokersSeenBy(port: number, timeoutMs = 3000): Promise<number | undefined> {
  // Loaded on first use: the client takes most of a second to import, which every CLI call would pay.
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({
    clientId: 'streamforge-kafka-ops',
    bootstrapBrokers: [`${HOST}:${port}`],
    connectTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return metadata.brokers.size;
  } catch {
    return undefined;
  } finally {
    await admin.close().catch(() => {});
  }
}

export interface ReadinessOptions {
  readonly ports: readonly number[];
  readonly timeoutMs: number;
  /** Checked between attempts; a non-undefined reason stops the wait at once (e.g. a JVM exited). */
  readonly failure: () => string | undefined;
  readonly onWaiting?: (elapsedMs: number) => void;
}

export type ReadinessResult = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/**
 * An open port is not enough: a broker listens before it has caught up with the metadata log and
 * registered with the controller. Ready means every broker lists all `ports.length` brokers.
 */
export async function waitForBrokers(options: ReadinessOptions): Promise<ReadinessResult> {
  const started = Date.now();
  let lastReport = started;
  while (true) {
    const failure = options.failure();
    if (failure) return { ready: false, reason: failure };
    const seen = await Promise.all(options.ports.map((port) => brokersSeenBy(port)));
    if (seen.every((n) => n === options.ports.length)) return { ready: true };
    const elapsed = Date.now() - started;
    if (elapsed > options.timeoutMs) {
      const detail = options.ports.map(
        (port, i) => `${port}: ${seen[i] === undefined ? 'no answer' : `${seen[i]} brokers`}`,
      );
      return {
        ready: false,
        reason: `not ready after ${Math.round(elapsed / 1000)} s (${detail.join(', ')})`,
      };
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      options.onWaiting?.(elapsed);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
