// A service run as a `streamforge run <fixture>` child process that tests kill with SIGKILL mid-work, as a crash would.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { openBus } from '../../src/bus/open.ts';
import { type Bus } from '../../src/bus/types.ts';
import { defer, eventually } from './backends.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServiceChild {
  readonly process: ChildProcess;
  /** Batches the child reported done so far (lines it printed that start with the batch prefix). */
  batches(): number;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `fixture` (a service definition module) on `busUri` with `env` added to this process's
 * environment. The fixture prints one stdout line starting with `batchPrefix` per batch it finished.
 */
export function spawnService(
  t: TestContext,
  options: {
    readonly fixture: string;
    readonly busUri: string;
    readonly env: Readonly<Record<string, string>>;
    readonly batchPrefix: string;
  },
): ServiceChild {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/streamforge.js'),
      '--bus',
      options.busUri,
      'run',
      options.fixture,
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  defer(t, () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
  let batches = 0;
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith(options.batchPrefix)) batches++;
  });
  return {
    process: child,
    batches: () => batches,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

/**
 * Waits until the child finished 1 to `maxBatches` batches (drawn at random) and is still alive
 * (`busy` names what it should be doing), then kills it with SIGKILL after up to `maxDelayMs`:
 * inside a batch, between its outputs and its commit, or between batches.
 */
export async function killMidway(
  child: ServiceChild,
  options: { readonly maxBatches: number; readonly maxDelayMs: number; readonly busy: string },
): Promise<void> {
  const target = 1 + Math.floor(Math.random() * options.maxBatches);
  const working = await eventually(
    () => child.batches() >= target || child.process.exitCode !== null,
    120_000,
    5,
  );
  assert.ok(working && child.process.exitCode === null, `${options.busy} (exit ${child.process.exitCode})`);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * options.maxDelayMs));
  child.process.kill('SIGKILL');
  await child.exited;
}

/**
 * Waits until the child's batch counter has moved at least once and then stood still for
 * `quietMs`: it has worked off what there was. False when `timeoutMs` passes first.
 */
export async function untilQuiet(child: ServiceChild, quietMs: number, timeoutMs: number): Promise<boolean> {
  let seen = -1;
  let quietSince = Date.now();
  return eventually(
    () => {
      if (child.batches() !== seen) {
        seen = child.batches();
        quietSince = Date.now();
      }
      return child.batches() > 0 && Date.now() - quietSince > quietMs;
    },
    timeoutMs,
    100,
  );
}

/** Opens the bus at `uri` in this process, uses it and closes it: the embedded log takes one process at a time. */
export async function withBus<T>(uri: string, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await openBus(uri);
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}
