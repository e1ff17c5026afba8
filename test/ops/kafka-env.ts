// Test helpers for the Kafka provisioning tests: prerequisite gate (skip, or fail under STREAMFORGE_REQUIRE_KAFKA=1) and temp homes.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { stopKafka } from '../../src/ops/kafka/index.ts';
import { checkJava, checkMaven } from '../../src/ops/kafka/prerequisites.ts';

/** Why Kafka cannot run here (java or mvn missing), or undefined when it can. */
export async function kafkaUnavailable(): Promise<string | undefined> {
  try {
    await checkJava();
    await checkMaven();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const missing = await kafkaUnavailable();
const required = process.env['STREAMFORGE_REQUIRE_KAFKA'] === '1';

/**
 * Options for a test that needs a real broker: skipped with the reason when java/mvn are missing,
 * unless STREAMFORGE_REQUIRE_KAFKA=1 (CI), where the test runs and `assertKafkaAvailable` fails it.
 */
export const needsKafka = {
  skip: missing !== undefined && !required ? `needs java and mvn: ${missing}` : false,
} as const;

export function assertKafkaAvailable(): void {
  if (missing) throw new Error(`STREAMFORGE_REQUIRE_KAFKA=1 but Kafka cannot run here: ${missing}`);
}

/** A fresh home folder whose brokers are stopped and files deleted when the test ends. */
export async function tempHome(t: TestContext, prefix: string): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), `sf-${prefix}-`));
  t.after(async () => {
    await stopKafka({ home, graceMs: 10_000 });
    await rm(home, { recursive: true, force: true });
  });
  return home;
}
