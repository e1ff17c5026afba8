// The real recorded Binance trades the scenarios and the catch-up bench replay, in arrival order.

import { access } from 'node:fs/promises';
import path from 'node:path';
import { type Trade } from '../../contracts/schema/trades.ts';
import { readCapture, toRawFrame } from '../../venues/capture/index.ts';
import { mapperFor } from '../../venues/mappers.ts';

/** The hftbacktest captures of Binance spot (BTCUSDT and ETHUSDT, 2024-08-08 and -09) beside the repository. */
export const DEFAULT_CAPTURES_DIR = path.resolve(
  import.meta.dirname,
  '../../../../shared/data/market/binance-spot-hftbacktest',
);

/** Captures of consecutive days: the first day's file of each symbol, then the next day's. */
export const CAPTURE_FILES = [
  ['spot_btcusdt_20240808.gz', 'spot_ethusdt_20240808.gz'],
  ['spot_btcusdt_20240809.gz', 'spot_ethusdt_20240809.gz'],
] as const;

export interface CapturedTrades {
  /** Normalized trades, ordered by local receive time (file order within a symbol). */
  readonly trades: Trade[];
  /** Receive time of the first and last trade: the span the exchange took to send them. */
  readonly firstReceivedAt: number;
  readonly lastReceivedAt: number;
  /** Trades per second at which they arrived from Binance: the live rate. */
  readonly liveRate: number;
}

/**
 * The first `limit` trades (all when omitted) of the recorded BTCUSDT and ETHUSDT streams, as
 * the Binance mapper normalizes them, merged by receive time: the order a live loader and
 * parser would have written them in. `days` (1 or 2) says how many days of captures to read.
 */
export async function loadCapturedTrades(
  options: { readonly limit?: number; readonly days?: 1 | 2; readonly dir?: string } = {},
): Promise<CapturedTrades> {
  const dir = options.dir ?? DEFAULT_CAPTURES_DIR;
  const days = options.days ?? 1;
  if (options.limit !== undefined && !(Number.isSafeInteger(options.limit) && options.limit > 0))
    throw new Error(`captured trades: limit must be a positive integer, got ${options.limit}`);
  const perSymbol: Trade[][] = [[], []];
  for (const day of CAPTURE_FILES.slice(0, days)) {
    for (const [i, file] of day.entries()) {
      const full = path.join(dir, file);
      await access(full).catch(() => {
        throw new Error(
          `captured trades: ${full} is missing; the scenarios replay the real Binance captures in ../shared/data/market (pass another directory with --captures <dir>)`,
        );
      });
      perSymbol[i]!.push(...(await readTrades(full)));
    }
  }
  const merged = mergeByReceiveTime(perSymbol);
  const trades = options.limit === undefined ? merged : merged.slice(0, options.limit);
  if (trades.length < 2) throw new Error(`captured trades: only ${trades.length} trades in ${dir}`);
  const firstReceivedAt = trades[0]!.localTimestamp;
  const lastReceivedAt = trades.at(-1)!.localTimestamp;
  const seconds = Math.max(0.001, (lastReceivedAt - firstReceivedAt) / 1000);
  return { trades, firstReceivedAt, lastReceivedAt, liveRate: trades.length / seconds };
}

async function readTrades(file: string): Promise<Trade[]> {
  const mapper = mapperFor('binance');
  const out: Trade[] = [];
  let seq = 0;
  for await (const frame of readCapture(file)) {
    if (!frame.body.includes('@trade"')) continue;
    for (const e of mapper.map(toRawFrame(frame, 'binance', 'capture', seq++)).events)
      if (e.type === 'trade') out.push(e.value);
  }
  return out;
}

/** Merges per-symbol lists (each already in receive order) into one, stable on ties. */
function mergeByReceiveTime(lists: readonly (readonly Trade[])[]): Trade[] {
  const at = lists.map(() => 0);
  const out: Trade[] = [];
  for (;;) {
    let pick = -1;
    for (const [i, list] of lists.entries()) {
      const t = list[at[i]!];
      if (t && (pick < 0 || t.localTimestamp < lists[pick]![at[pick]!]!.localTimestamp)) pick = i;
    }
    if (pick < 0) return out;
    out.push(lists[pick]![at[pick]!++]!);
  }
}
