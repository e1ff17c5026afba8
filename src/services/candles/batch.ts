// What one instance's current batch of trades has done: the instruments' working states and the results to publish.

import { type Candle } from '../../contracts/schema/candles.ts';
import { type AggregatorSink } from './aggregator.ts';
import { type KeyState, type Series } from './state.ts';
import { type TradeFacts } from './trade.ts';

export interface LateReport {
  readonly key: string;
  readonly interval: string;
  count: number;
  /** Event time of the latest late trade of the batch. */
  lastEventTime: number;
  /** Every interval starting before this was already published when that trade came. */
  publishedThrough: number;
  /** Late trades of this key and interval since its first trade (kept in the store). */
  total: number;
}

export interface SkipReport {
  readonly key: string;
  readonly interval: string;
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

export interface BatchResults {
  /** Working states by input partition, then key: what goes back into the store. */
  readonly states: ReadonlyMap<number, ReadonlyMap<string, KeyState>>;
  readonly closed: readonly { readonly series: Series; readonly candle: Candle }[];
  readonly late: readonly LateReport[];
  readonly skipped: readonly SkipReport[];
}

/**
 * The state of an instrument is read from the store on its first trade of a batch, changed in
 * memory by each trade, and written back once when the batch ends (a store write serializes
 * the whole state, so once per trade would cost more than the aggregation itself).
 */
export class CandleBatch implements AggregatorSink {
  #states = new Map<number, Map<string, KeyState>>();
  #closed: { series: Series; candle: Candle }[] = [];
  #late = new Map<string, LateReport>();
  #skipped: SkipReport[] = [];
  #key = '';

  /** The working state of `key`, loaded by `load` on its first use in the batch; later results are reported under it. */
  state(partition: number, key: string, load: () => KeyState): KeyState {
    let byKey = this.#states.get(partition);
    if (!byKey) {
      byKey = new Map();
      this.#states.set(partition, byKey);
    }
    let state = byKey.get(key);
    if (!state) {
      state = load();
      byKey.set(key, state);
    }
    this.#key = key;
    return state;
  }

  closed(series: Series, candle: Candle): void {
    this.#closed.push({ series, candle });
  }

  late(series: Series, trade: TradeFacts): void {
    const id = `${this.#key}\0${series.interval}`;
    let report = this.#late.get(id);
    if (!report) {
      report = {
        key: this.#key,
        interval: series.interval,
        count: 0,
        lastEventTime: 0,
        publishedThrough: 0,
        total: 0,
      };
      this.#late.set(id, report);
    }
    report.count++;
    report.lastEventTime = trade.time;
    report.publishedThrough = series.next;
    report.total = series.late;
  }

  skipped(series: Series, from: number, to: number, count: number): void {
    this.#skipped.push({ key: this.#key, interval: series.interval, from, to, count });
  }

  /** Hands over the batch's results and starts an empty batch. */
  take(): BatchResults {
    const results = {
      states: this.#states,
      closed: this.#closed,
      late: [...this.#late.values()],
      skipped: this.#skipped,
    };
    this.#states = new Map();
    this.#closed = [];
    this.#late = new Map();
    this.#skipped = [];
    return results;
  }
}
