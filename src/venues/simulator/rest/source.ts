// What the REST endpoints read: the listed instruments and their book, klines and aggTrades, from the model or a replay.

import { type Engine } from '../model/engine.ts';
import { type History } from '../model/history.ts';
import { type Instrument, type MarketKind, MarketKinds } from '../model/instruments.ts';
import { type AggTrade } from '../model/trades.ts';
import { aggTradeRow, klineRow, levelsText } from '../streams/payloads.ts';

export interface AggTradeQuery {
  readonly fromId?: number;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}

export interface MarketSource {
  instruments(kind: MarketKind): readonly Instrument[];
  /** The depth answer body, `limit` levels a side at most. */
  depthBody(inst: Instrument, limit: number, now: number): string;
  /** Rows as JSON text, oldest first. */
  klineRows(
    inst: Instrument,
    interval: string,
    startTime: number | undefined,
    endTime: number | undefined,
    limit: number,
  ): string[];
  aggTradeRows(inst: Instrument, query: AggTradeQuery): string[];
}

/** The model's markets as a REST source. */
export class ModelSource implements MarketSource {
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  instruments(kind: MarketKind): readonly Instrument[] {
    return [...(this.#engine.markets.get(kind)?.values() ?? [])].map((m) => m.instrument);
  }

  depthBody(inst: Instrument, limit: number, now: number): string {
    const market = this.#engine.market(inst.kind, inst.symbol)!;
    const { bids, asks } = market.depth(limit);
    const times = inst.kind === MarketKinds.FUTURES ? `"E":${now},"T":${market.lastEventTime},` : '';
    return `{"lastUpdateId":${market.updateId},${times}"bids":${levelsText(inst, bids)},"asks":${levelsText(inst, asks)}}`;
  }

  klineRows(
    inst: Instrument,
    interval: string,
    startTime: number | undefined,
    endTime: number | undefined,
    limit: number,
  ): string[] {
    const series = this.#engine.market(inst.kind, inst.symbol)!.klines.get(interval);
    return series ? series.query(startTime, endTime, limit).map((k) => klineRow(inst, k)) : [];
  }

  aggTradeRows(inst: Instrument, q: AggTradeQuery): string[] {
    const history = this.#engine.market(inst.kind, inst.symbol)!.aggHistory;
    return selectAggTrades(history, q).map((a) => aggTradeRow(inst, a));
  }
}

/**
 * Binance's selection: from `fromId` on, or from `startTime` on, or the latest before `endTime`, or
 * the latest of all; at most `limit`, never past `endTime`.
 */
export function selectAggTrades(history: History<AggTrade>, q: AggTradeQuery): AggTrade[] {
  let from: number;
  if (q.fromId !== undefined) from = history.lowerBound((a) => a.id >= q.fromId!);
  else if (q.startTime !== undefined) from = history.lowerBound((a) => a.time >= q.startTime!);
  else if (q.endTime !== undefined) from = history.lowerBound((a) => a.time > q.endTime!) - q.limit;
  else from = history.size - q.limit;
  return history
    .slice(Math.max(0, from), q.limit)
    .filter((a) => q.endTime === undefined || a.time <= q.endTime);
}
