// Catch-up speed: how many times faster than the live rate a restarted candles service works off a backlog of real trades.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openBus } from '../src/bus/open.ts';
import { type Bus, type TopicPartitionOffset } from '../src/bus/types.ts';
import { candles, trades } from '../src/contracts/index.ts';
import { type Trade } from '../src/contracts/schema/trades.ts';
import { silentLogger } from '../src/runtime/index.ts';
import { changelogTopic } from '../src/runtime/state/index.ts';
import { CANDLES_STORE, createCandles } from '../src/services/candles/index.ts';
import { loadCapturedTrades } from '../src/ops/scenarios/data.ts';
import { startInstance, stopAll } from '../src/ops/scenarios/service.ts';
import {
  createTopics,
  produceAll,
  renamed,
  uniqueName,
  waitCaughtUp,
  withAdmin,
} from '../src/ops/scenarios/topics.ts';
import { progress } from './types.ts';

export const CATCHUP_TARGET = 100;

export interface CatchupRow {
  readonly backend: 'embedded' | 'kafka';
  /** Trades that arrived while the service was down, and the recorded minutes they span. */
  readonly backlogTrades: number;
  readonly backlogMinutes: number;
  /** Trades per second at which the capture arrived from Binance. */
  readonly liveRate: number;
  /** Best round: from the restart (group join and store restore included) until everything is committed. */
  readonly catchUpMs: number;
  readonly catchUpRate: number;
  /** catchUpRate over liveRate: the target is >= 100x. */
  readonly vsLive: number;
  /** The same round from its first commit on (group join and store restore left out), and over the live rate. */
  readonly drainRate: number | null;
  readonly drainVsLive: number | null;
  /** Reference in the same run: a plain consumer reading and JSON-parsing the same backlog, nothing else. */
  readonly plainReadRate: number;
  /** catchUpRate over plainReadRate: the share of the bus's read speed the service keeps. */
  readonly vsPlainRead: number;
  /** Final candles the service published while catching up (1s, 1m, 5m, 1h). */
  readonly candlesPublished: number;
  /** Every round's catch-up rate. */
  readonly rounds: readonly number[];
}

export interface CatchupReport {
  readonly rows: CatchupRow[];
  readonly note: string;
}

interface Round {
  readonly catchUpMs: number;
  readonly backlog: number;
  /** Records/s from the first commit after the restart to the last: without the join and restore. */
  readonly drainRate: number | null;
  readonly plainReadMs: number;
  readonly candlesPublished: number;
}

/**
 * One round on `bus`: the candles service (all four intervals, as `streamforge run candles`)
 * processes the capture's first minute and is stopped; the next `minutes` minutes of trades
 * arrive meanwhile; then it is started again and timed until its group has committed all of
 * them. A plain consumer then reads the same backlog (from the same offsets) and parses each
 * value, as the reference.
 */
async function round(bus: Bus, values: readonly Trade[], split: number): Promise<Round> {
  const input = renamed(trades, uniqueName('sfbench-cu-trades'));
  const name = uniqueName('sfbench-cu-candles');
  const outputs = Object.fromEntries(
    Object.entries(candles).map(([i, p]) => [i, renamed(p, uniqueName(`sfbench-cu-${i}`))]),
  ) as typeof candles;
  const deleteTopics = await createTopics(
    bus,
    [input, ...Object.values(outputs)],
    [changelogTopic(name, CANDLES_STORE)],
  );
  const definition = createCandles({ name, topics: { trades: input, candles: outputs }, log: silentLogger });
  const topicsIn = [input.topic];
  try {
    await produceAll(bus, input, values.slice(0, split));
    const first = await startInstance(bus, definition, progress);
    await waitCaughtUp(bus, name, topicsIn, { timeoutMs: 120_000 });
    await first.stop('down while the backlog builds');
    const outputEnds = await Promise.all(
      Object.values(outputs).map((p) => withAdmin(bus, (a) => a.listOffsets(p.topic, 'latest'))),
    );
    const from: TopicPartitionOffset[] = (await withAdmin(bus, (a) => a.groupLag(name, topicsIn))).map(
      (p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.committed ?? 0,
      }),
    );
    await produceAll(bus, input, values.slice(split));
    const backlog = values.length - split;

    const started = performance.now();
    const second = await startInstance(bus, definition, progress, `${name}-restarted`);
    // The first commit ends the join and the store restore: from there on it only works off records.
    let firstCommit: { at: number; lag: number } | null = null;
    const deadline = Date.now() + 300_000;
    const admin = bus.admin();
    try {
      for (;;) {
        let lag = 0;
        for (const p of await admin.groupLag(name, topicsIn))
          lag += p.committed === null ? p.logEnd - p.logStart : p.lag;
        const now = performance.now();
        if (!firstCommit && lag < backlog) firstCommit = { at: now, lag };
        if (lag === 0) break;
        if (Date.now() > deadline) throw new Error(`catch-up: ${lag} of ${backlog} trades left after 300 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await admin.close();
    }
    const catchUpMs = performance.now() - started;
    const drain =
      firstCommit && firstCommit.lag > 0
        ? { ms: performance.now() - firstCommit.at, records: firstCommit.lag }
        : null;
    await stopAll(bus, [second], [name]);

    let candlesPublished = 0;
    for (const [i, p] of Object.values(outputs).entries()) {
      const ends = await withAdmin(bus, (a) => a.listOffsets(p.topic, 'latest'));
      for (const e of ends)
        candlesPublished += e.offset - (outputEnds[i]!.find((x) => x.partition === e.partition)?.offset ?? 0);
    }
    return {
      catchUpMs,
      backlog,
      drainRate: drain ? drain.records / (drain.ms / 1000) : null,
      plainReadMs: await plainRead(bus, from, backlog),
      candlesPublished,
    };
  } finally {
    await deleteTopics();
  }
}

/** The reference: assign, seek to the backlog's first offsets, poll and JSON.parse until `count` records. */
async function plainRead(bus: Bus, from: readonly TopicPartitionOffset[], count: number): Promise<number> {
  const consumer = bus.consumer({ maxPollRecords: 500 });
  try {
    const started = performance.now();
    await consumer.assign(from.map(({ topic, partition }) => ({ topic, partition })));
    for (const p of from) consumer.seek(p, p.offset);
    let read = 0;
    const deadline = Date.now() + 120_000;
    while (read < count) {
      if (Date.now() > deadline) throw new Error(`plain read: ${read} of ${count} records in 120 s`);
      for (const r of await consumer.poll({ timeoutMs: 200 })) {
        JSON.parse(r.value!.toString('utf8'));
        read++;
      }
    }
    return performance.now() - started;
  } finally {
    await consumer.close();
  }
}

export async function benchCatchup(options: {
  readonly backends: readonly ('embedded' | 'kafka')[];
  readonly kafkaBootstrap: string | null;
  readonly minutes: number;
  readonly rounds: number;
}): Promise<CatchupReport> {
  const captured = await loadCapturedTrades({ days: 2 });
  const values = captured.trades;
  const firstMinuteEnd = captured.firstReceivedAt + 60_000;
  const split = values.findIndex((t) => t.localTimestamp >= firstMinuteEnd);
  const backlogEnd = firstMinuteEnd + options.minutes * 60_000;
  let end = values.findIndex((t) => t.localTimestamp >= backlogEnd);
  if (end < 0) end = values.length;
  const used = values.slice(0, end);
  const backlogMinutes = (used.at(-1)!.localTimestamp - used[split]!.localTimestamp) / 60_000;
  const rows: CatchupRow[] = [];
  for (const backend of options.backends) {
    let dir: string | null = null;
    let bus: Bus;
    if (backend === 'embedded') {
      dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-catchup-'));
      bus = await openBus(`embedded:${dir}`);
    } else {
      if (!options.kafkaBootstrap) throw new Error('catch-up on Kafka needs a broker');
      bus = await openBus(`kafka://${options.kafkaBootstrap}`);
    }
    try {
      const results: Round[] = [];
      for (let r = 0; r < options.rounds; r++) {
        progress(
          `catch-up on ${backend}, round ${r + 1}/${options.rounds}: ${used.length - split} trades (${backlogMinutes.toFixed(1)} recorded minutes) of backlog`,
        );
        results.push(await round(bus, used, split));
      }
      const best = results.reduce((a, b) => (b.catchUpMs < a.catchUpMs ? b : a));
      const catchUpRate = best.backlog / (best.catchUpMs / 1000);
      const plainReadRate = best.backlog / (best.plainReadMs / 1000);
      rows.push({
        backend,
        backlogTrades: best.backlog,
        backlogMinutes,
        liveRate: captured.liveRate,
        catchUpMs: best.catchUpMs,
        catchUpRate,
        vsLive: catchUpRate / captured.liveRate,
        drainRate: best.drainRate,
        drainVsLive: best.drainRate === null ? null : best.drainRate / captured.liveRate,
        plainReadRate,
        vsPlainRead: catchUpRate / plainReadRate,
        candlesPublished: best.candlesPublished,
        rounds: results.map((x) => x.backlog / (x.catchUpMs / 1000)),
      });
    } finally {
      await bus.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
  return {
    rows,
    note:
      'real Binance BTCUSDT+ETHUSDT trades (hftbacktest capture, 2024-08-08/09) on a 12-partition md.trades copy; the candles service ' +
      '(1s, 1m, 5m, 1h, its store on a changelog) processes the first recorded minute, is stopped, the rest arrives, and it is restarted: ' +
      'catch-up time runs from the restart (group join and store restore included) until its group has committed every trade, read ' +
      "from the group lag every 20 ms. The live rate is the capture's own (trades over the receive-time span). Reference: a plain " +
      'consumer reading the same backlog from the same offsets and JSON-parsing each value, no processing, no commits (its own ' +
      'start included). The rate after the first commit leaves out the join and restore, but is flattered by what the consumer had ' +
      'already fetched by then; the target is judged on the whole catch-up.',
  };
}

export function catchupTargets(
  report: CatchupReport,
): { name: string; goal: number; actual: number; pass: boolean }[] {
  return report.rows.map((r) => ({
    name: `catch-up of a restarted candles service on ${r.backend} >= ${CATCHUP_TARGET}x the live rate of the real stream`,
    goal: CATCHUP_TARGET,
    actual: r.vsLive,
    pass: r.vsLive >= CATCHUP_TARGET,
  }));
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatCatchup(report: CatchupReport): string[] {
  const out = ['', 'Catch-up after a failure (candles service restarted over a backlog of real trades)'];
  for (const r of report.rows)
    out.push(
      `${r.backend}: ${int(r.backlogTrades)} trades (${r.backlogMinutes.toFixed(1)} recorded minutes) worked off in ` +
        `${(r.catchUpMs / 1000).toFixed(2)} s = ${int(r.catchUpRate)} trades/s, ${r.vsLive.toFixed(0)}x the live rate of ` +
        `${r.liveRate.toFixed(1)}/s` +
        (r.drainRate === null
          ? ''
          : ` (after the join and restore: ${int(r.drainRate)}/s, ${(r.drainVsLive ?? 0).toFixed(0)}x)`) +
        `; plain read of the same backlog ${int(r.plainReadRate)}/s (${r.vsPlainRead.toFixed(2)}x of it); ` +
        `${int(r.candlesPublished)} candles published; rounds ${r.rounds.map(int).join(' / ')} trades/s`,
    );
  out.push(`  ${report.note}`);
  return out;
}
