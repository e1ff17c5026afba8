// Order book level updates per second on one core over the real BTCUSDT diffs, next to a plain Map-based book.

import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { type BookDelta } from '../src/contracts/schema/book.ts';
import { type PriceLevel } from '../src/contracts/schema/primitives.ts';
import { InstrumentBook, Outcomes } from '../src/services/orderbook/instrument.ts';
import { btcusdtDeltas } from './market-data.ts';
import { progress } from './types.ts';

export interface OrderbookBenchResult {
  readonly deltas: number;
  /** Level updates in the diffs (bids + asks of every non-snapshot delta) per pass. */
  readonly levelUpdates: number;
  /** StreamForge's book: sequencing, decimal decoding, update, crossed check, per delta. */
  readonly levelsPerSec: number;
  /** The reference: Map<price, qty text> per side, Number() decoding, best kept by scan on removal. */
  readonly mapBookLevelsPerSec: number;
  readonly vsMapBook: number;
  /** Young-generation collections during the timed passes: ~0 means the loop allocates nothing per level. */
  readonly scavengesPerMillionLevels: number;
  readonly mapBookScavengesPerMillionLevels: number;
  readonly note: string;
}

const SETTINGS = { maxBuffered: 10_000, requestAfter: 50, retryAfter: 600 } as const;

/** The plain book a first implementation would write: the reference. */
class MapBook {
  readonly bids = new Map<number, string>();
  readonly asks = new Map<number, string>();
  bestBid = -Infinity;
  bestAsk = Infinity;

  apply(levels: readonly PriceLevel[], isBid: boolean): void {
    const side = isBid ? this.bids : this.asks;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      const price = Number(level[0]);
      if (Number(level[1]) === 0) {
        side.delete(price);
        if (isBid ? price === this.bestBid : price === this.bestAsk) this.#rescan(isBid);
      } else {
        side.set(price, level[1]);
        if (isBid ? price > this.bestBid : price < this.bestAsk) {
          if (isBid) this.bestBid = price;
          else this.bestAsk = price;
        }
      }
    }
  }

  #rescan(isBid: boolean): void {
    let best = isBid ? -Infinity : Infinity;
    for (const p of (isBid ? this.bids : this.asks).keys()) if (isBid ? p > best : p < best) best = p;
    if (isBid) this.bestBid = best;
    else this.bestAsk = best;
  }
}

/** Best level updates/s over `rounds` timed passes, and the scavenges they caused. */
async function measure(
  rounds: number,
  levels: number,
  pass: () => number,
): Promise<{ perSec: number; scavengesPerMillion: number }> {
  pass();
  let scavenges = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (
        (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
        constants.NODE_PERFORMANCE_GC_MINOR
      )
        scavenges++;
  });
  observer.observe({ entryTypes: ['gc'] });
  let best = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    sink += pass();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, levels / s);
  }
  // GC entries are delivered after the current task.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  if (sink === -1) progress('unreachable');
  return { perSec: best, scavengesPerMillion: (scavenges / (levels * rounds)) * 1e6 };
}

export async function benchOrderbook(rounds: number): Promise<OrderbookBenchResult> {
  const deltas: readonly BookDelta[] = await btcusdtDeltas();
  let levelUpdates = 0;
  for (const d of deltas) if (!d.isSnapshot) levelUpdates += d.bids.length + d.asks.length;
  progress(`orderbook: ${deltas.length} BTCUSDT deltas, ${levelUpdates} level updates per pass`);
  const passes = Math.max(5, rounds * 5);
  const ours = await measure(passes, levelUpdates, () => {
    const book = new InstrumentBook('binance', SETTINGS);
    let applied = 0;
    for (let i = 0; i < deltas.length; i++) {
      if (book.onDelta(deltas[i]!) === Outcomes.APPLIED) applied++;
      if (book.book.isCrossed()) applied--;
    }
    if (applied < deltas.length - 10)
      throw new Error(`the book did not apply the capture (${applied} applied)`);
    return applied;
  });
  const reference = await measure(passes, levelUpdates, () => {
    const book = new MapBook();
    let crossed = 0;
    for (let i = 0; i < deltas.length; i++) {
      const d = deltas[i]!;
      if (d.isSnapshot) {
        book.bids.clear();
        book.asks.clear();
        book.bestBid = -Infinity;
        book.bestAsk = Infinity;
      }
      book.apply(d.bids, true);
      book.apply(d.asks, false);
      if (book.bestBid >= book.bestAsk) crossed++;
    }
    return crossed;
  });
  return {
    deltas: deltas.length,
    levelUpdates,
    levelsPerSec: ours.perSec,
    mapBookLevelsPerSec: reference.perSec,
    vsMapBook: ours.perSec / reference.perSec,
    scavengesPerMillionLevels: ours.scavengesPerMillion,
    mapBookScavengesPerMillionLevels: reference.scavengesPerMillion,
    note:
      'one core; the real Binance BTCUSDT snapshot and diffs of 2024-08-08/09 (hftbacktest capture) decoded from ' +
      'md.book.delta values (as the service handler gets them) and held in memory; ours = InstrumentBook.onDelta: ' +
      'sequence check, decimal text to exact scaled integer, price-ladder update (a Map beyond it), plus a crossed check per ' +
      'delta; reference = a Map<number, string> per side with Number() decoding and the best price kept (rescanned ' +
      `when the best level goes); best of ${passes} passes after a warm-up; scavenges = young-generation GCs seen ` +
      'during the timed passes',
  };
}
