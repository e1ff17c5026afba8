// A new consumer bootstraps from history, on both backends: a candles service started later in a new group ends with the same candles and store.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBootstrap } from '../../src/ops/scenarios/bootstrap.ts';
import { backends } from '../helpers/backends.ts';

for (const backend of backends) {
  describe(`new consumer bootstraps from history on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'a candles service started halfway, in a new group, reads md.trades from the beginning and reaches the same candles and the same store state',
      { timeout: 240_000 },
      async (t) => {
        const bus = await backend.open(t);
        const result = await runBootstrap({ bus, progress: (line) => t.diagnostic(line) });
        assert.deepEqual(result.differences, []);
        assert.ok(result.history > 5000, `history: ${result.history}`);
        assert.ok(result.established > 600, `candles: ${result.established}`);
        assert.equal(result.newcomer, result.established);
        assert.equal(result.statesCompared, 2, 'BTCUSDT and ETHUSDT');
      },
    );
  });
}
