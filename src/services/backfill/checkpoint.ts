// Where a backfill job stopped: a small JSON file per job, written after each page is acknowledged by the bus.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface Checkpoint {
  /** klines: open time of the next page; aggTrades: the next aggregate trade id. */
  readonly next: number;
  readonly rows: number;
  readonly pages: number;
}

/** Where a job's checkpoint is kept: a file for the CLI job, a database row for the job worker. */
export interface CheckpointStore {
  load(): Promise<Checkpoint | null>;
  save(checkpoint: Checkpoint): Promise<void>;
}

export class CheckpointFile implements CheckpointStore {
  readonly file: string;

  constructor(dir: string, jobId: string) {
    this.file = path.join(dir, `${jobId}.json`);
  }

  async load(): Promise<Checkpoint | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    const value = JSON.parse(text) as Partial<Checkpoint>;
    if (
      !Number.isSafeInteger(value.next) ||
      !Number.isSafeInteger(value.rows) ||
      !Number.isSafeInteger(value.pages)
    )
      throw new Error(`backfill checkpoint ${this.file} is damaged; delete it to start the job over`);
    return value as Checkpoint;
  }

  /** Written to a temporary file and renamed: a crash mid-write leaves the previous checkpoint. */
  async save(checkpoint: Checkpoint): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(checkpoint));
    await rename(tmp, this.file);
  }
}
