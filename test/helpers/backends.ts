// Test fixtures: the bus backends a suite runs against, and unique names that clean up after themselves.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { openBus } from '../../src/bus/open.ts';
import { type Bus, type TopicSpec } from '../../src/bus/types.ts';

export interface Backend {
  readonly name: 'kafka' | 'embedded';
  /** Why the backend cannot run here; undefined when it can. */
  readonly skip: string | undefined;
  /** Opens a bus for one test; closed (and for the embedded log, deleted) after it. */
  open(t: TestContext): Promise<Bus>;
}

/** The Kafka bootstrap address of the broker the test runner started (scripts/test.ts). */
export function kafkaBootstrap(): string | undefined {
  return process.env['STREAMFORGE_TEST_KAFKA'] || undefined;
}

/**
 * Why Kafka tests cannot run, or undefined. With STREAMFORGE_REQUIRE_KAFKA=1 (CI) a missing
 * broker is a failure, never a skip.
 */
export function kafkaSkipReason(): string | undefined {
  if (kafkaBootstrap()) return undefined;
  if (process.env['STREAMFORGE_REQUIRE_KAFKA'] === '1') {
    throw new Error(
      'STREAMFORGE_REQUIRE_KAFKA=1 but no broker: run the suite with `npm test`, which starts one',
    );
  }
  return 'no Kafka broker (set STREAMFORGE_TEST_KAFKA=host:port, or run `npm test`, which starts one)';
}

const cleanups = new WeakMap<TestContext, Array<() => Promise<unknown> | unknown>>();

/** Registers cleanup for the end of the test; cleanups run last-registered first. */
export function defer(t: TestContext, fn: () => Promise<unknown> | unknown): void {
  let stack = cleanups.get(t);
  if (!stack) {
    const created: Array<() => Promise<unknown> | unknown> = [];
    stack = created;
    cleanups.set(t, created);
    t.after(async () => {
      while (created.length > 0) await created.pop()!();
    });
  }
  stack.push(fn);
}

export const embeddedBackend: Backend = {
  name: 'embedded',
  skip: undefined,
  async open(t) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-bus-'));
    const bus = await openBus(`embedded:${dir}?cleanerIntervalMs=200`);
    defer(t, async () => {
      await bus.close();
      await rm(dir, { recursive: true, force: true });
    });
    return bus;
  },
};

export const kafkaBackend: Backend = {
  name: 'kafka',
  skip: kafkaSkipReason(),
  async open(t) {
    const bus = await openBus(`kafka://${kafkaBootstrap()}`);
    defer(t, () => bus.close());
    return bus;
  },
};

export const backends: readonly Backend[] = [embeddedBackend, kafkaBackend];

let counter = 0;
/** A topic or group name no other test uses, also across test processes and runs. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Creates a uniquely named topic and deletes it after the test. */
export async function tempTopic(
  t: TestContext,
  bus: Bus,
  spec: Omit<TopicSpec, 'name'> & { readonly prefix?: string },
): Promise<string> {
  const name = uniqueName(spec.prefix ?? 'contract');
  const admin = bus.admin();
  await admin.createTopics([
    { name, partitions: spec.partitions, ...(spec.configs ? { configs: spec.configs } : {}) },
  ]);
  defer(t, async () => {
    await admin.deleteTopics([name]).catch(() => undefined);
    await admin.close();
  });
  return name;
}

/** A unique consumer group name; the group is deleted after the test (register it before its consumers). */
export function tempGroup(t: TestContext, bus: Bus, prefix: string): string {
  const name = uniqueName(prefix);
  defer(t, async () => {
    const admin = bus.admin();
    await admin.deleteGroup(name).catch(() => undefined);
    await admin.close();
  });
  return name;
}

/** Polls until `check` passes or the time is up; returns whether it passed. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return check();
}
