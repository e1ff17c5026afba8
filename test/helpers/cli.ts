// Runs the `streamforge` command as a user does: a child process, its exit code and output.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { defer } from './backends.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/streamforge.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `streamforge <args>` with `input` on stdin (empty when absent). */
export function cli(args: readonly string[], input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A `--bus` address of a fresh embedded log, deleted after the test. */
export async function embeddedBus(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return `embedded:${dir}`;
}
