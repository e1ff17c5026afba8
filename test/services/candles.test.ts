// The candles service on both backends: the exchange's XRP/ETH candles rebuilt from md.trades, a restart resuming from its store, late and bad trades.

import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import { candles, DeadLetterHeaders, type JsonProduct, trades } from '../../src/contracts/index.ts';
import { type Candle, type CandleInterval } from '../../src/contracts/schema/candles.ts';
import { type Trade } from '../../src/contracts/schema/trades.ts';
import { type RuntimeLogger, ServiceRunner } from '../../src/runtime/index.ts';
import { changelogTopic } from '../../src/runtime/state/index.ts';
import { addTrade, type AggregatorSink } from '../../src/services/candles/aggregator.ts';
import { CANDLES_STORE, type CandlesOptions, createCandles } from '../../src/services/candles/index.ts';
import { resolveOptions } from '../../src/services/candles/options.ts';
import { fromStored } from '../../src/services/candles/state.ts';
import { tradeFacts } from '../../src/services/candles/trade.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { json, produceValues, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { checkAgainstOracle, freqtradeXrpEth } from './helpers.ts';

const TIMEOUT = { timeout: 300_000 } as const;
const INTERVALS = ['1m', '5m'] as const;

/** md.trades and the candle topics of `intervals` under names unique to this test, created and deleted with it. */
async function topics(t: TestContext, bus: Bus, name: string, intervals: readonly CandleInterval[]) {
  const input = renamed(trades, 'c-trades');
  const out: Partial<Record<CandleInterval, JsonProduct<Candle>>> = {};
  for (const i of intervals) out[i] = renamed(candles[i], `c-candles-${i}`);
  await tempProductTopics(t, bus, [input, ...Object.values(out)], [changelogTopic(name, CANDLES_STORE)]);
  return { trades: input, candles: out as Record<CandleInterval, JsonProduct<Candle>> };
}

async function start(t: TestContext, bus: Bus, options: CandlesOptions): Promise<ServiceRunner> {
  const runner = new ServiceRunner(createCandles(options), { bus, heartbeatMs: 0, control: false });
  defer(t, () => runner.stop('test over'));
  await runner.start();
  return runner;
}

/** Reads a candle topic until it holds `count` final candles (and whatever interim ones came with them). */
async function readCandles(bus: Bus, product: JsonProduct<Candle>, count: number): Promise<Candle[]> {
  const records = await readAll(
    bus,
    product.topic,
    (r) => r.filter((x) => json(x)['isFinal'] === true).length >= count,
    120_000,
  );
  return records.map((r) => json(r) as unknown as Candle);
}

/** What the aggregator alone makes of `values`: the final candles per interval, in order. */
function expected(values: readonly Trade[], options: CandlesOptions): Record<string, Candle[]> {
  const o = resolveOptions(options);
  const out: Record<string, Candle[]> = {};
  const sink: AggregatorSink = {
    closed: (_s, c) => void (out[c.interval] ??= []).push(c),
    late: () => undefined,
    skipped: () => undefined,
  };
  const states = new Map<string, ReturnType<typeof fromStored>>();
  for (const v of values) {
    const key = `${v.exchange}:${v.symbol}`;
    if (!states.has(key)) states.set(key, fromStored(undefined, v, o.intervals));
    addTrade(states.get(key)!, tradeFacts(v), o, sink);
  }
  return out;
}

/** A logger that keeps its warnings. */
function capturingLog(): RuntimeLogger & { readonly warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const noop = () => undefined;
  return {
    debug: noop,
    info: noop,
    error: noop,
    warn: (context) => void warnings.push({ ...context }),
    warnings,
  };
}

for (const backend of backends) {
  describe(`candles on ${backend.name}`, { skip: backend.skip }, () => {
    let data: Awaited<ReturnType<typeof freqtradeXrpEth>>;
    before(async () => {
      data = await freqtradeXrpEth();
    });

    it(
      "rebuilds the exchange's 1m and 5m XRP/ETH candles from md.trades: OHLC equal, volume within 1e-6, empty minutes flat at the previous close",
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const name = tempGroup(t, bus, 'candles');
        const io = await topics(t, bus, name, INTERVALS);
        await produceValues(bus, io.trades, data.trades);
        const log = capturingLog();
        const runner = await start(t, bus, { name, intervals: INTERVALS, graceMs: 1000, topics: io, log });
        for (const interval of INTERVALS) {
          const oracle = data.oracle[interval];
          // All but the last interval, which no later trade closes.
          const built = await readCandles(bus, io.candles[interval], oracle.length - 1);
          const result = checkAgainstOracle(built, oracle);
          assert.deepEqual(result.mismatches, [], interval);
          assert.equal(
            result.compared,
            oracle.length - 1,
            `${interval}: every interval of the exchange's range`,
          );
          assert.equal(built[0]!.openTime, oracle[0]![0]);
          assert.ok(result.flat > 0, `${interval}: ${result.flat} flat candles`);
        }
        const record = (await readAll(bus, io.candles['1m'].topic, (r) => r.length > 0))[0]!;
        assert.equal(record.key?.toString(), 'binance:XRPETH', 'keyed exchange:symbol');
        assert.deepEqual(log.warnings, [], 'nothing late, no gap cut');
        assert.equal(runner.lifecycle.state, 'running');
      },
    );

    it(
      'resumes from its state store after a restart mid-stream: the same candles as one uninterrupted run, none twice',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const name = tempGroup(t, bus, 'candles-restart');
        const io = await topics(t, bus, name, INTERVALS);
        const options = { name, intervals: INTERVALS, graceMs: 1000, topics: io, log: capturingLog() };
        // Cut inside a minute with trades, so the open candles, the previous close and the watermark must survive.
        const cut = 5001;
        const first = expected(data.trades.slice(0, cut), options);
        await produceValues(bus, io.trades, data.trades.slice(0, cut));
        const runner = await start(t, bus, options);
        for (const interval of INTERVALS)
          assert.equal(
            (await readCandles(bus, io.candles[interval], first[interval]!.length)).length,
            first[interval]!.length,
          );
        await runner.stop('restart');

        await produceValues(bus, io.trades, data.trades.slice(cut));
        const all = expected(data.trades, options);
        await start(t, bus, options);
        for (const interval of INTERVALS) {
          const built = await readCandles(bus, io.candles[interval], all[interval]!.length);
          assert.equal(built.length, all[interval]!.length, `${interval}: no candle twice`);
          assert.deepEqual(built, all[interval], interval);
          assert.deepEqual(checkAgainstOracle(built, data.oracle[interval]).mismatches, []);
        }
      },
    );

    it(
      'folds a trade late by less than the grace, counts and logs one later than that, publishes interim updates, and sends an impossible trade to the DLQ',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const name = tempGroup(t, bus, 'candles-late');
        const io = await topics(t, bus, name, ['1s', '1m']);
        const B = 1_700_000_040_000; // a minute boundary
        const trade = (offset: number, price: string, side: 'buy' | 'sell' = 'buy'): Trade => ({
          exchange: 'binance',
          symbol: 'LATEUSDT',
          timestamp: B + offset,
          localTimestamp: B + offset,
          tradeId: String(offset),
          price,
          quantity: '2.000',
          aggressorSide: side,
        });
        await produceValues(bus, io.trades, [
          trade(0, '10.0'),
          trade(3000, '11.0', 'sell'), // watermark B+2000 publishes the 1s candles of B and B+1000
          trade(500, '99.0'), // too late for its 1s candle, in time for its 1m candle
          trade(2500, '12.0'), // within grace: its 1s candle (B+2000) is still open
          trade(1500, '0'), // impossible: to the DLQ
          trade(61_000, '13.0'), // watermark B+60000 publishes minute B
        ]);
        const log = capturingLog();
        await start(t, bus, { name, intervals: ['1s', '1m'], graceMs: 1000, interim: true, topics: io, log });

        const seconds = (await readCandles(bus, io.candles['1s'], 60)).filter((c) => c.isFinal);
        assert.deepEqual(
          seconds.slice(0, 4).map((c) => [c.openTime - B, c.open, c.high, c.close, c.volume, c.trades]),
          [
            [0, '10.0', '10.0', '10.0', '2.000', 1],
            [1000, '10.0', '10.0', '10.0', '0', 0],
            [2000, '12.0', '12.0', '12.0', '2.000', 1],
            [3000, '11.0', '11.0', '11.0', '2.000', 1],
          ],
        );
        assert.equal(seconds.length, 60, 'B .. B+59s final; the watermark B+60s closes no later one');
        const minutes = (
          await readAll(bus, io.candles['1m'].topic, (r) =>
            r.some((x) => json(x)['isFinal'] === false && json(x)['openTime'] === B + 60_000),
          )
        ).map((r) => json(r) as unknown as Candle);
        const final = minutes.filter((c) => c.isFinal);
        assert.deepEqual(
          final.map((c) => [c.openTime - B, c.open, c.high, c.low, c.close, c.volume, c.trades]),
          [[0, '10.0', '99.0', '10.0', '11.0', '8.000', 4]],
        );
        assert.equal(final[0]!.takerBuyVolume, '6.000');
        assert.equal(final[0]!.quoteVolume, '264.0000', '2 * (10 + 11 + 99 + 12)');
        assert.ok(
          minutes.some((c) => !c.isFinal && c.openTime === B + 60_000 && c.trades === 1),
          'an interim update of the open minute',
        );

        assert.ok(await eventually(() => log.warnings.length > 0, 10_000), 'the late trade is logged');
        assert.deepEqual(
          log.warnings.map((w) => [w['reason'], w['key'], w['interval'], w['count'], w['total']]),
          [['LATE_TRADE', 'binance:LATEUSDT', '1s', 1, 1]],
        );
        const dlq = await readAll(bus, `${io.trades.topic}.dlq`, (r) => r.length >= 1);
        assert.equal(dlq.length, 1);
        assert.equal(dlq[0]!.headers[DeadLetterHeaders.CODE]?.toString(), 'CANDLES_NOT_POSITIVE');
      },
    );
  });
}
