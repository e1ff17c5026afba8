// The FaultInjector: checks each fault's arguments and arms it on the component it acts on.

import { type FaultInjector, type FaultState } from './faults.ts';
import { DIFF_INTERVALS, type Engine } from './model/engine.ts';
import { Sides } from './model/book.ts';
import { type MarketKind, MarketKinds } from './model/instruments.ts';
import { type SymbolMarket } from './model/market.ts';
import { type ClientConnection } from './streams/connection.ts';

export interface InjectorTargets {
  readonly faults: FaultState;
  readonly connections: ReadonlySet<ClientConnection>;
  /** Absent in replay mode, where there is no order flow to burst. */
  readonly engine: Engine | undefined;
  readonly symbols: Readonly<Record<MarketKind, readonly string[]>>;
}

function whole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
}

export function createInjector(t: InjectorTargets): FaultInjector {
  const each = (fn: (c: ClientConnection) => void): void => {
    // Closing changes the set; iterate over a copy.
    for (const c of [...t.connections]) fn(c);
  };
  const spotMarket = (fault: string, symbol: string): { market: SymbolMarket; time: number } => {
    if (!t.engine) throw new RangeError(`${fault}: there is no order flow to manipulate in replay mode`);
    const market = t.engine.market(MarketKinds.SPOT, symbol);
    if (!market)
      throw new RangeError(
        `${fault}: "${symbol}" is not a listed spot symbol (${t.symbols.spot.join(', ') || 'none'})`,
      );
    return { market, time: t.engine.time };
  };
  return {
    washTrades(symbol: string, count = 8, gapMs = 3) {
      whole('washTrades: count', count, 2);
      whole('washTrades: gapMs', gapMs, 0);
      const { market, time } = spotMarket('washTrades', symbol);
      market.washTrades(time, count, gapMs);
    },
    spoof(symbol: string, side: 'bid' | 'ask' = 'bid', multiple = 100, holdMs = 2000) {
      if (side !== 'bid' && side !== 'ask')
        throw new RangeError(`spoof: side must be "bid" or "ask", got ${JSON.stringify(side)}`);
      if (!Number.isFinite(multiple) || multiple <= 0 || multiple > 100_000)
        throw new RangeError(`spoof: multiple must be a number in (0, 100000], got ${String(multiple)}`);
      whole('spoof: holdMs', holdMs, 1);
      const { market, time } = spotMarket('spoof', symbol);
      if (market.spoof(time, side === 'bid' ? Sides.BID : Sides.ASK, multiple, holdMs) === undefined)
        throw new RangeError(`spoof: the ${side} side of ${symbol} is empty`);
    },
    priceJump(symbol: string, bps: number) {
      if (!Number.isFinite(bps) || bps === 0 || Math.abs(bps) > 5000)
        throw new RangeError(`priceJump: bps must be a non-zero number within +-5000, got ${String(bps)}`);
      const { market, time } = spotMarket('priceJump', symbol);
      market.priceJump(time, bps);
    },
    sequenceGap(symbol?: string) {
      if (symbol !== undefined && !t.symbols.spot.includes(symbol) && !t.symbols.futures.includes(symbol))
        throw new RangeError(
          `sequenceGap: "${symbol}" is not listed (spot: ${t.symbols.spot.join(', ') || 'none'}; ` +
            `futures: ${t.symbols.futures.join(', ') || 'none'})`,
        );
      for (const kind of [MarketKinds.SPOT, MarketKinds.FUTURES])
        for (const s of t.symbols[kind])
          if (symbol === undefined || s === symbol) t.faults.sequenceGap(kind, s, DIFF_INTERVALS[kind]);
    },
    dropConnections() {
      each((c) => c.drop());
    },
    delayFrames(ms: number, durationMs: number) {
      whole('delayFrames: ms', ms, 0);
      whole('delayFrames: durationMs', durationMs, 1);
      t.faults.delayFrames(ms, durationMs, Date.now());
    },
    malformedFrames(count: number) {
      whole('malformedFrames: count', count, 1);
      t.faults.malformedFrames(count);
    },
    duplicateFrames(count: number) {
      whole('duplicateFrames: count', count, 1);
      t.faults.duplicateFrames(count);
    },
    rateLimit(status: 429 | 418, count: number, retryAfterSeconds: number) {
      if (status !== 429 && status !== 418)
        throw new RangeError(`rateLimit: status must be 429 or 418, got ${String(status)}`);
      whole('rateLimit: count', count, 1);
      whole('rateLimit: retryAfterSeconds', retryAfterSeconds, 0);
      t.faults.rateLimit(status, count, retryAfterSeconds);
    },
    expireConnections() {
      each((c) => c.expire());
    },
    serverShutdown() {
      each((c) => c.announceShutdown());
    },
    burst(multiplier: number, durationMs: number) {
      if (!Number.isFinite(multiplier) || multiplier <= 0 || multiplier > 1000)
        throw new RangeError(`burst: multiplier must be a number in (0, 1000], got ${String(multiplier)}`);
      whole('burst: durationMs', durationMs, 1);
      if (!t.engine) throw new RangeError('burst: there is no order flow to multiply in replay mode');
      t.engine.burst(multiplier, durationMs);
    },
  };
}
