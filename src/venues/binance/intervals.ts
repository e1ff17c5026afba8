// Binance's kline intervals: which exist on spot and USD-M futures, and where each interval starts and ends.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Binance weeks start on Monday 00:00 UTC; the epoch was a Thursday. */
const MONDAY_OFFSET = 4 * DAY;

/** Intervals of a fixed length; `1w` starts on Mondays and `1M` is a calendar month. */
const FIXED: Readonly<Record<string, number>> = {
  '1s': SECOND,
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '4h': 4 * HOUR,
  '6h': 6 * HOUR,
  '8h': 8 * HOUR,
  '12h': 12 * HOUR,
  '1d': DAY,
  '3d': 3 * DAY,
};

/** Spot intervals; USD-M futures have the same without `1s`. */
export const SPOT_INTERVALS: readonly string[] = [...Object.keys(FIXED), '1w', '1M'];
export const FUTURES_INTERVALS: readonly string[] = SPOT_INTERVALS.filter((i) => i !== '1s');

/** Kline intervals Binance accepts on `exchange`. */
export function intervalsOf(exchange: 'binance' | 'binance-futures'): readonly string[] {
  return exchange === 'binance' ? SPOT_INTERVALS : FUTURES_INTERVALS;
}

/** The length of a fixed-length interval in ms; undefined for `1w`, `1M` and unknown names. */
export function fixedIntervalMs(interval: string): number | undefined {
  return FIXED[interval];
}

/** Open time of the interval containing `t`. */
export function intervalStart(interval: string, t: number): number {
  if (interval === '1M') {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  if (interval === '1w') return Math.floor((t - MONDAY_OFFSET) / (7 * DAY)) * 7 * DAY + MONDAY_OFFSET;
  const ms = FIXED[interval];
  if (ms === undefined) throw new Error(`unknown kline interval "${interval}"`);
  return Math.floor(t / ms) * ms;
}

/** Close time (inclusive, Binance's `T`) of the interval opening at `start`. */
export function intervalClose(interval: string, start: number): number {
  if (interval === '1M') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - 1;
  }
  if (interval === '1w') return start + 7 * DAY - 1;
  return start + FIXED[interval]! - 1;
}
