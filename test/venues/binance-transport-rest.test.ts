// BinanceRest against the exchange simulator: weight tracking and throttling, 429/418, paging, clear errors.

import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AggTradeRow,
  BinanceRest,
  type BinanceRestOptions,
  BinanceTransportError,
  type KlineRow,
  type ThrottleEvent,
  TransportErrorCodes,
  type TransportErrorCode,
} from '../../src/venues/binance/transport/index.ts';
import { WeightBudget } from '../../src/venues/binance/transport/weight-budget.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/venues/simulator/index.ts';

async function simulator(t: TestContext, options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ port: 0, seed: 5, tickMs: 5, ...options });
  t.after(() => sim.close());
  return sim;
}

function rest(t: TestContext, options: Partial<BinanceRestOptions> & { restUrl: string }): BinanceRest {
  const client = new BinanceRest({ exchange: 'binance', backoff: { initialMs: 20, maxMs: 100 }, ...options });
  t.after(() => client.close());
  return client;
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: TransportErrorCode,
  message: RegExp,
): Promise<BinanceTransportError> {
  let caught: BinanceTransportError | undefined;
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof BinanceTransportError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    caught = e;
    return true;
  });
  return caught as BinanceTransportError;
}

/** Waits out the last seconds of a clock minute, so a test's requests all count in one weight window. */
async function clearOfMinuteEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 52_000) await sleep(60_000 - intoMinute + 1500);
  else if (intoMinute < 1500) await sleep(1500 - intoMinute);
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function collect<T>(
  pages: AsyncIterable<{ readonly json: readonly T[] }>,
): Promise<{ rows: T[]; pages: number }> {
  const rows: T[] = [];
  let count = 0;
  for await (const page of pages) {
    rows.push(...page.json);
    count++;
  }
  return { rows, pages: count };
}

describe('BinanceRest: request weight', () => {
  it('books documented weights, adopts X-MBX-USED-WEIGHT-1M, and keeps the exact body and path', async (t) => {
    await clearOfMinuteEdge();
    const sim = await simulator(t);
    const client = rest(t, { restUrl: sim.restUrl });
    const depth = await client.depth('BTCUSDT', 5);
    assert.equal(depth.path, '/api/v3/depth?symbol=BTCUSDT&limit=5');
    assert.equal(depth.weight, 5);
    assert.equal(depth.usedWeight, 5);
    assert.ok(Buffer.isBuffer(depth.body));
    assert.deepEqual(JSON.parse(depth.body.toString('utf8')), depth.json);
    assert.equal(typeof depth.json.lastUpdateId, 'number');
    const info = await client.exchangeInfo();
    assert.equal(info.path, '/api/v3/exchangeInfo');
    assert.equal(info.weight, 20);
    assert.equal(info.usedWeight, 25);
    assert.equal(client.usedWeight, 25);

    // Another client on the same IP spends weight; the header tells this one.
    const other = rest(t, { restUrl: sim.restUrl });
    await other.depth('ETHUSDT', 1000);
    const next = await client.depth('BTCUSDT', 5);
    assert.equal(next.usedWeight, 80);
    assert.equal(client.usedWeight, 80, 'the larger of own count and header wins');

    const futures = rest(t, { exchange: 'binance-futures', restUrl: sim.futuresRestUrl });
    const book = await futures.depth('BTCUSDT', 1000);
    assert.equal(book.path, '/fapi/v1/depth?symbol=BTCUSDT&limit=1000');
    assert.equal(book.weight, 20);
    assert.equal(book.usedWeight, 20);
    assert.deepEqual(futures.weightLimit, { limit: 2400, budget: 2160 });
  });

  it('queues requests for many symbols and holds back the one that would exceed the minute budget', async (t) => {
    await clearOfMinuteEdge();
    const sim = await simulator(t, { weightLimitPerMinute: 60 });
    const throttled: ThrottleEvent[] = [];
    const client = rest(t, {
      restUrl: sim.restUrl,
      weightLimitPerMinute: 60,
      safetyMargin: 0,
      onThrottle: (e) => throttled.push(e),
    });
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'BNBUSDT'];
    const requests = Array.from({ length: 13 }, (_, i) =>
      client.depth(symbols[i % symbols.length] as string, 5),
    );
    const outcome = requests.map((r) =>
      r.then(
        () => 'done',
        (e: unknown) => e,
      ),
    );
    await Promise.all(outcome.slice(0, 12));
    await sleep(200);
    assert.equal(
      sim.stats().rest.requests,
      12,
      'twelve of weight 5 fill the 60 budget; the thirteenth waits',
    );
    assert.equal(client.queued, 1);
    assert.equal(throttled.length, 1);
    assert.match(throttled[0]?.why ?? '', /weight 60 \+ 5 would exceed 60 of 60 this minute/);
    assert.ok((throttled[0]?.waitMs ?? 0) > 0);
    assert.equal(throttled[0]?.endpoint, '/api/v3/depth?symbol=SOLUSDT&limit=5', 'the thirteenth, in order');
    assert.deepEqual(sim.stats().rest.byStatus, { '200': 12 }, 'no 429, no 418');
    client.close();
    const last = await outcome[12];
    assert.ok(last instanceof BinanceTransportError && last.code === TransportErrorCodes.CLOSED);
  });

  it('honours 429 Retry-After: nothing reaches the host until it passes, then the request succeeds', async (t) => {
    const sim = await simulator(t);
    const throttled: ThrottleEvent[] = [];
    const client = rest(t, { restUrl: sim.restUrl, onThrottle: (e) => throttled.push(e) });
    sim.faults.rateLimit(429, 1, 1);
    const started = Date.now();
    const first = client.depth('BTCUSDT', 5);
    while (client.blockedUntil === 0 && Date.now() - started < 5000) await sleep(5);
    const heldUntil = client.blockedUntil;
    assert.ok(heldUntil >= started + 1000, 'the host is held back for Retry-After');
    const second = client.klines('BTCUSDT', '1m', { limit: 5 });
    const [a, b] = await Promise.all([first, second]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000, `the retry waited Retry-After (${elapsed} ms)`);
    assert.ok(
      a.receivedAt >= heldUntil && b.receivedAt >= heldUntil,
      'neither request was answered before the block ended',
    );
    assert.equal(a.path, '/api/v3/depth?symbol=BTCUSDT&limit=5');
    assert.ok(b.json.length > 0);
    assert.deepEqual(sim.stats().rest.byStatus, { '200': 2, '429': 1 }, 'one 429, no 418');
    assert.ok(throttled.some((e) => /^429: Retry-After 1000 ms/.test(e.why)));
  });

  it('stops at a 418 ban with its end, and sends nothing more to the host before then', async (t) => {
    const sim = await simulator(t);
    const client = rest(t, { restUrl: sim.restUrl });
    sim.faults.rateLimit(418, 1, 120);
    const before = Date.now();
    const ban = await rejectsWith(
      client.depth('BTCUSDT', 5),
      TransportErrorCodes.BANNED,
      /^\/api\/v3\/depth\?symbol=BTCUSDT&limit=5 symbol BTCUSDT: HTTP 418, this IP is banned by Binance until \d{4}-\d\d-\d\dT[\d:.]+Z/,
    );
    assert.equal(ban.canRetry, false);
    assert.ok((ban.bannedUntil ?? 0) >= before + 119_000 && (ban.bannedUntil ?? 0) <= Date.now() + 121_000);
    const requests = sim.stats().rest.requests;
    await rejectsWith(
      client.exchangeInfo(),
      TransportErrorCodes.BANNED,
      /^\/api\/v3\/exchangeInfo: HTTP 418/,
    );
    assert.equal(sim.stats().rest.requests, requests, 'refused locally');
  });

  it('keeps the minute window: waits for the next one, adopts larger headers, ignores stale ones', () => {
    let now = 120_000 + 5_000;
    const budget = new WeightBudget({
      limitPerMinute: 100,
      safetyMargin: 0.1,
      clockSlackMs: 1000,
      now: () => now,
    });
    assert.equal(budget.budget, 90);
    assert.deepEqual(budget.check(50), { ok: true });
    const window = budget.take(50);
    budget.observe(85, window); // another client on the IP
    assert.equal(budget.used, 85);
    const held = budget.check(10);
    assert.equal(held.ok, false);
    assert.equal(held.ok ? 0 : held.waitMs, 180_000 + 1000 - now, 'to the next minute plus the clock slack');
    now = 180_500; // past the minute but inside the slack: still the old window
    assert.equal(budget.check(10).ok, false);
    now = 181_000;
    assert.deepEqual(budget.check(10), { ok: true });
    budget.observe(99, window); // a late answer from the previous window
    assert.equal(budget.used, 0);
    budget.block(now + 2000, '429');
    const blocked = budget.check(1);
    assert.equal(blocked.ok ? 0 : blocked.waitMs, 2000);
  });
});

describe('BinanceRest: paging', () => {
  it('walks aggTrades by fromId with no duplicate and no hole, from an id or a time, up to `until`', async (t) => {
    const sim = await simulator(t);
    const client = rest(t, { restUrl: sim.restUrl });
    sim.faults.burst(8, 1500);
    await sleep(1500);
    const all = (await client.aggTrades('BTCUSDT', { limit: 1000 })).json;
    assert.ok(all.length > 60, `the simulator traded (${all.length})`);
    const firstId = all[0]?.a as number;
    const lastId = all[all.length - 1]?.a as number;

    const byId = await collect<AggTradeRow>(
      client.aggTradesFrom('BTCUSDT', { fromId: firstId }, undefined, { pageLimit: 17 }),
    );
    assert.ok(byId.pages >= 3);
    const ids = byId.rows.map((r) => r.a);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
    for (let i = 1; i < ids.length; i++)
      assert.equal(ids[i], (ids[i - 1] as number) + 1, `no hole after id ${ids[i - 1]}`);
    assert.equal(ids[0], firstId);
    assert.ok((ids[ids.length - 1] as number) >= lastId, 'walked to the present');

    const from = all[10] as AggTradeRow;
    const mid = all[Math.floor(all.length / 2)] as AggTradeRow;
    const byTime = await collect<AggTradeRow>(
      client.aggTradesFrom('BTCUSDT', { startTime: from.T }, mid.T, { pageLimit: 25 }),
    );
    const timeIds = byTime.rows.map((r) => r.a);
    assert.equal(
      timeIds[0],
      all.find((r) => r.T >= from.T)?.a,
      'starts at the first trade at or after startTime',
    );
    for (let i = 1; i < timeIds.length; i++) assert.equal(timeIds[i], (timeIds[i - 1] as number) + 1);
    assert.ok(byTime.rows.some((r) => r.T > mid.T) || byTime.rows[byTime.rows.length - 1]?.T === mid.T);
    assert.ok(byTime.rows.filter((r) => r.T > mid.T).length <= 25, 'stops with the page that passes `until`');
  });

  it('walks klines by next open time with no duplicate and no hole', async (t) => {
    const sim = await simulator(t, { tickMs: 10 });
    const client = rest(t, { restUrl: sim.restUrl });
    await sleep(3300);
    const reference = (await client.klines('BTCUSDT', '1s', { limit: 1000 })).json;
    assert.ok(reference.length >= 4, `${reference.length} one-second klines`);
    const from = reference[0]?.[0] as number;
    const to = reference[reference.length - 1]?.[0] as number;
    const walked = await collect<KlineRow>(client.klinesRange('BTCUSDT', '1s', from, to, { pageLimit: 2 }));
    assert.ok(walked.pages >= 2);
    const opens = walked.rows.map((r) => r[0]);
    assert.deepEqual(
      opens,
      reference.map((r) => r[0]),
      'every kline of the range once, in order',
    );
    for (let i = 1; i < opens.length; i++) assert.equal(opens[i], (opens[i - 1] as number) + 1000);

    const futures = rest(t, { exchange: 'binance-futures', restUrl: sim.futuresRestUrl });
    const minute = await collect<KlineRow>(futures.klinesRange('BTCUSDT', '1m', 0, Date.now()));
    assert.ok(minute.rows.length >= 1);
  });
});

describe('BinanceRest: errors', () => {
  it('names the endpoint and symbol in clear errors, and refuses bad input before sending', async (t) => {
    const sim = await simulator(t);
    const client = rest(t, { restUrl: sim.restUrl });
    const unknown = await rejectsWith(
      client.depth('DOGEUSDT', 5),
      TransportErrorCodes.REJECTED,
      /^\/api\/v3\/depth\?symbol=DOGEUSDT&limit=5 symbol DOGEUSDT: HTTP 400, Binance refused the request \(code -1121: Invalid symbol\.\)$/,
    );
    assert.equal(unknown.binanceCode, -1121);
    assert.equal(unknown.symbol, 'DOGEUSDT');
    const sent = sim.stats().rest.requests;
    await rejectsWith(
      client.depth('btcusdt'),
      TransportErrorCodes.INVALID_ARGUMENT,
      /"btcusdt" is not a Binance symbol \(Binance writes it "BTCUSDT"\)/,
    );
    await rejectsWith(
      client.klines('BTCUSDT', '7m'),
      TransportErrorCodes.INVALID_ARGUMENT,
      /interval must be one of/,
    );
    await rejectsWith(
      client.aggTrades('BTCUSDT', { fromId: 5, startTime: 1 }),
      TransportErrorCodes.INVALID_ARGUMENT,
      /either fromId or startTime\/endTime/,
    );
    await rejectsWith(
      client.aggTrades('BTCUSDT', { startTime: 0, endTime: 3_600_000 }),
      TransportErrorCodes.INVALID_ARGUMENT,
      /less than one hour apart/,
    );
    const futures = rest(t, { exchange: 'binance-futures', restUrl: sim.futuresRestUrl });
    await rejectsWith(
      futures.depth('BTCUSDT', 7),
      TransportErrorCodes.INVALID_ARGUMENT,
      /futures depth limit must be one of 5, 10/,
    );
    assert.equal(sim.stats().rest.requests, sent, 'none of those reached the host');

    for (const restUrl of ['ws://127.0.0.1:1', 'nonsense', `${sim.restUrl}/?x=1`]) {
      assert.throws(
        () => new BinanceRest({ exchange: 'binance', restUrl }),
        (e: unknown) =>
          e instanceof BinanceTransportError &&
          e.code === TransportErrorCodes.INVALID_ARGUMENT &&
          /restUrl/.test(e.message),
      );
    }
    const nowhere = rest(t, { restUrl: `http://127.0.0.1:${await closedPort()}`, maxRetries: 1 });
    const down = await rejectsWith(
      nowhere.exchangeInfo(),
      TransportErrorCodes.UNREACHABLE,
      /^\/api\/v3\/exchangeInfo: cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    assert.equal(down.canRetry, true);
  });
});
