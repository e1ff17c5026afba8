// Scenario "a new consumer bootstraps from history": a candles service started later, in a new group, reaches the running one's candles and state.

import { type Bus } from '../../bus/types.ts';
import { type ServiceRunner, silentLogger } from '../../runtime/index.ts';
import { changelogTopic } from '../../runtime/state/index.ts';
import { CANDLES_STORE, createCandles } from '../../services/candles/index.ts';
import {
  candlesPair,
  createPairTopics,
  type ScenarioCandles,
  countByInterval,
  diffCandles,
  readCandleOutput,
  SCENARIO_INTERVALS,
} from './candles.ts';
import { loadCapturedTrades } from './data.ts';
import { startInstance, stopAll } from './service.ts';
import { latestByKey, produceAll, startFeed, waitCaughtUp } from './topics.ts';
import { type Progress, type ScenarioVerdict, silentProgress } from './types.ts';

export interface BootstrapOptions {
  readonly bus: Bus;
  /** Captured trades (default 15,863, the first day's six minutes); half are history before the newcomer starts. */
  readonly trades?: number;
  /** Trades per second of the live part that both services read (default 2,000). */
  readonly rate?: number;
  readonly progress?: Progress;
  readonly keep?: boolean;
  readonly capturesDir?: string;
}

export interface BootstrapResult extends ScenarioVerdict {
  /** Trades on the topic before the newcomer started: the history it read first. */
  readonly history: number;
  readonly established: number;
  readonly newcomer: number;
  /** Instruments whose stored state (the candles store, read from its changelog) was compared. */
  readonly statesCompared: number;
}

/**
 * An established candles service processes the first half of the trades; a second one, in a
 * new group with its own outputs and store, starts only then, while the rest keeps arriving.
 * Nobody sends it a snapshot: it reads the trades topic from the beginning. The verdict
 * compares its candles (latest per candle key, every field) and its final store state per
 * instrument with the established service's.
 */
export async function runBootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
  const { bus } = options;
  const progress = options.progress ?? silentProgress;
  const { trades: values } = await loadCapturedTrades({
    limit: options.trades ?? 15_863,
    ...(options.capturesDir ? { dir: options.capturesDir } : {}),
  });
  const [established, newcomer] = candlesPair('sfscn-bs-old', 'sfscn-bs-new');
  const deleteTopics = await createPairTopics(bus, [established, newcomer]);
  const changelogs = [established, newcomer].map((s) => changelogTopic(s.name, CANDLES_STORE));
  const definition = (s: ScenarioCandles) =>
    createCandles({ name: s.name, intervals: SCENARIO_INTERVALS, topics: s.topics, log: silentLogger });
  const runners: ServiceRunner[] = [];
  const input = [established.topics.trades.topic];
  try {
    runners.push(await startInstance(bus, definition(established), progress));
    const history = Math.floor(values.length / 2);
    await produceAll(bus, established.topics.trades, values.slice(0, history));
    await waitCaughtUp(bus, established.name, input, { progress, what: established.name });
    progress(`${established.name} has processed ${history} real trades of history`);

    const feed = startFeed(bus, established.topics.trades, values.slice(history), options.rate ?? 2000);
    runners.push(await startInstance(bus, definition(newcomer), progress));
    progress(
      `${newcomer.name} started in a new group while trades keep arriving: it reads from the beginning`,
    );
    await feed.done;
    for (const s of [established, newcomer])
      await waitCaughtUp(bus, s.name, input, { progress, what: s.name });
    progress('both have processed every trade; comparing candles and stores');

    const want = await readCandleOutput(bus, established.topics);
    const got = await readCandleOutput(bus, newcomer.topics);
    const differences = diffCandles(want, got);
    if (want.size === 0) differences.push('the established service built no candle: nothing was compared');
    // The stores hold each instrument's open candles, watermark and previous close.
    await Promise.all(runners.map((r) => r.stop('compare stores')));
    const [oldState, newState] = await Promise.all(changelogs.map((topic) => latestByKey(bus, topic)));
    for (const [key, value] of oldState!)
      if (newState!.get(key) !== value)
        differences.push(`store ${key}: ${newState!.get(key) ?? 'missing'}, established ${value}`);
    for (const key of newState!.keys())
      if (!oldState!.has(key)) differences.push(`store ${key}: not in the established store`);
    if (oldState!.size === 0) differences.push('the established store is empty: no state was compared');
    return {
      scenario: 'bootstrap',
      backend: bus.kind,
      checks: [
        `${history} trades of history before the newcomer started, ${values.length - history} live after`,
        `established: ${want.size} candles (${countByInterval(want)}); newcomer: ${got.size} (${countByInterval(got)})`,
        `stores compared for ${oldState!.size} instruments (open candles, watermark, previous close)`,
      ],
      differences,
      history,
      established: want.size,
      newcomer: got.size,
      statesCompared: oldState!.size,
    };
  } finally {
    await stopAll(bus, runners, options.keep ? [] : [established.name, newcomer.name]);
    if (!options.keep) await deleteTopics();
  }
}
