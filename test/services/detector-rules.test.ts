// The detector's rules as pure functions, each on hand-made event sequences: when they fire, with what evidence, and when not.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BookDelta } from '../../src/contracts/schema/book.ts';
import { type Trade } from '../../src/contracts/schema/trades.ts';
import { alertId, type Finding } from '../../src/services/detector/alert.ts';
import { DetectorEngine } from '../../src/services/detector/engine.ts';
import { applyDelta } from '../../src/services/detector/light-book.ts';
import {
  DETECTOR_DEFAULTS,
  DetectorConfigError,
  resolveRuleOptions,
} from '../../src/services/detector/options.ts';
import { crossedOrLocked } from '../../src/services/detector/rules/book-health.ts';
import { bookSequence, tradeIdGap } from '../../src/services/detector/rules/feed-gaps.ts';
import { priceJump } from '../../src/services/detector/rules/price-jump.ts';
import { canonical, mad, median } from '../../src/services/detector/rules/robust.ts';
import { volumeBurst } from '../../src/services/detector/rules/volume-burst.ts';
import { washTrades } from '../../src/services/detector/rules/wash-trades.ts';
import { newInstrumentState } from '../../src/services/detector/state.ts';

const T0 = 1_723_161_255_000;

function trade(i: number, over: Partial<Trade> = {}): Trade {
  return {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: T0 + i * 1000,
    localTimestamp: T0 + i * 1000 + 5,
    tradeId: String(1000 + i),
    price: '60000.00',
    quantity: '0.01000',
    aggressorSide: i % 3 === 0 ? 'sell' : 'buy',
    ...over,
  };
}

function delta(over: Partial<BookDelta>): BookDelta {
  return {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: T0,
    localTimestamp: T0,
    isSnapshot: false,
    bids: [],
    asks: [],
    ...over,
  };
}

const value = (f: Finding | undefined, name: string): string | undefined =>
  f?.evidence.find((e) => e.name === name)?.value;

describe('detector rules', () => {
  it('robust statistics: median, MAD, canonical decimal text', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(mad([1, 2, 3, 4, 100], 3), 1);
    assert.equal(canonical('61786.01000000'), '61786.01');
    assert.equal(canonical('5.000'), '5');
    assert.equal(canonical('120'), '120');
  });

  it('price.jump fires on a move far outside the robust spread of recent returns, with its evidence', () => {
    const o = { ...DETECTOR_DEFAULTS.priceJump, minSamples: 20 };
    const s = newInstrumentState().jump;
    // A calm walk: +-1 bp a second.
    let price = 60000;
    for (let i = 0; i < 40; i++) {
      price *= i % 2 === 0 ? 1.0001 : 0.9999;
      assert.equal(priceJump(s, o, trade(i, { price: price.toFixed(2) })), undefined, `calm ${i}`);
    }
    const jumped = (price * 1.01).toFixed(2);
    const f = priceJump(s, o, trade(40, { price: jumped }));
    assert.ok(f, 'a 100 bp jump fires');
    assert.equal(f.rule, 'price.jump');
    assert.equal(value(f, 'price'), jumped);
    assert.ok(Number(value(f, 'moveBps')) > 99 && Number(value(f, 'moveBps')) < 101);
    assert.ok(Number(value(f, 'robustZ')) >= o.zThreshold);
    assert.equal(value(f, 'zThreshold'), String(o.zThreshold));
    assert.equal(value(f, 'returnsInWindow'), '39');
    assert.equal(f.severity, 'critical', 'z far beyond twice the threshold');
  });

  it('price.jump stays quiet before minSamples and for small moves in a dead-calm window', () => {
    const o = { ...DETECTOR_DEFAULTS.priceJump, minSamples: 20 };
    const s = newInstrumentState().jump;
    for (let i = 0; i < 10; i++) priceJump(s, o, trade(i));
    assert.equal(priceJump(s, o, trade(10, { price: '61000.00' })), undefined, 'not enough returns yet');
    const calm = newInstrumentState().jump;
    for (let i = 0; i < 40; i++) priceJump(calm, o, trade(i));
    // MAD is zero: the scale floor (0.5 bp) makes 1 tick a huge z, but minMoveBps holds it back.
    assert.equal(priceJump(calm, o, trade(40, { price: '60000.01' })), undefined);
  });

  it('volume.burst fires when a bucket holds many times the baseline mean, not on one block trade', () => {
    const o = { ...DETECTOR_DEFAULTS.volumeBurst, minSamples: 30, minTrades: 5 };
    const s = newInstrumentState().volume;
    for (let i = 0; i < 40; i++) assert.equal(volumeBurst(s, o, trade(i)), undefined);
    const block = structuredClone(s);
    assert.equal(volumeBurst(block, o, trade(40, { quantity: '50' })), undefined, 'one block trade');
    let f: Finding | undefined;
    for (let k = 0; k < 5 && !f; k++)
      f = volumeBurst(s, o, trade(40, { quantity: '0.2', timestamp: T0 + 40_000 + k }));
    assert.ok(f, 'five trades of 20x the usual size in one second');
    assert.equal(f.rule, 'volume.burst');
    assert.equal(value(f, 'bucketTrades'), '5');
    assert.ok(Number(value(f, 'ratio')) >= 25);
    assert.equal(value(f, 'bucketMs'), '1000');
  });

  it('trade.wash fires once on a run of same-size trades alternating sides within milliseconds', () => {
    const o = DETECTOR_DEFAULTS.washTrades;
    let run = null;
    const fired: Finding[] = [];
    for (let i = 0; i < 9; i++) {
      const r = washTrades(run, o, {
        ...trade(0),
        timestamp: T0 + i * 3,
        tradeId: String(500 + i),
        quantity: '0.02000',
        aggressorSide: i % 2 === 0 ? 'buy' : 'sell',
      });
      run = r.run;
      if (r.finding) fired.push(r.finding);
    }
    assert.equal(fired.length, 1, 'reported once per run');
    const f = fired[0]!;
    assert.equal(f.rule, 'trade.wash');
    assert.equal(value(f, 'trades'), '6');
    assert.equal(value(f, 'quantity'), '0.02000');
    assert.equal(value(f, 'durationMs'), '15');
    assert.equal(value(f, 'firstTradeId'), '500');
  });

  it('trade.wash does not fire on one taker sweeping several makers (same side) or on slow alternation', () => {
    const o = DETECTOR_DEFAULTS.washTrades;
    let run = null;
    for (let i = 0; i < 10; i++) {
      const r = washTrades(run, o, { ...trade(0), timestamp: T0 + i, aggressorSide: 'buy' });
      run = r.run;
      assert.equal(r.finding, undefined);
    }
    run = null;
    for (let i = 0; i < 10; i++) {
      const r = washTrades(run, o, {
        ...trade(0),
        timestamp: T0 + i * 200,
        aggressorSide: i % 2 ? 'buy' : 'sell',
      });
      run = r.run;
      assert.equal(r.finding, undefined);
    }
  });

  it('trade.id-gap counts the missing ids per id space; repeats and the first id are no gap', () => {
    const ids: Record<string, number> = {};
    assert.equal(tradeIdGap(ids, trade(0, { tradeId: '100' })), undefined);
    assert.equal(tradeIdGap(ids, trade(1, { tradeId: '101' })), undefined);
    assert.equal(tradeIdGap(ids, trade(2, { tradeId: 'agg-7' })), undefined, 'another id space');
    assert.equal(tradeIdGap(ids, trade(3, { tradeId: '101' })), undefined, 'a repeat');
    const f = tradeIdGap(ids, trade(4, { tradeId: '105' }));
    assert.equal(f?.rule, 'trade.id-gap');
    assert.equal(value(f, 'missingIds'), '3');
    assert.equal(value(f, 'previousTradeId'), '101');
  });

  it('sequence.gap: spot U != previous u + 1, futures pu != previous u; a snapshot restarts the chain', () => {
    const spot = newInstrumentState().seq;
    assert.equal(bookSequence(spot, delta({ firstUpdateId: 10, lastUpdateId: 12 })).finding, undefined);
    assert.equal(bookSequence(spot, delta({ firstUpdateId: 13, lastUpdateId: 15 })).finding, undefined);
    assert.equal(bookSequence(spot, delta({ firstUpdateId: 14, lastUpdateId: 15 })).repeat, true);
    const gap = bookSequence(spot, delta({ firstUpdateId: 20, lastUpdateId: 22 })).finding;
    assert.equal(gap?.rule, 'sequence.gap');
    assert.equal(value(gap, 'missingIds'), '4');
    bookSequence(spot, delta({ isSnapshot: true, lastUpdateId: 100 }));
    assert.equal(bookSequence(spot, delta({ firstUpdateId: 90, lastUpdateId: 105 })).finding, undefined);

    const futures = newInstrumentState().seq;
    bookSequence(futures, delta({ firstUpdateId: 10, lastUpdateId: 17, prevLastUpdateId: 5 }));
    assert.equal(
      bookSequence(futures, delta({ firstUpdateId: 20, lastUpdateId: 29, prevLastUpdateId: 17 })).finding,
      undefined,
      'futures ids jump; pu chains them',
    );
    const broken = bookSequence(
      futures,
      delta({ firstUpdateId: 40, lastUpdateId: 45, prevLastUpdateId: 33 }),
    );
    assert.equal(value(broken.finding, 'prevLastUpdateId'), '33');
    assert.equal(value(broken.finding, 'previousLastUpdateId'), '29');
  });

  it('book.crossed and book.locked on a synced light book; deltas before the snapshot are replayed onto it', () => {
    const s = newInstrumentState();
    applyDelta(s.book, delta({ lastUpdateId: 11, bids: [['99.5', '1']] }), 25);
    applyDelta(s.book, delta({ lastUpdateId: 9, bids: [['98', '5']] }), 25);
    applyDelta(
      s.book,
      delta({ isSnapshot: true, lastUpdateId: 10, bids: [['99', '1']], asks: [['100', '2']] }),
      25,
    );
    assert.deepEqual(
      s.book.bids.map((l) => l[0]),
      ['99.5', '99'],
      'the buffered delta newer than the snapshot applies, the older one not',
    );
    assert.equal(crossedOrLocked(s.book, delta({})), undefined);
    applyDelta(s.book, delta({ lastUpdateId: 12, bids: [['100', '1']] }), 25);
    assert.equal(crossedOrLocked(s.book, delta({}))?.rule, 'book.locked');
    applyDelta(s.book, delta({ lastUpdateId: 13, bids: [['100.5', '1']] }), 25);
    const f = crossedOrLocked(s.book, delta({ lastUpdateId: 13 }));
    assert.equal(f?.rule, 'book.crossed');
    assert.equal(value(f, 'bestBid'), '100.5');
    assert.equal(value(f, 'bestAsk'), '100');
  });

  it('the light book keeps its top N and ignores changes beyond what it knows', () => {
    const s = newInstrumentState();
    const bids = Array.from({ length: 10 }, (_, i) => [String(100 - i), '1'] as [string, string]);
    applyDelta(s.book, delta({ isSnapshot: true, lastUpdateId: 1, bids, asks: [['101', '1']] }), 4);
    assert.deepEqual(
      s.book.bids.map((l) => l[0]),
      ['100', '99', '98', '97'],
    );
    applyDelta(s.book, delta({ lastUpdateId: 2, bids: [['90', '3']] }), 4);
    assert.equal(s.book.bids.length, 4, 'beyond the edge: unknown neighbourhood, ignored');
    applyDelta(s.book, delta({ lastUpdateId: 3, bids: [['100', '0']] }), 4);
    assert.deepEqual(
      s.book.bids.map((l) => l[0]),
      ['99', '98', '97'],
    );
  });

  it('book.spoof: a large level near the top pulled without trading is alerted once its trades are settled', () => {
    const engine = new DetectorEngine(resolveRuleOptions({ settleMs: 1000 }));
    const s = newInstrumentState();
    const bids = Array.from(
      { length: 10 },
      (_, i) => [(100 - i * 0.5).toFixed(2), '1.0'] as [string, string],
    );
    const asks = Array.from(
      { length: 10 },
      (_, i) => [(100.5 + i * 0.5).toFixed(2), '1.0'] as [string, string],
    );
    engine.onBook(s, delta({ isSnapshot: true, lastUpdateId: 1, bids, asks }));
    engine.onBook(
      s,
      delta({ timestamp: T0 + 100, firstUpdateId: 2, lastUpdateId: 2, bids: [['99.75', '40']] }),
    );
    assert.equal(s.candidates.length, 1, 'a level 40x the median at rank 2 is watched');
    engine.onTrade(s, trade(0, { timestamp: T0 + 200, price: '100.50', quantity: '0.1' }));
    const pulled = engine.onBook(
      s,
      delta({ timestamp: T0 + 1500, firstUpdateId: 3, lastUpdateId: 3, bids: [['99.75', '0']] }),
    );
    assert.deepEqual(pulled, [], 'the verdict waits until the trades have passed the removal');
    const alerts = engine.onTrade(s, trade(0, { timestamp: T0 + 1600, tradeId: '1001', price: '100.50' }));
    const spoof = alerts.find((a) => a.rule === 'book.spoof');
    assert.ok(spoof, 'alerted');
    const ev = Object.fromEntries(spoof.evidence.map((e) => [e.name, e.value]));
    assert.equal(ev['side'], 'bid');
    assert.equal(ev['price'], '99.75');
    assert.equal(ev['addedQuantity'], '40');
    assert.equal(ev['levelRank'], '2');
    assert.equal(ev['lifeMs'], '1400');
    assert.equal(ev['tradedAtPrice'], '0');
    assert.equal(spoof.timestamp, T0 + 1500, 'the time of the removal');
  });

  it('book.spoof: no alert when the level traded, or was a flicker', () => {
    const engine = new DetectorEngine(resolveRuleOptions({ settleMs: 1000 }));
    const s = newInstrumentState();
    const bids = Array.from(
      { length: 10 },
      (_, i) => [(100 - i * 0.5).toFixed(2), '1.0'] as [string, string],
    );
    engine.onBook(s, delta({ isSnapshot: true, lastUpdateId: 1, bids, asks: [['100.5', '1']] }));
    engine.onBook(
      s,
      delta({ timestamp: T0 + 100, firstUpdateId: 2, lastUpdateId: 2, bids: [['99.75', '40']] }),
    );
    // The trade prints before the removal but is read after it: it still counts.
    engine.onBook(
      s,
      delta({ timestamp: T0 + 1500, firstUpdateId: 3, lastUpdateId: 3, bids: [['99.75', '0']] }),
    );
    engine.onTrade(s, trade(0, { timestamp: T0 + 1400, price: '99.75000', quantity: '30' }));
    const late = engine.onTrade(s, trade(1, { timestamp: T0 + 1700, price: '100.5' }));
    assert.equal(late.filter((a) => a.rule === 'book.spoof').length, 0, 'it traded');
    engine.onBook(
      s,
      delta({ timestamp: T0 + 2000, firstUpdateId: 4, lastUpdateId: 4, bids: [['99.25', '40']] }),
    );
    engine.onBook(
      s,
      delta({ timestamp: T0 + 2100, firstUpdateId: 5, lastUpdateId: 5, bids: [['99.25', '0']] }),
    );
    const flicker = engine.onTrade(s, trade(2, { timestamp: T0 + 5000, price: '100.5' }));
    assert.equal(flicker.filter((a) => a.rule === 'book.spoof').length, 0, 'lived 100 ms < minLifeMs');
  });

  it('book.stale: a silent book while trades print, counted also from trades read later', () => {
    const engine = new DetectorEngine(resolveRuleOptions({ settleMs: 1000 }));
    const s = newInstrumentState();
    engine.onBook(s, delta({ timestamp: T0, firstUpdateId: 1, lastUpdateId: 1 }));
    for (let i = 1; i <= 3; i++) engine.onTrade(s, trade(i, { tradeId: String(2000 + i) }));
    assert.deepEqual(
      engine.onBook(s, delta({ timestamp: T0 + 8000, firstUpdateId: 2, lastUpdateId: 2 })),
      [],
    );
    engine.onTrade(s, trade(4, { tradeId: '2004' }));
    engine.onTrade(s, trade(5, { tradeId: '2005' }));
    const alerts = engine.onTrade(s, trade(9, { tradeId: '2006' }));
    const stale = alerts.find((a) => a.rule === 'book.stale');
    assert.ok(stale);
    const ev = Object.fromEntries(stale.evidence.map((e) => [e.name, e.value]));
    assert.equal(ev['silentMs'], '8000');
    assert.equal(ev['tradesMeanwhile'], '5');
  });

  it('cooldown: one alert per rule and instrument per cooldownMs; the next says how many it held back', () => {
    const engine = new DetectorEngine(resolveRuleOptions({ cooldownMs: 10_000 }));
    const s = newInstrumentState();
    const fired: string[] = [];
    for (let i = 0; i < 30; i++) {
      const alerts = engine.onTrade(s, trade(i, { tradeId: String(10 * i) }));
      for (const a of alerts)
        fired.push(`${a.timestamp - T0}:${a.evidence.at(-1)!.name}=${a.evidence.at(-1)!.value}`);
    }
    assert.deepEqual(fired, [
      '1000:missingIds=9',
      '11000:heldBackSinceLastAlert=9',
      '21000:heldBackSinceLastAlert=9',
    ]);
  });

  it('alert ids come from the event and the rule only: a replay yields the same ids', () => {
    const run = () => {
      const engine = new DetectorEngine(resolveRuleOptions({}));
      const s = newInstrumentState();
      return [0, 5, 9].flatMap((i) =>
        engine.onTrade(s, trade(i, { tradeId: String(i) })).map((a) => a.alertId),
      );
    };
    assert.deepEqual(run(), run());
    assert.deepEqual(run(), ['trade.id-gap:binance:BTCUSDT:1723161260000:5']);
    assert.ok(
      alertId('x', 'binance', 'S'.repeat(64), 1, 'y'.repeat(64)).length <= 128,
      'long ids are hashed',
    );
  });

  it('invalid options give a clear error naming the field', () => {
    assert.throws(
      () => resolveRuleOptions({ spoofing: { sizeMultiple: -1 } }),
      (e: unknown) =>
        e instanceof DetectorConfigError &&
        e.field === 'spoofing.sizeMultiple' &&
        /must be a finite number > 0, got -1/.test(e.message),
    );
    assert.throws(
      () => resolveRuleOptions({ cooldownMs: 1.5 }),
      /detector option cooldownMs: must be an integer >= 0/,
    );
    assert.throws(
      () => resolveRuleOptions({ priceJump: { windw: 3 } as never }),
      /detector option priceJump.windw: unknown option; known: bucketMs, window/,
    );
    assert.throws(
      () => resolveRuleOptions({ feedGaps: { consecutiveTradeIds: ['nyse' as never] } }),
      /feedGaps.consecutiveTradeIds: must be a list of binance/,
    );
    assert.throws(
      () => resolveRuleOptions({ priceJump: { minSamples: 500 } }),
      /priceJump.minSamples: must not exceed/,
    );
    assert.deepEqual(resolveRuleOptions({}), DETECTOR_DEFAULTS);
    assert.equal(
      resolveRuleOptions({ washTrades: { minTrades: 4 } }).washTrades.maxGapMs,
      50,
      'others keep defaults',
    );
  });
});
