// Gateway: topics reach WebSocket clients conflated per frame, slow clients are skipped not buffered, lag is sampled, bad requests are refused.

import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { alerts, encode } from '../../src/contracts/index.ts';
import { type Alert } from '../../src/contracts/schema/alerts.ts';
import { type BookDepth, type BookTop } from '../../src/contracts/schema/book.ts';
import { createGateway, GatewayConfigError } from '../../src/services/gateway/index.ts';
import { backends, embeddedBackend, eventually, tempGroup } from '../helpers/backends.ts';
import { capturedTrades, controlCommand, produceValues } from '../runtime/helpers.ts';
import {
  capturedDepths,
  capturedTops,
  FeedClient,
  gatewayTopics,
  type Message,
  startTestGateway,
} from './helpers.ts';

const TOPS = 1000;

interface DescribedProduct {
  readonly topic: string;
  readonly owner: string;
  readonly key: { readonly name: string };
  readonly partitions: number;
  readonly value: {
    readonly example: { readonly value: Record<string, unknown> };
    readonly versions: Array<{
      readonly schema: { readonly properties: Record<string, { readonly type: string }> };
    }>;
  };
}

function topsIn(messages: readonly Message[]): BookTop[] {
  return messages.filter((m) => m.t === 'frame' && m.m?.['top']).map((m) => m.m!['top'] as BookTop);
}

for (const backend of backends) {
  describe(`gateway on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      `conflates ${TOPS} real book tops of one instrument into a few frames, always delivering the last, and reports consumer lag`,
      { timeout: 120_000 },
      async (t) => {
        const bus = await backend.open(t);
        const topics = gatewayTopics('gw-conflate');
        const group = tempGroup(t, bus, 'gw-lag');
        const gateway = await startTestGateway(t, bus, topics, {
          conflateMs: 200,
          lagIntervalMs: 300,
          groups: [group],
        });
        const client = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT&interval=1m');
        await client.waitFor('the snapshot', (ms) => ms.some((m) => m.t === 'snapshot'));

        const tops = await capturedTops(TOPS);
        assert.equal(tops.length, TOPS);
        await produceValues(bus, topics.bookTop, tops);
        const last = tops[tops.length - 1]!;
        await client.waitFor('the last top', (ms) => topsIn(ms).at(-1)?.lastUpdateId === last.lastUpdateId);

        const received = topsIn(client.messages);
        assert.deepEqual(
          received.at(-1),
          last,
          'the last top arrives exactly as produced (decimal text kept)',
        );
        assert.ok(received.length < TOPS / 10, `${received.length} frames carried a top for ${TOPS} updates`);
        const ids = received.map((r) => r.lastUpdateId!);
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
          'frames carry tops in order',
        );
        const stats = gateway.stats() as { conflated: { top: number }; clients: { skippedUnacked: number } };
        // Every update was either replaced by a newer one within its frame or sent in exactly one frame.
        assert.equal(stats.conflated.top + received.length, TOPS, JSON.stringify(stats.conflated));
        assert.equal(stats.clients.skippedUnacked, 0, 'an acknowledging client is never skipped');

        // Lag: a group that committed 400 of the 1000 records on their partition is 600 behind.
        const [{ partition }] = await bus
          .admin()
          .listOffsets(topics.bookTop.topic, 'latest')
          .then((ends) => ends.filter((e) => e.offset > 0));
        const admin = bus.admin();
        t.after(() => admin.close());
        await admin.resetGroupOffsets(group, [topics.bookTop.topic], {
          offsets: [{ topic: topics.bookTop.topic, partition, offset: 400 }],
        });
        await client.waitFor('a lag sample of the group', (ms) =>
          ms.some((m) =>
            (
              (m.g?.['lag'] as { groups?: Array<{ group: string; lag: number }> } | undefined)?.groups ?? []
            ).some((g) => g.group === group && g.lag === TOPS - 400),
          ),
        );
        const res = await fetch(`${gateway.url}/api/lag`);
        const lag = (await res.json()) as {
          samples: Array<{ groups: Array<{ group: string; lag: number }> }>;
        };
        assert.equal(lag.samples.at(-1)!.groups.find((g) => g.group === group)?.lag, TOPS - 400);
      },
    );
  });
}

describe('gateway on embedded', () => {
  it(
    'a client that stops reading is skipped (its socket buffer stays bounded) and resynced by snapshot with the latest values',
    { timeout: 120_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const topics = gatewayTopics('gw-slow');
      const maxBufferedBytes = 64 * 1024;
      const gateway = await startTestGateway(t, bus, topics, {
        conflateMs: 20,
        maxTradesPerFrame: 1000,
        maxBufferedBytes,
        // Unbounded credit: only the socket buffer can hold this client back.
        maxUnackedFrames: 1000,
      });
      const slow = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT&interval=1m');
      const fast = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT&interval=1m');
      await slow.waitFor('the snapshot', (ms) => ms.length > 0);
      slow.ws.pause();

      const trades = (await capturedTrades(4000)).filter((x) => x.symbol === 'BTCUSDT');
      const tops = await capturedTops(500);
      // Real 1000-level books (~64 KB a frame): the kernel's socket buffers (several MB on loopback)
      // fill within a second or two of frames every 20 ms, then the gateway's own buffer would grow.
      const depths = await capturedDepths(3000);
      const heapBefore = process.memoryUsage().heapUsed;
      await produceValues(bus, topics.trades, trades);
      await produceValues(bus, topics.bookTop, tops);
      const skipped = () => (gateway.stats() as { clients: { skippedBuffer: number } }).clients.skippedBuffer;
      let sent = 0;
      while (sent < depths.length && skipped() < 20) {
        await produceValues(bus, topics.bookDepth, depths.slice(sent, sent + 5));
        sent += 5;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const lastDepth = depths[sent - 1]!;
      const lastTop = tops.at(-1)!;
      await fast.waitFor('the last depth on the reading client', (ms) =>
        ms.some((m) => (m.m?.['depth'] as BookDepth | undefined)?.lastUpdateId === lastDepth.lastUpdateId),
      );
      const stats = gateway.stats() as {
        clients: {
          skippedBuffer: number;
          maxBufferedBytes: number;
          list: Array<{ bufferedBytes: number; skipped: number }>;
        };
        memory: { heapUsedBytes: number };
      };
      assert.ok(stats.clients.skippedBuffer > 0, 'frames were skipped for the client that does not read');
      // What a client can hold: the limit, plus the one frame sent while it was under it (<= 1000 trades, ~150 KB).
      const bound = maxBufferedBytes + 256 * 1024;
      assert.ok(
        stats.clients.maxBufferedBytes <= bound,
        `at most ${stats.clients.maxBufferedBytes} bytes were queued for a client (bound ${bound})`,
      );
      for (const c of stats.clients.list) assert.ok(c.bufferedBytes <= bound, JSON.stringify(c));
      assert.ok(
        stats.memory.heapUsedBytes - heapBefore < 64 * 1024 * 1024,
        `the heap grew ${((stats.memory.heapUsedBytes - heapBefore) / 1e6).toFixed(1)} MB`,
      );

      // Once it reads again it gets a snapshot carrying the latest top and the newest trades.
      slow.ws.resume();
      await slow.waitFor('a snapshot with the last top', (ms) =>
        ms.some(
          (m) =>
            m.t === 'snapshot' &&
            (m.m?.['top'] as BookTop | undefined)?.lastUpdateId === lastTop.lastUpdateId,
        ),
      );
      const snapshot = slow.messages.findLast((m) => m.t === 'snapshot')!;
      assert.deepEqual(snapshot.m!['top'], lastTop, 'the last top, exactly');
      assert.ok(snapshot.skipped! > 0, `the snapshot tells the page it missed ${snapshot.skipped} frames`);
      const tape = snapshot.m!['trades'] as Array<{ id: string; price: string }>;
      assert.equal(tape.at(-1)!.id, trades.at(-1)!.tradeId, 'the newest trade is in the snapshot');
      assert.equal(tape.at(-1)!.price, trades.at(-1)!.price);
    },
  );

  it(
    'a client that does not acknowledge (draw) frames gets at most maxUnackedFrames until it does',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const topics = gatewayTopics('gw-credit');
      const gateway = await startTestGateway(t, bus, topics, { conflateMs: 20, maxUnackedFrames: 3 });
      const client = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT', { ack: false });
      const tops = await capturedTops(600);
      for (let i = 0; i < 6; i++) {
        await produceValues(bus, topics.bookTop, tops.slice(i * 100, (i + 1) * 100));
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      await eventually(
        () => (gateway.stats() as { records: Record<string, number> }).records[topics.bookTop.topic] === 600,
        20_000,
        20,
      );
      await eventually(
        () => (gateway.stats() as { clients: { skippedUnacked: number } }).clients.skippedUnacked > 0,
        10_000,
        20,
      );
      assert.equal(
        client.messages.length,
        3,
        `the snapshot and two frames, then nothing: ${JSON.stringify(client.messages.map((m) => [m.t, m.seq]))}`,
      );
      // An ack of the newest frame lets it through again: a snapshot with the last top.
      client.ack = true;
      client.ws.send(JSON.stringify({ t: 'ack', seq: client.messages.at(-1)!.seq }));
      await client.waitFor('a snapshot with the last top', (ms) =>
        ms.some(
          (m) =>
            m.t === 'snapshot' &&
            (m.m?.['top'] as BookTop | undefined)?.lastUpdateId === tops.at(-1)!.lastUpdateId,
        ),
      );
    },
  );

  it(
    'trades are batched and capped per frame: the newest of each frame arrive, the rest are counted',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const topics = gatewayTopics('gw-trades');
      const gateway = await startTestGateway(t, bus, topics, { conflateMs: 100, maxTradesPerFrame: 50 });
      const client = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT');
      await client.waitFor('the snapshot', (ms) => ms.length > 0);
      const trades = (await capturedTrades(6000)).filter((x) => x.symbol === 'BTCUSDT');
      await produceValues(bus, topics.trades, trades);
      const last = trades.at(-1)!;
      const tradesOf = (ms: readonly Message[]) =>
        ms.flatMap((m) =>
          m.t === 'frame' ? ((m.m?.['trades'] as Array<{ id: string; price: string }>) ?? []) : [],
        );
      await client.waitFor('the last trade', (ms) => tradesOf(ms).at(-1)?.id === last.tradeId);
      const perFrame = client.messages.map((m) => ((m.m?.['trades'] as unknown[]) ?? []).length);
      assert.ok(Math.max(...perFrame) <= 50, `a frame carried ${Math.max(...perFrame)} trades`);
      const sent = tradesOf(client.messages);
      assert.equal(sent.at(-1)!.price, last.price, 'its price as the exchange wrote it');
      const ids = sent.map((x) => Number(x.id));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'in trade order',
      );
      const conflated = (gateway.stats() as { conflated: { trades: number } }).conflated.trades;
      assert.equal(sent.length + conflated, trades.length, `${sent.length} sent + ${conflated} counted`);
      assert.ok(sent.length < trades.length, 'some were left out of full frames');
    },
  );

  it(
    'alerts are never dropped silently: a flood reaches the client in full, at most maxListPerFrame a frame, in order',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const topics = gatewayTopics('gw-alerts');
      const gateway = await startTestGateway(t, bus, topics, { conflateMs: 50, maxListPerFrame: 40 });
      const client = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT');
      await client.waitFor('the snapshot', (ms) => ms.length > 0);
      // The catalog's real clock-skew alert, one per millisecond of a burst of late frames.
      const base = alerts.value.example;
      const flood = Array.from({ length: 500 }, (_, i) => ({
        ...base,
        timestamp: base.timestamp + i,
        alertId: `clock.skew:binance:BTCUSDT:${base.timestamp + i}`,
      }));
      await produceValues(bus, topics.alerts, flood);
      const alertsOf = (ms: readonly Message[]) =>
        ms.flatMap((m) =>
          m.t === 'frame' ? ((m.g?.['alerts'] as Array<{ n: number; value: Alert }>) ?? []) : [],
        );
      await client.waitFor('all 500 alerts', (ms) => alertsOf(ms).length >= 500);
      const got = alertsOf(client.messages);
      assert.equal(got.length, 500);
      // One partition per key keeps them in produced order.
      assert.deepEqual(
        got.map((a) => a.value.alertId),
        flood.map((a) => a.alertId),
      );
      const perFrame = client.messages.map((m) => ((m.g?.['alerts'] as unknown[]) ?? []).length);
      assert.ok(Math.max(...perFrame) <= 40, `frames carried ${Math.max(...perFrame)} alerts at most`);
      assert.equal((gateway.stats() as { alerts: { dropped: number } }).alerts.dropped, 0);
    },
  );

  it(
    'a record that breaks its schema is skipped and counted, and the feed goes on',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const topics = gatewayTopics('gw-bad');
      const gateway = await startTestGateway(t, bus, topics, { conflateMs: 50 });
      const client = await FeedClient.open(t, gateway.url, '?instrument=binance:BTCUSDT');
      const [first, second] = await capturedTops(2);
      const producer = bus.producer();
      t.after(() => producer.close());
      // A top whose bid price is a JSON number (a float): the schema wants the exchange's text.
      const bad = encode(topics.bookTop, first!, { service: 'test-feed', instance: 'test-feed-0' });
      await producer.send({
        ...bad,
        value: JSON.stringify({ ...first, bid: [61837.63, '3.78826000'] }),
      });
      await produceValues(bus, topics.bookTop, [second!]);
      await client.waitFor('the valid top', (ms) =>
        ms.some((m) => (m.m?.['top'] as BookTop | undefined)?.lastUpdateId === second!.lastUpdateId),
      );
      assert.equal(topsIn(client.messages).length, 1, 'only the valid top was delivered');
      assert.equal((gateway.stats() as { decodeErrors: number }).decodeErrors, 1);
    },
  );

  it(
    'is on the control plane: its own started event reaches the page, a ping is answered with a pong',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const gateway = await startTestGateway(t, bus, gatewayTopics('gw-control'), { conflateMs: 50 });
      const client = await FeedClient.open(t, gateway.url);
      type Event = { service: string; event: string; command_id?: string };
      const eventsOf = (ms: readonly Message[]) =>
        ms.flatMap((m) =>
          ((m.g?.['events'] as Array<{ value: Event }> | undefined) ?? []).map((e) => e.value),
        );
      await client.waitFor("the gateway's started event", (ms) =>
        eventsOf(ms).some((e) => e.service === 'gateway' && e.event === 'started'),
      );
      const producer = bus.producer();
      t.after(() => producer.close());
      await producer.send(
        controlCommand({ id: 'ping-gw-1', queueId: 'gateway', target: 'gateway', command: 'ping' }),
      );
      await producer.send(
        controlCommand({ id: 'pause-gw-1', queueId: 'gateway', target: 'gateway', command: 'pause' }),
      );
      await client.waitFor('the pong and the error', (ms) => {
        const events = eventsOf(ms);
        return (
          events.some((e) => e.event === 'pong' && e.command_id === 'ping-gw-1') &&
          events.some((e) => e.event === 'error' && e.command_id === 'pause-gw-1')
        );
      });
      const error = eventsOf(client.messages).find((e) => e.event === 'error') as Event & { reason: string };
      assert.match(error.reason, /the gateway answers ping only/);
    },
  );

  it(
    'serves the catalog and refuses bad requests with a message saying what is wrong',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const gateway = await startTestGateway(t, bus, gatewayTopics('gw-http'));
      const get = async (path: string, init?: RequestInit) => {
        const res = await fetch(`${gateway.url}${path}`, init);
        const text = await res.text();
        return { status: res.status, type: res.headers.get('content-type'), text, res };
      };
      // Raw paths: fetch would normalize `..` away before sending.
      const raw = (path: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = http.request(`${gateway.url}/`, { path }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          });
          req.on('error', reject);
          req.end();
        });

      const catalog = await get('/api/catalog');
      assert.equal(catalog.status, 200);
      assert.match(catalog.type!, /^application\/json/);
      const products = (JSON.parse(catalog.text) as { products: DescribedProduct[] }).products;
      const tradesProduct = products.find((p) => p.topic === 'md.trades')!;
      assert.equal(tradesProduct.owner, 'market-data');
      assert.equal(tradesProduct.key.name, 'exchange:symbol');
      assert.equal(tradesProduct.partitions, 12);
      assert.equal(tradesProduct.value.example.value['price'], '61837.63000000');
      assert.equal(tradesProduct.value.versions.at(-1)!.schema.properties['price']!.type, 'string');
      assert.ok(products.some((p) => p.topic === 'md.alerts' && p.owner === 'surveillance'));
      const one = await get('/api/catalog/md.candles.1m');
      assert.equal(JSON.parse(one.text).topic, 'md.candles.1m');
      const typo = await get('/api/catalog/md.trade');
      assert.equal(typo.status, 404);
      assert.match(JSON.parse(typo.text).error, /did you mean md\.trades/);

      const page = await get('/');
      assert.equal(page.status, 200);
      assert.match(page.type!, /^text\/html/);
      assert.match(page.res.headers.get('content-security-policy')!, /default-src 'self'/);
      assert.equal(page.res.headers.get('x-content-type-options'), 'nosniff');
      assert.match((await get('/app/app.js')).type!, /^text\/javascript/);
      assert.match((await get('/app/style.css')).type!, /^text\/css/);
      const lib = await get('/vendor/lightweight-charts.mjs');
      assert.match(lib.type!, /^text\/javascript/);
      assert.match(lib.text, /export\s*\{[^}]*createChart/);
      const head = await get('/app/app.js', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      const health = await get('/health');
      assert.equal(health.status, 200);
      assert.equal(JSON.parse(health.text).status, 'ok');
      const stats = JSON.parse((await get('/api/stats')).text) as {
        conflateMs: number;
        clients: { connected: number };
      };
      assert.equal(stats.conflateMs, 200);
      assert.equal(stats.clients.connected, 0);
      assert.deepEqual(JSON.parse((await get('/api/instruments')).text), { instruments: [] });
      const config = JSON.parse((await get('/config.json')).text);
      assert.equal(config.orchestratorUrl, 'http://127.0.0.1:8081');

      const refused: Array<[string, number, RegExp, RequestInit?]> = [
        ['/nope', 404, /no such path: \/nope/],
        ['/app/missing.js', 404, /no such file/],
        ['/app/index.html', 404, /no such file/],
        ['/', 405, /POST is not allowed/, { method: 'POST' }],
        ['/api/candles?instrument=BTCUSDT', 400, /instrument="BTCUSDT" must be exchange:SYMBOL/],
        [
          '/api/candles?instrument=binance:BTCUSDT&interval=2m',
          400,
          /interval="2m" must be one of 1s, 1m, 5m, 1h/,
        ],
        ['/api/alerts?limit=0', 400, /limit="0" must be an integer from 1 to 10000/],
        ['/api/alerts?limit=abc', 400, /limit="abc"/],
        ['/api/stats?verbose=1', 400, /unknown query parameter "verbose"/],
        ['/?instrument=nope', 400, /must be exchange:SYMBOL/],
      ];
      for (const [path, status, message, init] of refused) {
        const r = await get(path, init);
        assert.equal(r.status, status, `${init?.method ?? 'GET'} ${path}: ${r.text}`);
        assert.match(JSON.parse(r.text).error, message, path);
      }
      assert.equal((await get('/', { method: 'POST' })).res.headers.get('allow'), 'GET, HEAD');
      for (const path of [
        '/app/../../../package.json',
        '/app/..%2f..%2f..%2fpackage.json',
        '/app/%2e%2e/%2e%2e/%2e%2e/package.json',
        '/app/..\\..\\package.json',
        '/app/%00.js',
      ]) {
        const r = await raw(path);
        assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
        assert.doesNotMatch(r.text, /"name":\s*"streamforge"/, path);
      }
      assert.equal((await raw('/%zz')).status, 400);

      const candles = JSON.parse(
        (await get('/api/candles?instrument=binance:BTCUSDT&interval=1s&limit=5')).text,
      );
      assert.deepEqual(candles, { instrument: 'binance:BTCUSDT', interval: '1s', candles: [] });

      // The feed refuses a bad subscription at the handshake, and bad messages with an error message.
      const refusedUpgrade = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?interval=7m`);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
        ws.on('open', () => resolve(101));
      });
      assert.equal(refusedUpgrade, 400);
      const foreign = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws`, {
          origin: 'http://evil.example',
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
        ws.on('open', () => resolve(101));
      });
      assert.equal(foreign, 403, 'another site may not open the feed');
      const client = await FeedClient.open(t, gateway.url);
      client.ws.send('not json');
      client.ws.send(JSON.stringify({ t: 'subscribe', instrument: 'binance:BTCUSDT', interval: '3m' }));
      client.ws.send(JSON.stringify({ t: 'dance' }));
      await client.waitFor('three errors', (ms) => ms.filter((m) => m.t === 'error').length === 3);
      const errors = client.messages.filter((m) => m.t === 'error').map((m) => m.message);
      assert.match(errors[0]!, /must be JSON/);
      assert.match(errors[1]!, /interval "3m" is not one of/);
      assert.match(errors[2]!, /unknown message type "dance"; known: subscribe, ack/);

      assert.throws(
        () => createGateway({ bus, orchestratorUrl: 'localhost:8081' }),
        (e: unknown) =>
          e instanceof GatewayConfigError &&
          e.field === 'orchestratorUrl' &&
          /http\(s\)|not a URL/.test(e.message),
      );
      assert.throws(
        () => createGateway({ bus, conflateMs: 0 }),
        /gateway option conflateMs: must be an integer from 10/,
      );
    },
  );
});
