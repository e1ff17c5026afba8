// Failure becomes delay, on both backends: candles stopped mid-stream and restarted ends with the candles of an uninterrupted run.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffCandles } from '../../src/ops/scenarios/candles.ts';
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

        // The comparison itself sees one changed decimal, a lost candle and an extra one.
        const [key, candle] = [...result.referenceCandles][result.reference >> 1]!;
        const changed = new Map(result.referenceCandles).set(key, { ...candle, volume: `${candle.volume}1` });
        assert.deepEqual(diffCandles(result.referenceCandles, changed), [
          `${key}: volume ${JSON.stringify(`${candle.volume}1`)}, reference ${JSON.stringify(candle.volume)}`,
        ]);
        const lost = new Map(result.referenceCandles);
        lost.delete(key);
        assert.deepEqual(diffCandles(result.referenceCandles, lost), [`${key}: missing`]);
        assert.deepEqual(diffCandles(lost, result.referenceCandles), [`${key}: not in the reference`]);
      },
    );
  });
}
