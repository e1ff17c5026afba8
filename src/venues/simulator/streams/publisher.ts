// Turns the model's events into stream frames, building a payload only when someone subscribes to its stream.

import { type FaultState } from '../faults.ts';
import { type DepthDiff } from '../model/diff.ts';
import { type EngineListener } from '../model/engine.ts';
import { MarketKinds } from '../model/instruments.ts';
import { type Kline } from '../model/klines.ts';
import { type SymbolMarket, type TopOfBook } from '../model/market.ts';
import { type AggTrade, type Trade } from '../model/trades.ts';
import { type StreamHub } from './hub.ts';
import {
  aggTradePayload,
  bookTickerPayload,
  depthUpdatePayload,
  klinePayload,
  tradePayload,
} from './payloads.ts';

interface Names {
  readonly trade: string;
  readonly aggTrade: string;
  readonly bookTicker: string;
  /** Depth stream names by update speed (`@depth` and `@depth@1000ms` share one on spot). */
  readonly depth: ReadonlyMap<number, readonly string[]>;
  readonly kline: ReadonlyMap<string, string>;
}

export interface PublishedCounts {
  trades: number;
  aggTrades: number;
  bookTickers: number;
  depthDiffs: number;
  klines: number;
  /** Diffs lost on purpose by the sequenceGap fault. */
  gapsInjected: number;
}

export class Publisher implements EngineListener {
  readonly counts: PublishedCounts = {
    trades: 0,
    aggTrades: 0,
    bookTickers: 0,
    depthDiffs: 0,
    klines: 0,
    gapsInjected: 0,
  };
  readonly #hubs: { readonly spot: StreamHub; readonly futures: StreamHub };
  readonly #faults: FaultState;
  readonly #names = new Map<SymbolMarket, Names>();

  constructor(hubs: { spot: StreamHub; futures: StreamHub }, faults: FaultState) {
    this.#hubs = hubs;
    this.#faults = faults;
  }

  trade(market: SymbolMarket, trade: Trade): void {
    this.counts.trades++;
    const name = this.#namesOf(market).trade;
    const hub = this.#hubs[market.instrument.kind];
    if (market.instrument.kind === MarketKinds.SPOT && hub.has(name))
      hub.publish(name, tradePayload(market.instrument, trade));
  }

  aggTrade(market: SymbolMarket, agg: AggTrade): void {
    this.counts.aggTrades++;
    const name = this.#namesOf(market).aggTrade;
    const hub = this.#hubs[market.instrument.kind];
    if (hub.has(name)) hub.publish(name, aggTradePayload(market.instrument, agg, market.lastEventTime));
  }

  bookTicker(market: SymbolMarket, top: TopOfBook): void {
    this.counts.bookTickers++;
    const name = this.#namesOf(market).bookTicker;
    const hub = this.#hubs[market.instrument.kind];
    if (!hub.has(name)) return;
    const payload = bookTickerPayload(market.instrument, top);
    if (payload) hub.publish(name, payload);
  }

  depthDiff(market: SymbolMarket, speedMs: number, diff: DepthDiff, time: number): void {
    const inst = market.instrument;
    if (this.#faults.takeGap(inst.kind, inst.symbol, speedMs)) {
      this.counts.gapsInjected++;
      return;
    }
    this.counts.depthDiffs++;
    const hub = this.#hubs[inst.kind];
    let payload: string | undefined;
    for (const name of this.#namesOf(market).depth.get(speedMs) ?? [])
      if (hub.has(name))
        hub.publish(name, (payload ??= depthUpdatePayload(inst, diff, time, market.lastEventTime)));
  }

  klineTick(market: SymbolMarket, cadenceMs: number, time: number): void {
    const kind = market.instrument.kind;
    const hub = this.#hubs[kind];
    for (const [interval, name] of this.#namesOf(market).kline) {
      // Spot pushes 1s klines every second and the others every two; USD-M pushes all every 250 ms.
      if (kind === MarketKinds.SPOT && (interval === '1s') !== (cadenceMs === 1000)) continue;
      if (!hub.has(name)) continue;
      const current = market.klines.get(interval)!.current;
      this.counts.klines++;
      hub.publish(name, klinePayload(market.instrument, current, interval, time, false));
    }
  }

  klineClosed(market: SymbolMarket, kline: Kline, interval: string, time: number): void {
    const name = this.#namesOf(market).kline.get(interval)!;
    const hub = this.#hubs[market.instrument.kind];
    if (!hub.has(name)) return;
    this.counts.klines++;
    hub.publish(name, klinePayload(market.instrument, kline, interval, time, true));
  }

  #namesOf(market: SymbolMarket): Names {
    let names = this.#names.get(market);
    if (names) return names;
    const s = market.instrument.symbol.toLowerCase();
    const spot = market.instrument.kind === MarketKinds.SPOT;
    const depth = spot
      ? new Map([
          [100, [`${s}@depth@100ms`]],
          [1000, [`${s}@depth`, `${s}@depth@1000ms`]],
        ])
      : new Map([
          [100, [`${s}@depth@100ms`]],
          [250, [`${s}@depth`, `${s}@depth@250ms`]],
          [500, [`${s}@depth@500ms`]],
        ]);
    const kline = new Map([...market.klines.keys()].map((i) => [i, `${s}@kline_${i}`] as const));
    names = { trade: `${s}@trade`, aggTrade: `${s}@aggTrade`, bookTicker: `${s}@bookTicker`, depth, kline };
    this.#names.set(market, names);
    return names;
  }
}
