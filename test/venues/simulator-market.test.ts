// The simulator's market as a Binance client checks it: books rebuilt by the documented sync procedure, ids, klines, seeds.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/venues/simulator/index.ts';

const T = { timeout: 40_000 } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function simulator(t: TestContext, options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator(options);
  t.after(() => sim.close());
  return sim;
}

/** Parsed frames of one connection, as they arrive. */
async function collect<F>(t: TestContext, url: string): Promise<F[]> {
  const frames: F[] = [];
  const ws = new WebSocket(url);
  t.after(() => ws.terminate());
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as F));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return frames;
}

async function json<V>(url: string): Promise<V> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${r.status}`);
  return (await r.json()) as V;
}

type Level = [string, string];
interface Snapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}
interface Diff {
  U: number;
  u: number;
  pu?: number;
  b: Level[];
  a: Level[];
}

/** Exact decimal text to an integer count of 10^-8 (prices and quantities here have at most 8 decimals). */
const units = (text: string): bigint => {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole! + fraction.padEnd(8, '0'));
};

/** A local book kept by Binance's rules: absolute quantities per level, quantity 0 removes the level. */
class LocalBook {
  readonly bids = new Map<string, string>();
  readonly asks = new Map<string, string>();

  constructor(s: Snapshot) {
    for (const [p, q] of s.bids) this.bids.set(p, q);
    for (const [p, q] of s.asks) this.asks.set(p, q);
  }

  apply(d: Diff): void {
    for (const [side, levels] of [
      [this.bids, d.b],
      [this.asks, d.a],
    ] as const)
      for (const [p, q] of levels)
        if (units(q) === 0n) side.delete(p);
        else side.set(p, q);
  }

  sorted(side: 'bids' | 'asks'): Level[] {
    const sign = side === 'bids' ? -1 : 1;
    return [...this[side]].sort((x, y) => sign * (units(x[0]) < units(y[0]) ? -1 : 1));
  }

  crossed(): boolean {
    const bid = this.sorted('bids')[0];
    const ask = this.sorted('asks')[0];
    return bid !== undefined && ask !== undefined && units(bid[0]) >= units(ask[0]);
  }
}

/**
 * Runs Binance's "manage a local order book" procedure against the simulator while fetching
 * snapshots all along; every snapshot whose lastUpdateId equals the `u` of an applied diff must
 * equal the local book at that point, level for level.
 */
async function syncAndCompare(
  t: TestContext,
  streamUrl: string,
  tickerUrl: string,
  depthUrl: string,
  futures: boolean,
): Promise<{ matches: number; diffs: number; tickers: number }> {
  const diffs = await collect<Diff>(t, streamUrl);
  const tickers = await collect<{ u: number; b: string; B: string; a: string; A: string }>(t, tickerUrl);
  while (diffs.length === 0) await sleep(20);
  const snapshots = new Map<number, Snapshot>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const s = await json<Snapshot>(depthUrl);
      snapshots.set(s.lastUpdateId, s);
      await sleep(45);
    }
  })();
  const first = await json<Snapshot>(depthUrl);
  const L = first.lastUpdateId;
  // Spot: drop u <= L, start at U <= L+1 <= u. USD-M: drop u < L, start at U <= L <= u.
  const keep = (d: Diff): boolean => (futures ? d.u >= L : d.u > L);
  while (!diffs.some(keep)) await sleep(20);
  let i = diffs.findIndex(keep);
  const start = diffs[i]!;
  assert.ok(
    futures ? start.U <= L && L <= start.u : start.U <= L + 1 && L + 1 <= start.u,
    'the first diff bridges the snapshot',
  );
  const book = new LocalBook(first);
  let previous: Diff | undefined;
  let matches = 0;
  let tickerMatches = 0;
  const deadline = Date.now() + 12_000;
  while ((matches < 3 || tickerMatches < 2) && Date.now() < deadline) {
    if (i >= diffs.length) {
      await sleep(20);
      continue;
    }
    const d = diffs[i++]!;
    if (previous) {
      if (futures) assert.equal(d.pu, previous.u, 'each diff chains on the previous one (pu)');
      else assert.equal(d.U, previous.u + 1, 'each diff starts where the previous ended');
    }
    book.apply(d);
    previous = d;
    assert.ok(!book.crossed(), `the book is never crossed (after u=${d.u})`);
    // Binance's own oracle: a bookTicker with the diff's u shows the rebuilt book's top.
    const ticker = tickers.find((x) => x.u === d.u);
    if (ticker) {
      assert.deepEqual(book.sorted('bids')[0], [ticker.b, ticker.B], `best bid at ${d.u}`);
      assert.deepEqual(book.sorted('asks')[0], [ticker.a, ticker.A], `best ask at ${d.u}`);
      tickerMatches++;
    }
    const s = snapshots.get(d.u);
    if (!s) continue;
    // A snapshot holds at most 1000 levels a side: the local book's best 1000 are compared.
    assert.deepEqual(book.sorted('bids').slice(0, 1000), s.bids, `bids equal the snapshot at ${d.u}`);
    assert.deepEqual(book.sorted('asks').slice(0, 1000), s.asks, `asks equal the snapshot at ${d.u}`);
    matches++;
  }
  polling = false;
  await poller;
  return { matches, diffs: i, tickers: tickerMatches };
}

describe('simulator market', () => {
  // The snapshot poller asks for a 1000-level book every 45 ms (weight 50 each): on a loaded machine
  // the comparison can take long enough to spend Binance's 6000 a minute, so the budget is lifted.
  const unlimited = { weightLimitPerMinute: 1_000_000 };

  it(
    'spot: snapshot + @depth@100ms diffs rebuild exactly the simulator book (U == previous u + 1)',
    T,
    async (t) => {
      const sim = await simulator(t, unlimited);
      const r = await syncAndCompare(
        t,
        `${sim.wsUrl}/ws/btcusdt@depth@100ms`,
        `${sim.wsUrl}/ws/btcusdt@bookTicker`,
        `${sim.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=1000`,
        false,
      );
      assert.ok(r.matches >= 3, `compared at ${r.matches} points over ${r.diffs} diffs`);
      assert.ok(r.tickers >= 1, `bookTickers matched ${r.tickers} diffs`);
    },
  );

  it('futures: snapshot + diffs rebuild exactly the book, chained on pu', T, async (t) => {
    const sim = await simulator(t, unlimited);
    const r = await syncAndCompare(
      t,
      `${sim.futuresWsUrl}/ws/btcusdt@depth@100ms`,
      `${sim.futuresWsUrl}/ws/btcusdt@bookTicker`,
      `${sim.futuresRestUrl}/fapi/v1/depth?symbol=BTCUSDT&limit=1000`,
      true,
    );
    assert.ok(r.matches >= 3, `compared at ${r.matches} points over ${r.diffs} diffs`);
    assert.ok(r.tickers >= 1, `bookTickers matched ${r.tickers} diffs`);
  });

  it('trade ids are contiguous and aggTrades cover them without gaps', T, async (t) => {
    const sim = await simulator(t);
    const trades = await collect<{ t: number }>(t, `${sim.wsUrl}/ws/ethusdt@trade`);
    const aggs = await collect<{ f: number; l: number; a: number }>(
      t,
      `${sim.futuresWsUrl}/ws/ethusdt@aggTrade`,
    );
    await sleep(1500);
    assert.ok(trades.length > 10);
    trades.slice(1).forEach((x, i) => assert.equal(x.t, trades[i]!.t + 1));
    assert.ok(aggs.length > 5);
    aggs.slice(1).forEach((x, i) => {
      assert.equal(x.a, aggs[i]!.a + 1, 'aggregate ids are contiguous');
      assert.equal(x.f, aggs[i]!.l + 1, 'each aggregate starts after the previous one');
    });
  });

  it(
    'klines equal an aggregation of the trades (REST klines vs REST aggTrades, exact decimals)',
    T,
    async (t) => {
      const sim = await simulator(t);
      await sleep(3200);
      const base = `${sim.restUrl}/api/v3`;
      const rows = await json<(string | number)[][]>(`${base}/klines?symbol=BTCUSDT&interval=1s&limit=1000`);
      const closed = rows.slice(0, -1);
      assert.ok(closed.length >= 2);
      const from = closed[0]![0] as number;
      const to = closed.at(-1)![6] as number;
      const aggs = await json<{ p: string; q: string; f: number; l: number; T: number; m: boolean }[]>(
        `${base}/aggTrades?symbol=BTCUSDT&startTime=${from}&endTime=${to}&limit=1000`,
      );
      let previousClose: string | undefined;
      for (const k of closed) {
        const [open, o, h, l, c, v, close, q, n, V, Q] = k as [
          number,
          string,
          string,
          string,
          string,
          string,
          number,
          string,
          number,
          string,
          string,
        ];
        const inside = aggs.filter((a) => a.T >= open && a.T <= close);
        if (inside.length === 0) {
          assert.equal(n, 0);
          assert.equal(units(v), 0n);
          if (previousClose)
            assert.deepEqual([o, h, l, c], [previousClose, previousClose, previousClose, previousClose]);
        } else {
          const prices = inside.map((a) => units(a.p));
          assert.equal(units(o), prices[0]);
          assert.equal(units(c), prices.at(-1));
          assert.equal(
            units(h),
            prices.reduce((x, y) => (y > x ? y : x)),
          );
          assert.equal(
            units(l),
            prices.reduce((x, y) => (y < x ? y : x)),
          );
          assert.equal(
            n,
            inside.reduce((s, a) => s + a.l - a.f + 1, 0),
          );
          assert.equal(
            units(v),
            inside.reduce((s, a) => s + units(a.q), 0n),
          );
          assert.equal(
            units(V),
            inside.filter((a) => !a.m).reduce((s, a) => s + units(a.q), 0n),
          );
          // price x qty has 16 decimals; the kline's 8 hold it exactly (tick 0.01 x lot 0.00001).
          assert.equal(
            units(q) * 10n ** 8n,
            inside.reduce((s, a) => s + units(a.p) * units(a.q), 0n),
          );
          assert.equal(
            units(Q) * 10n ** 8n,
            inside.filter((a) => !a.m).reduce((s, a) => s + units(a.p) * units(a.q), 0n),
          );
        }
        previousClose = c;
      }
    },
  );

  it('a closed kline on the stream (x: true) equals the REST row for its open time', T, async (t) => {
    const sim = await simulator(t);
    const frames = await collect<{ k: Record<string, unknown> }>(t, `${sim.wsUrl}/ws/solusdt@kline_1s`);
    while (!frames.some((f) => f.k['x'] === true)) await sleep(50);
    const k = frames.find((f) => f.k['x'] === true)!.k;
    const [row] = await json<unknown[][]>(
      `${sim.restUrl}/api/v3/klines?symbol=SOLUSDT&interval=1s&startTime=${k['t']}&limit=1`,
    );
    assert.deepEqual(row, [
      k['t'],
      k['o'],
      k['h'],
      k['l'],
      k['c'],
      k['v'],
      k['T'],
      k['q'],
      k['n'],
      k['V'],
      k['Q'],
      '0',
    ]);
  });

  it('the same seed gives the same frames; another seed gives others', T, async (t) => {
    const [a, b, c] = await Promise.all([
      simulator(t, { seed: 7 }),
      simulator(t, { seed: 7 }),
      simulator(t, { seed: 8 }),
    ]);
    type Frame = Record<string, unknown>;
    const streams = 'btcusdt@trade/btcusdt@depth@100ms/xrpusdt@aggTrade';
    const [fa, fb, fc] = await Promise.all(
      [a, b, c].map((s) =>
        collect<{ stream: string; data: Frame }>(t, `${s.wsUrl}/stream?streams=${streams}`),
      ),
    );
    await sleep(2500);
    // Frames are keyed by their ids; wall-clock fields (E, T) differ between runs.
    const key = (f: { stream: string; data: Frame }): string =>
      `${f.stream}:${String(f.data['t'] ?? f.data['U'] ?? f.data['a'])}`;
    const strip = (f: { data: Frame }): Frame => ({ ...f.data, E: 0, T: 0 });
    const byKey = new Map(fb!.map((f) => [key(f), strip(f)]));
    const common = fa!.filter((f) => byKey.has(key(f)));
    assert.ok(common.length >= 50, `${common.length} frames in common`);
    for (const s of ['btcusdt@trade', 'btcusdt@depth@100ms', 'xrpusdt@aggTrade'])
      assert.ok(
        common.some((f) => f.stream === s),
        `${s} compared`,
      );
    for (const f of common) assert.deepEqual(strip(f), byKey.get(key(f)));
    const other = new Set(fc!.map(key));
    assert.ok(fa!.filter((f) => other.has(key(f))).length === 0, 'another seed shares no ids');
  });
});
