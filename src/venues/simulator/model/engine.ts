// Drives every symbol's market on a logical clock of fixed steps and tells the streams when a diff or kline is due.

import { type Instrument, MarketKinds, type MarketKind } from './instruments.ts';
import { type DepthDiff } from './diff.ts';
import { type MarketListener, SymbolMarket, UpdateIds } from './market.ts';

/** Diff-depth update speeds: spot `@depth@100ms` and `@depth` (1 s); futures `@100ms`, `@depth` (250), `@500ms`. */
export const DIFF_INTERVALS: Readonly<Record<MarketKind, readonly number[]>> = {
  spot: [100, 1000],
  futures: [100, 250, 500],
};

/** What the streams layer is told besides the markets' real-time events. */
export interface EngineListener extends MarketListener {
  depthDiff(market: SymbolMarket, intervalMs: number, diff: DepthDiff, time: number): void;
  /** Kline streams push the open kline every 1 s (spot 1s), 2 s (spot) or 250 ms (futures). */
  klineTick(market: SymbolMarket, intervalMs: number, time: number): void;
}

const KLINE_TICKS: Readonly<Record<MarketKind, readonly number[]>> = { spot: [1000, 2000], futures: [250] };
/** At most this many steps per timer callback, so a stalled process catches up without freezing. */
const MAX_CATCH_UP = 200;

export interface EngineOptions {
  readonly seed: number;
  readonly tickMs: number;
  readonly spot: readonly Instrument[];
  readonly futures: readonly Instrument[];
  readonly listener: EngineListener;
  readonly now?: () => number;
}

interface Cadence {
  readonly kind: MarketKind;
  readonly intervalMs: number;
  readonly diff: boolean;
  next: number;
}

/**
 * Every step runs a fixed `tickMs` of order flow for every market in a fixed order, so the same seed
 * produces the same events whatever the machine's speed; only the wall-clock times differ. Steps
 * are never skipped: a late timer runs the missed ones at once.
 */
export class Engine {
  readonly markets: ReadonlyMap<MarketKind, ReadonlyMap<string, SymbolMarket>>;
  readonly tickMs: number;
  readonly #all: SymbolMarket[] = [];
  readonly #listener: EngineListener;
  readonly #now: () => number;
  readonly #cadences: Cadence[] = [];
  #logical: number;
  #steps = 0;
  #timer: NodeJS.Timeout | undefined;
  #intensity = 1;
  #intensityUntil = 0;

  constructor(options: EngineOptions) {
    this.tickMs = options.tickMs;
    this.#listener = options.listener;
    this.#now = options.now ?? Date.now;
    this.#logical = this.#now();
    const start = this.#logical;
    const futuresIds = new UpdateIds(3_000_000_000_000 + (options.seed % 1_000_000) * 1000, 3);
    const build = (kind: MarketKind, list: readonly Instrument[]): Map<string, SymbolMarket> => {
      const map = new Map<string, SymbolMarket>();
      for (const instrument of list) {
        const market = new SymbolMarket({
          instrument,
          seed: options.seed,
          diffIntervals: DIFF_INTERVALS[kind],
          now: start,
          listener: options.listener,
          ...(kind === MarketKinds.FUTURES ? { ids: futuresIds } : {}),
        });
        map.set(instrument.symbol, market);
        this.#all.push(market);
      }
      return map;
    };
    this.markets = new Map<MarketKind, ReadonlyMap<string, SymbolMarket>>([
      [MarketKinds.SPOT, build(MarketKinds.SPOT, options.spot)],
      [MarketKinds.FUTURES, build(MarketKinds.FUTURES, options.futures)],
    ]);
    for (const kind of [MarketKinds.SPOT, MarketKinds.FUTURES]) {
      for (const intervalMs of DIFF_INTERVALS[kind])
        this.#cadences.push({ kind, intervalMs, diff: true, next: start + intervalMs });
      for (const intervalMs of KLINE_TICKS[kind])
        this.#cadences.push({ kind, intervalMs, diff: false, next: start + intervalMs });
    }
  }

  /** Logical time of the end of the last step. */
  get time(): number {
    return this.#logical;
  }

  get steps(): number {
    return this.#steps;
  }

  /** How far the logical clock trails the wall clock (ms). */
  get lagMs(): number {
    return Math.max(0, this.#now() - this.#logical);
  }

  get intensity(): number {
    return this.#logical < this.#intensityUntil ? this.#intensity : 1;
  }

  market(kind: MarketKind, symbol: string): SymbolMarket | undefined {
    return this.markets.get(kind)?.get(symbol);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.runDue(), this.tickMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Order flow x `multiplier` for `durationMs` of logical time from now. */
  burst(multiplier: number, durationMs: number): void {
    this.#intensity = multiplier;
    this.#intensityUntil = this.#logical + durationMs;
  }

  /** Runs the steps the wall clock says are due (at most MAX_CATCH_UP). */
  runDue(): void {
    const now = this.#now();
    for (let i = 0; i < MAX_CATCH_UP && this.#logical + this.tickMs <= now; i++) this.step();
  }

  /** One step of every market, then whatever diffs and kline pushes fall due. */
  step(): void {
    const t0 = this.#logical;
    const intensity = this.intensity;
    for (const market of this.#all) market.step(t0, this.tickMs, intensity);
    this.#logical = t0 + this.tickMs;
    this.#steps++;
    const t = this.#logical;
    for (const market of this.#all) market.advanceTo(t);
    for (const cadence of this.#cadences) {
      if (t < cadence.next) continue;
      // A step longer than the interval publishes once, not once per missed interval.
      while (cadence.next <= t) cadence.next += cadence.intervalMs;
      for (const market of this.markets.get(cadence.kind)!.values()) {
        if (!cadence.diff) {
          this.#listener.klineTick(market, cadence.intervalMs, t);
          continue;
        }
        const diff = market.takeDiff(cadence.intervalMs);
        if (diff) this.#listener.depthDiff(market, cadence.intervalMs, diff, t);
      }
    }
  }
}
