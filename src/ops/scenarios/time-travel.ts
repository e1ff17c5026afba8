// Scenario "time travel": a broken candles deploy writes wrong candles; reset to a datetime, deploy the fix, reprocess: topic and database right again.

import { type Bus } from '../../bus/types.ts';
import { type Candle } from '../../contracts/schema/candles.ts';
import { type ServiceRunner, silentLogger } from '../../runtime/index.ts';
import { changelogTopic } from '../../runtime/state/index.ts';
import { CANDLES_STORE, createCandles } from '../../services/candles/index.ts';
import { createWriter, openDatabase, type SqlDatabase } from '../../services/writer/index.ts';
import { readCandles } from '../../services/writer/read.ts';
import { createBrokenCandles } from './broken-candles.ts';
import {
  candleKey,
  candlesPair,
  createPairTopics,
  type ScenarioCandles,
  countByInterval,
  diffCandles,
  readCandleOutput,
  SCENARIO_INTERVALS,
} from './candles.ts';
import { loadCapturedTrades } from './data.ts';
import { rewindChangelog } from './rewind.ts';
import { startInstance, stopAll } from './service.ts';
import { produceAll, uniqueName, waitCaughtUp, withAdmin } from './topics.ts';
import { type Progress, type ScenarioVerdict, silentProgress } from './types.ts';

export interface TimeTravelOptions {
  readonly bus: Bus;
  /** Where the writer stores candles: postgres://... or pglite:<dir>. */
  readonly database: string;
  /** Schema of the writer's tables (created; dropped at the end unless `keep`). Default a unique one. */
  readonly schema?: string;
  /** Captured trades (default 15,863, the first day's six minutes); the bad deploy takes the last 60 %. */
  readonly trades?: number;
  readonly progress?: Progress;
  readonly keep?: boolean;
  readonly capturesDir?: string;
}

export interface TimeTravelResult extends ScenarioVerdict {
  /** The datetime noted before the bad deploy, which the group and its store were reset to. */
  readonly resetTo: number;
  /** Candles on the derived topic (latest per key) and rows in the database the bad version got wrong. */
  readonly wrongOnTopic: number;
  readonly wrongRows: number;
  readonly reference: number;
  readonly rows: number;
}

/**
 * A reference candles service runs the whole time in its own group. The production candles
 * service (version 1, right) processes the first 40 % of the trades and the writer stores its
 * candles; the operator notes the time and deploys version 2, which swaps volume and quote
 * volume, and the remaining trades go through it: wrong candles on the topic and in the
 * database (checked). Then: stop it, reset its group to the noted datetime, put its store back
 * to that datetime, start the fixed version. It reprocesses the trades since, and re-publishes
 * the candles, which the writer's upserts put over the wrong rows. The verdict compares the
 * latest candle per key on the topic, and every stored row, with the reference.
 */
export async function runTimeTravel(options: TimeTravelOptions): Promise<TimeTravelResult> {
  const { bus } = options;
  const progress = options.progress ?? silentProgress;
  const { trades: values } = await loadCapturedTrades({
    limit: options.trades ?? 15_863,
    ...(options.capturesDir ? { dir: options.capturesDir } : {}),
  });
  const schema = options.schema ?? uniqueName('sfscn_tt').replace(/[^a-z0-9_]/g, '_');
  const db = await openDatabase(options.database, { schema });
  const [reference, production] = candlesPair('sfscn-tt-ref', 'sfscn-tt-candles');
  const writerName = uniqueName('sfscn-tt-writer');
  const changelog = changelogTopic(production.name, CANDLES_STORE);
  const deleteTopics = await createPairTopics(bus, [reference, production]);
  const candleOptions = (s: ScenarioCandles) => ({
    name: s.name,
    intervals: SCENARIO_INTERVALS,
    topics: s.topics,
    log: silentLogger,
  });
  const input = [reference.topics.trades.topic];
  const productionOutputs = Object.values(production.topics.candles).map((p) => p.topic);
  const runners: ServiceRunner[] = [];
  try {
    runners.push(await startInstance(bus, createCandles(candleOptions(reference)), progress));
    runners.push(
      await startInstance(
        bus,
        createWriter({
          name: writerName,
          database: db,
          only: true,
          topics: { candles: production.topics.candles },
        }),
        progress,
      ),
    );
    let candles = await startInstance(bus, createCandles(candleOptions(production)), progress);
    runners.push(candles);
    progress(
      `reference ${reference.name}, candles v1 ${production.name} and writer into ${db.description} running`,
    );

    const split = Math.floor(values.length * 0.4);
    await produceAll(bus, reference.topics.trades, values.slice(0, split));
    await waitCaughtUp(bus, production.name, input, { progress, what: 'candles v1' });
    await waitCaughtUp(bus, writerName, productionOutputs, { progress, what: 'writer' });
    await candles.stop('deploying v2');
    const resetTo = Date.now();
    // Everything written from here on has a later timestamp than the noted datetime.
    while (Date.now() <= resetTo) await new Promise((resolve) => setTimeout(resolve, 1));
    progress(
      `${split} trades processed by v1; noted ${new Date(resetTo).toISOString()}, deploying v2 (broken)`,
    );

    candles = await startInstance(
      bus,
      createBrokenCandles(candleOptions(production)),
      progress,
      `${production.name}-v2`,
    );
    runners.push(candles);
    await produceAll(bus, reference.topics.trades, values.slice(split));
    await waitCaughtUp(bus, production.name, input, { progress, what: 'candles v2 (broken)' });
    await waitCaughtUp(bus, writerName, productionOutputs, { progress, what: 'writer' });
    await waitCaughtUp(bus, reference.name, input, { progress, what: 'reference' });
    const want = await readCandleOutput(bus, reference.topics);
    const wrongOnTopic = countWrong(want, await readCandleOutput(bus, production.topics));
    const wrongRows = countWrong(want, await storedCandles(db));
    progress(
      `v2 processed ${values.length - split} trades: ${wrongOnTopic} wrong candles on the topic, ${wrongRows} wrong rows`,
    );

    await candles.stop('rolling back');
    const offsets = await withAdmin(bus, (admin) =>
      admin.resetGroupOffsets(production.name, input, { datetime: resetTo }),
    );
    const rewound = await rewindChangelog(bus, changelog, resetTo);
    progress(
      `group ${production.name} reset to ${new Date(resetTo).toISOString()} (offsets ${offsets
        .filter((o) => o.offset > 0)
        .map((o) => `${o.partition}:${o.offset}`)
        .join(' ')}); store rewound: ${rewound.restored} restored, ${rewound.deleted} deleted`,
    );
    candles = await startInstance(
      bus,
      createCandles(candleOptions(production)),
      progress,
      `${production.name}-v3`,
    );
    runners.push(candles);
    progress('fixed version deployed: reprocessing');
    await waitCaughtUp(bus, production.name, input, { progress, what: 'candles v3 (fixed)' });
    await waitCaughtUp(bus, writerName, productionOutputs, { progress, what: 'writer' });

    const onTopic = await readCandleOutput(bus, production.topics);
    const stored = await storedCandles(db);
    const differences = [
      ...diffCandles(want, onTopic).map((d) => `topic: ${d}`),
      ...diffCandles(want, stored).map((d) => `database: ${d}`),
    ];
    if (want.size === 0) differences.push('the reference built no candle: nothing was compared');
    if (wrongOnTopic === 0 || wrongRows === 0)
      differences.push(
        `the broken version did no visible damage (${wrongOnTopic} on the topic, ${wrongRows} rows)`,
      );
    return {
      scenario: 'time-travel',
      backend: bus.kind,
      checks: [
        `reference: ${want.size} candles (${countByInterval(want)})`,
        `bad deploy: ${wrongOnTopic} wrong candles on the topic, ${wrongRows} wrong rows in ${db.description}`,
        `after reset to ${new Date(resetTo).toISOString()} and reprocessing: ${onTopic.size} candles on the topic, ${stored.size} rows, compared field by field`,
      ],
      differences,
      resetTo,
      wrongOnTopic,
      wrongRows,
      reference: want.size,
      rows: stored.size,
    };
  } finally {
    await stopAll(bus, runners, options.keep ? [] : [reference.name, production.name, writerName]);
    if (!options.keep) {
      await deleteTopics();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    }
    await db.close();
  }
}

/** Every stored candle, by candle key. */
async function storedCandles(db: SqlDatabase): Promise<Map<string, Candle>> {
  const out = new Map<string, Candle>();
  for (const symbol of ['BTCUSDT', 'ETHUSDT'])
    for (const interval of SCENARIO_INTERVALS)
      for (const c of await readCandles(db, {
        symbol,
        interval,
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
        limit: 1_000_000,
      }))
        out.set(candleKey(c), c);
  return out;
}

function countWrong(reference: ReadonlyMap<string, Candle>, actual: ReadonlyMap<string, Candle>): number {
  let wrong = 0;
  for (const [key, c] of actual) {
    const want = reference.get(key);
    if (!want || want.volume !== c.volume || want.quoteVolume !== c.quoteVolume) wrong++;
  }
  return wrong;
}
