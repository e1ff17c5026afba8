// Venue mappers on every real capture: counts, skip reasons, schemas, exact decimal text, aggressor sides, symbols.

import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  bookDelta,
  encode,
  instruments,
  type JsonProduct,
  klines,
  trades,
} from '../../src/contracts/index.ts';
import { type BookDelta } from '../../src/contracts/schema/book.ts';
import { type Exchange, type PriceLevel } from '../../src/contracts/schema/primitives.ts';
import { detectVenue, readCapture, toRawFrame } from '../../src/venues/capture/index.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { type NormalizedEvent, type RawFrame } from '../../src/venues/types.ts';

const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');
const HFT = path.join(MARKET, 'binance-spot-hftbacktest');
const CF = path.join(MARKET, 'cryptofeed');

interface Mapped {
  readonly frame: RawFrame;
  readonly text: string;
  readonly events: readonly NormalizedEvent[];
  readonly skipped: string | undefined;
}

interface CaptureRun {
  readonly venue: Exchange;
  readonly mapped: readonly Mapped[];
  /** Skip reasons with their variable detail (after the first colon) kept, counted. */
  readonly skips: Record<string, number>;
  readonly events: readonly NormalizedEvent[];
}

/** Maps every received frame of the files (one capture), in order; any FrameError fails the test. */
async function run(...files: string[]): Promise<CaptureRun> {
  const mapped: Mapped[] = [];
  const skips: Record<string, number> = {};
  const events: NormalizedEvent[] = [];
  let venue: Exchange | undefined;
  for (const file of files) {
    let seq = 0;
    for await (const f of readCapture(file)) {
      venue ??= detectVenue(file, [f]);
      const frame = toRawFrame(f, venue, path.basename(file), seq++);
      const result = mapperFor(venue).map(frame);
      mapped.push({ frame, text: f.body, events: result.events, skipped: result.skipped });
      if (result.skipped !== undefined) skips[result.skipped] = (skips[result.skipped] ?? 0) + 1;
      for (const e of result.events) events.push(e);
    }
  }
  assert.ok(venue);
  return { venue, mapped, skips, events };
}

type ValueOf<T extends NormalizedEvent['type']> = Extract<NormalizedEvent, { type: T }>['value'];

function ofType<T extends NormalizedEvent['type']>(
  events: readonly NormalizedEvent[],
  type: T,
): ValueOf<T>[] {
  const out: ValueOf<T>[] = [];
  for (const e of events) if (e.type === type) out.push(e.value as ValueOf<T>);
  return out;
}

const products: Record<NormalizedEvent['type'], JsonProduct> = {
  trade: trades as JsonProduct,
  book: bookDelta as JsonProduct,
  kline: klines as JsonProduct,
  instrument: instruments as JsonProduct,
};
const producer = { service: 'parser', instance: 'test' };

/** Every event encodes (validates against its product's current schema, fits the size limit). */
function assertEncodes(events: readonly NormalizedEvent[]): void {
  for (const e of events) encode(products[e.type], e.value, producer);
}

/** Every decimal of every event is text of the frame, byte for byte (as a JSON string). */
function assertExactText(mapped: readonly Mapped[]): void {
  for (const m of mapped) {
    const has = (s: string): void =>
      assert.ok(m.text.includes(`"${s}"`), `${s} not in ${m.text.slice(0, 120)}`);
    const hasLevels = (levels: readonly PriceLevel[]): void => {
      for (const [p, q] of levels) {
        has(p);
        has(q);
      }
    };
    for (const e of m.events) {
      if (e.type === 'trade') {
        has(e.value.price);
        has(e.value.quantity);
      } else if (e.type === 'book') {
        hasLevels(e.value.bids);
        hasLevels(e.value.asks);
      } else if (e.type === 'kline')
        for (const d of [e.value.open, e.value.high, e.value.low, e.value.close]) has(d);
      else for (const d of [e.value.tickSize, e.value.stepSize, e.value.minQuantity]) has(d);
    }
  }
}

/** Events carry the frame's receive time as localTimestamp, and integer ms everywhere. */
function assertTimes(mapped: readonly Mapped[]): void {
  for (const m of mapped)
    for (const e of m.events) {
      assert.equal(e.value.localTimestamp, m.frame.receivedAt);
      assert.ok(
        Number.isSafeInteger(e.value.timestamp) && e.value.timestamp > 1.5e12,
        String(e.value.timestamp),
      );
    }
}

/** symbolOf names the instrument of every frame with events, and names none for control frames. */
function assertSymbolOf(runResult: CaptureRun, noSymbol: (skipped: string) => boolean): void {
  const mapper = mapperFor(runResult.venue);
  for (const m of runResult.mapped) {
    const s = mapper.symbolOf(m.frame);
    if (m.events.length > 0 && m.events[0]!.type !== 'instrument')
      for (const e of m.events) assert.equal(e.value.symbol, s, m.text.slice(0, 100));
    else if (m.skipped !== undefined && noSymbol(m.skipped)) assert.equal(s, null, m.text.slice(0, 100));
  }
}

describe('Binance spot, hftbacktest BTCUSDT (2024-08-08/09, one continuous capture)', () => {
  let r: CaptureRun;
  before(async () => {
    r = await run(path.join(HFT, 'spot_btcusdt_20240808.gz'), path.join(HFT, 'spot_btcusdt_20240809.gz'));
  });

  it('6,495 depth diffs, 1 REST snapshot, 19,904 trades; every bookTicker skipped with its reason', () => {
    const books = ofType(r.events, 'book');
    assert.equal(books.filter((b) => !b.isSnapshot).length, 6_495);
    assert.equal(books.filter((b) => b.isSnapshot).length, 1);
    assert.equal(ofType(r.events, 'trade').length, 19_904);
    const bookTickers = r.mapped.filter((m) => m.text.startsWith('{"stream":"btcusdt@bookTicker"')).length;
    assert.ok(bookTickers > 70_000);
    assert.deepEqual(r.skips, {
      'bookTicker is not normalized: the orderbook service publishes md.book.top': bookTickers,
    });
    assert.equal(r.mapped.length, 6_495 + 1 + 19_904 + bookTickers);
  });

  it('trade ids are contiguous; diffs chain U = previous u + 1; the snapshot has the query symbol', () => {
    const ids = ofType(r.events, 'trade').map((t) => Number(t.tradeId));
    for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1]! + 1);
    const diffs = ofType(r.events, 'book').filter((b) => !b.isSnapshot);
    for (let i = 1; i < diffs.length; i++)
      assert.equal(diffs[i]!.firstUpdateId, diffs[i - 1]!.lastUpdateId! + 1);
    const [snapshot] = ofType(r.events, 'book').filter((b) => b.isSnapshot);
    assert.equal(snapshot!.symbol, 'BTCUSDT');
    assert.equal(snapshot!.timestamp, snapshot!.localTimestamp, 'a spot REST snapshot has no exchange time');
    assert.equal(snapshot!.bids.length, 1000);
    assert.equal(snapshot!.prevLastUpdateId, undefined, 'spot has no pu');
  });

  it('aggressor side: m (buyer is maker) means the taker sold', () => {
    let sells = 0;
    for (const m of r.mapped)
      for (const e of m.events)
        if (e.type === 'trade') {
          const raw = JSON.parse(m.text) as { data: { m: boolean; t: number; T: number } };
          assert.equal(e.value.aggressorSide, raw.data.m ? 'sell' : 'buy');
          assert.equal(e.value.tradeId, String(raw.data.t));
          assert.equal(e.value.timestamp, raw.data.T);
          if (raw.data.m) sells++;
        }
    assert.ok(sells > 1000 && sells < 19_000, 'both sides occur');
  });

  it('the rebuilt book meets the README oracle: its top equals every bookTicker with the same u', () => {
    const bids = new Map<string, string>();
    const asks = new Map<string, string>();
    let synced = false;
    let lastU = 0;
    let checked = 0;
    const apply = (side: Map<string, string>, levels: readonly PriceLevel[]): void => {
      for (const [p, q] of levels)
        if (Number(q) === 0) side.delete(p);
        else side.set(p, q);
    };
    const best = (side: Map<string, string>, sign: number): PriceLevel => {
      let top: string | undefined;
      for (const p of side.keys()) if (top === undefined || sign * (Number(p) - Number(top)) > 0) top = p;
      return [top!, side.get(top!)!];
    };
    // A bookTicker arrives before the 100 ms diff that contains its update: index them by u first.
    type Ticker = { u: number; b: string; B: string; a: string; A: string };
    const tickers = new Map<number, Ticker>();
    for (const m of r.mapped)
      if (m.skipped !== undefined) {
        const t = (JSON.parse(m.text) as { data: Ticker }).data;
        tickers.set(t.u, t);
      }
    // As Binance documents: diffs received before the snapshot are buffered, and every diff
    // with u <= lastUpdateId is dropped, so the first applied spans lastUpdateId + 1.
    const buffered: BookDelta[] = [];
    const step = (b: BookDelta): void => {
      if (b.lastUpdateId! <= lastU) return;
      if (lastU > 0) assert.ok(b.firstUpdateId! <= lastU + 1, 'no gap');
      apply(bids, b.bids);
      apply(asks, b.asks);
      lastU = b.lastUpdateId!;
      const t = tickers.get(lastU);
      if (t) {
        assert.deepEqual(best(bids, 1), [t.b, t.B]);
        assert.deepEqual(best(asks, -1), [t.a, t.A]);
        checked++;
      }
    };
    for (const b of ofType(r.events, 'book')) {
      if (b.isSnapshot) {
        apply(bids, b.bids);
        apply(asks, b.asks);
        lastU = b.lastUpdateId!;
        synced = true;
        for (const d of buffered) step(d);
      } else if (synced) step(b);
      else buffered.push(b);
    }
    assert.equal(checked, 1_072);
  });

  it('every event encodes against its product; decimals are the frame text; times are integer ms', () => {
    assertEncodes(r.events);
    assertExactText(r.mapped);
    assertTimes(r.mapped);
  });

  it('symbolOf reads the stream name (lower-case) as the upper-case symbol, the snapshot from its query', () => {
    assertSymbolOf(r, () => false);
    for (const m of r.mapped.slice(0, 500)) assert.equal(mapperFor('binance').symbolOf(m.frame), 'BTCUSDT');
  });
});

describe('Binance spot, hftbacktest ETHUSDT', () => {
  it('6,470 depth diffs and 14,515 trades map, and encode', async () => {
    const r = await run(
      path.join(HFT, 'spot_ethusdt_20240808.gz'),
      path.join(HFT, 'spot_ethusdt_20240809.gz'),
    );
    const books = ofType(r.events, 'book');
    assert.equal(books.filter((b) => !b.isSnapshot).length, 6_470);
    assert.equal(ofType(r.events, 'trade').length, 14_515);
    assert.deepEqual(Object.keys(r.skips), [
      'bookTicker is not normalized: the orderbook service publishes md.book.top',
    ]);
    assertEncodes(r.events);
    assertSymbolOf(r, () => false);
  });
});

describe('Binance spot, cryptofeed (4 symbols: depth, bookTicker, kline_1m, aggTrade; REST snapshots)', () => {
  it('maps diffs, aggregate trades with agg- ids, open klines; skips bookTicker', async () => {
    const r = await run(path.join(CF, 'BINANCE.ws.1.0'));
    assert.equal(ofType(r.events, 'book').length, 177);
    assert.deepEqual(r.skips, {
      'bookTicker is not normalized: the orderbook service publishes md.book.top': 84,
    });
    const aggs = ofType(r.events, 'trade');
    assert.deepEqual(
      aggs.map((t) => [t.symbol, t.tradeId, t.aggressorSide]),
      [
        ['NKNUSDT', 'agg-15683430', 'buy'],
        ['LRCBTC', 'agg-9213679', 'buy'],
      ],
    );
    const k = ofType(r.events, 'kline');
    assert.equal(k.length, 2);
    assert.deepEqual(k[0], {
      exchange: 'binance',
      symbol: 'NKNUSDT',
      timestamp: 1633998523963,
      localTimestamp: k[0]!.localTimestamp,
      interval: '1m',
      openTime: 1633998480000,
      closeTime: 1633998539999,
      open: '0.35270000',
      high: '0.35280000',
      low: '0.35220000',
      close: '0.35280000',
      volume: '25877.00000000',
      quoteVolume: '9116.04600000',
      trades: 30,
      takerBuyVolume: '58.00000000',
      takerBuyQuoteVolume: '20.46240000',
      firstTradeId: 19862761,
      lastTradeId: 19862790,
      isClosed: false,
    });
    assertEncodes(r.events);
    assertExactText(r.mapped);
    assertTimes(r.mapped);
    assertSymbolOf(r, () => false);
  });

  it('REST depth snapshots: one book per body, symbol from the query, the diffs join on', async () => {
    const rest = await run(path.join(CF, 'BINANCE.http.0.0'));
    const snaps = ofType(rest.events, 'book');
    assert.deepEqual(
      snaps.map((s) => [s.symbol, s.isSnapshot, s.lastUpdateId, s.bids.length, s.asks.length]),
      [
        ['NKNUSDT', true, 499869752, 609, 1000],
        ['BLZETH', true, 281916627, 174, 1000],
        ['LRCBTC', true, 259345543, 176, 1000],
        ['RUNEEUR', true, 15602511, 221, 468],
      ],
    );
    const ws = await run(path.join(CF, 'BINANCE.ws.1.0'));
    const diffs = ofType(ws.events, 'book');
    for (const s of snaps) {
      const joins = diffs.filter(
        (d) =>
          d.symbol === s.symbol &&
          d.firstUpdateId! <= s.lastUpdateId! + 1 &&
          d.lastUpdateId! >= s.lastUpdateId! + 1,
      );
      assert.equal(joins.length, 1, `${s.symbol}: one diff spans lastUpdateId + 1`);
    }
    assertEncodes(rest.events);
    assertExactText(rest.mapped);
  });
});

describe('OKX v5 (books for 3 instruments, trades, tickers)', () => {
  let r: CaptureRun;
  before(async () => {
    r = await run(path.join(CF, 'OKX.ws.1.0'));
  });

  it('290 checksummed book messages (3 snapshots), trades, skipped events and tickers', () => {
    const books = ofType(r.events, 'book');
    assert.equal(books.length, 290);
    assert.equal(books.filter((b) => b.isSnapshot).length, 3);
    assert.ok(books.every((b) => typeof b.checksum === 'number'));
    assert.ok(
      books.every((b) => b.lastUpdateId === undefined),
      'the 2022 capture predates seqId',
    );
    const tradeFrames = r.mapped.filter((m) => m.text.startsWith('{"arg":{"channel":"trades"'));
    assert.equal(tradeFrames.length, 74);
    assert.equal(
      ofType(r.events, 'trade').length,
      tradeFrames.reduce((n, m) => n + (JSON.parse(m.text) as { data: unknown[] }).data.length, 0),
    );
    assert.deepEqual(r.skips, { 'event: subscribe': 18, 'channel not normalized: tickers': 28 });
  });

  it('levels drop OKX extra fields; the side is the taker side as sent; ids are OKX text', () => {
    const first = r.mapped.find((m) => m.text.includes('"action":"snapshot"'))!;
    const raw = JSON.parse(first.text) as { data: [{ asks: string[][] }] };
    const book = first.events[0]!.value as { asks: PriceLevel[] };
    assert.deepEqual(
      book.asks,
      raw.data[0].asks.map((l) => [l[0], l[1]]),
    );
    for (const m of r.mapped)
      for (const e of m.events)
        if (e.type === 'trade') {
          const t = (JSON.parse(m.text) as { data: { tradeId: string; side: string }[] }).data.find(
            (d) => d.tradeId === e.value.tradeId,
          );
          assert.equal(e.value.aggressorSide, t!.side);
        }
    assertEncodes(r.events);
    assertExactText(r.mapped);
    assertTimes(r.mapped);
    assertSymbolOf(r, (reason) => reason.startsWith('event'));
  });
});

describe('Kraken v1', () => {
  it('book-1000: 10 snapshots and 4,269 checksummed updates; events skipped', async () => {
    const r = await run(path.join(CF, 'KRAKEN.ws.50.0'));
    const books = ofType(r.events, 'book');
    assert.equal(books.filter((b) => b.isSnapshot).length, 10);
    const updates = books.filter((b) => !b.isSnapshot);
    assert.equal(updates.length, 4_269);
    assert.ok(updates.every((b) => typeof b.checksum === 'number' && b.checksum >= 0));
    assert.ok(books.every((b) => b.firstUpdateId === undefined && b.lastUpdateId === undefined));
    assert.deepEqual(r.skips, {
      'event: systemStatus': 1,
      'event: subscriptionStatus': 10,
      'event: heartbeat': 31,
    });
    // The update split over two objects keeps both sides and takes the checksum of the second.
    const split = r.mapped.find((m) => m.text.startsWith('[1920,{"a":[["0.042990","364630.28272081"'))!;
    assert.deepEqual(split.events[0]!.value, {
      exchange: 'kraken',
      symbol: 'SC/EUR',
      timestamp: 1618678145920,
      localTimestamp: split.frame.receivedAt,
      isSnapshot: false,
      bids: [['0.042990', '0.00000000']],
      asks: [['0.042990', '364630.28272081']],
      checksum: 4105471083,
    });
    assertEncodes(r.events);
    assertExactText(r.mapped);
    assertTimes(r.mapped);
    assertSymbolOf(r, () => true);
  });

  it('trade: one trade per entry, b/s is the taker side, no trade id; ticker is skipped', async () => {
    const r = await run(path.join(CF, 'KRAKEN.ws.48.0'));
    const t = ofType(r.events, 'trade');
    assert.equal(t.length, 10);
    assert.deepEqual(t[0], {
      exchange: 'kraken',
      symbol: 'XMR/USD',
      timestamp: 1618678142557,
      localTimestamp: t[0]!.localTimestamp,
      price: '354.11000000',
      quantity: '0.89594024',
      aggressorSide: 'sell',
    });
    assert.equal(t[1]!.aggressorSide, 'buy');
    assert.deepEqual(r.skips, {
      'event: systemStatus': 1,
      'event: subscriptionStatus': 10,
      'event: heartbeat': 30,
    });
    assertEncodes(r.events);
    assertSymbolOf(r, () => true);
    const ticker = await run(path.join(CF, 'KRAKEN.ws.49.0'));
    assert.equal(ticker.events.length, 0);
    assert.equal(ticker.skips['channel not normalized: ticker'], 18);
  });
});

describe('Coinbase (legacy level2, matches, ticker; /products)', () => {
  let r: CaptureRun;
  before(async () => {
    r = await run(path.join(CF, 'COINBASE.ws.28.0'));
  });

  it('10 snapshots, 9,719 updates, 107 trades; subscriptions and ticker skipped', () => {
    const books = ofType(r.events, 'book');
    assert.equal(books.filter((b) => b.isSnapshot).length, 10);
    assert.equal(books.filter((b) => !b.isSnapshot).length, 9_719);
    assert.equal(ofType(r.events, 'trade').length, 97 + 10);
    assert.deepEqual(r.skips, {
      'message type not normalized: subscriptions': 3,
      'message type not normalized: ticker': 107,
    });
  });

  it('the aggressor is the opposite of Coinbase side (the maker side); ids and sequence kept', () => {
    for (const m of r.mapped)
      for (const e of m.events)
        if (e.type === 'trade') {
          const raw = JSON.parse(m.text) as { side: string; trade_id: number; sequence: number };
          assert.equal(e.value.aggressorSide, raw.side === 'sell' ? 'buy' : 'sell');
          assert.equal(e.value.tradeId, String(raw.trade_id));
          assert.equal(e.value.sequence, raw.sequence);
        }
    const first = ofType(r.events, 'trade').find((t) => t.tradeId === '280232')!;
    assert.equal(first.aggressorSide, 'buy', 'side "sell" in the frame: a buyer hit a resting sell');
    assert.equal(first.timestamp, Date.UTC(2021, 3, 17, 16, 43, 37, 89));
  });

  it('the rebuilt books are never crossed (README oracle)', () => {
    const books = new Map<string, { bids: Map<string, string>; asks: Map<string, string> }>();
    let checked = 0;
    for (const b of ofType(r.events, 'book')) {
      if (b.isSnapshot) books.set(b.symbol, { bids: new Map(b.bids), asks: new Map(b.asks) });
      const book = books.get(b.symbol)!;
      if (!b.isSnapshot) {
        for (const [p, q] of b.bids)
          if (Number(q) === 0) book.bids.delete(p);
          else book.bids.set(p, q);
        for (const [p, q] of b.asks)
          if (Number(q) === 0) book.asks.delete(p);
          else book.asks.set(p, q);
      }
      const bid = Math.max(...[...book.bids.keys()].map(Number));
      const ask = Math.min(...[...book.asks.keys()].map(Number));
      assert.ok(bid < ask, `${b.symbol} crossed: ${bid} >= ${ask}`);
      checked++;
    }
    assert.equal(checked, 9_729);
  });

  it('every event encodes; exact text; times; symbols', () => {
    assertEncodes(r.events);
    assertExactText(r.mapped);
    assertTimes(r.mapped);
    assertSymbolOf(r, (reason) => reason.endsWith('subscriptions'));
  });

  it('/products: one instrument per product; BTC-GBP equals the md.instruments catalog example', async () => {
    const p = await run(path.join(CF, 'COINBASE.0'));
    const list = ofType(p.events, 'instrument');
    assert.equal(list.length, 162);
    assert.deepEqual(
      list.find((i) => i.symbol === 'BTC-GBP'),
      instruments.value.example,
    );
    assert.equal(list.filter((i) => i.status === 'trading').length, 162);
    assertEncodes(p.events);
    assertExactText(p.mapped);
    assert.equal(
      mapperFor('coinbase').symbolOf(p.mapped[0]!.frame),
      null,
      'a list is about no single instrument',
    );
  });
});
