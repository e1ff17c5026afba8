// Candle aggregation throughput on real trades, one core: the exact event-time aggregator next to a naive float loop.

import { type CandleInterval } from '../src/contracts/schema/candles.ts';
import { type Trade } from '../src/contracts/schema/trades.ts';
import { addTrade, type AggregatorSink } from '../src/services/candles/aggregator.ts';
import { CANDLES_DEFAULTS } from '../src/services/candles/index.ts';
import { resolveOptions } from '../src/services/candles/options.ts';
import { fromStored, type KeyState, toStored } from '../src/services/candles/state.ts';
import { tradeFacts } from '../src/services/candles/trade.ts';
import { capturedTrades } from '../test/runtime/helpers.ts';
import { freqtradeXrpEth } from '../test/services/helpers.ts';
import { progress } from './types.ts';

export interface CandlesBenchRow {
  readonly data: string;
  readonly trades: number;
  readonly instruments: number;
  /** Final candles the aggregator published over all intervals (flat ones included). */
  readonly candles: number;
  /** The reference: float OHLCV sums per interval, no watermark, no flat candles built. */
  readonly floatLoopPerSec: number;
  /** checks + exact decimals + watermark + final candles formatted as the product's values. */
  readonly aggregatorPerSec: number;
  /** aggregatorPerSec plus what the service adds per batch of 500: each touched key's state serialized for the store. */
  readonly withStatePerSec: number;
  readonly aggregatorVsFloatLoop: number;
}

export interface CandlesBenchResult {
  readonly intervals: readonly CandleInterval[];
  readonly rows: readonly CandlesBenchRow[];
  readonly note: string;
}

// A pass is 10-40 ms (the captures are small), so many passes, best kept, to see past a busy machine.
const ROUNDS = 20;
const BATCH = 500;

/** Best trades/s over ROUNDS passes after one warm-up pass; each pass starts from fresh state. */
function rate(trades: readonly Trade[], pass: (trades: readonly Trade[]) => number): number {
  let sink = pass(trades);
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    sink += pass(trades);
    best = Math.max(best, trades.length / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  if (sink === -1) progress('unreachable');
  return best;
}

const intervals = resolveOptions({}).intervals;
const options = { graceMs: CANDLES_DEFAULTS.graceMs, maxFlatCandles: CANDLES_DEFAULTS.maxFlatCandles };

/** The aggregator as the service drives it; returns the candles published. */
function aggregate(trades: readonly Trade[], withState: boolean): number {
  let candles = 0;
  const sink: AggregatorSink = {
    closed: () => void candles++,
    late: () => undefined,
    skipped: () => undefined,
  };
  const states = new Map<string, KeyState>();
  let bytes = 0;
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const key = `${t.exchange}:${t.symbol}`;
    let state = states.get(key);
    if (!state) {
      state = fromStored(undefined, t, intervals);
      states.set(key, state);
    }
    addTrade(state, tradeFacts(t), options, sink);
    if (withState && (i + 1) % BATCH === 0)
      for (const s of states.values()) bytes += JSON.stringify(toStored(s)).length;
  }
  return bytes === -1 ? -1 : candles;
}

interface FloatCandle {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quote: number;
  takerBuy: number;
  takerBuyQuote: number;
  trades: number;
}

/**
 * What a first attempt would write: parseFloat and running float sums per key and interval,
 * a candle "closed" when a trade of a later interval comes. Wrong on exactness (and on late
 * trades), which is what the aggregator pays for; a floor, not a competitor.
 */
function floatLoop(trades: readonly Trade[]): number {
  const sizes = intervals.map((i) => i.size);
  const open = new Map<string, (FloatCandle | undefined)[]>();
  let closed = 0;
  for (const t of trades) {
    const key = `${t.exchange}:${t.symbol}`;
    let candles = open.get(key);
    if (!candles) {
      candles = sizes.map(() => undefined);
      open.set(key, candles);
    }
    const price = parseFloat(t.price);
    const qty = parseFloat(t.quantity);
    const buy = t.aggressorSide === 'buy';
    for (let i = 0; i < sizes.length; i++) {
      const start = t.timestamp - (t.timestamp % sizes[i]!);
      let c = candles[i];
      if (!c || c.start !== start) {
        if (c) closed++;
        c = {
          start,
          open: price,
          high: price,
          low: price,
          close: price,
          volume: 0,
          quote: 0,
          takerBuy: 0,
          takerBuyQuote: 0,
          trades: 0,
        };
        candles[i] = c;
      }
      if (price > c.high) c.high = price;
      if (price < c.low) c.low = price;
      c.close = price;
      c.volume += qty;
      c.quote += price * qty;
      if (buy) {
        c.takerBuy += qty;
        c.takerBuyQuote += price * qty;
      }
      c.trades++;
    }
  }
  return closed;
}

export async function benchCandles(): Promise<CandlesBenchResult> {
  const xrp = (await freqtradeXrpEth()).trades;
  const binance = await capturedTrades(1_000_000);
  const sets: { data: string; trades: readonly Trade[] }[] = [
    { data: 'freqtrade XRP/ETH (12,477 trades over 2.5 days: mostly flat 1s candles)', trades: xrp },
    {
      data: 'hftbacktest BTCUSDT+ETHUSDT 2024-08-08 part, interleaved (dense: ~40 trades/s)',
      trades: binance,
    },
  ];
  const rows: CandlesBenchRow[] = [];
  for (const { data, trades } of sets) {
    progress(`candles: ${data}`);
    const floatLoopPerSec = rate(trades, floatLoop);
    const aggregatorPerSec = rate(trades, (t) => aggregate(t, false));
    const withStatePerSec = rate(trades, (t) => aggregate(t, true));
    rows.push({
      data,
      trades: trades.length,
      instruments: new Set(trades.map((t) => t.symbol)).size,
      candles: aggregate(trades, false),
      floatLoopPerSec,
      aggregatorPerSec,
      withStatePerSec,
      aggregatorVsFloatLoop: aggregatorPerSec / floatLoopPerSec,
    });
  }
  return {
    intervals: intervals.map((i) => i.interval),
    rows,
    note:
      `one core, trades held in memory as decoded md.trades values, intervals ${intervals.map((i) => i.interval).join('/')}, ` +
      `grace ${options.graceMs} ms; aggregator = tradeFacts (checks, BigInt decimals, exact quote) + addTrade (watermark, ` +
      'late check, OHLCV, flat candles) + every final candle formatted as an md.candles value (not encoded or sent); ' +
      `withState adds the service's per-batch store write (each key's state to JSON every ${BATCH} trades); ` +
      'reference = a naive float loop (parseFloat, float sums, a candle per interval change, no flat candles built, ' +
      `not exact); best of ${ROUNDS} passes after a warm-up`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(JSON.stringify(await benchCandles(), null, 2));
