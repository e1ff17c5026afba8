// Turns measured figures into ratios, PASS/MISS targets, a stdout table and the JSON result files.

import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CatchupReport, catchupTargets, formatCatchup } from './catchup.ts';
import { type EmbeddedResult } from './embedded.ts';
import { type ParserBenchResult } from './parser.ts';
import { formatServices, type ServicesReport, serviceTargets } from './services.ts';
import { formatStartup, type StartupReport, startupTargets } from './startup.ts';
import { LATENCY_TARGET, type RuntimeLatencyResult } from './runtime-latency.ts';
import { type RuntimeOverheadResult } from './runtime-overhead.ts';
import { type BenchParams, type Client, Clients, type Direction, type Figure } from './types.ts';

export interface KafkaRow {
  readonly direction: Direction;
  readonly recordSize: number;
  readonly client: Client;
  /** Produce: acknowledged throughput. Consume: after the group join. */
  readonly figure: Figure;
  /** Consume only: including the group join. */
  readonly total?: Figure;
  /** This figure over the Java tool's for the same test. */
  vsJava?: number;
}

export interface Target {
  readonly name: string;
  readonly goal: number;
  readonly actual: number | null;
  readonly pass: boolean;
  /** How `actual` reads: absent, a ratio (`x`) or a rate; else a number in this unit. */
  readonly unit?: '%' | 'ms';
}

export interface Machine {
  readonly node: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly loadAverageAtStart: readonly number[];
  loadAverageAtEnd?: readonly number[];
}

export interface KafkaInfo {
  readonly version: string;
  readonly bootstrap: string;
  readonly startedByBench: boolean;
}

/** Which code was measured: the commit, and the files of src/ that differ from it. */
export interface SourceInfo {
  readonly commit: string;
  readonly uncommittedInSrc: readonly string[];
}

export function sourceInfo(): SourceInfo {
  const git = (...args: string[]): string => {
    try {
      // trimEnd only: porcelain lines start with a status column that may be a space.
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
    } catch {
      return '';
    }
  };
  const dirty = git('status', '--porcelain', '--', 'src');
  return {
    commit: git('rev-parse', 'HEAD') || 'unknown',
    uncommittedInSrc: dirty === '' ? [] : dirty.split('\n').map((l) => l.slice(3)),
  };
}

export interface BenchReport {
  readonly startedAt: string;
  readonly source: SourceInfo;
  finishedAt?: string;
  readonly machine: Machine;
  kafka: KafkaInfo | null;
  readonly params: BenchParams;
  readonly clientSettings: Readonly<Record<string, unknown>>;
  readonly kafkaResults: KafkaRow[];
  embedded: EmbeddedResult | null;
  /** Parser throughput on the real captures next to JSON.parse of the same frames. */
  parser?: ParserBenchResult | null;
  /** Order book, candles, writer and the whole pipeline (raw frames to SQL) on both backends. */
  services?: ServicesReport | null;
  /** A restarted candles service working off a backlog of real trades, as a multiple of the live rate. */
  catchup?: CatchupReport | null;
  /** `npm start` to a dashboard with live data, and Ctrl-C to exit 0, next to the CLI's own start. */
  startup?: StartupReport | null;
  /** The service runtime on the same broker: overhead of a pass-through service, and latency through one. */
  runtime?: RuntimeReport | null;
  streamforgeVsKafkajs?: Array<{ direction: Direction; recordSize: number; ratio: number }>;
  /** KafkaJS's CPU per record over StreamForge's: how many times less CPU StreamForge needs. */
  cpuEfficiencyVsKafkajs?: Array<{ direction: Direction; recordSize: number; ratio: number }>;
  targets?: Target[];
}

export interface RuntimeReport {
  readonly overhead: RuntimeOverheadResult;
  readonly latency: RuntimeLatencyResult;
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

function find(rows: readonly KafkaRow[], d: Direction, size: number, c: Client): KafkaRow | undefined {
  return rows.find((r) => r.direction === d && r.recordSize === size && r.client === c);
}

/**
 * True when the raw loop spent most of its time in commit(): the service commits the same way,
 * so both rates then measure that wait and their ratio says little about the runtime's cost.
 */
function commitBound({ rawPhases: p }: RuntimeOverheadResult): boolean {
  return p.commitMs > (p.pollMs + p.sendMs + p.commitMs) / 2;
}

/** Fills in ratios and evaluates the targets. */
export function evaluate(report: BenchReport): void {
  const rows = report.kafkaResults;
  for (const row of rows) {
    const java = find(rows, row.direction, row.recordSize, Clients.JAVA);
    if (java) row.vsJava = row.figure.recordsPerSec / java.figure.recordsPerSec;
  }
  const targets: Target[] = [];
  const ratios: Array<{ direction: Direction; recordSize: number; ratio: number }> = [];
  const cpu: Array<{ direction: Direction; recordSize: number; ratio: number }> = [];
  for (const direction of ['produce', 'consume'] as const) {
    for (const { recordSize } of report.params.cases) {
      const sf = find(rows, direction, recordSize, Clients.STREAMFORGE);
      const js = find(rows, direction, recordSize, Clients.KAFKAJS);
      const label = `${direction === 'produce' ? 'producer' : 'consumer'} ${sizeLabel(recordSize)}`;
      if (!sf) continue;
      const vsJava = sf.vsJava ?? null;
      targets.push({
        name: `StreamForge ${label} >= 0.6x Java`,
        goal: 0.6,
        actual: vsJava,
        pass: vsJava !== null && vsJava >= 0.6,
      });
      if (js && sf.figure.cpuMicrosPerRecord && js.figure.cpuMicrosPerRecord) {
        cpu.push({
          direction,
          recordSize,
          ratio: js.figure.cpuMicrosPerRecord / sf.figure.cpuMicrosPerRecord,
        });
      }
      if (js) {
        const ratio = sf.figure.recordsPerSec / js.figure.recordsPerSec;
        ratios.push({ direction, recordSize, ratio });
        targets.push({
          name: `StreamForge ${label} >= 2x KafkaJS`,
          goal: 2,
          actual: ratio,
          pass: ratio >= 2,
        });
      }
    }
  }
  if (report.embedded) {
    const rate = report.embedded.append.recordsPerSec;
    targets.push({
      name: 'embedded append of 100 B records >= 1,000,000 records/s',
      goal: 1_000_000,
      actual: rate,
      pass: rate >= 1_000_000,
    });
  }
  if (report.parser) {
    const r = report.parser.mapVsJsonParse;
    targets.push({
      name: 'parser (venue mapping) on the real captures >= 0.5x a bare JSON.parse of the same frames, one core',
      goal: 0.5,
      actual: r,
      pass: r >= 0.5,
    });
  }
  if (report.runtime) {
    const { overhead, latency } = report.runtime;
    targets.push({
      name:
        'runtime overhead of a pass-through service vs the raw poll/send/commit loop <= 20%' +
        (commitBound(overhead) ? ' (both loops mostly wait on commit(): see the runtime section)' : ''),
      goal: 20,
      actual: overhead.overheadPercent,
      pass: overhead.overheadPercent <= 20,
      unit: '%',
    });
    // The goal is at a rate: a run that sent slower, or lost records, cannot pass it.
    const atRate = latency.achievedRate >= 0.99 * LATENCY_TARGET.rate;
    const p99 = Number.isNaN(latency.ms.p99) ? null : latency.ms.p99;
    targets.push({
      name:
        `end-to-end p99 through one pass-through service <= ${LATENCY_TARGET.p99Ms} ms at ` +
        `${int(LATENCY_TARGET.rate)} records/s (sent at ${int(latency.achievedRate)}/s)`,
      goal: LATENCY_TARGET.p99Ms,
      actual: p99,
      pass: p99 !== null && p99 <= LATENCY_TARGET.p99Ms && atRate && latency.received === latency.measured,
      unit: 'ms',
    });
  }
  if (report.services) targets.push(...serviceTargets(report.services));
  if (report.catchup) targets.push(...catchupTargets(report.catchup));
  if (report.startup) targets.push(...startupTargets(report.startup));
  report.streamforgeVsKafkajs = ratios;
  report.cpuEfficiencyVsKafkajs = cpu;
  report.targets = targets;
}

const sizeLabel = (size: number): string => (size >= 1024 ? `${size / 1024} KiB` : `${size} B`);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (n: number | undefined | null): string =>
  n === undefined || n === null ? '' : `${n.toFixed(2)}x`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const clientName: Record<Client, string> = {
  java: 'Kafka Java tool',
  'java-tuned': 'Java tool, 512K batch',
  streamforge: 'StreamForge kafka',
  kafkajs: 'KafkaJS',
};

export function formatReport(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(
    `StreamForge benchmark ${report.startedAt}`,
    `code: ${report.source.commit.slice(0, 12)}${report.source.uncommittedInSrc.length > 0 ? ` + uncommitted changes to ${report.source.uncommittedInSrc.join(', ')}` : ''}`,
    `node ${m.node}, ${m.cpuModel} x ${m.cores} cores, ${m.memoryGiB} GiB; load average at start ${m.loadAverageAtStart.join(' ')}, at end ${(m.loadAverageAtEnd ?? []).join(' ')}`,
  );
  if (report.kafka) {
    const k = report.kafka;
    out.push(
      `Kafka ${k.version} at ${k.bootstrap} (${k.startedByBench ? 'fresh single node started by the bench' : 'existing broker'}), ${report.params.partitions} partition(s) per topic, acks=all`,
      '',
    );
    if (report.kafkaResults.length > 0) {
      const rows = report.kafkaResults.map((r) => [
        `${r.direction} ${sizeLabel(r.recordSize)}`,
        clientName[r.client],
        int(r.figure.records),
        int(r.figure.recordsPerSec),
        r.figure.mbPerSec.toFixed(1),
        ratio(r.vsJava),
        r.total ? int(r.total.recordsPerSec) : '',
        r.figure.cpuMicrosPerRecord === undefined ? '' : r.figure.cpuMicrosPerRecord.toFixed(2),
        r.figure.rounds.length > 1 ? r.figure.rounds.map(int).join(' / ') : '',
      ]);
      out.push(
        table(
          [
            'test',
            'client',
            'records',
            'records/s',
            'MB/s',
            'vs Java',
            'incl. join rec/s',
            'CPU us/rec',
            'rounds rec/s',
          ],
          rows,
        ),
      );
      const notes = new Set<string>();
      for (const r of report.kafkaResults)
        if (r.figure.note) notes.add(`${r.direction} ${clientName[r.client]}: ${r.figure.note}`);
      out.push('', 'How each was driven (values: random bytes, keys null):');
      for (const note of notes) out.push(`  ${note}`);
    }
    if (report.streamforgeVsKafkajs?.length) {
      out.push(
        '',
        'StreamForge vs KafkaJS: ' +
          report.streamforgeVsKafkajs
            .map((r) => `${r.direction} ${sizeLabel(r.recordSize)} ${ratio(r.ratio)}`)
            .join(', '),
      );
    }
    if (report.cpuEfficiencyVsKafkajs?.length) {
      out.push(
        'CPU per record, KafkaJS over StreamForge (the client cost without the shared broker): ' +
          report.cpuEfficiencyVsKafkajs
            .map((r) => `${r.direction} ${sizeLabel(r.recordSize)} ${ratio(r.ratio)}`)
            .join(', '),
      );
    }
  }
  if (report.runtime) out.push(...formatRuntime(report.runtime));
  if (report.services) out.push(...formatServices(report.services));
  if (report.catchup) out.push(...formatCatchup(report.catchup));
  if (report.startup) out.push(...formatStartup(report.startup));
  if (report.parser) {
    const p = report.parser;
    out.push(
      '',
      'Parser on the real captures (frames/s, one core)',
      table(
        [
          'capture',
          'venue',
          'frames',
          'events',
          'JSON.parse/s',
          'map/s',
          'map+encode/s',
          'map vs parse',
          'map+enc vs parse',
        ],
        p.rows.map((r) => [
          r.file,
          r.exchange,
          int(r.frames),
          int(r.events),
          int(r.jsonParsePerSec),
          int(r.mapPerSec),
          int(r.mapEncodePerSec),
          ratio(r.mapVsJsonParse),
          ratio(r.mapEncodeVsJsonParse),
        ]),
      ),
      `all captures, by time per frame: map ${ratio(p.mapVsJsonParse)} of JSON.parse, map+encode ${ratio(p.mapEncodeVsJsonParse)}`,
      `  ${p.note}`,
    );
  }
  if (report.embedded) {
    const e = report.embedded;
    out.push(
      '',
      `Embedded log (fsync=${e.fsync}, fsyncIntervalMs=${e.fsyncIntervalMs}: the default), 100 B records, sendBatch of ${int(e.batch)}`,
      table(
        ['test', 'client', 'records', 'records/s', 'MB/s'],
        [
          [
            'append 100 B',
            'embedded',
            int(e.append.records),
            int(e.append.recordsPerSec),
            e.append.mbPerSec.toFixed(1),
          ],
          [
            'read 100 B',
            'embedded',
            int(e.read.records),
            int(e.read.recordsPerSec),
            e.read.mbPerSec.toFixed(1),
          ],
        ],
      ),
    );
  }
  if (report.targets?.length) {
    out.push('', 'Targets:');
    for (const t of report.targets) {
      const actual =
        t.actual === null
          ? 'n/a'
          : t.unit
            ? `${t.actual.toFixed(2)} ${t.unit}`
            : t.goal > 100
              ? int(t.actual)
              : ratio(t.actual);
      out.push(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}  (measured ${actual})`);
    }
  }
  return out.join('\n') + '\n';
}

const ms = (n: number): string => `${n.toFixed(2)} ms`;

function formatRuntime({ overhead, latency }: RuntimeReport): string[] {
  const row = (name: string, f: Figure): string[] => [
    'copy trades',
    name,
    int(f.records),
    int(f.recordsPerSec),
    f.mbPerSec.toFixed(1),
    f.cpuMicrosPerRecord === undefined ? '' : f.cpuMicrosPerRecord.toFixed(2),
    f.rounds.length > 1 ? f.rounds.map(int).join(' / ') : '',
  ];
  const l = latency.ms;
  return [
    '',
    `Service runtime on Kafka (${overhead.partitions} partitions as md.trades, maxPollRecords ${overhead.maxPollRecords}, real Binance trades)`,
    table(
      ['test', 'client', 'records', 'records/s', 'MB/s', 'CPU us/rec', 'rounds rec/s'],
      [row('raw poll/send/commit loop', overhead.raw), row('pass-through service', overhead.service)],
    ),
    `Runtime overhead: ${overhead.overheadPercent.toFixed(1)}% fewer records/s than the raw loop, ` +
      `${ratio(overhead.cpuRatio)} its CPU per record`,
    `  raw: ${overhead.raw.note ?? ''}`,
    `  raw loop, mean per batch of up to ${overhead.maxPollRecords}: poll ${ms(overhead.rawPhases.pollMs)}, ` +
      `sendBatch ${ms(overhead.rawPhases.sendMs)}, commit ${ms(overhead.rawPhases.commitMs)}` +
      (commitBound(overhead)
        ? '; commit() takes most of the time, in the service too, so the rates compare that wait ' +
          'and CPU per record is the better measure of what the runtime adds'
        : ''),
    `  service: ${overhead.service.note ?? ''}`,
    `  ${overhead.note}`,
    '',
    `End-to-end latency through one pass-through service: ${int(latency.targetRate)} records/s asked, ` +
      `${int(latency.achievedRate)} sent, ${latency.seconds} s measured after ${latency.warmupSeconds} s of warm-up`,
    `  p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, p99.9 ${ms(l.p999)}, max ${ms(l.max)}; ` +
      `${int(latency.received)} of ${int(latency.measured)} records received`,
    `  p99 from the scheduled send time ${ms(latency.p99FromScheduleMs)}; the feed was at most ` +
      `${ms(latency.maxFeedLagMs)} behind its schedule`,
    `  reference, the broker hop alone (feed -> a plain consumer of the input, same run): ` +
      `p50 ${ms(latency.brokerHopMs.p50)}, p99 ${ms(latency.brokerHopMs.p99)}, max ${ms(latency.brokerHopMs.max)}`,
    `  ${latency.note}`,
  ];
}

/**
 * Writes `<dir>/<timestamp>.json` and, for a full run, `<dir>/latest.json` (an --only-* run
 * leaves the full run's figures there); returns the timestamped path.
 */
export async function writeReport(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2) + '\n';
  const file = path.join(dir, `${report.startedAt.replaceAll(':', '-')}.json`);
  await writeFile(file, json);
  if (!report.params.partial) await writeFile(path.join(dir, 'latest.json'), json);
  return file;
}
