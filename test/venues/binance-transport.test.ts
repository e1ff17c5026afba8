// BinanceStreams against the exchange simulator: spreading, live (un)subscribe, pings, reconnects, rotations, errors.

import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../src/venues/backoff.ts';
import {
  BinanceStreams,
  type BinanceStreamsOptions,
  BinanceTransportError,
  type StreamFrame,
  TransportErrorCodes,
} from '../../src/venues/binance/transport/index.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/venues/simulator/index.ts';
import { type ConnectionMarker } from '../../src/venues/types.ts';

async function simulator(t: TestContext, options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ port: 0, seed: 11, tickMs: 10, ...options });
  t.after(() => sim.close());
  return sim;
}

/** A client with everything it delivers recorded, closed when the test ends. */
interface Client {
  readonly streams: BinanceStreams;
  readonly frames: StreamFrame[];
  readonly markers: ConnectionMarker[];
  readonly errors: BinanceTransportError[];
}

function client(t: TestContext, options: Partial<BinanceStreamsOptions> & { wsUrl: string }): Client {
  const frames: StreamFrame[] = [];
  const markers: ConnectionMarker[] = [];
  const errors: BinanceTransportError[] = [];
  const streams = new BinanceStreams({
    exchange: 'binance',
    backoff: { initialMs: 50, maxMs: 200 },
    onFrame: (f) => frames.push(f),
    onMarker: (m) => markers.push(m),
    onError: (e) => errors.push(e),
    ...options,
  });
  t.after(() => streams.close());
  return { streams, frames, markers, errors };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

interface Envelope {
  readonly stream?: string;
  readonly data?: { readonly t?: number };
  readonly result?: unknown;
  readonly id?: number;
}

const parse = (f: StreamFrame): Envelope => JSON.parse(f.body.toString('utf8')) as Envelope;
const streamOf = (f: StreamFrame): string | undefined => parse(f).stream;

/** Trade ids of one `@trade` stream, over every connection. */
function tradeIds(frames: readonly StreamFrame[], stream: string): number[] {
  return frames
    .map(parse)
    .filter((e) => e.stream === stream && typeof e.data?.t === 'number')
    .map((e) => e.data?.t as number);
}

/** Every id from the smallest to the largest seen is present at least once. */
function assertNoGap(ids: readonly number[], what: string): void {
  const seen = new Set(ids);
  const min = Math.min(...ids);
  const max = Math.max(...ids);
  const missing: number[] = [];
  for (let id = min; id <= max; id++) if (!seen.has(id)) missing.push(id);
  assert.deepEqual(missing, [], `${what}: trade ids missing between ${min} and ${max}`);
}

/** Per connection, sequences run 0, 1, 2, ... in delivery order. */
function assertSequences(frames: readonly StreamFrame[]): void {
  const next = new Map<string, number>();
  for (const f of frames) {
    assert.equal(f.connectionSeq, next.get(f.connectionId) ?? 0, `sequence of ${f.connectionId}`);
    next.set(f.connectionId, f.connectionSeq + 1);
  }
}

/**
 * A TCP relay in front of the simulator whose existing pipes can be frozen: the connection stays
 * up but nothing passes either way, as with a dead NAT entry. Later connections relay normally.
 */
async function relay(t: TestContext, target: string): Promise<{ url: string; freeze(): void }> {
  const { hostname, port } = new URL(target);
  const pairs: [Socket, Socket][] = [];
  const server = createServer((inbound) => {
    const outbound = connect(Number(port), hostname);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    pairs.push([inbound, outbound]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
  };
}

describe('BinanceStreams: connections and subscriptions', () => {
  it('spreads streams over connections at the per-connection limit, frames byte for byte with sequences', async (t) => {
    const sim = await simulator(t);
    const c = client(t, { wsUrl: sim.wsUrl, maxStreamsPerConnection: 3 });
    const names = [
      'btcusdt@trade',
      'ethusdt@trade',
      'solusdt@trade',
      'xrpusdt@trade',
      'bnbusdt@trade',
      'btcusdt@aggTrade',
      'ethusdt@aggTrade',
    ];
    const before = Date.now();
    await c.streams.subscribe(names);
    const connections = c.streams.connections();
    assert.deepEqual(
      connections.map((x) => x.streams.length),
      [3, 3, 1],
    );
    for (const x of connections) {
      assert.equal(
        x.url,
        `${sim.wsUrl}/stream?streams=${x.streams.join('/')}`,
        'initial set goes in the combined-stream URL',
      );
    }
    assert.equal(sim.stats().connections.open, 3);
    assert.deepEqual(c.streams.list(), names);
    await until('a frame of every stream', () => names.every((n) => c.frames.some((f) => streamOf(f) === n)));
    const after = Date.now();
    assertSequences(c.frames);
    for (const f of c.frames) {
      assert.ok(Buffer.isBuffer(f.body));
      assert.ok(f.receivedAt >= before && f.receivedAt <= after, 'receivedAt is the local arrival time');
      const carrier = connections.find((x) => x.connectionId === f.connectionId);
      assert.ok(carrier, 'frames come from the connections listed');
      assert.equal(f.url, carrier.url);
      assert.ok(
        carrier.streams.includes(streamOf(f) ?? ''),
        'each stream arrives on the connection carrying it',
      );
    }

    // Three more: two fill the last connection by live SUBSCRIBE, one needs a fourth connection.
    await c.streams.subscribe(['solusdt@aggTrade', 'xrpusdt@aggTrade', 'bnbusdt@aggTrade']);
    const grown = c.streams.connections();
    assert.deepEqual(
      grown.map((x) => x.streams.length),
      [3, 3, 3, 1],
    );
    assert.equal(
      grown[2]?.connectionId,
      connections[2]?.connectionId,
      'the third connection was filled, not replaced',
    );
    assert.equal(sim.stats().connections.total, 4);
    assert.ok(
      c.markers.some(
        (m) => m.marker === 'resubscribed' && m.reason?.startsWith('SUBSCRIBE') && m.streams.length === 3,
      ),
    );
  });

  it('subscribes and unsubscribes live, paced under the message limit, and delivers the answers as frames', async (t) => {
    const sim = await simulator(t);
    const c = client(t, { wsUrl: sim.wsUrl });
    await c.streams.subscribe(['btcusdt@trade']);
    // Four separate calls: four SUBSCRIBE messages, which must not trip spot's 5-per-second limit.
    const added = ['ethusdt@trade', 'solusdt@trade', 'xrpusdt@trade', 'bnbusdt@trade'];
    await Promise.all(added.map((s) => c.streams.subscribe([s])));
    const [only] = c.streams.connections();
    assert.equal(c.streams.connections().length, 1, 'one connection has room for all of them');
    assert.deepEqual(only?.streams, ['btcusdt@trade', ...added]);
    const answers = c.frames.filter((f) => parse(f).result === null);
    assert.equal(answers.length, 4, 'each {"result":null,"id":n} is delivered as a frame too');
    assert.match(answers[0]?.body.toString('utf8') ?? '', /^\{"result":null,"id":\d+\}$/);
    for (let i = 1; i < answers.length; i++) {
      const gap = (answers[i]?.receivedAt ?? 0) - (answers[i - 1]?.receivedAt ?? 0);
      assert.ok(gap >= 300, `SUBSCRIBE messages are paced (answers ${gap} ms apart)`);
    }
    assert.equal(
      sim.stats().closedByServer['messageRate'],
      undefined,
      'the simulator never saw too many messages',
    );

    await c.streams.unsubscribe(['btcusdt@trade', 'ethusdt@trade']);
    assert.deepEqual(c.streams.list(), ['solusdt@trade', 'xrpusdt@trade', 'bnbusdt@trade']);
    assert.deepEqual(c.streams.connections()[0]?.streams, [
      'solusdt@trade',
      'xrpusdt@trade',
      'bnbusdt@trade',
    ]);
    const cut = c.frames.length;
    await sleep(300);
    const late = c.frames
      .slice(cut)
      .filter((f) => ['btcusdt@trade', 'ethusdt@trade'].includes(streamOf(f) ?? ''));
    assert.deepEqual(late, [], 'no frames of an unsubscribed stream after the answer');
    assert.ok(c.frames.slice(cut).some((f) => streamOf(f) === 'solusdt@trade'));

    await c.streams.unsubscribe(['solusdt@trade', 'xrpusdt@trade', 'bnbusdt@trade']);
    assert.deepEqual(c.streams.connections(), [], 'a connection left without streams is closed');
    await until('the simulator to see the close', () => sim.stats().connections.open === 0);
  });

  it('answers server pings, so the connection outlives the pong timeout', async (t) => {
    const sim = await simulator(t, { pingIntervalMs: 100, pongTimeoutMs: 300 });
    const c = client(t, { wsUrl: sim.wsUrl });
    await c.streams.subscribe(['btcusdt@trade']);
    await sleep(1200);
    const stats = sim.stats();
    assert.equal(stats.closedByServer['pongTimeout'], undefined);
    assert.equal(stats.connections.total, 1);
    assert.equal(stats.connections.open, 1);
    assert.deepEqual(
      c.markers.map((m) => m.marker),
      ['connected'],
    );
  });

  it('drops a connection that goes silent (no frames, no pings, no pong to its probe) and reconnects', async (t) => {
    const sim = await simulator(t, { pingIntervalMs: 60_000 });
    const proxy = await relay(t, sim.wsUrl);
    const c = client(t, { wsUrl: proxy.url, idleTimeoutMs: 400 });
    await c.streams.subscribe(['btcusdt@trade']);
    const first = c.streams.connections()[0]?.connectionId;
    proxy.freeze();
    await until('a new connection delivering trades', () =>
      c.frames.some((f) => f.connectionId !== first && streamOf(f) === 'btcusdt@trade'),
    );
    const dropped = c.markers.find((m) => m.marker === 'disconnected' && m.connectionId === first);
    assert.match(dropped?.reason ?? '', /^idle: nothing received for \d+ ms/);
  });

  it('reconnects dropped connections with backoff, resubscribes every stream and records markers', async (t) => {
    const sim = await simulator(t);
    const c = client(t, { wsUrl: sim.wsUrl, maxStreamsPerConnection: 2 });
    await c.streams.subscribe(['btcusdt@trade', 'ethusdt@trade', 'solusdt@trade']);
    await c.streams.subscribe(['solusdt@aggTrade']); // by SUBSCRIBE: a reconnect must carry it too
    const old = c.streams.connections().map((x) => x.connectionId);
    const t0 = Date.now();
    sim.faults.dropConnections();
    await until('every stream delivered on new connections', () =>
      c.streams
        .list()
        .every((s) =>
          c.frames.some((f) => f.receivedAt > t0 && !old.includes(f.connectionId) && streamOf(f) === s),
        ),
    );
    const now = c.streams.connections();
    assert.equal(now.length, 2);
    assert.deepEqual(
      now
        .map((x) => x.streams)
        .flat()
        .sort(),
      [...c.streams.list()].sort(),
    );
    assert.ok(
      now[1]?.url.includes('solusdt@aggTrade'),
      'the reconnect puts live-subscribed streams in its URL',
    );
    for (const id of old) {
      const gone = c.markers.find((m) => m.marker === 'disconnected' && m.connectionId === id);
      assert.match(gone?.reason ?? '', /code 1006/, 'an abrupt drop is recorded with its close code');
    }
    for (const x of now) {
      const kinds = c.markers.filter((m) => m.connectionId === x.connectionId).map((m) => m.marker);
      assert.deepEqual(kinds, ['connected', 'resubscribed']);
      const resub = c.markers.find((m) => m.connectionId === x.connectionId && m.marker === 'resubscribed');
      assert.match(
        resub?.reason ?? '',
        /took over 2 stream\(s\) from .*reconnect after: closed by the server or network/,
      );
    }
    assertSequences(c.frames);
  });

  it('subscribes by message what does not fit in the URL, also after a reconnect', async (t) => {
    const sim = await simulator(t);
    const names = ['btcusdt@trade', 'ethusdt@trade', 'solusdt@trade', 'xrpusdt@trade'];
    const maxUrlLength = `${sim.wsUrl}/stream?streams=btcusdt@trade/ethusdt@trade`.length;
    const c = client(t, { wsUrl: sim.wsUrl, maxUrlLength });
    await c.streams.subscribe(names);
    const [first] = c.streams.connections();
    assert.equal(first?.url, `${sim.wsUrl}/stream?streams=btcusdt@trade/ethusdt@trade`);
    assert.deepEqual(first?.streams, names);
    sim.faults.dropConnections();
    await until('a new connection carrying all four', () => {
      const [now] = c.streams.connections();
      return now !== undefined && now.connectionId !== first?.connectionId && now.streams.length === 4;
    });
    const heir = c.streams.connections()[0]?.connectionId;
    const takeover = c.markers.find((m) => m.connectionId === heir && m.marker === 'resubscribed');
    assert.deepEqual(takeover?.streams, names, 'the takeover is recorded once every stream is confirmed');
    await until('trades of every stream on the new connection', () =>
      names.every((n) => c.frames.some((f) => f.connectionId === heir && streamOf(f) === n)),
    );
  });

  it('backs off: full jitter under a doubling cap, never above the maximum', () => {
    const options = { initialMs: 100, maxMs: 1000 };
    assert.equal(
      backoffDelay(options, 0, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(options, 0, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(options, 3, () => 0.999),
      799,
    );
    assert.equal(
      backoffDelay(options, 4, () => 0.999),
      999,
      'capped at maxMs',
    );
    assert.equal(
      backoffDelay(options, 500, () => 0.5),
      500,
      'no overflow for large attempts',
    );
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(options, 2)));
    assert.ok(spread.size > 20, 'delays are spread over the whole interval');
  });
});

describe('BinanceStreams: planned rotation without a gap', () => {
  it('replaces connections before the server lifetime cut: new one first, old one closed after, no trade id missing', async (t) => {
    const sim = await simulator(t, { connectionLifetimeMs: 2000 });
    const c = client(t, { wsUrl: sim.wsUrl, rotateAfterMs: 500 });
    await c.streams.subscribe(['btcusdt@trade', 'ethusdt@trade']);
    await until(
      'three rotations',
      () => c.markers.filter((m) => m.reason?.startsWith('planned rotation')).length >= 3,
      6000,
    );
    await sleep(100);
    const stats = sim.stats();
    assert.equal(stats.closedByServer['lifetime'], undefined, 'no connection reached the server-side cut');
    for (const stream of ['btcusdt@trade', 'ethusdt@trade']) {
      const ids = tradeIds(c.frames, stream);
      assert.ok(ids.length > 20, `${stream}: enough trades`);
      assertNoGap(ids, stream);
    }
    for (const gone of c.markers.filter((m) => m.marker === 'disconnected')) {
      assert.match(gone.reason ?? '', /^planned rotation \(connection age limit 500 ms\): handed over to /);
      const heir = (gone.reason ?? '').split('handed over to ')[1];
      const takeover = c.markers.findIndex((m) => m.marker === 'resubscribed' && m.connectionId === heir);
      assert.ok(
        takeover >= 0 && takeover < c.markers.indexOf(gone),
        'the new connection took over before the old one closed',
      );
    }
    assertSequences(c.frames);
  });

  it('rotates on serverShutdown before the server closes the connection, with no trade id missing', async (t) => {
    const sim = await simulator(t, { shutdownGraceMs: 1500 });
    const c = client(t, { wsUrl: sim.wsUrl });
    await c.streams.subscribe(['btcusdt@trade', 'ethusdt@trade']);
    await sleep(300);
    const old = c.streams.connections()[0]?.connectionId;
    sim.faults.serverShutdown();
    await until('the old connection closed', () =>
      c.markers.some((m) => m.marker === 'disconnected' && m.connectionId === old),
    );
    await sleep(300);
    const gone = c.markers.find((m) => m.marker === 'disconnected' && m.connectionId === old);
    assert.match(
      gone?.reason ?? '',
      /^planned rotation \(Binance announced serverShutdown\): handed over to /,
    );
    assert.equal(
      sim.stats().closedByServer['serverShutdown'],
      undefined,
      'closed by the client before the server cut it',
    );
    const heir = c.streams.connections()[0]?.connectionId;
    assert.notEqual(heir, old);
    for (const stream of ['btcusdt@trade', 'ethusdt@trade']) {
      const ids = tradeIds(c.frames, stream);
      assertNoGap(ids, stream);
      const before = new Set(
        tradeIds(
          c.frames.filter((f) => f.connectionId === old),
          stream,
        ),
      );
      const afterIds = tradeIds(
        c.frames.filter((f) => f.connectionId === heir),
        stream,
      );
      assert.ok(before.size > 0 && afterIds.length > 0);
      assert.ok(
        afterIds.some((id) => before.has(id)) || Math.min(...afterIds) === Math.max(...before) + 1,
        'the two connections meet or overlap',
      );
    }
  });
});

describe('BinanceStreams: errors and shutdown', () => {
  it('refuses malformed URLs and stream names before connecting', async (t) => {
    const sim = await simulator(t);
    const bad = (wsUrl: string): unknown =>
      new BinanceStreams({ exchange: 'binance', wsUrl, onFrame: () => undefined });
    for (const url of ['http://127.0.0.1:1', 'not a url', `${sim.wsUrl}/?streams=x`]) {
      assert.throws(
        () => bad(url),
        (e: unknown) =>
          e instanceof BinanceTransportError &&
          e.code === TransportErrorCodes.INVALID_ARGUMENT &&
          e.message.includes('wsUrl'),
      );
    }
    const c = client(t, { wsUrl: sim.wsUrl });
    await assert.rejects(c.streams.subscribe(['BTCUSDT@trade', 'btcusdt']), (e: unknown) => {
      assert.ok(e instanceof BinanceTransportError);
      assert.equal(e.code, TransportErrorCodes.INVALID_ARGUMENT);
      assert.match(e.message, /lowercase \("btcusdt"\)/);
      assert.match(e.message, /"btcusdt" is not <symbol>@<channel>/);
      return true;
    });
    assert.equal(sim.stats().connections.total, 0, 'nothing was sent');
  });

  it('reports streams the exchange refuses: at connect (HTTP 400) and by live SUBSCRIBE', async (t) => {
    const sim = await simulator(t);
    const c = client(t, { wsUrl: sim.wsUrl });
    await assert.rejects(c.streams.subscribe(['dogeusdt@trade']), (e: unknown) => {
      assert.ok(e instanceof BinanceTransportError);
      assert.equal(e.code, TransportErrorCodes.REJECTED);
      assert.equal(e.canRetry, false);
      assert.match(
        e.message,
        /stream\?streams=dogeusdt@trade: Binance refused the connection .*HTTP 400.*invalid stream/,
      );
      return true;
    });
    assert.deepEqual(c.streams.list(), []);

    await c.streams.subscribe(['btcusdt@trade']);
    await assert.rejects(c.streams.subscribe(['dogeusdt@aggTrade']), (e: unknown) => {
      assert.ok(e instanceof BinanceTransportError);
      assert.equal(e.code, TransportErrorCodes.REJECTED);
      assert.match(e.message, /Binance refused SUBSCRIBE dogeusdt@aggTrade: Invalid request: invalid stream/);
      return true;
    });
    assert.deepEqual(c.streams.list(), ['btcusdt@trade']);
    assert.equal(c.streams.connections()[0]?.open, true, 'the connection carries on');
    assert.ok(c.errors.some((e) => e.code === TransportErrorCodes.REJECTED));

    const wrongPath = client(t, { wsUrl: `${sim.wsUrl}/nowhere` });
    await assert.rejects(wrongPath.streams.subscribe(['btcusdt@trade']), /HTTP 404/);
  });

  it('close() sends close frames and resolves once every connection is closed', async (t) => {
    const sim = await simulator(t);
    const c = client(t, { wsUrl: sim.wsUrl, maxStreamsPerConnection: 1 });
    await c.streams.subscribe(['btcusdt@trade', 'ethusdt@trade', 'solusdt@trade']);
    assert.equal(sim.stats().connections.open, 3);
    await c.streams.close();
    const closed = c.markers.filter((m) => m.marker === 'disconnected');
    assert.equal(closed.length, 3);
    assert.ok(closed.every((m) => m.reason === 'closed by client'));
    await until('the simulator to count them closed', () => sim.stats().connections.open === 0, 1000);
    const frames = c.frames.length;
    await sleep(100);
    assert.equal(c.frames.length, frames, 'nothing delivered after close');
    await assert.rejects(
      c.streams.subscribe(['btcusdt@trade']),
      (e: unknown) => e instanceof BinanceTransportError && e.code === TransportErrorCodes.CLOSED,
    );
  });
});
