// The order book on real captures through replay -> md.raw -> parser -> orderbook: Binance tops equal bookTicker, OKX/Kraken checksums, Coinbase never crossed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import { bookDepth, bookTop, queueControl, rawTopics } from '../../src/contracts/index.ts';
import { type BookDelta, type BookTop } from '../../src/contracts/schema/book.ts';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createOrderbook, type OrderbookEvent } from '../../src/services/orderbook/index.ts';
import { replayCaptures } from '../../src/services/replay/index.ts';
import { readCapture } from '../../src/venues/capture/index.ts';
import {
  type Backend,
  backends,
  defer,
  embeddedBackend,
  eventually,
  tempGroup,
} from '../helpers/backends.ts';
import { readToEnd, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 400_000 } as const;
const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');

interface Ticker {
  readonly u: number;
  readonly b: string;
  readonly B: string;
  readonly a: string;
  readonly A: string;
}

/** The capture's bookTickers and the `u` of every depth diff, per symbol: the oracle. */
async function binanceOracle(files: readonly string[]) {
  const tickers = new Map<string, Ticker[]>();
  const diffIds = new Map<string, Set<number>>();
  for (const file of files)
    for await (const f of readCapture(file)) {
      if (f.kind !== 'ws') continue;
      const msg = JSON.parse(f.body) as { stream: string; data: Record<string, unknown> };
      const symbol = msg.data['s'] as string;
      if (msg.stream.endsWith('@bookTicker')) {
        const list = tickers.get(symbol) ?? [];
        list.push(msg.data as unknown as Ticker);
        tickers.set(symbol, list);
      } else if (msg.data['e'] === 'depthUpdate') {
        const ids = diffIds.get(symbol) ?? new Set<number>();
        ids.add(msg.data['u'] as number);
        diffIds.set(symbol, ids);
      }
    }
  return { tickers, diffIds };
}

/** Raw -> parser -> orderbook on topics unique to the test; resolves once the orderbook has read every delta. */
async function pipeline(
  t: TestContext,
  bus: Bus,
  exchange: Exchange,
  files: readonly string[],
  prefix: string,
) {
  const raw = renamed(rawTopics[exchange], `${prefix}-raw`);
  const out = normalizedTopics(prefix);
  const top = renamed(bookTop, `${prefix}-top`);
  const depth = renamed(bookDepth, `${prefix}-depth`);
  const control = renamed(queueControl, `${prefix}-ctl`);
  await tempProductTopics(t, bus, [raw, ...Object.values(out), top, depth, control]);
  await replayCaptures(bus, files, { product: raw });
  const parser = await startParser(t, bus, {
    group: `${prefix}-parser`,
    exchanges: [exchange],
    raw: { [exchange]: raw },
    out,
  });
  const events: OrderbookEvent[] = [];
  const service = createOrderbook({
    name: tempGroup(t, bus, `${prefix}-ob`),
    topics: { bookDelta: out.bookDelta, bookTop: top, bookDepth: depth, control },
    observe: (e) => events.push(e),
  });
  const runner = new ServiceRunner(service, { bus, heartbeatMs: 0, control: false });
  defer(t, () => runner.stop('test over'));
  await runner.start();
  const caughtUp = async (group: string, topic: string) => {
    const admin = bus.admin();
    try {
      const lag = await admin.groupLag(group, [topic]);
      return lag.length > 0 && lag.every((l) => l.lag === 0);
    } finally {
      await admin.close();
    }
  };
  assert.ok(await eventually(() => caughtUp(parser.groupId, raw.topic), 240_000, 250), 'parser caught up');
  assert.ok(
    await eventually(() => caughtUp(service.name, out.bookDelta.topic), 240_000, 250),
    'orderbook caught up',
  );
  const values = async <T>(topic: string) =>
    (await readToEnd(bus, topic)).map((r) => JSON.parse(r.value!.toString()) as T);
  return {
    events,
    deltas: () => values<BookDelta>(out.bookDelta.topic),
    tops: () => values<BookTop>(top.topic),
    depths: () => values<{ symbol: string; bids: [string, string][]; asks: [string, string][] }>(depth.topic),
    control: () => values<Record<string, unknown>>(control.topic),
  };
}

function assertNeverCrossed(tops: readonly BookTop[]): void {
  for (const top of tops)
    if (top.bid && top.ask)
      assert.ok(Number(top.bid[0]) < Number(top.ask[0]), `published crossed: ${JSON.stringify(top)}`);
}

/** Per symbol, the top in effect at each bookTicker `u` that is also a diff's `u`, against that bookTicker. */
async function checkAgainstBookTicker(
  files: readonly string[],
  tops: readonly BookTop[],
  expected: Readonly<Record<string, number>>,
): Promise<void> {
  const { tickers, diffIds } = await binanceOracle(files);
  for (const [symbol, want] of Object.entries(expected)) {
    const mine = tops.filter((x) => x.symbol === symbol);
    assert.ok(mine.length > 1000, `${symbol}: tops published`);
    for (let i = 1; i < mine.length; i++)
      assert.ok(mine[i]!.lastUpdateId! >= mine[i - 1]!.lastUpdateId!, `${symbol}: tops in update order`);
    let checked = 0;
    let j = -1;
    const ids = diffIds.get(symbol)!;
    for (const ticker of tickers.get(symbol)!) {
      if (!ids.has(ticker.u)) continue;
      while (j + 1 < mine.length && mine[j + 1]!.lastUpdateId! <= ticker.u) j++;
      assert.ok(j >= 0, `${symbol}: a top is published by update ${ticker.u}`);
      const top = mine[j]!;
      assert.deepEqual(
        { bid: top.bid, ask: top.ask },
        { bid: [ticker.b, ticker.B], ask: [ticker.a, ticker.A] },
        `${symbol} at u=${ticker.u} (top of update ${top.lastUpdateId})`,
      );
      checked++;
    }
    assert.equal(checked, want, `${symbol}: bookTickers matched`);
  }
}

const BINANCE = ['btcusdt', 'ethusdt'].flatMap((s) =>
  ['20240808', '20240809'].map((d) => path.join(MARKET, `binance-spot-hftbacktest/spot_${s}_${d}.gz`)),
);

function binanceCase(backend: Backend, files: readonly string[], expected: Readonly<Record<string, number>>) {
  it(
    `Binance spot ${Object.keys(expected).join(' + ')}: the top at every diff whose u is a bookTicker's u equals that bookTicker; never crossed; depth throttled`,
    TIMEOUT,
    async (t) => {
      const bus = await backend.open(t);
      const p = await pipeline(t, bus, 'binance', files, 'obc');
      const tops = await p.tops();
      await checkAgainstBookTicker(files, tops, expected);
      assertNeverCrossed(tops);
      const problems = p.events.filter((e) => e.outcome !== 'synced' && e.outcome !== 'stale');
      assert.deepEqual(problems, [], 'no gap, no bad level, no crossed book in a clean capture');
      // Depth: at most one per second of event time per symbol, best first, 20 levels.
      const depths = await p.depths();
      assert.ok(depths.length > 100);
      for (const d of depths) {
        assert.equal(d.bids.length, 20);
        assert.ok(
          Number(d.bids[0]![0]) > Number(d.bids[19]![0]) && Number(d.asks[0]![0]) < Number(d.asks[19]![0]),
        );
      }
    },
  );
}

for (const backend of backends) {
  describe(`orderbook on real captures (${backend.name})`, { skip: backend.skip }, () => {
    if (backend.name === embeddedBackend.name)
      binanceCase(backend, BINANCE, { BTCUSDT: 1072, ETHUSDT: 1056 });
    // Kafka gets one symbol: the same path, half the frames, to keep CI's time.
    else binanceCase(backend, BINANCE.slice(0, 2), { BTCUSDT: 1072 });
  });
}

describe('orderbook on real captures of checksum and sequence-less venues (embedded)', () => {
  it(
    'OKX: every one of the 290 checksums verifies on the rebuilt books; tops never crossed',
    TIMEOUT,
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const p = await pipeline(t, bus, 'okx', [path.join(MARKET, 'cryptofeed/OKX.ws.1.0')], 'obo');
      const deltas = await p.deltas();
      assert.equal(
        deltas.filter((d) => d.checksum !== undefined).length,
        290,
        'the capture holds 290 checksums',
      );
      assert.deepEqual(
        p.events.filter((e) => e.outcome !== 'synced'),
        [],
        'no checksum mismatch, no gap',
      );
      assert.equal(p.events.filter((e) => e.outcome === 'synced').length, 3, 'one snapshot per instrument');
      const tops = await p.tops();
      assert.ok(tops.length > 0);
      assertNeverCrossed(tops);
    },
  );

  it(
    'Kraken: every one of the 4,269 checksums verifies (books cut to the subscribed depth)',
    TIMEOUT,
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const p = await pipeline(t, bus, 'kraken', [path.join(MARKET, 'cryptofeed/KRAKEN.ws.50.0')], 'obk');
      const deltas = await p.deltas();
      assert.equal(deltas.filter((d) => d.checksum !== undefined).length, 4269);
      assert.deepEqual(
        p.events.filter((e) => e.outcome !== 'synced'),
        [],
        'no checksum mismatch',
      );
      assertNeverCrossed(await p.tops());
    },
  );

  it('Coinbase: the rebuilt books are never crossed and every top is published', TIMEOUT, async (t) => {
    const bus = await embeddedBackend.open(t);
    const p = await pipeline(t, bus, 'coinbase', [path.join(MARKET, 'cryptofeed/COINBASE.ws.28.0')], 'obcb');
    assert.deepEqual(
      p.events.filter((e) => e.outcome === 'crossed' || e.outcome === 'bad-level'),
      [],
      'never crossed',
    );
    const tops = await p.tops();
    assert.ok(tops.length > 1000, `tops published: ${tops.length}`);
    assertNeverCrossed(tops);
    assert.deepEqual(await p.control(), [], 'a snapshot was never needed');
  });
});
