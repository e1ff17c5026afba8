// Failure becomes delay, on both backends: candles stopped mid-stream and restarted ends with the candles of an uninterrupted run.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFailureDelay } from '../../src/ops/scenarios/failure-delay.ts';
import { backends } from '../helpers/backends.ts';

for (const backend of backends) {
  describe(`failure becomes delay on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'candles stopped while trades keep flowing resumes from its committed offsets and store: its candles equal the uninterrupted reference, value for value',
      { timeout: 240_000 },
      async (t) => {
        const bus = await backend.open(t);
        const result = await runFailureDelay({ bus, progress: (line) => t.diagnostic(line) });
        assert.deepEqual(result.differences, []);
        assert.ok(result.backlogAtRestart > 1000, `backlog at restart: ${result.backlogAtRestart}`);
        // 6 minutes of trades: ~350 one-second and 5 one-minute candles per symbol.
        assert.ok(result.reference > 600, `reference candles: ${result.reference}`);
        assert.equal(result.restarted, result.reference);
      },
    );
  });
}
