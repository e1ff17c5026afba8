// OkxFeed against the local OKX capture server: exact frames, checksummed books, keepalive, reconnects, refused instIds.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type BookDelta } from '../../src/contracts/schema/book.ts';
import { type PriceLevel } from '../../src/contracts/schema/primitives.ts';
import { readCapture } from '../../src/venues/capture/index.ts';
import { type FeedFrame } from '../../src/venues/feed.ts';
import { type OkxCaptureServerOptions, startOkxCaptureServer } from '../../src/venues/okx/capture-server.ts';
import { okxChecksum } from '../../src/venues/okx/checksum.ts';
import { OkxFeed, OkxFeedError, OkxFeedErrorCodes, type OkxFeedOptions } from '../../src/venues/okx/feed.ts';
import { OkxMapper } from '../../src/venues/okx/mapper.ts';
import { type ConnectionMarker, FrameKinds } from '../../src/venues/types.ts';

const CAPTURE = path.resolve(import.meta.dirname, '../../../shared/data/market/cryptofeed/OKX.ws.1.0');
const INSTRUMENTS = ['BTC-USD-220527', 'UNI-USD-SWAP', 'BTC-USDT'] as const;

async function server(t: TestContext, options: Partial<OkxCaptureServerOptions> = {}) {
  const s = await startOkxCaptureServer({ port: 0, capture: CAPTURE, ...options });
  t.after(() => s.close());
  return s;
}

interface Client {
  readonly feed: OkxFeed;
  readonly frames: FeedFrame[];
  readonly markers: ConnectionMarker[];
  readonly errors: Error[];
}

function client(t: TestContext, options: Partial<OkxFeedOptions> & { wsUrl: string }): Client {
  const frames: FeedFrame[] = [];
  const markers: ConnectionMarker[] = [];
  const errors: Error[] = [];
  const feed = new OkxFeed({
    backoff: { initialMs: 20, maxMs: 100 },
    onFrame: (f) => frames.push(f),
    onMarker: (m) => markers.push(m),
    onError: (e) => errors.push(e),
    ...options,
  });
  t.after(() => feed.close());
  return { feed, frames, markers, errors };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The capture's pushes (not acks) on these channels (and instruments), in file order, as text. */
async function recordedPushes(
  channels: readonly string[],
  instIds: readonly string[] = INSTRUMENTS,
): Promise<string[]> {
  const out: string[] = [];
  for await (const f of readCapture(CAPTURE)) {
    const arg = /^\{"arg":\{"channel":"([^"]+)","instId":"([^"]+)"/.exec(f.body);
    if (arg && channels.includes(arg[1]!) && instIds.includes(arg[2]!)) out.push(f.body);
  }
  return out;
}

const isPush = (f: FeedFrame): boolean => f.body.subarray(0, 6).toString() === '{"arg"';

/** Price -> size text per side; the text is kept exactly as received, since the checksum hashes it. */
class Book {
  readonly bids = new Map<string, string>();
  readonly asks = new Map<string, string>();

  apply(delta: BookDelta): void {
    if (delta.isSnapshot) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [side, levels] of [
      [this.bids, delta.bids],
      [this.asks, delta.asks],
    ] as const) {
      for (const [p, q] of levels) {
        if (Number(q) === 0) side.delete(p);
        else side.set(p, q);
      }
    }
  }

  side(which: 'bids' | 'asks'): PriceLevel[] {
    const sign = which === 'bids' ? -1 : 1;
    return [...this[which]].sort((a, b) => sign * (Number(a[0]) - Number(b[0])));
  }
}

describe('OkxFeed against the OKX capture server', () => {
  it('delivers the capture frames of books + trades for 3 instruments byte for byte, in order, and every book checksum verifies', async (t) => {
    const s = await server(t);
    const c = client(t, { wsUrl: s.wsUrl });
    await c.feed.subscribe(INSTRUMENTS, ['book', 'trades']);
    const expected = await recordedPushes(['books', 'trades']);
    await until('every recorded push', () => c.frames.filter(isPush).length >= expected.length);

    // One connection, sequence numbers 0..n-1 in receive order, answers included.
    assert.deepEqual(new Set(c.frames.map((f) => f.connectionId)).size, 1);
    assert.deepEqual(
      c.frames.map((f) => f.connectionSeq),
      c.frames.map((_, i) => i),
    );
    assert.ok(c.frames.every((f) => f.url === s.wsUrl && Number.isInteger(f.receivedAt)));
    const acks = c.frames.filter((f) => f.body.toString().startsWith('{"event":"subscribe"'));
    assert.equal(acks.length, 6);

    const pushes = c.frames.filter(isPush);
    assert.equal(pushes.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      assert.ok(
        pushes[i]!.body.equals(Buffer.from(expected[i]!, 'utf8')),
        `push ${i} differs from the capture`,
      );
    }

    // The frames as the loader would record them, through the OKX mapper, rebuild books whose checksums all match.
    const mapper = new OkxMapper();
    const books = new Map<string, Book>();
    let verified = 0;
    let trades = 0;
    for (const f of c.frames) {
      const result = mapper.map({
        exchange: 'okx',
        kind: FrameKinds.WS,
        source: f.url,
        receivedAt: f.receivedAt,
        connectionId: f.connectionId,
        connectionSeq: f.connectionSeq,
        body: f.body,
      });
      for (const e of result.events) {
        if (e.type === 'trade') trades++;
        if (e.type !== 'book') continue;
        const book = books.get(e.value.symbol) ?? new Book();
        books.set(e.value.symbol, book);
        book.apply(e.value);
        assert.equal(e.value.localTimestamp, f.receivedAt);
        if (e.value.checksum === undefined) continue;
        assert.equal(
          okxChecksum(book.side('bids'), book.side('asks')),
          e.value.checksum,
          `checksum of push ${f.connectionSeq}`,
        );
        verified++;
      }
    }
    assert.equal(verified, 290);
    assert.deepEqual([...books.keys()].sort(), [...INSTRUMENTS].sort());
    const recordedTrades = expected
      .filter((body) => body.startsWith('{"arg":{"channel":"trades"'))
      .reduce((n, body) => n + (JSON.parse(body) as { data: unknown[] }).data.length, 0);
    assert.equal(trades, recordedTrades);
  });

  it('keeps an idle connection up with text ping/pong, where the server would otherwise close it', async (t) => {
    const s = await server(t, { idleTimeoutMs: 300 });
    const c = client(t, { wsUrl: s.wsUrl, pingIntervalMs: 60 });
    await c.feed.subscribe(['UNI-USD-SWAP'], ['trades']);
    await sleep(1200);
    const pongs = c.frames.filter((f) => f.body.toString() === 'pong');
    assert.ok(pongs.length >= 5, `pongs: ${pongs.length}`);
    assert.deepEqual(
      c.markers.filter((m) => m.marker === 'disconnected'),
      [],
    );
    assert.equal(new Set(c.frames.map((f) => f.connectionId)).size, 1);

    // Control: without a ping inside the server's idle limit the connection is closed, then replaced.
    const quiet = client(t, { wsUrl: s.wsUrl, pingIntervalMs: 10_000 });
    await quiet.feed.subscribe(['UNI-USD-SWAP'], ['trades']);
    await until('the idle close', () => quiet.markers.some((m) => m.marker === 'disconnected'), 3000);
    assert.match(quiet.markers.find((m) => m.marker === 'disconnected')!.reason ?? '', /4000|idle/);
  });

  it('reconnects a dropped connection, resubscribes every channel and records it in markers', async (t) => {
    const s = await server(t, { speed: 20 });
    const c = client(t, { wsUrl: s.wsUrl });
    await c.feed.subscribe(INSTRUMENTS, ['book', 'trades']);
    await until('some pushes', () => c.frames.filter(isPush).length >= 5);
    const first = c.frames[0]!.connectionId;
    assert.equal(s.dropConnections(), 1);

    await until('the takeover', () =>
      c.markers.some((m) => m.marker === 'resubscribed' && m.connectionId !== first),
    );
    assert.deepEqual(
      c.markers.map((m) => m.marker),
      ['connected', 'resubscribed', 'disconnected', 'connected', 'resubscribed'],
    );
    const [, subscribed, disconnected, connected, takeover] = c.markers;
    assert.equal(subscribed!.streams.length, 6);
    assert.equal(disconnected!.connectionId, first);
    assert.match(disconnected!.reason ?? '', /closed by the server or network/);
    const second = connected!.connectionId;
    assert.notEqual(second, first);
    assert.deepEqual([...takeover!.streams].sort(), [...subscribed!.streams].sort());
    assert.match(
      takeover!.reason ?? '',
      new RegExp(`took over 6 channel\\(s\\) from ${first}: reconnect after`),
    );

    // The new connection numbers its frames from 0 and starts every book again from a snapshot.
    await until('a snapshot per instrument on the new connection', () => {
      const snaps = c.frames.filter(
        (f) => f.connectionId === second && f.body.includes('"action":"snapshot"'),
      );
      return snaps.length === 3;
    });
    const again = c.frames.filter((f) => f.connectionId === second);
    assert.deepEqual(
      again.map((f) => f.connectionSeq),
      again.map((_, i) => i),
    );
  });

  it('surfaces an unknown instId as a rejected subscription with the OKX code, keeps the rest running', async (t) => {
    const s = await server(t);
    const c = client(t, { wsUrl: s.wsUrl });
    await assert.rejects(c.feed.subscribe(['BTC-USDT', 'NOPE-USDT'], ['trades']), (e: unknown) => {
      assert.ok(e instanceof OkxFeedError);
      assert.equal(e.code, OkxFeedErrorCodes.REJECTED);
      assert.equal(e.okxCode, '60018');
      assert.deepEqual(e.args, ['trades:NOPE-USDT']);
      return true;
    });
    assert.equal(c.errors.length, 1);
    assert.equal((c.errors[0] as OkxFeedError).okxCode, '60018');
    assert.deepEqual(c.feed.subscriptions, ['trades:BTC-USDT']);
    const btcTrades = await recordedPushes(['trades'], ['BTC-USDT']);
    await until('BTC-USDT trades', () => c.frames.filter(isPush).length === btcTrades.length);
    assert.ok(c.frames.some((f) => f.body.toString().startsWith('{"event":"error","code":"60018"')));
    assert.deepEqual(
      c.markers.filter((m) => m.marker === 'disconnected'),
      [],
    );

    // Malformed ids and unknown channels never reach OKX.
    await assert.rejects(c.feed.subscribe(['btc-usdt'], ['trades']), {
      code: OkxFeedErrorCodes.INVALID_ARGUMENT,
    });
    await assert.rejects(c.feed.subscribe(['BTC-USDT'], ['ticks' as 'trades']), {
      code: OkxFeedErrorCodes.INVALID_ARGUMENT,
    });
  });

  it('unsubscribes: the server stops the pair and the connection closes once nothing is left', async (t) => {
    const s = await server(t, { speed: 5 });
    const c = client(t, { wsUrl: s.wsUrl });
    await c.feed.subscribe(['BTC-USDT'], ['book', 'trades']);
    await c.feed.unsubscribe(['BTC-USDT'], ['trades']);
    assert.deepEqual(c.feed.subscriptions, ['books:BTC-USDT']);
    const changed = c.markers.filter((m) => m.marker === 'resubscribed').at(-1)!;
    assert.deepEqual(changed.streams, ['books:BTC-USDT']);
    assert.match(changed.reason ?? '', /^unsubscribe trades:BTC-USDT/);
    await c.feed.unsubscribe(['BTC-USDT'], ['book']);
    await until('the connection to close', () => s.connections === 0);
    assert.equal(c.markers.at(-1)!.marker, 'disconnected');
  });

  it('drops a connection whose pong never comes and reconnects; an OKX notice (64008) reconnects at once', async (t) => {
    // A server that acks subscriptions but ignores `ping`, and on request announces a service upgrade.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    // ws 8's close() waits for open connections to end; cut them, or cleanup waits for the clients' keepalive.
    t.after(() => {
      for (const socket of wss.clients) socket.terminate();
      return new Promise((resolve) => wss.close(resolve));
    });
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => {
      sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text === 'ping') return;
        const { args } = JSON.parse(text) as { args: unknown[] };
        for (const arg of args) ws.send(JSON.stringify({ event: 'subscribe', arg, connId: 'c0ffee00' }));
      });
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/v5/public`;
    const c = client(t, { wsUrl: url, pingIntervalMs: 50, pongTimeoutMs: 100 });
    await c.feed.subscribe(['BTC-USDT'], ['trades']);
    await until('the keepalive timeout', () => c.markers.some((m) => m.marker === 'disconnected'), 3000);
    assert.match(
      c.markers.find((m) => m.marker === 'disconnected')!.reason ?? '',
      /keepalive: no pong within 100 ms/,
    );
    assert.ok(c.errors.some((e) => e instanceof OkxFeedError && e.code === OkxFeedErrorCodes.TIMEOUT));
    await until(
      'the resubscription',
      () => c.markers.filter((m) => m.marker === 'resubscribed').length === 2,
    );

    const quiet = client(t, { wsUrl: url, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await quiet.feed.subscribe(['BTC-USDT'], ['book']);
    const before = quiet.markers.length;
    sockets
      .at(-1)!
      .send(
        '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"c0ffee00"}',
      );
    // With a 60 s backoff, only the notice path (no backoff) can bring the pair back within the wait.
    await until(
      'the reconnect after the notice',
      () => quiet.markers.slice(before).some((m) => m.marker === 'resubscribed'),
      3000,
    );
    assert.deepEqual(
      quiet.markers.slice(before).map((m) => m.marker),
      ['disconnected', 'connected', 'resubscribed'],
    );
    assert.match(quiet.markers[before]!.reason ?? '', /64008/);
  });
});
