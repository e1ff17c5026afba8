// The order book engine without a bus: exact price keys, level updates, venue sequencing, checksums, resync, state round trip.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type BookDelta } from '../../src/contracts/schema/book.ts';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { OrderBook } from '../../src/services/orderbook/book.ts';
import { InstrumentBook, Outcomes } from '../../src/services/orderbook/instrument.ts';
import { fractionDigits, isZeroText, scaledInteger } from '../../src/services/orderbook/price.ts';
import { SequenceRules, verdict, Verdicts } from '../../src/services/orderbook/sequence.ts';
import { createOrderbook } from '../../src/services/orderbook/index.ts';
import { captureEvents } from '../../src/venues/capture/events.ts';

const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');
const SETTINGS = { maxBuffered: 100, requestAfter: 3, retryAfter: 10 } as const;

const captured = new Map<string, Promise<{ exchange: Exchange; deltas: BookDelta[] }>>();

/** The book deltas the venue's mapper makes of a capture (read once per file). */
function captureDeltas(name: string): Promise<{ exchange: Exchange; deltas: BookDelta[] }> {
  let deltas = captured.get(name);
  if (!deltas) captured.set(name, (deltas = readDeltas(name)));
  return deltas;
}

async function readDeltas(name: string): Promise<{ exchange: Exchange; deltas: BookDelta[] }> {
  const { exchange, events } = await captureEvents(path.join(MARKET, name));
  return { exchange, deltas: events.flatMap((e) => (e.type === 'book' ? [e.value] : [])) };
}

function delta(fields: Partial<BookDelta>): BookDelta {
  return {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: 1,
    localTimestamp: 1,
    isSnapshot: false,
    bids: [],
    asks: [],
    ...fields,
  };
}

describe('order book prices', () => {
  it('scales decimal text to exact integers, ignoring trailing zeros, refusing what does not fit', () => {
    assert.equal(scaledInteger('61837.63000000', 2), 6183763);
    assert.equal(scaledInteger('61837.6', 2), 6183760);
    assert.equal(scaledInteger('12', 3), 12000);
    assert.ok(Number.isNaN(scaledInteger('61837.635', 2)), 'a digit beyond the scale');
    assert.ok(Number.isNaN(scaledInteger('1e5', 0)));
    assert.ok(Number.isNaN(scaledInteger('99999999999999999', 0)), 'beyond 2^53');
    assert.equal(fractionDigits('61837.63000000'), 2);
    assert.equal(fractionDigits('99999997.00000000'), 0);
    assert.equal(fractionDigits('0.00010000'), 4);
    assert.equal(fractionDigits('1.2.3'), -1);
    assert.ok(isZeroText('0.00000000') && isZeroText('0') && !isZeroText('0.00000001'));
  });

  it('keeps levels sorted best first, removes on quantity 0, widens its scale for finer prices', () => {
    const book = new OrderBook();
    book.apply(
      [
        ['100.5', '1'],
        ['101', '2'],
        ['99.25', '3'],
      ],
      book.bids,
    );
    book.apply(
      [
        ['102', '1'],
        ['101.75', '4'],
      ],
      book.asks,
    );
    assert.deepEqual(book.bids.levels(5), [
      ['101', '2'],
      ['100.5', '1'],
      ['99.25', '3'],
    ]);
    assert.deepEqual(book.asks.levels(5), [
      ['101.75', '4'],
      ['102', '1'],
    ]);
    book.apply([['101.125', '7']], book.bids);
    assert.equal(book.scale, 3);
    assert.deepEqual(book.bids.levels(2), [
      ['101.125', '7'],
      ['101', '2'],
    ]);
    book.apply([['101.125', '0.000']], book.bids);
    assert.deepEqual(book.bids.levels(1), [['101', '2']]);
    assert.ok(!book.isCrossed());
    book.apply([['101.75', '1']], book.bids);
    assert.ok(book.isCrossed(), 'bid >= ask is crossed');
  });

  for (const [what, spread, isBid] of [
    ['bids near the top', 10_000, true],
    ['asks near the top', 10_000, false],
    ['bids over a range far wider than the ladder, the best moving through and beyond it', 5_000_000, true],
    ['asks over a range far wider than the ladder', 5_000_000, false],
  ] as const) {
    it(`matches a plain sorted model over 200,000 random updates: ${what}`, () => {
      const book = new OrderBook();
      const side = isBid ? book.bids : book.asks;
      const model = new Map<number, string>();
      let seed = 42;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      // A drifting mid, so that the best level moves (up and down) through and beyond the ladder.
      let mid = spread / 2;
      for (let i = 0; i < 200_000; i++) {
        if (i % 1000 === 0) mid = Math.max(100, Math.min(spread - 100, mid + (rnd() - 0.5) * spread * 0.2));
        const ticks = Math.floor(rnd() < 0.8 ? mid + (rnd() - 0.5) * 200 : rnd() * spread);
        const price = (ticks / 100).toFixed(2);
        const qty = rnd() < 0.4 ? '0.00000000' : (rnd() * 5 + 0.001).toFixed(8);
        book.apply([[price, qty]], side);
        if (Number(qty) === 0) model.delete(ticks);
        else model.set(ticks, qty);
        if (i % 20_000 === 0) {
          const best = [...model.keys()].reduce(
            (a, b) => (isBid ? Math.max(a, b) : Math.min(a, b)),
            isBid ? -1 : 1e12,
          );
          assert.deepEqual(
            side.levels(1).map((l) => l[0]),
            model.size === 0 ? [] : [(best / 100).toFixed(2)],
            `best level after ${i} updates`,
          );
        }
      }
      const expected = [...model.entries()]
        .sort((a, b) => (isBid ? b[0] - a[0] : a[0] - b[0]))
        .map(([t, q]) => [(t / 100).toFixed(2), q]);
      assert.equal(side.size, model.size);
      assert.deepEqual(side.levels(model.size), expected);
      assert.deepEqual(side.levels(25), expected.slice(0, 25));
      side.truncate(300);
      assert.deepEqual(side.levels(1000), expected.slice(0, 300), 'truncated to the best 300');
    });
  }
});

describe('order book ladder', () => {
  it('brings far levels up when the levels near the top are all taken, bids and asks', () => {
    for (const isBid of [true, false]) {
      const book = new OrderBook();
      const side = isBid ? book.bids : book.asks;
      // 200 levels $10 apart: far more price range than the ladder spans.
      const prices = Array.from({ length: 200 }, (_, i) => (10_000 + i * 10).toFixed(2));
      book.apply(
        prices.map((p) => [p, '1.00000000'] as [string, string]),
        side,
      );
      const bestFirst = isBid ? [...prices].reverse() : [...prices];
      for (let i = 0; i < bestFirst.length; i++) {
        assert.equal(side.levels(1)[0]![0], bestFirst[i], `best after ${i} removals`);
        assert.equal(side.size, bestFirst.length - i);
        book.apply([[bestFirst[i]!, '0']], side);
      }
      assert.equal(side.size, 0);
      assert.deepEqual(side.levels(5), []);
      // A better price than anything before places the ladder again.
      book.apply([['50000.00', '2']], side);
      assert.deepEqual(side.levels(5), [['50000.00', '2']]);
    }
  });
});

describe('venue sequencing rules', () => {
  it('Binance spot: drops u <= lastUpdateId, the first event spans lastUpdateId + 1, then U == previous u + 1', () => {
    const r = SequenceRules.BINANCE_SPOT;
    assert.equal(verdict(r, delta({ firstUpdateId: 90, lastUpdateId: 100 }), 100, true), Verdicts.STALE);
    assert.equal(verdict(r, delta({ firstUpdateId: 95, lastUpdateId: 105 }), 100, true), Verdicts.APPLY);
    assert.equal(verdict(r, delta({ firstUpdateId: 102, lastUpdateId: 105 }), 100, true), Verdicts.GAP);
    assert.equal(verdict(r, delta({ firstUpdateId: 106, lastUpdateId: 110 }), 105, false), Verdicts.APPLY);
    assert.equal(verdict(r, delta({ firstUpdateId: 107, lastUpdateId: 110 }), 105, false), Verdicts.GAP);
    assert.equal(verdict(r, delta({ lastUpdateId: 110 }), 105, false), Verdicts.GAP, 'ids missing');
  });

  it('Binance futures: the first event spans lastUpdateId, then pu == previous u', () => {
    const r = SequenceRules.BINANCE_FUTURES;
    assert.equal(verdict(r, delta({ firstUpdateId: 90, lastUpdateId: 99 }), 100, true), Verdicts.STALE);
    assert.equal(verdict(r, delta({ firstUpdateId: 95, lastUpdateId: 105 }), 100, true), Verdicts.APPLY);
    assert.equal(verdict(r, delta({ firstUpdateId: 101, lastUpdateId: 105 }), 100, true), Verdicts.GAP);
    const next = { firstUpdateId: 120, lastUpdateId: 130 };
    assert.equal(verdict(r, delta({ ...next, prevLastUpdateId: 105 }), 105, false), Verdicts.APPLY);
    assert.equal(verdict(r, delta({ ...next, prevLastUpdateId: 110 }), 105, false), Verdicts.GAP);
  });

  it('OKX: prevSeqId must be the last seqId', () => {
    const r = SequenceRules.PREVIOUS_ID;
    assert.equal(verdict(r, delta({ prevLastUpdateId: 7, lastUpdateId: 9 }), 7, false), Verdicts.APPLY);
    assert.equal(verdict(r, delta({ prevLastUpdateId: 9, lastUpdateId: 9 }), 9, false), Verdicts.APPLY);
    assert.equal(verdict(r, delta({ prevLastUpdateId: 8, lastUpdateId: 9 }), 7, false), Verdicts.GAP);
    assert.equal(verdict(r, delta({ prevLastUpdateId: 5, lastUpdateId: 6 }), 7, false), Verdicts.STALE);
  });
});

describe('instrument books over real captures', () => {
  it('Binance: buffers until the snapshot, then a gap loses the book, asks for a snapshot and resyncs from it', async () => {
    const { exchange, deltas } = await captureDeltas('binance-spot-hftbacktest/spot_btcusdt_20240808.gz');
    const book = new InstrumentBook(exchange, SETTINGS);
    const snapshotAt = deltas.findIndex((d) => d.isSnapshot);
    assert.ok(snapshotAt > 0, 'the capture has diffs before its snapshot');
    const outcomes = deltas.slice(0, snapshotAt + 1).map((d) => book.onDelta(d));
    assert.ok(outcomes.slice(0, snapshotAt).every((o) => o === Outcomes.BUFFERED));
    assert.equal(outcomes[snapshotAt], Outcomes.SYNCED);
    assert.ok(book.valid);
    const rest = deltas.slice(snapshotAt + 1);
    for (const d of rest.slice(0, 100)) assert.equal(book.onDelta(d), Outcomes.APPLIED);
    // Lose one diff: the next one leaves a gap.
    assert.equal(book.onDelta(rest[101]!), Outcomes.GAP);
    assert.ok(!book.valid && book.snapshotDue, 'invalid, and a snapshot is due at once');
    book.requestSent();
    assert.ok(!book.snapshotDue);
    for (const d of rest.slice(102, 110)) assert.equal(book.onDelta(d), Outcomes.BUFFERED);
    // The loader's answer: a snapshot at update 105's id, rebuilt here from a reference book.
    const reference = new InstrumentBook(exchange, SETTINGS);
    for (const d of deltas.slice(0, snapshotAt + 1 + 106)) reference.onDelta(d);
    const snapshot = delta({
      isSnapshot: true,
      lastUpdateId: reference.lastUpdateId,
      bids: reference.book.bids.levels(reference.book.bids.size),
      asks: reference.book.asks.levels(reference.book.asks.size),
    });
    assert.equal(
      book.onDelta(snapshot),
      Outcomes.SYNCED,
      'resynced, buffered diffs replayed, stale ones dropped',
    );
    for (const d of rest.slice(106, 110)) reference.onDelta(d);
    for (const d of rest.slice(110, 500)) {
      reference.onDelta(d);
      assert.equal(book.onDelta(d), Outcomes.APPLIED);
    }
    assert.ok(reference.valid, `reference book valid (${reference.lastProblem})`);
    assert.deepEqual(book.book.bids.levels(50), reference.book.bids.levels(50), 'bids as the reference');
    assert.deepEqual(book.book.asks.levels(50), reference.book.asks.levels(50), 'asks as the reference');
  });

  it('a restored state resumes exactly: same levels, same sequence position', async () => {
    const { exchange, deltas } = await captureDeltas('binance-spot-hftbacktest/spot_btcusdt_20240808.gz');
    const a = new InstrumentBook(exchange, SETTINGS);
    for (const d of deltas.slice(0, 1500)) a.onDelta(d);
    const b = InstrumentBook.fromState(exchange, SETTINGS, JSON.parse(JSON.stringify(a.toState())));
    for (const d of deltas.slice(1500)) assert.equal(b.onDelta(d), a.onDelta(d));
    assert.deepEqual(b.toState(), a.toState());
  });

  for (const [name, count] of [
    ['cryptofeed/OKX.ws.1.0', 290],
    ['cryptofeed/KRAKEN.ws.50.0', 4269],
  ] as const) {
    it(`${name}: all ${count} checksums verify, and a wrong one makes the book invalid`, async () => {
      const { exchange, deltas } = await captureDeltas(name);
      const books = new Map<string, InstrumentBook>();
      const bookOf = (d: BookDelta) => {
        let b = books.get(d.symbol);
        if (!b) books.set(d.symbol, (b = new InstrumentBook(exchange, SETTINGS)));
        return b;
      };
      let mismatches = 0;
      for (const d of deltas) if (bookOf(d).onDelta(d) === Outcomes.CHECKSUM_MISMATCH) mismatches++;
      assert.equal(mismatches, 0);
      const verified = [...books.values()].reduce((n, b) => n + b.checksumsVerified, 0);
      assert.equal(verified, count);
      const last = deltas.findLast((d) => d.checksum !== undefined && !d.isSnapshot)!;
      const book = bookOf(last);
      // Replaying the last update onto its own result changes nothing, so its checksum holds; a flipped one cannot.
      assert.equal(
        book.onDelta({ ...last, checksum: (last.checksum! ^ 1) >>> 0 }),
        Outcomes.CHECKSUM_MISMATCH,
      );
      assert.ok(!book.valid && book.snapshotDue);
    });
  }
});

describe('orderbook options', () => {
  it('refuses bad options with the option named', () => {
    assert.throws(() => createOrderbook({ depthLevels: 0 }), /depthLevels must be an integer from 1 to 1000/);
    assert.throws(() => createOrderbook({ depthIntervalMs: -1 }), /depthIntervalMs/);
  });
});
