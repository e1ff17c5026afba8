// The exchange simulator as a Binance client sees it: REST shapes and weights, stream control, pings, faults, admin.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import WebSocket, { type ClientOptions } from 'ws';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/venues/simulator/index.ts';
import { SPOT_INTERVALS } from '../../src/venues/binance/intervals.ts';

const T = { timeout: 30_000 } as const;

async function simulator(t: TestContext, options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator(options);
  t.after(() => sim.close());
  return sim;
}

/** A WebSocket client that keeps every text frame and tells how the connection ended. */
class Feed {
  readonly frames: string[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters: (() => void)[] = [];

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => {
      this.frames.push(data.toString());
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async open(t: TestContext, url: string, options?: ClientOptions): Promise<Feed> {
    const feed = new Feed(url, options);
    t.after(() => feed.ws.terminate());
    await new Promise<void>((resolve, reject) => {
      feed.ws.once('open', () => resolve());
      feed.ws.once('error', reject);
    });
    return feed;
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Waits for the first frame (after `from`) matching `test`; returns its index. */
  async waitFor(test: (frame: string) => boolean, from = 0, timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ;) {
      for (; i < this.frames.length; i++) if (test(this.frames[i]!)) return i;
      if (Date.now() > deadline)
        throw new Error(`no matching frame in ${timeoutMs} ms (${this.frames.length} frames)`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** The reply to request `id`. */
  async reply(id: number | string): Promise<Record<string, unknown>> {
    const i = await this.waitFor((f) => f.includes(`"id":${JSON.stringify(id)}`) && !f.includes('"stream"'));
    return JSON.parse(this.frames[i]!) as Record<string, unknown>;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function get(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const r = await fetch(url);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

describe('simulator REST', () => {
  it('answers spot and futures endpoints in Binance shapes with weight headers', T, async (t) => {
    const sim = await simulator(t);
    const ping = await get(`${sim.restUrl}/api/v3/ping`);
    assert.deepEqual([ping.status, ping.body, ping.headers.get('x-mbx-used-weight-1m')], [200, {}, '1']);
    const time = await get(`${sim.restUrl}/api/v3/time`);
    assert.ok(Math.abs((time.body as { serverTime: number }).serverTime - Date.now()) < 5000);

    const info = await get(`${sim.restUrl}/api/v3/exchangeInfo`);
    assert.equal(info.headers.get('x-mbx-used-weight-1m'), '22'); // 1 + 1 + 20
    const symbols = (info.body as { symbols: Record<string, unknown>[] }).symbols;
    assert.deepEqual(
      symbols.map((s) => s['symbol']),
      ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'BNBUSDT'],
    );
    const btc = symbols[0]!;
    assert.equal(btc['status'], 'TRADING');
    assert.deepEqual([btc['baseAsset'], btc['quoteAsset']], ['BTC', 'USDT']);
    const filters = btc['filters'] as Record<string, string>[];
    assert.equal(filters.find((f) => f['filterType'] === 'PRICE_FILTER')!['tickSize'], '0.01000000');
    assert.equal(filters.find((f) => f['filterType'] === 'LOT_SIZE')!['stepSize'], '0.00001000');
    assert.equal(filters.find((f) => f['filterType'] === 'NOTIONAL')!['minNotional'], '5.00000000');

    // Depth weight follows the limit: 5 (<=100), 25 (<=500), 50 (<=1000), 250 (<=5000).
    let used = 22;
    for (const [limit, weight] of [
      [undefined, 5],
      [500, 25],
      [1000, 50],
      [5000, 250],
    ] as const) {
      const depth = await get(`${sim.restUrl}/api/v3/depth?symbol=BTCUSDT${limit ? `&limit=${limit}` : ''}`);
      used += weight;
      assert.equal(depth.headers.get('x-mbx-used-weight-1m'), String(used));
      const book = depth.body as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
      assert.ok(Number.isSafeInteger(book.lastUpdateId));
      assert.ok(book.bids.length <= (limit ?? 100) && book.bids.length > 50);
      assert.match(book.bids[0]![0], /^\d+\.\d{8}$/);
      assert.ok(Number(book.bids[0]![0]) < Number(book.asks[0]![0]), 'never crossed');
      assert.ok(
        book.bids.length <= 1000 && book.asks.length <= 1000,
        'the model keeps at most 1000 levels a side',
      );
    }
    await sleep(1200);
    const klines = await get(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=3`);
    assert.equal(klines.headers.get('x-mbx-used-weight-1m'), String(used + 2));
    const rows = klines.body as unknown[][];
    assert.ok(rows.length >= 1 && rows.every((r) => r.length === 12));
    assert.deepEqual(
      rows[0]!.map((v) => typeof v),
      ['number', ...Array(5).fill('string'), 'number', 'string', 'number', 'string', 'string', 'string'],
    );
    const aggs = await get(`${sim.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&limit=5`);
    assert.equal(aggs.headers.get('x-mbx-used-weight-1m'), String(used + 6));
    for (const a of aggs.body as Record<string, unknown>[])
      assert.deepEqual(Object.keys(a), ['a', 'p', 'q', 'f', 'l', 'T', 'm', 'M']);

    const finfo = await get(`${sim.futuresRestUrl}/fapi/v1/exchangeInfo`);
    assert.equal(finfo.headers.get('x-mbx-used-weight-1m'), '1');
    const fsymbols = (finfo.body as { symbols: Record<string, unknown>[] }).symbols;
    assert.deepEqual(
      fsymbols.map((s) => [s['symbol'], s['contractType'], s['pricePrecision']]),
      [
        ['BTCUSDT', 'PERPETUAL', 2],
        ['ETHUSDT', 'PERPETUAL', 2],
      ],
    );
    const fdepth = await get(`${sim.futuresRestUrl}/fapi/v1/depth?symbol=BTCUSDT&limit=100`);
    assert.equal(fdepth.headers.get('x-mbx-used-weight-1m'), '6');
    const fbook = fdepth.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(fbook), ['lastUpdateId', 'E', 'T', 'bids', 'asks']);
    assert.match((fbook['bids'] as string[][])[0]![0]!, /^\d+\.\d0$/, 'BTCUSDT perpetual ticks are 0.10');
    const fklines = await get(`${sim.futuresRestUrl}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000`);
    assert.equal(fklines.headers.get('x-mbx-used-weight-1m'), '11');
    const faggs = await get(`${sim.futuresRestUrl}/fapi/v1/aggTrades?symbol=BTCUSDT`);
    assert.equal(faggs.headers.get('x-mbx-used-weight-1m'), '31');
    for (const a of faggs.body as Record<string, unknown>[])
      assert.deepEqual(Object.keys(a), ['a', 'p', 'q', 'f', 'l', 'T', 'm']);
  });

  it('rejects bad requests with Binance error codes and statuses', T, async (t) => {
    const sim = await simulator(t);
    const cases: [string, number, number, RegExp][] = [
      ['/api/v3/depth?symbol=NOPEUSDT', 400, -1121, /^Invalid symbol\.$/],
      ['/api/v3/depth', 400, -1102, /Mandatory parameter 'symbol'/],
      ['/api/v3/depth?symbol=btcusdt', 400, -1100, /Illegal characters found in parameter 'symbol'/],
      ['/api/v3/depth?symbol=BTCUSDT&limit=abc', 400, -1100, /parameter 'limit'/],
      ['/api/v3/depth?symbol=BTCUSDT&limit=', 400, -1105, /Parameter 'limit' was empty/],
      ['/api/v3/depth?symbol=BTCUSDT&bogus=1', 400, -1104, /read '1' parameter\(s\) but was sent '2'/],
      ['/api/v3/klines?symbol=BTCUSDT&interval=7m', 400, -1120, /^Invalid interval\.$/],
      [
        '/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=10&endTime=5',
        400,
        -1023,
        /Start time is greater/,
      ],
      ['/api/v3/aggTrades?symbol=BTCUSDT&startTime=0&endTime=3600001', 400, -1127, /More than 1 hours/],
      ['/fapi/v1/depth?symbol=BTCUSDT&limit=7', 400, -1130, /parameter 'limit' is not valid/],
      ['/fapi/v1/klines?symbol=BTCUSDT&interval=1s', 400, -1120, /Invalid interval/],
      ['/fapi/v1/depth?symbol=SOLUSDT', 400, -1121, /Invalid symbol/],
    ];
    for (const [path, status, code, msg] of cases) {
      const r = await get(sim.restUrl + path);
      assert.equal(r.status, status, path);
      const body = r.body as { code: number; msg: string };
      assert.equal(body.code, code, path);
      assert.match(body.msg, msg, path);
      assert.ok(r.headers.get('x-mbx-used-weight-1m'), `${path} still reports the weight`);
    }
    assert.equal((await fetch(`${sim.restUrl}/api/v3/nothing`)).status, 404);
    assert.equal((await fetch(`${sim.restUrl}/somewhere`)).status, 404);
  });

  it(
    'answers 429 with Retry-After over the weight budget, then bans (418) a client that ignores it',
    T,
    async (t) => {
      const sim = await simulator(t, { weightLimitPerMinute: 45 });
      const statuses: number[] = [];
      let retry429: string | null = null;
      let retry418: string | null = null;
      let ban: { code: number; msg: string } | undefined;
      for (let i = 0; i < 4; i++) {
        const r = await get(`${sim.restUrl}/api/v3/exchangeInfo`);
        statuses.push(r.status);
        if (r.status === 429) retry429 = r.headers.get('retry-after');
        if (r.status === 418) {
          retry418 = r.headers.get('retry-after');
          ban = r.body as { code: number; msg: string };
        }
      }
      // 20 + 20 fit in 45; the third is over; the fourth comes before Retry-After has passed.
      if (statuses[0] === 200 && statuses[1] === 200) {
        assert.deepEqual(statuses, [200, 200, 429, 418]);
        assert.ok(Number(retry429) >= 1 && Number(retry429) <= 60);
        assert.ok(Number(retry418) >= 119, 'the first ban lasts two minutes');
        assert.equal(ban!.code, -1003);
        assert.match(ban!.msg, /IP banned until \d+/);
      }
      const stats = sim.stats();
      assert.ok((stats.rest.byStatus['418'] ?? 0) >= 1 || statuses.includes(200));
    },
  );

  it(
    'injected rate-limit answers carry the status and Retry-After, then normal answers resume',
    T,
    async (t) => {
      const sim = await simulator(t);
      sim.faults.rateLimit(429, 2, 7);
      const a = await fetch(`${sim.restUrl}/api/v3/ping`);
      const b = await fetch(`${sim.futuresRestUrl}/fapi/v1/ping`);
      const c = await fetch(`${sim.restUrl}/api/v3/ping`);
      assert.deepEqual([a.status, b.status, c.status], [429, 429, 200]);
      assert.equal(a.headers.get('retry-after'), '7');
      assert.equal(((await a.json()) as { code: number }).code, -1003);
      sim.faults.rateLimit(418, 1, 120);
      const d = await fetch(`${sim.restUrl}/api/v3/time`);
      assert.equal(d.status, 418);
      assert.equal(d.headers.get('retry-after'), '120');
    },
  );
});

describe('simulator streams', () => {
  it(
    'serves raw and combined streams and answers SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, properties',
    T,
    async (t) => {
      const sim = await simulator(t);
      const raw = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@trade`);
      await raw.waitFor((f) => f.startsWith('{"e":"trade"'));
      const feed = await Feed.open(t, `${sim.wsUrl}/stream?streams=ethusdt@bookTicker`);
      await feed.waitFor((f) => f.startsWith('{"stream":"ethusdt@bookTicker","data":{"u":'));
      feed.send({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@depth@100ms'], id: 1 });
      assert.deepEqual(await feed.reply(1), { result: null, id: 1 });
      await feed.waitFor((f) => f.startsWith('{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate"'));
      await feed.waitFor((f) => f.startsWith('{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade"'));
      feed.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
      assert.deepEqual(await feed.reply(2), {
        result: ['ethusdt@bookTicker', 'btcusdt@aggTrade', 'btcusdt@depth@100ms'],
        id: 2,
      });
      feed.send({ method: 'UNSUBSCRIBE', params: ['ethusdt@bookTicker'], id: 'x3' });
      assert.deepEqual(await feed.reply('x3'), { result: null, id: 'x3' });
      await sleep(300);
      const mark = feed.frames.length;
      await sleep(400);
      assert.ok(
        !feed.frames.slice(mark).some((f) => f.includes('ethusdt@bookTicker')),
        'no frames after UNSUBSCRIBE',
      );
      feed.send({ method: 'GET_PROPERTY', params: ['combined'], id: 4 });
      assert.deepEqual(await feed.reply(4), { result: true, id: 4 });
      feed.send({ method: 'SET_PROPERTY', params: ['combined', false], id: 5 });
      assert.deepEqual(await feed.reply(5), { result: null, id: 5 });
      const after = feed.frames.length;
      await feed.waitFor((f) => f.startsWith('{"e":"depthUpdate"'), after);

      const futures = await Feed.open(
        t,
        `${sim.futuresWsUrl}/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker`,
      );
      await futures.waitFor((f) =>
        f.startsWith('{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":'),
      );
      const agg = JSON.parse(futures.frames[await futures.waitFor((f) => f.includes('"aggTrade"'))]!) as {
        data: Record<string, unknown>;
      };
      assert.deepEqual(Object.keys(agg.data), ['e', 'E', 's', 'a', 'p', 'q', 'f', 'l', 'T', 'm']);
    },
  );

  it('rejects invalid streams, bad JSON and unknown methods the way Binance words them', T, async (t) => {
    const sim = await simulator(t);
    const feed = await Feed.open(t, `${sim.wsUrl}/ws`);
    feed.send({ method: 'SUBSCRIBE', params: ['btcusdt@nonsense'], id: 1 });
    assert.deepEqual(await feed.reply(1), {
      error: { code: 2, msg: 'Invalid request: invalid stream' },
      id: 1,
    });
    feed.send({ method: 'SUBSCRIBE', params: ['BTCUSDT@trade'], id: 2 });
    assert.deepEqual((await feed.reply(2))['error'], { code: 2, msg: 'Invalid request: invalid stream' });
    feed.send({ method: 'SUBSCRIBE', params: ['dogeusdt@trade'], id: 3 });
    assert.deepEqual((await feed.reply(3))['error'], { code: 2, msg: 'Invalid request: invalid stream' });
    feed.send({ method: 'SUBSCRIB', params: [], id: 4 });
    const unknown = (await feed.reply(4))['error'] as { code: number; msg: string };
    assert.equal(unknown.code, 2);
    assert.match(unknown.msg, /^Invalid request: unknown variant `SUBSCRIB`, expected one of `SUBSCRIBE`/);
    await sleep(1100); // the 5 messages per second limit
    feed.send('{"method": "SUBSCRIBE", ');
    const i = await feed.waitFor((f) => f.includes('"code":3'));
    assert.match(feed.frames[i]!, /Invalid JSON: expected value at line 1 column \d+/);
    feed.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: { nested: true } });
    await feed.waitFor((f) => f.includes('request ID must be an unsigned integer'));
    feed.send({ method: 'GET_PROPERTY', params: ['colour'], id: 6 });
    assert.deepEqual(await feed.reply(6), { error: { code: 0, msg: 'Unknown property' }, id: 6 });
    // USD-M has no raw trade stream; its trades are on aggTrade.
    const fut = await Feed.open(t, `${sim.futuresWsUrl}/ws`);
    fut.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 1 });
    assert.deepEqual((await fut.reply(1))['error'], { code: 2, msg: 'Invalid request: invalid stream' });
    // A stream URL naming an invalid stream is refused at the handshake.
    const refused = new WebSocket(`${sim.wsUrl}/stream?streams=btcusdt@trade/xyz@depth`);
    const status = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)),
    );
    assert.equal(status, 400);
  });

  it('refuses the 1025th stream on a connection', T, async (t) => {
    const symbols = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}USDT`);
    const sim = await simulator(t, { symbols, futuresSymbols: [], tickMs: 200 });
    const kinds = ['trade', 'aggTrade', 'bookTicker', 'depth', 'depth@100ms', 'depth@1000ms'];
    const intervals = SPOT_INTERVALS;
    const all = symbols.flatMap((s) =>
      [...kinds, ...intervals.map((i) => `kline_${i}`)].map((k) => `${s.toLowerCase()}@${k}`),
    );
    const feed = await Feed.open(t, `${sim.wsUrl}/ws`);
    // Kline streams first: they carry little traffic.
    const ordered = [
      ...all.filter((s) => s.includes('@kline_')),
      ...all.filter((s) => !s.includes('@kline_')),
    ];
    feed.send({ method: 'SUBSCRIBE', params: ordered.slice(0, 1024), id: 1 });
    assert.deepEqual(await feed.reply(1), { result: null, id: 1 });
    feed.send({ method: 'SUBSCRIBE', params: [ordered[1024]], id: 2 });
    const refused = (await feed.reply(2))['error'] as { code: number; msg: string };
    assert.equal(refused.code, 2);
    assert.match(refused.msg, /at most 1024/);
    assert.equal(sim.stats().streams.spot.subscriptions, 1024);
    const tooMany = new WebSocket(`${sim.wsUrl}/stream?streams=${ordered.slice(0, 1025).join('/')}`);
    const status = await new Promise<number>((resolve) =>
      tooMany.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)),
    );
    assert.equal(status, 400);
  });

  it('pings every pingIntervalMs and closes a connection that does not pong in time', T, async (t) => {
    const sim = await simulator(t, { pingIntervalMs: 100, pongTimeoutMs: 350 });
    const alive = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@bookTicker`);
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    const mute = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@bookTicker`, { autoPong: false });
    const closed = await mute.closed;
    assert.equal(closed.code, 1001);
    assert.match(closed.reason, /pong timeout/);
    await sleep(300);
    assert.ok(pings >= 3, `pings arrive (${pings})`);
    assert.equal(alive.ws.readyState, WebSocket.OPEN, 'a client that answers pings stays');
    assert.equal(sim.stats().closedByServer['pongTimeout'], 1);
  });

  it('closes a connection that sends more than 5 messages a second (spot)', T, async (t) => {
    const sim = await simulator(t);
    const feed = await Feed.open(t, `${sim.wsUrl}/ws`);
    for (let i = 0; i < 7; i++) feed.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    const closed = await feed.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'Too many requests');
  });

  it('closes connections at the end of their lifetime as Binance does at 24 hours', T, async (t) => {
    const sim = await simulator(t, { connectionLifetimeMs: 300 });
    const feed = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@trade`);
    const started = Date.now();
    const closed = await feed.closed;
    assert.equal(closed.code, 1001);
    assert.ok(Date.now() - started >= 250);
  });
});

describe('simulator faults', () => {
  it(
    'sequenceGap: the next diff is lost, so U jumps past the previous u + 1 (spot) and pu breaks (futures)',
    T,
    async (t) => {
      const sim = await simulator(t);
      const spot = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@depth@100ms`);
      const fut = await Feed.open(t, `${sim.futuresWsUrl}/ws/btcusdt@depth@100ms`);
      await spot.waitFor(() => true);
      await fut.waitFor(() => true);
      sim.faults.sequenceGap('BTCUSDT');
      await sleep(500);
      const chain = (feed: Feed): { U: number; u: number; pu?: number }[] =>
        feed.frames.map((f) => JSON.parse(f) as { U: number; u: number; pu?: number });
      const s = chain(spot);
      const gaps = s.slice(1).filter((d, i) => d.U !== s[i]!.u + 1);
      assert.equal(gaps.length, 1, 'exactly one spot gap');
      assert.ok(gaps[0]!.U > s[s.indexOf(gaps[0]!) - 1]!.u + 1);
      const f = chain(fut);
      const breaks = f.slice(1).filter((d, i) => d.pu !== f[i]!.u);
      assert.equal(breaks.length, 1, 'exactly one futures pu break');
      assert.ok(sim.stats().market!.gapsInjected >= 2, 'one per diff stream speed once each has published');
      assert.throws(() => sim.faults.sequenceGap('DOGEUSDT'), /not listed/);
    },
  );

  it('malformedFrames, duplicateFrames and delayFrames are visible to a client', T, async (t) => {
    const sim = await simulator(t);
    const feed = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@bookTicker`);
    await feed.waitFor(() => true);
    const start = feed.frames.length;
    sim.faults.malformedFrames(3);
    await feed.waitFor(() => true, start + 5);
    const parses = feed.frames.slice(start, start + 5).map((f) => {
      try {
        JSON.parse(f);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(parses.slice(0, 3), [false, false, false]);
    assert.deepEqual(parses.slice(3), [true, true]);

    const dup = feed.frames.length;
    sim.faults.duplicateFrames(2);
    await feed.waitFor(() => true, dup + 5);
    const d = feed.frames.slice(dup, dup + 5);
    assert.equal(d[0], d[1]);
    assert.equal(d[2], d[3]);
    assert.notEqual(d[3], d[4]);

    const before = feed.frames.length;
    const armed = Date.now();
    sim.faults.delayFrames(400, 300);
    await feed.waitFor(() => true, before);
    assert.ok(Date.now() - armed >= 350, 'the first frame after arming waits the delay');
    const u = feed.frames.slice(before).map((f) => (JSON.parse(f) as { u: number }).u);
    assert.deepEqual(
      u,
      [...u].sort((a, b) => a - b),
      'delayed frames keep their order',
    );
  });

  it(
    'dropConnections ends connections without a close frame; expireConnections and serverShutdown close them',
    T,
    async (t) => {
      const sim = await simulator(t, { shutdownGraceMs: 200 });
      const a = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@trade`);
      const b = await Feed.open(t, `${sim.futuresWsUrl}/ws/btcusdt@aggTrade`);
      sim.faults.dropConnections();
      assert.equal((await a.closed).code, 1006);
      assert.equal((await b.closed).code, 1006);

      const c = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@trade`);
      sim.faults.expireConnections();
      assert.equal((await c.closed).code, 1001);

      const raw = await Feed.open(t, `${sim.wsUrl}/ws/btcusdt@trade`);
      const combined = await Feed.open(t, `${sim.wsUrl}/stream?streams=btcusdt@trade`);
      const noticeAt = Date.now();
      sim.faults.serverShutdown();
      const [rawClose, combinedClose] = await Promise.all([raw.closed, combined.closed]);
      assert.ok(Date.now() - noticeAt >= 150, 'the close comes after the grace period');
      assert.equal(rawClose.code, 1001);
      assert.equal(combinedClose.code, 1001);
      // Data keeps flowing until the close; the notice is among the frames.
      assert.ok(raw.frames.some((f) => /^\{"e":"serverShutdown","E":\d+\}$/.test(f)));
      assert.ok(
        combined.frames.some((f) =>
          /^\{"stream":"!serverShutdown","data":\{"e":"serverShutdown","E":\d+\}\}$/.test(f),
        ),
      );
    },
  );

  it('burst multiplies the order flow (20x for the scaling demo)', T, async (t) => {
    const sim = await simulator(t);
    const feed = await Feed.open(t, `${sim.wsUrl}/stream?streams=btcusdt@trade/ethusdt@trade`);
    await sleep(1000);
    const normal = feed.frames.length;
    sim.faults.burst(20, 1000);
    const mark = feed.frames.length;
    await sleep(1000);
    const burst = feed.frames.length - mark;
    assert.ok(burst > normal * 6, `burst ${burst} frames/s vs ${normal} normally`);
    assert.equal(sim.stats().market!.intensity === 20 || sim.stats().market!.intensity === 1, true);
  });

  it(
    'the admin endpoint arms faults, reports stats and names what is wrong with a bad request',
    T,
    async (t) => {
      const sim = await simulator(t);
      const post = (body: string): Promise<Response> =>
        fetch(`${sim.restUrl}/_sim/faults`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
      const ok = await post('{"fault":"rateLimit","status":429,"count":1,"retryAfterSeconds":3}');
      assert.deepEqual([ok.status, await ok.json()], [200, { ok: true, fault: 'rateLimit' }]);
      assert.equal((await fetch(`${sim.restUrl}/api/v3/ping`)).status, 429);
      const bad: [string, RegExp][] = [
        ['not json', /not JSON/],
        ['[1]', /JSON object/],
        [
          '{"fault":"meteor"}',
          /"fault" must be one of sequenceGap, .*burst, washTrades, spoof, priceJump; got "meteor"/,
        ],
        ['{"fault":"sequenceGap","symbol":"DOGEUSDT"}', /"DOGEUSDT" is not listed/],
        ['{"fault":"sequenceGap","symbol":5}', /"symbol" must be a string, got 5/],
        ['{"fault":"malformedFrames"}', /"count" must be a number, got null/],
        ['{"fault":"malformedFrames","count":0}', /count must be an integer >= 1, got 0/],
        [
          '{"fault":"rateLimit","status":500,"count":1,"retryAfterSeconds":1}',
          /status must be 429 or 418, got 500/,
        ],
        ['{"fault":"burst","multiplier":20,"durationMs":100,"extra":1}', /"extra" is not one of them/],
        ['{"fault":"dropConnections","symbol":"BTCUSDT"}', /takes no fields/],
      ];
      for (const [body, error] of bad) {
        const r = await post(body);
        assert.equal(r.status, 400, body);
        assert.match(((await r.json()) as { error: string }).error, error, body);
      }
      assert.equal((await post('{"fault":"burst","multiplier":3,"durationMs":100}')).status, 200);
      const stats = (await (await fetch(`${sim.restUrl}/_sim/stats`)).json()) as Record<string, unknown>;
      assert.equal(stats['mode'], 'model');
      assert.ok((stats['rest'] as { byStatus: Record<string, number> }).byStatus['429']! >= 1);
    },
  );
});
