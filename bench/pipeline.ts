// The whole market-data pipeline on the real BTCUSDT + ETHUSDT capture: raw frames -> parser -> orderbook + candles + detector -> writer, in frames/s.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openBus } from '../src/bus/open.ts';
import { type Bus } from '../src/bus/types.ts';
import {
  alerts,
  bookDelta,
  bookDepth,
  bookTop,
  candles,
  instruments,
  klines,
  type Product,
  queueControl,
  rawTopics,
  trades,
} from '../src/contracts/index.ts';
import { deadLetterProduct } from '../src/contracts/dlq.ts';
import { type CandleInterval } from '../src/contracts/schema/candles.ts';
import { ensureTopics, ServiceHost } from '../src/runtime/index.ts';
import { createCandles } from '../src/services/candles/index.ts';
import { createDetector } from '../src/services/detector/index.ts';
import { createOrderbook } from '../src/services/orderbook/index.ts';
import { createParser } from '../src/services/parser/index.ts';
import { replayCaptures } from '../src/services/replay/index.ts';
import { createWriter } from '../src/services/writer/index.ts';
import { readCapture } from '../src/venues/capture/index.ts';
import { MARKET } from './market-data.ts';
import { progress } from './types.ts';

export interface PipelineRow {
  readonly backend: 'embedded' | 'kafka';
  readonly database: 'pglite' | 'postgresql';
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerSec: number;
  /** How many times faster than the capture arrived live. */
  readonly vsLive: number;
  readonly produced: Readonly<Record<string, number>>;
  readonly rows: Readonly<Record<string, number>>;
}

export interface PipelineBenchResult {
  readonly files: readonly string[];
  /** Frames per second at which the capture arrived from Binance (its own receive times). */
  readonly liveFramesPerSec: number;
  readonly rows: readonly PipelineRow[];
  readonly note: string;
}

const FILES = ['btcusdt', 'ethusdt'].flatMap((s) =>
  ['20240808', '20240809'].map((d) => `binance-spot-hftbacktest/spot_${s}_${d}.gz`),
);
const POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const INTERVALS: readonly CandleInterval[] = ['1s', '1m', '5m', '1h'];

/** Every product of the pipeline under a name unique to this run. */
function topicsFor(prefix: string) {
  const rename = <P extends Product>(p: P): P => ({
    ...p,
    topic: `${prefix}.${p.topic}`,
    declaration: `${prefix}.${p.topic}`,
  });
  return {
    raw: rename(rawTopics.binance),
    trades: rename(trades),
    bookDelta: rename(bookDelta),
    klines: rename(klines),
    instruments: rename(instruments),
    bookTop: rename(bookTop),
    bookDepth: rename(bookDepth),
    control: rename(queueControl),
    alerts: rename(alerts),
    candles: Object.fromEntries(INTERVALS.map((i) => [i, rename(candles[i])])) as Record<
      CandleInterval,
      (typeof candles)[CandleInterval]
    >,
  };
}

async function endOffsets(bus: Bus, topics: readonly string[]): Promise<Record<string, number>> {
  const admin = bus.admin();
  try {
    const out: Record<string, number> = {};
    for (const topic of topics)
      out[topic] = (await admin.listOffsets(topic, 'latest')).reduce((s, p) => s + p.offset, 0);
    return out;
  } finally {
    await admin.close();
  }
}

async function lagOf(bus: Bus, groups: ReadonlyMap<string, readonly string[]>): Promise<number> {
  const admin = bus.admin();
  try {
    let lag = 0;
    for (const [group, topics] of groups) {
      const parts = await admin.groupLag(group, topics);
      if (parts.length === 0) return Number.POSITIVE_INFINITY;
      for (const p of parts) lag += p.lag;
    }
    return lag;
  } finally {
    await admin.close();
  }
}

async function runOnce(
  bus: Bus,
  backend: PipelineRow['backend'],
  database: PipelineRow['database'],
  frames: number,
  liveFramesPerSec: number,
): Promise<PipelineRow> {
  const prefix = `bench-pipe-${Date.now().toString(36)}`;
  const t = topicsFor(prefix);
  const candleList = Object.values(t.candles);
  const products: Product[] = [
    t.raw,
    t.trades,
    t.bookDelta,
    t.klines,
    t.instruments,
    t.bookTop,
    t.bookDepth,
    t.control,
    t.alerts,
    ...candleList,
  ];
  await ensureTopics(bus, products);
  const schema = prefix.replaceAll('-', '_');
  const pgliteDir = database === 'pglite' ? await mkdtemp(path.join(os.tmpdir(), 'sf-bench-pglite-')) : null;
  try {
    progress(`pipeline (${backend}): replaying ${frames} frames into ${t.raw.topic}`);
    await replayCaptures(
      bus,
      FILES.map((f) => path.join(MARKET, f)),
      { product: t.raw },
    );
    const names = {
      parser: `${prefix}-parser`,
      orderbook: `${prefix}-orderbook`,
      candles: `${prefix}-candles`,
      detector: `${prefix}-detector`,
      writer: `${prefix}-writer`,
    };
    const host = new ServiceHost({
      bus,
      logLevel: 'error',
      heartbeatMs: 0,
      services: [
        {
          definition: createParser({
            name: names.parser,
            exchanges: ['binance'],
            topics: {
              raw: { binance: t.raw },
              trades: t.trades,
              bookDelta: t.bookDelta,
              klines: t.klines,
              instruments: t.instruments,
            },
          }),
        },
        {
          definition: createOrderbook({
            name: names.orderbook,
            topics: {
              bookDelta: t.bookDelta,
              bookTop: t.bookTop,
              bookDepth: t.bookDepth,
              control: t.control,
            },
          }),
        },
        {
          definition: createCandles({
            name: names.candles,
            topics: { trades: t.trades, candles: t.candles },
          }),
        },
        {
          definition: createDetector({
            name: names.detector,
            topics: { trades: t.trades, bookDelta: t.bookDelta, alerts: t.alerts },
          }),
        },
        {
          definition: createWriter({
            name: names.writer,
            database: database === 'pglite' ? `pglite:${pgliteDir}` : POSTGRES,
            schema,
            only: true,
            topics: { trades: t.trades, candles: t.candles, bookTop: t.bookTop, alerts: t.alerts },
          }),
        },
      ],
    });
    const groups = new Map<string, readonly string[]>([
      [names.parser, [t.raw.topic]],
      [names.orderbook, [t.bookDelta.topic]],
      [names.candles, [t.trades.topic]],
      [names.detector, [t.trades.topic, t.bookDelta.topic]],
      [names.writer, [t.trades.topic, t.bookTop.topic, t.alerts.topic, ...candleList.map((c) => c.topic)]],
    ]);
    const started = performance.now();
    await host.start();
    // Done when every group has read everything and nothing new was written since the last look.
    let last = '';
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const lag = await lagOf(bus, groups);
      const ends = JSON.stringify(
        await endOffsets(
          bus,
          products.map((p) => p.topic),
        ),
      );
      if (lag === 0 && ends === last) break;
      last = ends;
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed > 900) throw new Error(`pipeline (${backend}) did not finish in 900 s (lag ${lag})`);
    }
    // The last look found nothing new: the work ended at most one poll interval before it.
    const seconds = (performance.now() - started) / 1000 - 0.25;
    await host.stop('bench over');
    const produced = await endOffsets(
      bus,
      products.filter((p) => p !== t.raw).map((p) => p.topic),
    );
    const rows = await countRows(database, database === 'pglite' ? pgliteDir! : POSTGRES, schema);
    const framesPerSec = frames / seconds;
    progress(`pipeline (${backend}): ${Math.round(framesPerSec)} frames/s`);
    return {
      backend,
      database,
      frames,
      seconds,
      framesPerSec,
      vsLive: framesPerSec / liveFramesPerSec,
      produced: Object.fromEntries(Object.entries(produced).map(([k, v]) => [k.slice(prefix.length + 1), v])),
      rows,
    };
  } finally {
    const admin = bus.admin();
    await admin
      .deleteTopics(products.flatMap((p) => [p.topic, deadLetterProduct(p).topic]))
      .catch(() => undefined);
    const topics = await admin.listTopics().catch(() => [] as string[]);
    await admin.deleteTopics(topics.filter((x) => x.startsWith(`${prefix}-`))).catch(() => undefined);
    await admin.close();
    if (database === 'postgresql') {
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
    }
    if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  }
}

/** Rows per table the writer left. */
async function countRows(
  database: PipelineRow['database'],
  where: string,
  schema: string,
): Promise<Record<string, number>> {
  const { openDatabase } = await import('../src/services/writer/index.ts');
  const db = await openDatabase(database === 'pglite' ? `pglite:${where}` : where, { schema });
  try {
    const out: Record<string, number> = {};
    for (const table of ['trades', 'candles', 'book_top', 'alerts']) {
      const result = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
      out[table] = Number(result[0]!.n);
    }
    return out;
  } finally {
    await db.close();
  }
}

/** Frames in the capture and the rate they arrived at live (first to last receive time). */
async function captureRate(): Promise<{ frames: number; perSec: number }> {
  let frames = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const f of FILES) {
    let fileFrames = 0;
    for await (const frame of readCapture(path.join(MARKET, f))) {
      fileFrames++;
      first = Math.min(first, frame.receivedAt);
      last = Math.max(last, frame.receivedAt);
    }
    frames += fileFrames;
  }
  return { frames, perSec: frames / ((last - first) / 1000) };
}

export async function benchPipeline(options: {
  readonly embedded: boolean;
  readonly kafkaBootstrap: string | null;
}): Promise<PipelineBenchResult> {
  const { kafkaBootstrap } = options;
  const live = await captureRate();
  const rows: PipelineRow[] = [];
  if (options.embedded) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-bench-pipeline-'));
    try {
      const embedded = await openBus(`embedded:${dir}`);
      try {
        rows.push(await runOnce(embedded, 'embedded', 'pglite', live.frames, live.perSec));
      } finally {
        await embedded.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (kafkaBootstrap) {
    const kafka = await openBus(`kafka://${kafkaBootstrap}`);
    try {
      rows.push(await runOnce(kafka, 'kafka', 'postgresql', live.frames, live.perSec));
    } finally {
      await kafka.close();
    }
  }
  return {
    files: FILES,
    liveFramesPerSec: live.perSec,
    rows,
    note:
      'the real Binance BTCUSDT + ETHUSDT capture (depth diffs, bookTicker, trades and the REST snapshots) is ' +
      'replayed into a raw topic first (not timed); then parser, orderbook, candles, detector and writer start in ' +
      'one process (one Node thread; on Kafka the broker shares the 2 cores) and the clock runs until every group ' +
      'has read everything; frames/s = capture frames / that time, so service start-up (group joins, migrations) ' +
      'is included. The writer persists to PGlite on the embedded backend and to PostgreSQL on Kafka. Reference: ' +
      'the rate at which the same capture arrived from Binance live.',
  };
}
