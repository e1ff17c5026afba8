// The backfill job against the simulator: pages of aggregate trades into md.raw, parsed downstream; an interrupted job resumes.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rawTopics } from '../../src/contracts/index.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createBackfill } from '../../src/services/backfill/index.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { backends, defer, tempGroup } from '../helpers/backends.ts';
import { json, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 180_000 } as const;

for (const backend of backends) {
  describe(`backfill on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'loads every aggregate trade of a range once, across an interruption, and the parser turns them into trades',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const sim = await startSimulator({
          port: 0,
          seed: 11,
          symbols: ['BTCUSDT'],
          futuresSymbols: [],
          tickMs: 5,
        });
        defer(t, () => sim.close());
        const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-backfill-'));
        defer(t, () => rm(dir, { recursive: true, force: true }));
        const raw = renamed(rawTopics.binance, 'bf-raw');
        const out = normalizedTopics('bf');
        await tempProductTopics(t, bus, [raw, ...Object.values(out)]);
        const from = Date.now();
        // Let the market make a few hundred aggregate trades.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const to = Date.now();
        const job = (name: string, onPage?: (pages: number) => void) =>
          createBackfill({
            exchange: 'binance',
            symbol: 'BTCUSDT',
            kind: { aggTrades: true },
            from,
            to,
            restUrl: sim.restUrl,
            checkpointDir: dir,
            name,
            product: raw,
            pageLimit: 20,
            ...(onPage ? { onPage: (p) => onPage(p.pages) } : {}),
          });

        // First run: interrupted after two pages.
        const first: ServiceRunner = new ServiceRunner(
          job(tempGroup(t, bus, 'backfill'), (pages) => {
            if (pages === 2) void first.stop('interrupted by the test');
          }),
          { bus, heartbeatMs: 0, control: false },
        );
        await first.start();
        await first.done();
        const partial = await readAll(bus, raw.topic, () => false, 1000);
        assert.ok(partial.length >= 2, 'the first pages were written');

        // Second run with the same arguments: resumes from the checkpoint and finishes.
        const second = new ServiceRunner(job(tempGroup(t, bus, 'backfill2')), {
          bus,
          heartbeatMs: 0,
          control: false,
        });
        await second.start();
        await second.done();
        assert.equal(second.lifecycle.state, 'stopped');

        await startParser(t, bus, {
          group: 'bf-parser',
          exchanges: ['binance'],
          raw: { binance: raw },
          out,
        });
        const pages = await readAll(bus, raw.topic, () => false, 1000);
        const rows = pages.reduce((n, r) => n + (JSON.parse(r.value!.toString()) as unknown[]).length, 0);
        const parsed = await readAll(bus, out.trades.topic, (r) => r.length >= rows);
        const ids = parsed.map((r) => Number(String(json(r)['tradeId']).replace('agg-', '')));
        assert.equal(new Set(ids).size, ids.length, 'no aggregate trade twice across the interruption');
        const sorted = [...ids].sort((a, b) => a - b);
        assert.equal(
          sorted[sorted.length - 1]! - sorted[0]! + 1,
          sorted.length,
          'no hole across pages or the restart',
        );
        assert.ok(ids.length > 40, `more than two pages of rows (${ids.length})`);
      },
    );
  });
}
