// The detector service: trades and book deltas in, explained alerts (price jumps, bursts, wash trades, spoofing, bad books, gaps) out.

import { alerts, bookDelta, trades } from '../../contracts/index.ts';
import { defineService, isFrom, type KeyValueStore, type ServiceDefinition } from '../../runtime/index.ts';
import { DetectorEngine } from './engine.ts';
import { type DetectorRuleInput, resolveRuleOptions } from './options.ts';
import { type InstrumentState, newInstrumentState } from './state.ts';

export { DETECTOR_DEFAULTS, DetectorConfigError, type DetectorRuleOptions } from './options.ts';
export { DetectorEngine } from './engine.ts';
export { Rules, type RuleId, Severities } from './alert.ts';
export { newInstrumentState, type InstrumentState } from './state.ts';

/** The store holding each instrument's detector state, keyed `exchange:symbol`. */
export const DETECTOR_STORE = 'instruments';

export type DetectorOptions = DetectorRuleInput & {
  /** Consumer group, service name and prefix of the state changelog; default `detector`. */
  readonly name?: string;
  /** Other topics than the catalog's (tests on a shared broker, a parallel rebuild). */
  readonly topics?: {
    readonly trades?: typeof trades;
    readonly bookDelta?: typeof bookDelta;
    readonly alerts?: typeof alerts;
  };
};

interface Touched {
  readonly partition: number;
  readonly state: InstrumentState;
}

/**
 * Reads `md.trades` and `md.book.delta` and publishes to `md.alerts`. Each instrument's state
 * (rolling windows, last ids, light book, watched levels, cooldowns) lives in the store
 * `instruments`, read at the first record of an instrument in a poll and written back once per
 * poll in afterBatch, so a restarted or moved instance resumes where the committed offsets are;
 * nothing is kept in memory between polls. Both inputs are keyed `exchange:symbol` with equal
 * partition counts, so one instrument's trades and book deltas meet in one state partition.
 * Throws DetectorConfigError naming the field for a bad threshold.
 */
export function createDetector(options: DetectorOptions = {}): ServiceDefinition {
  const { name, topics, ...ruleInput } = options;
  const engine = new DetectorEngine(resolveRuleOptions(ruleInput));
  const input = { trades: topics?.trades ?? trades, bookDelta: topics?.bookDelta ?? bookDelta };
  const output = topics?.alerts ?? alerts;
  if (input.trades.partitions !== input.bookDelta.partitions)
    throw new Error(
      `detector: ${input.trades.topic} has ${input.trades.partitions} partitions and ${input.bookDelta.topic} ` +
        `${input.bookDelta.partitions}; a stateful service needs equal counts on all inputs`,
    );
  // Per instance: replicas of one definition may run in one process.
  const touched = new Map<string, Map<string, Touched>>();
  const load = (instance: string, store: KeyValueStore<InstrumentState>, key: string): InstrumentState => {
    let batch = touched.get(instance);
    if (!batch) touched.set(instance, (batch = new Map()));
    const hit = batch.get(key);
    if (hit) return hit.state;
    const stored = store.get(key);
    // Stored values are frozen; the engine works on a copy that afterBatch writes back.
    const state = stored === undefined ? newInstrumentState() : structuredClone(stored);
    batch.set(key, { partition: store.partition, state });
    return state;
  };
  return defineService({
    name: name ?? 'detector',
    description:
      'trades + book deltas -> alerts: price jumps, volume bursts, wash trades, spoofing, bad books, feed gaps',
    consumes: [input.trades, input.bookDelta],
    produces: [output],
    stores: { [DETECTOR_STORE]: {} },
    maxPollRecords: 1000,
    handle(record, ctx) {
      const store = ctx.store<InstrumentState>(DETECTOR_STORE);
      if (isFrom(record, input.trades)) {
        const t = record.value;
        const state = load(ctx.instance, store, `${t.exchange}:${t.symbol}`);
        for (const alert of engine.onTrade(state, t)) ctx.emit(output, alert);
      } else if (isFrom(record, input.bookDelta)) {
        const d = record.value;
        const state = load(ctx.instance, store, `${d.exchange}:${d.symbol}`);
        for (const alert of engine.onBook(state, d)) ctx.emit(output, alert);
      }
    },
    afterBatch(ctx) {
      const batch = touched.get(ctx.instance);
      if (!batch) return;
      touched.delete(ctx.instance);
      for (const [key, t] of batch) ctx.store<InstrumentState>(DETECTOR_STORE, t.partition).put(key, t.state);
    },
  });
}

export default createDetector();
