// Market-data service test fixtures: the normalized products under unique names, and a parser running on them.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type Bus } from '../../src/bus/types.ts';
import { bookDelta, type BytesProduct, instruments, klines, trades } from '../../src/contracts/index.ts';
import { type Candle } from '../../src/contracts/schema/candles.ts';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createParser } from '../../src/services/parser/index.ts';
import { defer, tempGroup } from '../helpers/backends.ts';
import { renamed, type Trade } from '../runtime/helpers.ts';

export type NormalizedTopics = ReturnType<typeof normalizedTopics>;

/** md.trades, md.book.delta, md.klines and md.instruments under names unique to this test. */
export function normalizedTopics(prefix: string) {
  return {
    trades: renamed(trades, `${prefix}-trades`),
    bookDelta: renamed(bookDelta, `${prefix}-book`),
    klines: renamed(klines, `${prefix}-klines`),
    instruments: renamed(instruments, `${prefix}-inst`),
  };
}

/** A parser in its own group from `raw` into `out`, stopped when the test ends. */
export async function startParser(
  t: TestContext,
  bus: Bus,
  options: {
    readonly group: string;
    readonly raw: Partial<Readonly<Record<Exchange, BytesProduct>>>;
    readonly out: Partial<NormalizedTopics>;
    readonly exchanges?: readonly Exchange[];
  },
): Promise<ServiceRunner> {
  const runner = new ServiceRunner(
    createParser({
      name: tempGroup(t, bus, options.group),
      ...(options.exchanges ? { exchanges: options.exchanges } : {}),
      topics: { raw: options.raw, ...options.out },
    }),
    { bus, heartbeatMs: 0, control: false },
  );
  defer(t, () => runner.stop('test over'));
  await runner.start();
  return runner;
}

const FREQTRADE = path.resolve(import.meta.dirname, '../../../shared/data/market/freqtrade-xrp-eth');

/** An exchange candle of the freqtrade capture: [openTime, open, high, low, close, volume] as JSON numbers. */
export type OracleCandle = readonly [number, number, number, number, number, number];

/**
 * The real Binance XRP/ETH trades of freqtrade-xrp-eth as normalized trades, and the exchange's
 * own 1m and 5m candles over the same period. The capture is ccxt's list form
 * `[ts_ms, id, type, side, price, amount, cost]` with prices and amounts as JSON numbers:
 * Binance sent them as text with 8 decimals (XRPETH's tick and step precision), so that text
 * is rebuilt with toFixed(8), after checking that it reads back as the very same number. ccxt's
 * `side` is the taker's (it inverts Binance's isBuyerMaker), so it is the aggressor side. The
 * capture has no receive time: localTimestamp repeats the trade time.
 */
export async function freqtradeXrpEth(): Promise<{
  readonly trades: Trade[];
  readonly oracle: { readonly '1m': OracleCandle[]; readonly '5m': OracleCandle[] };
}> {
  const [gz, m1, m5] = await Promise.all(
    ['XRP_ETH-trades.json.gz', 'XRP_ETH-1m.json', 'XRP_ETH-5m.json'].map((f) =>
      readFile(path.join(FREQTRADE, f)),
    ),
  );
  const rows = JSON.parse(gunzipSync(gz!).toString('utf8')) as [
    number,
    string,
    unknown,
    string,
    number,
    number,
    number,
  ][];
  const text = (x: number, what: string): string => {
    const t = x.toFixed(8);
    if (Number(t) !== x) throw new Error(`${what} ${x} has more than 8 decimals`);
    return t;
  };
  const trades = rows.map(([ts, id, , side, price, amount]): Trade => {
    if (side !== 'buy' && side !== 'sell') throw new Error(`trade ${id}: side ${side}`);
    return {
      exchange: 'binance',
      symbol: 'XRPETH',
      timestamp: ts,
      localTimestamp: ts,
      tradeId: id,
      price: text(price, `trade ${id} price`),
      quantity: text(amount, `trade ${id} amount`),
      aggressorSide: side,
    };
  });
  const candles = (b: Buffer) => JSON.parse(b.toString('utf8')) as OracleCandle[];
  return { trades, oracle: { '1m': candles(m1!), '5m': candles(m5!) } };
}

/**
 * Compares final candles with the exchange's: the same intervals from the first built candle to
 * the last (none missing, none extra), open/high/low/close equal, volume within 1e-6, and every
 * zero-volume one flat at the previous candle's close with no trades. Returns what differs.
 */
export function checkAgainstOracle(
  built: readonly Candle[],
  oracle: readonly OracleCandle[],
): { readonly compared: number; readonly flat: number; readonly mismatches: string[] } {
  const mismatches: string[] = [];
  const byOpen = new Map(oracle.map((c) => [c[0], c]));
  let flat = 0;
  let previous: Candle | undefined;
  for (const c of built) {
    const at = new Date(c.openTime).toISOString();
    if (previous && c.openTime !== previous.openTime + (c.closeTime + 1 - c.openTime))
      mismatches.push(`${at}: follows ${new Date(previous.openTime).toISOString()} (a hole or a repeat)`);
    const o = byOpen.get(c.openTime);
    if (!o) mismatches.push(`${at}: built, but the exchange has no such candle`);
    else {
      const [, open, high, low, close, volume] = o;
      const ours = [c.open, c.high, c.low, c.close].map(Number);
      if (ours.join() !== [open, high, low, close].join())
        mismatches.push(
          `${at}: OHLC ${ours.join('/')} vs the exchange's ${[open, high, low, close].join('/')}`,
        );
      if (Math.abs(Number(c.volume) - volume) > 1e-6)
        mismatches.push(`${at}: volume ${c.volume} vs the exchange's ${volume}`);
      if (volume === 0) {
        flat++;
        const p = previous?.close;
        if (c.trades !== 0 || c.volume !== '0' || [c.open, c.high, c.low, c.close].some((x) => x !== p))
          mismatches.push(`${at}: not flat at the previous close ${p}: ${JSON.stringify(c)}`);
      }
    }
    if (!c.isFinal) mismatches.push(`${at}: not final`);
    previous = c;
  }
  return { compared: built.length, flat, mismatches };
}
