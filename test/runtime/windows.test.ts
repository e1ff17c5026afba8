// Event-time windows over real trades: tumbling and hopping assignment, watermark and grace, late records, flush.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  type ClosedWindow,
  EventTimeWindows,
  isStateError,
  type StateErrorCode,
  windowStarts,
} from '../../src/runtime/state/index.ts';
import { capturedTrades, type Trade } from './helpers.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Per window: trade count, first and last trade id, and the exact quantity in 1e-8 units (Binance's precision). */
interface Summary {
  readonly count: number;
  readonly firstId: string;
  readonly lastId: string;
  readonly quantity: bigint;
}

function units(decimal: string): bigint {
  const [whole, fraction = ''] = decimal.split('.');
  assert.ok(fraction.length <= 8, `${decimal} has more than 8 decimals`);
  return BigInt(whole!) * 100_000_000n + BigInt(fraction.padEnd(8, '0'));
}

function summarize(acc: Summary | undefined, trade: Trade): Summary {
  return {
    count: (acc?.count ?? 0) + 1,
    firstId: acc?.firstId ?? trade.tradeId!,
    lastId: trade.tradeId!,
    quantity: (acc?.quantity ?? 0n) + units(trade.quantity),
  };
}

const keyOf = (trade: Trade): string => `${trade.exchange}:${trade.symbol}`;

/**
 * What the windows must produce, computed the direct way: a record is late when every window
 * containing it ends at or before (highest event time so far - grace); the others are grouped
 * per key and window start.
 */
function oracle(
  trades: readonly Trade[],
  size: number,
  advance: number,
  grace: number,
): { windows: Map<string, Summary>; late: Trade[] } {
  const windows = new Map<string, Summary>();
  const late: Trade[] = [];
  let max = -Infinity;
  for (const trade of trades) {
    max = Math.max(max, trade.timestamp);
    const open: number[] = [];
    // The first multiple of `advance` after t - size, then every start up to t.
    const first = Math.max(0, (Math.floor((trade.timestamp - size) / advance) + 1) * advance);
    for (let start = first; start <= trade.timestamp; start += advance)
      if (start + size > max - grace) open.push(start);
    if (open.length === 0) late.push(trade);
    for (const start of open) {
      const id = `${keyOf(trade)}@${start}`;
      windows.set(id, summarize(windows.get(id), trade));
    }
  }
  return { windows, late };
}

/** Feeds every trade, checks each emission against the watermark of its moment, and flushes. */
function run(
  trades: readonly Trade[],
  options: { size: number; advance?: number; grace?: number },
): { emitted: ClosedWindow<Summary>[]; flushed: ClosedWindow<Summary>[]; late: Trade[] } {
  const windows = new EventTimeWindows<Trade, Summary>({ ...options, aggregate: summarize });
  const emitted: ClosedWindow<Summary>[] = [];
  const late: Trade[] = [];
  for (const trade of trades) {
    const result = windows.add(keyOf(trade), trade.timestamp, trade);
    for (const w of result.closed)
      assert.ok(w.end <= windows.watermark!, `window ending ${w.end} closed before the watermark reached it`);
    emitted.push(...result.closed);
    if (result.late) {
      assert.equal(result.late.value, trade);
      assert.equal(result.late.key, keyOf(trade));
      assert.equal(result.late.eventTime, trade.timestamp);
      late.push(trade);
    }
  }
  assert.equal(windows.lateCount, late.length);
  const flushed = windows.flush();
  assert.equal(windows.openCount, 0, 'flush closes everything');
  return { emitted, flushed, late };
}

function byId(closed: readonly ClosedWindow<Summary>[]): Map<string, Summary> {
  const out = new Map<string, Summary>();
  for (const w of closed) {
    const id = `${w.key}@${w.start}`;
    assert.equal(out.has(id), false, `window ${id} is emitted once`);
    out.set(id, w.result);
  }
  return out;
}

function assertOrdered(closed: readonly ClosedWindow<Summary>[]): void {
  for (let i = 1; i < closed.length; i++)
    assert.ok(closed[i - 1]!.end <= closed[i]!.end, 'windows are returned in the order they end');
}

/** How far behind the highest event time so far a trade of the capture arrives, at most. */
function maxDisorder(trades: readonly Trade[]): number {
  let max = -Infinity;
  let disorder = 0;
  for (const t of trades) {
    max = Math.max(max, t.timestamp);
    disorder = Math.max(disorder, max - t.timestamp);
  }
  return disorder;
}

describe('event-time windows', () => {
  let trades: Trade[] = [];
  before(async () => {
    trades = await capturedTrades(4000);
  });

  it('assigns an event to the epoch-aligned windows that contain it', () => {
    const t = trades[0]!.timestamp;
    assert.deepEqual(windowStarts(t, MINUTE, MINUTE), [t - (t % MINUTE)], 'one tumbling window');
    const hopping = windowStarts(t, MINUTE, 15 * SECOND);
    assert.equal(hopping.length, 4);
    for (const start of hopping) {
      assert.equal(start % (15 * SECOND), 0, 'starts are multiples of the advance');
      assert.ok(start <= t && t < start + MINUTE, `[${start}, ${start + MINUTE}) contains ${t}`);
    }
    assert.deepEqual(
      hopping,
      [...hopping].sort((a, b) => a - b),
      'oldest first',
    );
    assert.deepEqual(windowStarts(59_999, MINUTE, MINUTE), [0], 'the end is exclusive');
    assert.deepEqual(windowStarts(60_000, MINUTE, MINUTE), [60_000]);
    assert.deepEqual(windowStarts(10, 100, 40), [0], 'no window starts before the epoch');
  });

  it('tumbling windows with enough grace hold every trade, exactly once, with exact quantities', () => {
    const grace = maxDisorder(trades);
    assert.ok(grace > 0, 'the capture interleaves two streams, so event times go back and forth');
    const { emitted, flushed, late } = run(trades, { size: SECOND, grace });
    assert.equal(late.length, 0);
    assert.ok(emitted.length > 10, 'the watermark closes windows while trades flow');
    assertOrdered([...emitted, ...flushed]);
    const got = byId([...emitted, ...flushed]);
    assert.deepEqual(got, oracle(trades, SECOND, SECOND, grace).windows);
    assert.equal(
      [...got.values()].reduce((n, s) => n + s.count, 0),
      trades.length,
      'every trade is in one window',
    );
  });

  it('without grace, trades behind the watermark are rejected as late and left out of the results', () => {
    const { emitted, flushed, late } = run(trades, { size: SECOND, grace: 0 });
    const expected = oracle(trades, SECOND, SECOND, 0);
    assert.ok(late.length > 0, 'the interleaved capture has out-of-order trades');
    assert.deepEqual(late, expected.late);
    assert.deepEqual(byId([...emitted, ...flushed]), expected.windows);
    const counted = [...expected.windows.values()].reduce((n, s) => n + s.count, 0);
    assert.equal(counted + late.length, trades.length);
  });

  it('hopping windows put each trade in size/advance windows', () => {
    const grace = maxDisorder(trades);
    const { emitted, flushed, late } = run(trades, { size: 10 * SECOND, advance: 2 * SECOND, grace });
    assert.equal(late.length, 0);
    assertOrdered([...emitted, ...flushed]);
    const got = byId([...emitted, ...flushed]);
    assert.deepEqual(got, oracle(trades, 10 * SECOND, 2 * SECOND, grace).windows);
    assert.equal(
      [...got.values()].reduce((n, s) => n + s.count, 0),
      trades.length * 5,
    );
    for (const id of got.keys()) assert.equal(Number(id.split('@')[1]) % (2 * SECOND), 0);

    const tight = run(trades, { size: 10 * SECOND, advance: 2 * SECOND, grace: 0 });
    assert.deepEqual(tight.late, oracle(trades, 10 * SECOND, 2 * SECOND, 0).late);
    assert.deepEqual(
      byId([...tight.emitted, ...tight.flushed]),
      oracle(trades, 10 * SECOND, 2 * SECOND, 0).windows,
      'a trade too late for its older windows still counts in the newer ones',
    );
  });

  it('closes a window when the watermark (highest event time - grace) reaches its end, and not before', () => {
    const [a, b] = trades as [Trade, Trade];
    const base = a.timestamp - (a.timestamp % (10 * SECOND));
    const windows = new EventTimeWindows<Trade, Summary>({
      size: 10 * SECOND,
      grace: 5 * SECOND,
      aggregate: summarize,
    });
    assert.equal(windows.watermark, undefined);
    assert.deepEqual(windows.add('k', base + 3_000, a).closed, []);
    assert.deepEqual(windows.add('k', base + 14_999, b).closed, [], 'watermark 1 ms short of the end');
    assert.equal(windows.watermark, base + 9_999);
    assert.equal(windows.add('k', base + 9_000, b).late, undefined, 'within grace: still accepted');
    const closed = windows.add('k', base + 15_000, a).closed;
    assert.deepEqual(
      closed.map((w) => [w.key, w.start, w.end, w.result.count]),
      [['k', base, base + 10_000, 2]],
    );
    const late = windows.add('k', base + 9_999, b);
    assert.deepEqual(late.closed, []);
    assert.deepEqual(late.late, {
      key: 'k',
      eventTime: base + 9_999,
      value: b,
      closedThrough: base + 10_000,
    });
    assert.equal(windows.lateCount, 1);
    // An older event never moves the watermark back.
    assert.equal(windows.watermark, base + 10_000);

    const flushed = windows.flush();
    assert.deepEqual(
      flushed.map((w) => [w.start, w.result.count]),
      [[base + 10_000, 2]],
    );
    assert.ok(windows.add('k', base + 12_000, a).late, 'a flushed window does not open again');
    assert.deepEqual(windows.flush(), []);
  });

  it('returns the windows of several keys in end order, keys in the order they appeared', () => {
    const windows = new EventTimeWindows<Trade, Summary>({
      size: SECOND,
      grace: 1_500,
      aggregate: summarize,
    });
    const btc = trades.find((t) => t.symbol === 'BTCUSDT')!;
    const eth = trades.find((t) => t.symbol === 'ETHUSDT')!;
    const t0 = 1_723_161_253_000;
    windows.add('eth', t0 + 10, eth);
    windows.add('btc', t0 + 20, btc);
    assert.deepEqual(windows.add('btc', t0 + 1_010, btc).closed, []);
    const closed = windows.add('eth', t0 + 3_500, eth).closed;
    assert.deepEqual(
      closed.map((w) => [w.key, w.start]),
      [
        ['eth', t0],
        ['btc', t0],
        ['btc', t0 + 1_000],
      ],
    );
  });

  it('refuses windows and event times that are not integer ms', () => {
    const aggregate = summarize;
    const code = (c: StateErrorCode) => (error: unknown) => isStateError(error, c);
    assert.throws(() => new EventTimeWindows({ size: 0, aggregate }), code('INVALID_ARGUMENT'));
    assert.throws(() => new EventTimeWindows({ size: 1.5, aggregate }), /integer number of ms >= 1, got 1.5/);
    assert.throws(() => new EventTimeWindows({ size: 10, advance: 20, aggregate }), /larger than its size/);
    assert.throws(() => new EventTimeWindows({ size: 10, grace: -1, aggregate }), /grace/);
    assert.throws(() => new EventTimeWindows({ size: 86_400_000, advance: 1, aggregate }), /check the units/);
    const windows = new EventTimeWindows({ size: 10, aggregate });
    for (const bad of [Number.NaN, 1.5, -1, 2 ** 53])
      assert.throws(() => windows.add('k', bad, trades[0]!), code('INVALID_TIME'), String(bad));
    assert.equal(windows.watermark, undefined, 'a refused event time does not move the watermark');
  });
});
