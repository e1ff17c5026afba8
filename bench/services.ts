// The stream processors' benches in one section of the report: order book, candles, writer, the whole pipeline; their targets and table.

import { benchCandles, type CandlesBenchResult } from './candles.ts';
import { benchOrderbook, type OrderbookBenchResult } from './orderbook.ts';
import { benchPipeline, type PipelineBenchResult } from './pipeline.ts';
import { benchWriter, type WriterBenchResult } from './writer.ts';
import { progress } from './types.ts';

export interface ServicesReport {
  orderbook: OrderbookBenchResult | null;
  candles: CandlesBenchResult | null;
  writer: WriterBenchResult | null;
  pipeline: PipelineBenchResult | null;
}

export interface ServiceTarget {
  readonly name: string;
  readonly goal: number;
  readonly actual: number | null;
  readonly pass: boolean;
}

export const SERVICE_TARGETS = {
  orderbookLevelsPerSec: 8_000_000,
  pipelineEmbeddedFramesPerSec: 100_000,
  pipelineKafkaFramesPerSec: 50_000,
} as const;

/**
 * The stream-processor benches that need no broker (order book, candles, writer, the pipeline on
 * the embedded log): run before a broker starts, so that its JVM does not share the cores.
 */
export async function benchServicesLocal(rounds: number): Promise<ServicesReport> {
  progress('stream processors: order book');
  const orderbook = await benchOrderbook(rounds);
  progress('stream processors: candles');
  const candles = await benchCandles();
  progress('stream processors: writer');
  const writer = await benchWriter();
  progress('stream processors: the whole pipeline on the embedded log');
  const pipeline = await benchPipeline({ embedded: true, kafkaBootstrap: null });
  return { orderbook, candles, writer, pipeline };
}

/** The whole pipeline on Kafka, added to what the local run found. */
export async function benchServicesKafka(report: ServicesReport, bootstrap: string): Promise<void> {
  progress('stream processors: the whole pipeline on Kafka');
  const kafka = await benchPipeline({ embedded: false, kafkaBootstrap: bootstrap });
  report.pipeline = report.pipeline
    ? { ...report.pipeline, rows: [...report.pipeline.rows, ...kafka.rows] }
    : kafka;
}

export function serviceTargets(report: ServicesReport): ServiceTarget[] {
  const targets: ServiceTarget[] = [];
  if (report.orderbook) {
    const actual = report.orderbook.levelsPerSec;
    targets.push({
      name: 'order book level updates/s on one core over the real BTCUSDT diffs >= 8,000,000',
      goal: SERVICE_TARGETS.orderbookLevelsPerSec,
      actual,
      pass: actual >= SERVICE_TARGETS.orderbookLevelsPerSec,
    });
  }
  for (const row of report.pipeline?.rows ?? []) {
    const goal =
      row.backend === 'embedded'
        ? SERVICE_TARGETS.pipelineEmbeddedFramesPerSec
        : SERVICE_TARGETS.pipelineKafkaFramesPerSec;
    targets.push({
      name: `whole pipeline (raw -> parser -> orderbook + candles + detector -> writer) on ${row.backend} >= ${goal.toLocaleString('en-US')} frames/s`,
      goal,
      actual: row.framesPerSec,
      pass: row.framesPerSec >= goal,
    });
  }
  return targets;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatServices(report: ServicesReport): string[] {
  const out: string[] = ['', 'Stream processors'];
  const o = report.orderbook;
  if (o)
    out.push(
      `order book: ${int(o.levelsPerSec)} level updates/s vs ${int(o.mapBookLevelsPerSec)} for a Map-based book ` +
        `(${o.vsMapBook.toFixed(2)}x); young GCs per million levels ${o.scavengesPerMillionLevels.toFixed(2)} vs ` +
        `${o.mapBookScavengesPerMillionLevels.toFixed(2)}`,
      `  ${o.note}`,
    );
  for (const r of report.candles?.rows ?? [])
    out.push(
      `candles, ${r.data}: ${int(r.aggregatorPerSec)} trades/s (${int(r.withStatePerSec)} with state writes) vs ` +
        `${int(r.floatLoopPerSec)} for a float loop (${r.aggregatorVsFloatLoop.toFixed(2)}x)`,
    );
  if (report.candles) out.push(`  ${report.candles.note}`);
  if (report.writer) {
    for (const r of report.writer.results)
      out.push(
        `writer into ${r.store}: ${int(r.writerRowsPerSec)} rows/s vs ${int(r.insertRowsPerSec)} plain INSERT ` +
          `(${r.writerVsInsert.toFixed(2)}x)` +
          (r.copyRowsPerSec === null
            ? ''
            : ` and ${int(r.copyRowsPerSec)} COPY (${(r.writerVsCopy ?? 0).toFixed(2)}x)`),
      );
    if (report.writer.skipped.length > 0) out.push(`  skipped: ${report.writer.skipped.join('; ')}`);
    out.push(`  ${report.writer.note}`);
  }
  const p = report.pipeline;
  if (p) {
    for (const r of p.rows)
      out.push(
        `pipeline on ${r.backend} (${r.database}): ${int(r.frames)} frames in ${r.seconds.toFixed(1)} s = ` +
          `${int(r.framesPerSec)} frames/s, ${r.vsLive.toFixed(1)}x the live rate of ${int(p.liveFramesPerSec)} frames/s; ` +
          `rows ${Object.entries(r.rows)
            .map(([k, v]) => `${k} ${int(v)}`)
            .join(', ')}`,
      );
    out.push(`  ${p.note}`);
  }
  return out;
}
