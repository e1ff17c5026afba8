// Scenario "failure becomes delay": candles stopped while trades keep flowing, restarted, catches up to an uninterrupted run's candles.

import { type Bus } from '../../bus/types.ts';
import { type Candle } from '../../contracts/schema/candles.ts';
import { createCandles } from '../../services/candles/index.ts';
import { type ServiceRunner, silentLogger } from '../../runtime/index.ts';
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
import { groupLag, startFeed, waitCaughtUp } from './topics.ts';
import { type Progress, type ScenarioVerdict, silentProgress } from './types.ts';

export interface FailureDelayOptions {
  readonly bus: Bus;
  /** Captured trades replayed (default 15,863: the first day's six minutes of BTCUSDT and ETHUSDT). */
  readonly trades?: number;
  /** Trades per second the feed sends while the scenario runs (default 2,000). */
  readonly rate?: number;
  readonly progress?: Progress;
  /**
   * How the service goes down: `graceful` (default; finishes its batch, commits, leaves the group)
   * or `crash` (drops everything without committing or leaving, as `kill -9` would; the group
   * notices by session timeout and the restarted instance replays what was not committed).
   */
  readonly stop?: 'graceful' | 'crash';
  /** Leave the scenario's topics and groups in place to look at them (the demo's --keep). */
  readonly keep?: boolean;
  readonly capturesDir?: string;
}

export interface FailureDelayResult extends ScenarioVerdict {
  /** Records the stopped service had not committed when it was restarted: the delay the failure became. */
  readonly backlogAtRestart: number;
  /** From the restart until it had committed everything (the feed kept sending meanwhile). */
  readonly catchUpMs: number;
  readonly reference: number;
  readonly restarted: number;
  /** The reference's candles, latest per candle key (what the restarted service's were compared with). */
  readonly referenceCandles: ReadonlyMap<string, Candle>;
}

/**
 * Two candles services read one trades topic, each in its own group with its own output topics:
 * the reference runs throughout; the other is stopped once a third of the trades are out, stays
 * down while the feed goes on, and is started again (a new instance, same group) at two
 * thirds. It resumes from its committed offsets and restored store. The verdict compares, per
 * candle key, the latest candle of each: every field must be equal, none missing, none extra.
 */
export async function runFailureDelay(options: FailureDelayOptions): Promise<FailureDelayResult> {
  const { bus } = options;
  const progress = options.progress ?? silentProgress;
  const captured = await loadCapturedTrades({
    limit: options.trades ?? 15_863,
    ...(options.capturesDir ? { dir: options.capturesDir } : {}),
  });
  const values = captured.trades;
  const rate = options.rate ?? 2000;
  progress(
    `${values.length} real Binance trades (BTCUSDT, ETHUSDT; they arrived at ${captured.liveRate.toFixed(1)}/s), fed at ${rate}/s on ${bus.uri}`,
  );
  const [reference, live] = candlesPair('sfscn-fd-ref', 'sfscn-fd-live');
  const deleteTopics = await createPairTopics(bus, [reference, live]);
  const definition = (s: ScenarioCandles) =>
    createCandles({ name: s.name, intervals: SCENARIO_INTERVALS, topics: s.topics, log: silentLogger });
  const runners: ServiceRunner[] = [];
  const input = [reference.topics.trades.topic];
  try {
    runners.push(await startInstance(bus, definition(reference), progress));
    let current = await startInstance(bus, definition(live), progress);
    runners.push(current);
    progress(`candles ${reference.name} (reference) and ${live.name} running`);

    const feed = startFeed(bus, reference.topics.trades, values, rate);
    const third = Math.floor(values.length / 3);
    await until(
      () => feed.sent() >= third && groupLagIs(bus, live.name, input, (lag) => lag !== null),
      feed.done,
    );
    const crash = options.stop === 'crash';
    if (crash) await current.abandon();
    else await current.stop('failure-delay: taken down while trades keep flowing');
    progress(
      `${feed.sent()} trades sent: ${live.name} ${crash ? 'crashed (nothing committed, group not left)' : 'stopped'}, the feed goes on`,
    );

    await until(() => feed.sent() >= 2 * third, feed.done);
    const backlog = (await groupLag(bus, live.name, input)) ?? 0;
    progress(`${feed.sent()} trades sent: ${live.name} is ${backlog} records behind; restarting it`);
    const restartedAt = Date.now();
    current = await startInstance(bus, definition(live), progress, `${live.name}-1`);
    runners.push(current);

    await feed.done;
    progress(`feed done: all ${values.length} trades sent`);
    await waitCaughtUp(bus, live.name, input, { progress, what: `${live.name} (restarted)` });
    const caughtUpAfter = Date.now() - restartedAt;
    await waitCaughtUp(bus, reference.name, input, { progress, what: `${reference.name} (reference)` });
    progress(`${live.name} caught up ${caughtUpAfter} ms after its restart; comparing candles`);

    const want = await readCandleOutput(bus, reference.topics);
    const got = await readCandleOutput(bus, live.topics);
    const differences = diffCandles(want, got);
    if (want.size === 0) differences.push('the reference built no candle: nothing was compared');
    if (backlog === 0)
      differences.push('the stopped service had no backlog at its restart: no failure was simulated');
    return {
      scenario: crash ? 'failure-delay (crash)' : 'failure-delay',
      backend: bus.kind,
      checks: [
        `reference (uninterrupted): ${want.size} candles (${countByInterval(want)})`,
        `${crash ? 'crashed' : 'stopped'} at ${third} trades, restarted ${backlog} records behind: ${got.size} candles (${countByInterval(got)})`,
        `caught up ${caughtUpAfter} ms after the restart; latest candle per key compared field by field`,
      ],
      differences,
      backlogAtRestart: backlog,
      catchUpMs: caughtUpAfter,
      reference: want.size,
      restarted: got.size,
      referenceCandles: want,
    };
  } finally {
    await stopAll(bus, runners, options.keep ? [] : [reference.name, live.name]);
    if (!options.keep) await deleteTopics();
  }
}

async function groupLagIs(
  bus: Bus,
  group: string,
  topics: readonly string[],
  test: (lag: number | null) => boolean,
): Promise<boolean> {
  return test(await groupLag(bus, group, topics));
}

/** Waits until `check` holds; fails if `done` settles first with `check` still false. */
async function until(check: () => Promise<boolean> | boolean, done: Promise<void>): Promise<void> {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  for (;;) {
    if (await check()) return;
    if (finished) {
      await done;
      if (await check()) return;
      throw new Error(
        'the feed finished before the scenario reached its step: give it more trades or a lower --rate',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
