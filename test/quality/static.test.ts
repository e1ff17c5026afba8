// Type checking, lint and formatting are part of the suite: a change that breaks them fails `npm test`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

async function check(command: string, args: readonly string[]): Promise<void> {
  try {
    await run(bin(command), args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    assert.fail(`${command} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('static checks', () => {
  it('the TypeScript compiler finds no type error (strict)', { timeout: 180_000 }, () =>
    check('tsc', ['--noEmit', '-p', '.']),
  );
  it('eslint reports nothing', { timeout: 180_000 }, () => check('eslint', ['.']));
  it('every file is formatted with prettier', { timeout: 120_000 }, () =>
    check('prettier', ['--check', '.']),
  );
});
