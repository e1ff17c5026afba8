// The candle aggregator without a bus: the exchange's own XRP/ETH candles rebuilt, grace and late trades, flat candles and their cap, state round trips.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { candles as candleProducts } from '../../src/contracts/index.ts';
import { type Candle, type CandleInterval } from '../../src/contracts/schema/candles.ts';
import { type Trade } from '../../src/contracts/schema/trades.ts';
import { isRetryable } from '../../src/runtime/index.ts';
import { addTrade, type AggregatorSink, interimUpdates } from '../../src/services/candles/aggregator.ts';
import { resolveOptions } from '../../src/services/candles/options.ts';
import {
  fromStored,
  type KeyState,
  type Series,
  type StoredKeyState,
  toStored,
} from '../../src/services/candles/state.ts';
import { type TradeFacts, tradeFacts, TradeErrorCodes } from '../../src/services/candles/trade.ts';
import { checkAgainstOracle, freqtradeXrpEth, type OracleCandle } from './helpers.ts';

const ALL: readonly CandleInterval[] = ['1s', '1m', '5m', '1h'];
const ID = { exchange: 'binance', symbol: 'XRPETH' } as const;

/** Runs trades through one instrument's state, collecting what was published, refused and skipped. */
class Run implements AggregatorSink {
  readonly out: Candle[] = [];
  readonly lates: { interval: string; time: number }[] = [];
  readonly skips: { interval: string; from: number; to: number; count: number }[] = [];
  readonly intervals: ReturnType<typeof resolveOptions>['intervals'];
  readonly options: { graceMs: number; maxFlatCandles: number };
  state: KeyState;

  constructor(intervals: readonly CandleInterval[] = ALL, graceMs = 0, maxFlatCandles = 3600) {
    this.intervals = resolveOptions({ intervals }).intervals;
    this.options = { graceMs, maxFlatCandles };
    this.state = fromStored(undefined, ID, this.intervals);
  }

  add(...trades: readonly Trade[]): this {
    for (const t of trades) addTrade(this.state, tradeFacts(t), this.options, this);
    return this;
  }

  /** What a restarted instance would hold: the state through its stored JSON form. */
  restart(): void {
    const stored = JSON.parse(JSON.stringify(toStored(this.state))) as StoredKeyState;
    this.state = fromStored(stored, ID, this.intervals);
  }

  of(interval: CandleInterval): Candle[] {
    return this.out.filter((c) => c.interval === interval);
  }

  closed(_series: Series, candle: Candle): void {
    this.out.push(candle);
  }

  late(series: Series, trade: TradeFacts): void {
    this.lates.push({ interval: series.interval, time: trade.time });
  }

  skipped(series: Series, from: number, to: number, count: number): void {
    this.skips.push({ interval: series.interval, from, to, count });
  }
}

function trade(
  time: number,
  price: string,
  quantity = '1.00',
  side: 'buy' | 'sell' = 'buy',
  id = 't',
): Trade {
  return {
    ...ID,
    timestamp: time,
    localTimestamp: time + 5,
    tradeId: `${id}${time}`,
    price,
    quantity,
    aggressorSide: side,
  };
}

describe('candle aggregator', () => {
  let data: Awaited<ReturnType<typeof freqtradeXrpEth>>;
  before(async () => {
    data = await freqtradeXrpEth();
  });

  for (const graceMs of [0, 5000]) {
    it(`rebuilds the exchange's 1m and 5m XRP/ETH candles exactly, empty minutes flat at the previous close (grace ${graceMs} ms)`, () => {
      const run = new Run(ALL, graceMs).add(...data.trades);
      assert.deepEqual(run.lates, []);
      for (const interval of ['1m', '5m'] as const) {
        const oracle: OracleCandle[] = data.oracle[interval];
        const built = run.of(interval);
        const result = checkAgainstOracle(built, oracle);
        assert.deepEqual(result.mismatches, []);
        assert.equal(built[0]!.openTime, oracle[0]![0], 'starts at the first trade interval');
        // Only the interval of the last trade is still open (no later trade moves the watermark).
        assert.equal(result.compared, oracle.length - 1, interval);
        assert.ok(result.flat > (interval === '1m' ? 1000 : 5), `${interval}: ${result.flat} flat candles`);
      }
      assert.equal(
        run.of('1m').reduce((n, c) => n + c.trades, 0) + run.state.series[1]!.open[0]!.trades,
        data.trades.length,
      );
    });
  }

  it("builds the catalog's example candles text for text (exact decimal sums, scales kept)", () => {
    const run = new Run().add(...data.trades);
    for (const interval of ALL) {
      const example = candleProducts[interval].value.example;
      const built = run.of(interval).find((c) => c.openTime === example.openTime);
      assert.deepEqual(built, example, interval);
    }
  });

  it('folds a trade that is late by less than the grace, taking the open by event time', () => {
    const run = new Run(['1m'], 2000).add(
      trade(60_100, '10.0'), // the watermark (58,100) leaves minute 0 open
      trade(59_999, '8.0'), // minute 0's only trade
      trade(119_000, '11.0'), // watermark 117,000 closes minute 0
      trade(120_500, '12.0'), // watermark 118,500: minute 1 still open
      trade(61_000, '9.0'), // minute 1's new low
      trade(60_050, '9.5'), // earlier than minute 1's first trade: its new open
      trade(122_000, '12.5'), // watermark 120,000 closes minute 1
    );
    assert.deepEqual(run.lates, []);
    assert.deepEqual(
      run.of('1m').map((c) => [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.trades]),
      [
        [0, '8.0', '8.0', '8.0', '8.0', '1.00', 1],
        [60_000, '9.5', '11.0', '9.0', '11.0', '4.00', 4],
      ],
    );
  });

  it('counts and reports a trade later than the grace, without folding it into the published candle', () => {
    const run = new Run(['1s', '1m'], 1000).add(trade(60_000, '10.0'), trade(63_000, '11.0'));
    const before = run.of('1s').find((c) => c.openTime === 60_000)!;
    run.add(trade(60_500, '99.0')); // 1s 60,000 was published at watermark 62,000; minute 1 is open
    assert.deepEqual(run.lates, [{ interval: '1s', time: 60_500 }]);
    assert.equal(run.state.series[0]!.late, 1);
    assert.deepEqual(
      run.of('1s').find((c) => c.openTime === 60_000),
      before,
    );
    run.add(trade(125_000, '12.0'));
    const minute = run.of('1m').find((c) => c.openTime === 60_000)!;
    assert.equal(minute.high, '99.0', 'folded into the 1m candle, which was still open');
    assert.equal(minute.trades, 3);
  });

  it('publishes flat candles for empty intervals, none before the first trade, and caps a long gap', () => {
    const run = new Run(['1s'], 0, 3).add(trade(10_500, '5.25'), trade(12_000, '6.5'));
    assert.deepEqual(
      run.of('1s').map((c) => [c.openTime, c.close, c.volume, c.trades]),
      [
        [10_000, '5.25', '1.00', 1],
        [11_000, '5.25', '0', 0],
      ],
    );
    const flat = run.of('1s')[1]!;
    assert.equal(flat.timestamp, 11_999);
    assert.equal(flat.quoteVolume, '0');
    run.add(trade(20_000, '7.0')); // 12 s closes; 13..19 s are empty: 3 published, 4 skipped
    assert.deepEqual(
      run
        .of('1s')
        .slice(2)
        .map((c) => [c.openTime, c.close, c.trades]),
      [
        [12_000, '6.5', 1],
        [13_000, '6.5', 0],
        [14_000, '6.5', 0],
        [15_000, '6.5', 0],
      ],
    );
    assert.deepEqual(run.skips, [{ interval: '1s', from: 16_000, to: 20_000, count: 4 }]);
  });

  it('sums volume, quote volume and taker-buy volumes exactly, with trades counted', () => {
    const run = new Run(['1m']).add(
      trade(1, '0.1', '0.1', 'buy'),
      trade(2, '0.2', '0.2', 'sell'),
      trade(3, '0.3', '0.7', 'buy'),
      trade(60_000, '1', '1'),
    );
    const [c] = run.of('1m');
    assert.deepEqual(
      [c!.volume, c!.quoteVolume, c!.takerBuyVolume, c!.takerBuyQuoteVolume, c!.trades],
      ['1.0', '0.26', '0.8', '0.22', 3],
    );
  });

  it('gives the same candles when the state goes through its stored form between every trade', () => {
    const trades = data.trades.slice(0, 3000);
    const straight = new Run().add(...trades);
    const restarted = new Run();
    for (const t of trades) {
      restarted.add(t);
      restarted.restart();
    }
    assert.deepEqual(restarted.out, straight.out);
    assert.deepEqual(toStored(restarted.state), toStored(straight.state));
  });

  it('sends an interim update of each changed open candle once', () => {
    const run = new Run(['1m', '5m']).add(trade(1000, '2.0'), trade(2000, '3.0'));
    const interim: Candle[] = [];
    interimUpdates(run.state, (_s, c) => interim.push(c));
    interimUpdates(run.state, (_s, c) => interim.push(c));
    assert.deepEqual(
      interim.map((c) => [c.interval, c.close, c.trades, c.isFinal]),
      [
        ['1m', '3.0', 2, false],
        ['5m', '3.0', 2, false],
      ],
    );
  });

  it('refuses impossible trades before touching state, as permanent errors', () => {
    const refuse = (t: Trade, code: string) =>
      assert.throws(
        () => tradeFacts(t),
        (e: unknown) => (e as { code?: string }).code === code && !isRetryable(e),
      );
    refuse(trade(1, '0', '1'), TradeErrorCodes.NOT_POSITIVE);
    refuse(trade(1, '1', '0.000'), TradeErrorCodes.NOT_POSITIVE);
    refuse(trade(1, '-1', '1'), TradeErrorCodes.NOT_POSITIVE);
    refuse({ ...trade(10_000_000, '1'), localTimestamp: 1 }, TradeErrorCodes.FUTURE_TIME);
  });

  it('refuses settings that cannot work', () => {
    assert.throws(() => resolveOptions({ intervals: [] }), /no intervals/);
    assert.throws(() => resolveOptions({ intervals: ['2m' as CandleInterval] }), /unknown interval "2m"/);
    assert.throws(() => resolveOptions({ intervals: ['1m', '1m'] }), /twice/);
    assert.throws(() => resolveOptions({ graceMs: -1 }), /graceMs/);
    assert.throws(() => resolveOptions({ maxFlatCandles: 1.5 }), /maxFlatCandles/);
  });
});
