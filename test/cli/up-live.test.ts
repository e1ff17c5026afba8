// `streamforge up` (= `npm start`) as a user starts it, watched through its dashboard: live, plausible market data on the page's feed, and Ctrl-C stops it cleanly.

import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compareDecimal, parseDecimal, signDecimal } from '../../src/contracts/decimal.ts';
import { probeFeed, UpProcess } from '../../src/ops/startup/index.ts';
import { defer } from '../helpers/backends.ts';

/** Exact decimal text above zero, as the exchange writes prices ("61786.01000000"). */
function assertPositiveDecimal(what: string, text: string): void {
  assert.match(text, /^(0|[1-9]\d*)(\.\d+)?$/, `${what} ${JSON.stringify(text)} is decimal text`);
  assert.equal(signDecimal(parseDecimal(text)), 1, `${what} ${text} is above zero`);
}

const cmp = (a: string, b: string): number => compareDecimal(parseDecimal(a), parseDecimal(b));

describe('streamforge up, watched through its dashboard', () => {
  it(
    'in a fresh directory serves the page, then live candles, book levels and trades with plausible values on the feed; Ctrl-C exits 0 after every service stopped',
    // Not a timing test: generous limits for a loaded CI machine (the benchmark measures the time).
    { timeout: 300_000 },
    async (t) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-up-live-'));
      defer(t, () => rm(dir, { recursive: true, force: true }));
      const up = UpProcess.start({ cwd: dir, dashboardPort: 0 });
      defer(t, () => up.kill());

      const url = await up.dashboardUrl(180_000);
      await up.waitForPage(url, 30_000);
      // Rejects at the first implausible value, and names what is missing if the feed stays empty.
      const feed = await probeFeed(url, { timeoutMs: 120_000 });

      assert.match(feed.instrument, /^binance:(BTCUSDT|ETHUSDT|SOLUSDT)$/, 'one of the simulator symbols');
      const c = feed.candle;
      for (const [name, price] of Object.entries({ open: c.open, high: c.high, low: c.low, close: c.close }))
        assertPositiveDecimal(`candle ${name}`, price);
      assert.ok(cmp(c.high, c.low) >= 0, `candle high ${c.high} >= low ${c.low}`);
      assert.ok(cmp(c.high, c.open) >= 0 && cmp(c.high, c.close) >= 0, JSON.stringify(c));
      assert.ok(cmp(c.low, c.open) <= 0 && cmp(c.low, c.close) <= 0, JSON.stringify(c));
      const { bids, asks } = feed.depth;
      assert.ok(bids.length > 0 && asks.length > 0, 'book levels on both sides');
      for (const [price, size] of [...bids, ...asks]) {
        assertPositiveDecimal('level price', price);
        assertPositiveDecimal('level size', size);
      }
      assert.ok(cmp(bids[0]![0], asks[0]![0]) < 0, `best bid ${bids[0]![0]} < best ask ${asks[0]![0]}`);
      assertPositiveDecimal('trade price', feed.trade.price);
      assertPositiveDecimal('trade quantity', feed.trade.quantity);
      assert.ok(feed.checked.trades > 0 && feed.checked.candles > 0 && feed.checked.depths > 0);
      // The data went to the default data directory under the fresh working directory, not elsewhere.
      await access(path.join(dir, '.streamforge', 'bus'));
      await access(path.join(dir, '.streamforge', 'db'));

      const exit = await up.interrupt(60_000);
      assert.equal(exit.code, 0, up.output);
      assert.match(
        exit.stoppedLine ?? '',
        /^Stopped: frames [1-9]\d* {2}trades [1-9]\d* .* services 0\/8 running$/,
        `up prints that every service stopped:\n${up.output}`,
      );
    },
  );
});
