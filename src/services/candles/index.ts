// The candles service: md.trades in, OHLCV candles per interval out to md.candles.<interval>, state in a store.

import { marketKey } from '../../contracts/product.ts';
import { createLogger } from '../../runtime/observability/index.ts';
import { defineService, type RuntimeLogger, type ServiceDefinition } from '../../runtime/index.ts';
import { addTrade, interimUpdates } from './aggregator.ts';
import { CandleBatch } from './batch.ts';
import { type CandlesOptions, resolveOptions } from './options.ts';
import { fromStored, type StoredKeyState, toStored } from './state.ts';
import { tradeFacts } from './trade.ts';

export { CANDLES_DEFAULTS, type CandlesOptions } from './options.ts';

/** The state store (changelog `<name>-candles-changelog`): one StoredKeyState per `exchange:symbol`. */
export const CANDLES_STORE = 'candles';

/**
 * Reads `md.trades` and builds candles in event time per instrument (see README.md here for
 * the rules: watermark, grace, late trades, flat candles and their cap, decimal formats).
 * Final candles are published when the instrument's watermark passes their end; everything a
 * batch of trades produced is published, and its states written to the store, once per batch
 * in `afterBatch`, with the batch's offsets committed after both. So the handler itself only
 * checks the trade (throwing before it changes anything, so a retry never applies a trade twice)
 * and folds it into memory.
 */
export function createCandles(options: CandlesOptions = {}): ServiceDefinition {
  const o = resolveOptions(options);
  const aggregation = { graceMs: o.graceMs, maxFlatCandles: o.maxFlatCandles };
  // Per instance: replicas of one definition in one process run their batches interleaved.
  const batches = new Map<string, CandleBatch>();
  const batchOf = (instance: string): CandleBatch => {
    let batch = batches.get(instance);
    if (!batch) {
      batch = new CandleBatch();
      batches.set(instance, batch);
    }
    return batch;
  };
  const logs = new Map<string, RuntimeLogger>();
  const logOf = (instance: string): RuntimeLogger => {
    if (o.log) return o.log;
    let log = logs.get(instance);
    if (!log) {
      log = createLogger({ service: o.name, instance }) as RuntimeLogger;
      logs.set(instance, log);
    }
    return log;
  };
  return defineService({
    name: o.name,
    description: `trades -> OHLCV candles (${o.intervals.map((i) => i.interval).join(', ')}) in event time`,
    consumes: [o.trades],
    produces: o.intervals.map((i) => o.candles[i.interval]),
    stores: { [CANDLES_STORE]: {} },
    maxPollRecords: 500,
    handle(input, ctx) {
      const trade = input.value;
      const facts = tradeFacts(trade);
      const key = marketKey(trade);
      const batch = batchOf(ctx.instance);
      const state = batch.state(input.record.partition, key, () =>
        fromStored(ctx.store<StoredKeyState>(CANDLES_STORE).get(key), trade, o.intervals),
      );
      addTrade(state, facts, aggregation, batch);
    },
    afterBatch(ctx) {
      const results = batchOf(ctx.instance).take();
      for (const { series, candle } of results.closed) ctx.emit(o.candles[series.interval], candle);
      for (const [partition, byKey] of results.states) {
        const store = ctx.store<StoredKeyState>(CANDLES_STORE, partition);
        for (const [key, state] of byKey) {
          if (o.interim)
            interimUpdates(state, (series, candle) => ctx.emit(o.candles[series.interval], candle));
          store.put(key, toStored(state));
        }
      }
      const log = logOf(ctx.instance);
      for (const r of results.late)
        log.warn(
          { ...r, graceMs: o.graceMs, reason: 'LATE_TRADE' },
          'late trades not folded in: their candle was already published (counted in the state as `late`)',
        );
      for (const r of results.skipped)
        log.warn(
          { ...r, maxFlatCandles: o.maxFlatCandles, reason: 'GAP_CAP' },
          'gap longer than maxFlatCandles: its remaining flat candles are not published',
        );
    },
  });
}

export default createCandles();
