// The candles service's options, their defaults, and the checks that turn a wrong setting into a clear error at start.

import { candles, type JsonProduct, trades } from '../../contracts/index.ts';
import { CANDLE_INTERVAL_MS } from '../../contracts/products/candles.ts';
import { type Candle, type CandleInterval } from '../../contracts/schema/candles.ts';
import { type RuntimeLogger } from '../../runtime/index.ts';

export interface CandlesOptions {
  /** Which candles to build; default all of `md.candles.<interval>`: 1s, 1m, 5m, 1h. */
  readonly intervals?: readonly CandleInterval[];
  /**
   * How long after an interval's end, in event time, a trade for it is still folded in; the
   * candle is published that much later. Default 1000 ms. Later trades are counted and logged.
   */
  readonly graceMs?: number;
  /** Also publish the still-open candles changed by a batch of trades (isFinal false), once per batch. Default false. */
  readonly interim?: boolean;
  /**
   * Most flat candles published for one gap of one interval (default 3600: an hour of 1s
   * candles, 60 hours of 1m); the rest of a longer gap is skipped and logged.
   */
  readonly maxFlatCandles?: number;
  /** Consumer group and service name (and prefix of its state changelog); default `candles`. */
  readonly name?: string;
  /** Other topics than the catalog's (tests on a shared broker, a parallel rebuild after a bad deploy). */
  readonly topics?: {
    readonly trades?: typeof trades;
    readonly candles?: Partial<Readonly<Record<CandleInterval, JsonProduct<Candle>>>>;
  };
  /** Where late trades and skipped gaps are reported; default a JSON logger on stdout. */
  readonly log?: RuntimeLogger;
}

export const CANDLES_DEFAULTS = {
  intervals: ['1s', '1m', '5m', '1h'] as readonly CandleInterval[],
  graceMs: 1000,
  interim: false,
  maxFlatCandles: 3600,
  name: 'candles',
} as const;

export interface ResolvedCandlesOptions {
  readonly name: string;
  readonly intervals: readonly { readonly interval: CandleInterval; readonly size: number }[];
  readonly graceMs: number;
  readonly interim: boolean;
  readonly maxFlatCandles: number;
  readonly trades: typeof trades;
  readonly candles: Readonly<Record<CandleInterval, JsonProduct<Candle>>>;
  readonly log: RuntimeLogger | undefined;
}

function fail(what: string): never {
  throw new Error(`candles: ${what}`);
}

export function resolveOptions(options: CandlesOptions): ResolvedCandlesOptions {
  const intervals = options.intervals ?? CANDLES_DEFAULTS.intervals;
  const known = Object.keys(CANDLE_INTERVAL_MS);
  if (intervals.length === 0) fail(`no intervals; pick from ${known.join(', ')}`);
  for (const i of intervals)
    if (!Object.hasOwn(CANDLE_INTERVAL_MS, i))
      fail(`unknown interval ${JSON.stringify(i)}; md.candles has ${known.join(', ')}`);
  if (new Set(intervals).size !== intervals.length)
    fail(`an interval is listed twice: ${intervals.join(', ')}`);
  const graceMs = options.graceMs ?? CANDLES_DEFAULTS.graceMs;
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) fail(`graceMs must be an integer >= 0, got ${graceMs}`);
  const maxFlatCandles = options.maxFlatCandles ?? CANDLES_DEFAULTS.maxFlatCandles;
  if (!Number.isSafeInteger(maxFlatCandles) || maxFlatCandles < 0)
    fail(`maxFlatCandles must be an integer >= 0, got ${maxFlatCandles}`);
  return {
    name: options.name ?? CANDLES_DEFAULTS.name,
    // Shortest first, so that a batch's candles come out in a stable order.
    intervals: [...intervals]
      .sort((a, b) => CANDLE_INTERVAL_MS[a] - CANDLE_INTERVAL_MS[b])
      .map((interval) => ({ interval, size: CANDLE_INTERVAL_MS[interval] })),
    graceMs,
    interim: options.interim ?? CANDLES_DEFAULTS.interim,
    maxFlatCandles,
    trades: options.topics?.trades ?? trades,
    candles: { ...candles, ...options.topics?.candles },
    log: options.log,
  };
}
