// `streamforge query`: what the writer stored, as a table or JSON, from PGlite and PostgreSQL; argument errors exit 2.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBus } from '../../src/bus/open.ts';
import { alerts, candles, trades } from '../../src/contracts/index.ts';
import { ensureTopics, ServiceRunner } from '../../src/runtime/index.ts';
import { createWriter, openDatabase, type SqlDatabase } from '../../src/services/writer/index.ts';
import { eventually, uniqueName } from '../helpers/backends.ts';
import { cli } from '../helpers/cli.ts';
import { postgresSkipReason, postgresUrl } from '../helpers/postgres.ts';
import { produceValues } from '../runtime/helpers.ts';
import { counts, marketData, type MarketData } from './writer-data.ts';

const pgSkip = await postgresSkipReason();
const named = <P extends { topic: string }>(p: P, topic: string): P => ({ ...p, topic, declaration: topic });

/** Writes the data through the writer on an embedded log into `db`, then stops. */
async function store(db: SqlDatabase, data: MarketData): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-query-bus-'));
  const bus = await openBus(`embedded:${dir}`);
  try {
    const topics = {
      trades: named(trades, 'q-trades'),
      candles: { '1m': named(candles['1m'], 'q-c1m') },
      alerts: named(alerts, 'q-alerts'),
    };
    await ensureTopics(bus, [topics.trades, topics.candles['1m'], topics.alerts]);
    await produceValues(bus, topics.trades, data.trades);
    await produceValues(
      bus,
      topics.candles['1m'],
      data.candles.filter((c) => c.interval === '1m'),
    );
    await produceValues(bus, topics.alerts, data.alerts);
    const runner = new ServiceRunner(createWriter({ name: 'writer', database: db, topics, only: true }), {
      bus,
      heartbeatMs: 0,
      control: false,
      lagIntervalMs: 0,
    });
    await runner.start();
    const finals = new Set(
      data.candles.filter((c) => c.interval === '1m').map((c) => `${c.symbol}${c.openTime}`),
    ).size;
    assert.ok(
      await eventually(async () => {
        const n = await counts(db);
        return n.trades === data.trades.length && n.candles === finals && n.alerts === data.alerts.length;
      }, 60_000),
    );
    await runner.stop('stored');
  } finally {
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const btc = (data: MarketData) => data.trades.filter((t) => t.symbol === 'BTCUSDT');

describe('streamforge query on the embedded store (PGlite)', () => {
  let data: MarketData;
  let dir: string;
  before(async () => {
    data = await marketData(1000, 0);
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-query-db-'));
    const db = await openDatabase(`pglite:${dir}`);
    try {
      await store(db, data);
    } finally {
      await db.close();
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('trades --json prints the stored trades of the range, oldest first, with their exact decimal text', async () => {
    const all = btc(data);
    const from = all[10]!.timestamp;
    const to = all[200]!.timestamp;
    const run = await cli([
      'query',
      'trades',
      '--db',
      `pglite:${dir}`,
      '--symbol',
      'BTCUSDT',
      '--from',
      String(from),
      '--to',
      new Date(to).toISOString(),
      '--json',
      '--limit',
      '100000',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    const want = all.filter((t) => t.timestamp >= from && t.timestamp < to);
    assert.equal(printed.length, want.length);
    const byId = new Map(printed.map((p) => [p['tradeId'], p]));
    for (const t of want) {
      const p = byId.get(t.tradeId)!;
      assert.deepEqual(
        [p['price'], p['quantity'], p['timestamp'], p['aggressorSide']],
        [t.price, t.quantity, t.timestamp, t.aggressorSide],
      );
    }
    const times = printed.map((p) => p['timestamp'] as number);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  it('candles print as a table of final 1m candles, alerts as a table; --limit caps the rows', async () => {
    const c = data.candles.filter((x) => x.interval === '1m' && x.symbol === 'BTCUSDT' && x.isFinal);
    const from = c[0]!.openTime;
    const to = c.at(-1)!.openTime + 60_000;
    const run = await cli([
      'query',
      'candles',
      '--db',
      dir,
      '--symbol',
      'BTCUSDT',
      '--interval',
      '1m',
      '--from',
      String(from),
      '--to',
      String(to),
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(
      lines[0]!,
      /^open time\s+exchange\s+symbol\s+interval\s+open\s+high\s+low\s+close\s+volume\s+trades\s+final$/,
    );
    assert.equal(lines.length, 1 + c.length);
    assert.ok(
      lines[1]!.includes(c[0]!.close) && lines[1]!.includes(c[0]!.volume) && lines[1]!.endsWith('yes'),
    );
    const limited = await cli([
      'query',
      'trades',
      '--db',
      dir,
      '--symbol',
      'BTCUSDT',
      '--from',
      '0',
      '--to',
      String(Date.now()),
      '--limit',
      '3',
      '--json',
    ]);
    assert.equal((JSON.parse(limited.stdout) as unknown[]).length, 3);
    const a = await cli([
      'query',
      'alerts',
      '--db',
      dir,
      '--symbol',
      'BTCUSDT',
      '--exchange',
      'binance',
      '--from',
      '0',
      '--to',
      String(Date.now()),
    ]);
    assert.equal(a.code, 0, a.stderr);
    const btcAlerts = data.alerts.filter((x) => x.symbol === 'BTCUSDT');
    assert.ok(btcAlerts.length > 0);
    assert.equal(a.stdout.trim().split('\n').length, 1 + btcAlerts.length);
    assert.ok(a.stdout.includes('test.sampled-trade'));
  });

  it('bad arguments name the argument and how to fix it, with exit code 2', async () => {
    const base = ['query', 'trades', '--db', dir];
    const cases: Array<[string[], RegExp]> = [
      [[...base, '--from', '0', '--to', '1'], /--symbol is required/],
      [[...base, '--symbol', 'BTCUSDT', '--from', 'yesterday', '--to', '1'], /--from must be an ISO-8601/],
      [[...base, '--symbol', 'BTCUSDT', '--from', '5', '--to', '5'], /--to .* must be after --from/],
      [[...base, '--symbol', 'BTCUSDT', '--to', '5'], /--from is required/],
      [
        ['query', 'candles', '--db', dir, '--symbol', 'X', '--interval', '2m', '--from', '0', '--to', '1'],
        /--interval 2m is not stored; use one of 1s, 1m, 5m, 1h/,
      ],
      [
        [...base, '--symbol', 'X', '--exchange', 'nyse', '--from', '0', '--to', '1'],
        /--exchange nyse is not a venue/,
      ],
      [
        ['query', 'orders', '--symbol', 'X', '--from', '0', '--to', '1'],
        /query prints candles, trades, alerts/,
      ],
      [
        ['query', 'trades', '--db', path.join(dir, 'nope'), '--symbol', 'X', '--from', '0', '--to', '1'],
        /no embedded database at/,
      ],
      [
        [...base, '--symbol', 'X', '--from', '0', '--to', '1', '--limit', '0'],
        /--limit must be a positive integer/,
      ],
    ];
    // Each case is its own process: run them side by side.
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      assert.equal(runs[i]!.code, 2, `${args.join(' ')}: ${runs[i]!.stderr}`);
      assert.match(runs[i]!.stderr, message);
    });
  });
});

describe('streamforge query on PostgreSQL', { skip: pgSkip }, () => {
  it('reads the schema given with ?schema= in --db', async (t) => {
    const data = await marketData(300, 0);
    const schema = uniqueName('sf_query').replace(/[^a-z0-9_]/g, '_');
    const url = await postgresUrl();
    const db = await openDatabase(url, { schema });
    t.after(async () => {
      await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    });
    await store(db, data);
    const run = await cli([
      'query',
      'trades',
      '--db',
      `${url}?schema=${schema}`,
      '--symbol',
      'BTCUSDT',
      '--from',
      '0',
      '--to',
      String(Date.now()),
      '--json',
      '--limit',
      '100000',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as unknown[]).length, btc(data).length);
    const missing = await cli([
      'query',
      'trades',
      '--db',
      `${url}?schema=nothing_here`,
      '--symbol',
      'BTCUSDT',
      '--from',
      '0',
      '--to',
      '1',
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no writer tables/);
  });
});
