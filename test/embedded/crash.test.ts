// kill -9 during writes: every acknowledged record survives with its exact bytes, and no read
// ever fails or returns something corrupt. 20 crashes in a row on the same directory.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openEmbeddedBus } from '../../src/bus/embedded/index.ts';
import { crashValue } from './crash-values.ts';
import { readPartition, tempDir } from './helpers.ts';

const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-writer.ts');

/** Runs the writer, SIGKILLs it at a random moment after its first ack; returns the acked records. */
async function runAndKill(dir: string, start: number): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(start)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked = new Map<string, number>();
  let pending = '';
  let ready = false;
  const started = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      // The last piece may be a line cut by the kill: only whole lines count.
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') {
          ready = true;
          continue;
        }
        const [, partition, offset, seq] = line.split(' ');
        acked.set(`${partition}:${offset}`, Number(seq));
        resolve();
      }
    });
  });
  await started;
  assert.ok(ready);
  await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 250));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return acked;
}

it(
  'after kill -9 every acknowledged record is readable with its exact bytes, 20 times in a row',
  { timeout: 120_000 },
  async (t) => {
    const dir = await tempDir(t, 'sf-crash-');
    const all = new Map<string, number>();
    let next = 0;
    for (let round = 0; round < 20; round++) {
      const acked = await runAndKill(dir, next);
      for (const [k, seq] of acked) all.set(k, seq);
      next += 1_000_000;
      const bus = await openEmbeddedBus(dir, {});
      try {
        const found = new Map<string, Buffer>();
        for (let partition = 0; partition < 3; partition++) {
          const records = await readPartition(bus, 'crash', partition);
          let previous = -1;
          for (const r of records) {
            assert.ok(r.offset > previous, 'offsets ascend');
            previous = r.offset;
            // Every record read is whole: its value is the one its seq header says.
            const seq = Number(r.headers['seq']?.toString());
            assert.deepEqual(r.value, crashValue(seq), `record ${partition}:${r.offset} is intact`);
            found.set(`${partition}:${r.offset}`, r.value!);
          }
        }
        for (const [k, seq] of all) {
          assert.deepEqual(
            found.get(k),
            crashValue(seq),
            `acked record ${k} (seq ${seq}) survived round ${round}`,
          );
        }
        assert.ok(acked.size > 0, `round ${round} acknowledged something`);
      } finally {
        await bus.close();
      }
    }
  },
);
