// Turns measured figures into ratios, PASS/MISS targets, a stdout table and the JSON result files.

import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type EmbeddedResult } from './embedded.ts';
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
  streamforgeVsKafkajs?: Array<{ direction: Direction; recordSize: number; ratio: number }>;
  /** KafkaJS's CPU per record over StreamForge's: how many times less CPU StreamForge needs. */
  cpuEfficiencyVsKafkajs?: Array<{ direction: Direction; recordSize: number; ratio: number }>;
  targets?: Target[];
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
      const actual = t.actual === null ? 'n/a' : t.goal > 100 ? int(t.actual) : ratio(t.actual);
      out.push(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}  (measured ${actual})`);
    }
  }
  return out.join('\n') + '\n';
}

/** Writes `<dir>/<timestamp>.json` and `<dir>/latest.json`; returns the timestamped path. */
export async function writeReport(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2) + '\n';
  const file = path.join(dir, `${report.startedAt.replaceAll(':', '-')}.json`);
  await writeFile(file, json);
  await writeFile(path.join(dir, 'latest.json'), json);
  return file;
}
