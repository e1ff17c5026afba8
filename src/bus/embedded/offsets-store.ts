// Committed offsets of consumer groups: an in-memory map backed by an append-only, CRC-framed file.
//
// Why a log and not a JSON file rewritten per commit: services commit after every poll, so a
// commit must cost one small write(2), not a rewrite + rename + fsync of every group's offsets.
// The file is rewritten (tmp + fsync + rename) only when it has grown well past its live content.
// Frame: u32 payload length, u32 crc32(payload), payload = JSON {g, c: [[topic, partition, offset]]}
// where offset -1 removes an entry, or {g, d: 1} to delete the group.

import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { type FsyncPolicy, FsyncPolicies } from './options.ts';
import { syncDir } from './partition-log.ts';

export interface StoredOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

type Entry = [topic: string, partition: number, offset: number];
type Payload = { g: string; c?: Entry[]; d?: 1 };

const COMPACT_MIN_BYTES = 1024 * 1024;

export class OffsetsStore {
  readonly #path: string;
  readonly #policy: FsyncPolicy;
  readonly #groups = new Map<string, Map<string, Map<number, number>>>();
  #fd: number;
  #size = 0;
  #compactAt = COMPACT_MIN_BYTES;
  #syncing: Promise<void> | null = null;
  dirty = false;

  private constructor(file: string, policy: FsyncPolicy) {
    this.#path = file;
    this.#policy = policy;
    this.#fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  /** Replays the file; a torn or corrupt tail (a commit cut short by a crash) is cut off. */
  static open(dir: string, policy: FsyncPolicy): OffsetsStore {
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, 'offsets.log.tmp'), { force: true });
    const store = new OffsetsStore(path.join(dir, 'offsets.log'), policy);
    const data = fs.readFileSync(store.#path);
    let pos = 0;
    while (pos + 8 <= data.length) {
      const length = data.readUInt32LE(pos);
      if (pos + 8 + length > data.length) break;
      const payload = data.subarray(pos + 8, pos + 8 + length);
      if (crc32(payload) !== data.readUInt32LE(pos + 4)) break;
      let parsed: Payload;
      try {
        parsed = JSON.parse(payload.toString('utf8')) as Payload;
      } catch {
        break;
      }
      store.#apply(parsed);
      pos += 8 + length;
    }
    if (pos < data.length) fs.ftruncateSync(store.#fd, pos);
    store.#size = pos;
    return store;
  }

  get(group: string, topic: string, partition: number): number | null {
    return this.#groups.get(group)?.get(topic)?.get(partition) ?? null;
  }

  has(group: string): boolean {
    return this.#groups.has(group);
  }

  groups(): string[] {
    return [...this.#groups.keys()];
  }

  offsets(group: string): StoredOffset[] {
    const out: StoredOffset[] = [];
    for (const [topic, partitions] of this.#groups.get(group) ?? []) {
      for (const [partition, offset] of partitions) out.push({ topic, partition, offset });
    }
    return out;
  }

  /** Records the offsets; resolves once they are as durable as the fsync policy promises. */
  async commit(group: string, offsets: readonly StoredOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#write({ g: group, c: offsets.map((o) => [o.topic, o.partition, o.offset]) });
  }

  async deleteGroup(group: string): Promise<void> {
    await this.#write({ g: group, d: 1 });
  }

  /** Drops every group's offsets for a deleted topic, as Kafka does. */
  async deleteTopic(topic: string): Promise<void> {
    for (const [group, topics] of this.#groups) {
      const partitions = topics.get(topic);
      if (!partitions) continue;
      await this.#write({ g: group, c: [...partitions.keys()].map((p): Entry => [topic, p, -1]) });
    }
  }

  async sync(): Promise<void> {
    this.dirty = false;
    const run = new Promise<void>((resolve, reject) =>
      fs.fdatasync(this.#fd, (e) => (e ? reject(e) : resolve())),
    );
    this.#syncing = run;
    try {
      await run;
    } finally {
      if (this.#syncing === run) this.#syncing = null;
    }
  }

  async close(): Promise<void> {
    await this.#syncing?.catch(() => undefined);
    fs.fdatasyncSync(this.#fd);
    fs.closeSync(this.#fd);
  }

  async #write(payload: Payload): Promise<void> {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const frame = Buffer.allocUnsafe(8 + body.length);
    frame.writeUInt32LE(body.length, 0);
    frame.writeUInt32LE(crc32(body), 4);
    body.copy(frame, 8);
    fs.writeSync(this.#fd, frame, 0, frame.length, this.#size);
    this.#size += frame.length;
    this.#apply(payload);
    this.dirty = true;
    if (this.#size > this.#compactAt && !this.#syncing) this.#maybeCompact();
    if (this.#policy === FsyncPolicies.ALWAYS) await this.sync();
  }

  #apply(payload: Payload): void {
    if (payload.d) {
      this.#groups.delete(payload.g);
      return;
    }
    let topics = this.#groups.get(payload.g);
    if (!topics) this.#groups.set(payload.g, (topics = new Map()));
    for (const [topic, partition, offset] of payload.c ?? []) {
      let partitions = topics.get(topic);
      if (!partitions) topics.set(topic, (partitions = new Map()));
      if (offset < 0) {
        partitions.delete(partition);
        if (partitions.size === 0) topics.delete(topic);
      } else partitions.set(partition, offset);
    }
  }

  // Rewrites the file as one commit per group once it is 4x larger than that would be.
  #maybeCompact(): void {
    const frames: Buffer[] = [];
    let live = 0;
    for (const group of this.#groups.keys()) {
      const body = Buffer.from(
        JSON.stringify({ g: group, c: this.offsets(group).map((o) => [o.topic, o.partition, o.offset]) }),
        'utf8',
      );
      const header = Buffer.allocUnsafe(8);
      header.writeUInt32LE(body.length, 0);
      header.writeUInt32LE(crc32(body), 4);
      frames.push(header, body);
      live += 8 + body.length;
    }
    if (this.#size < live * 4) {
      this.#compactAt = Math.max(COMPACT_MIN_BYTES, live * 4);
      return;
    }
    const tmp = `${this.#path}.tmp`;
    const data = Buffer.concat(frames);
    fs.writeFileSync(tmp, data);
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.#path);
    syncDir(path.dirname(this.#path));
    fs.closeSync(this.#fd);
    this.#fd = fs.openSync(this.#path, fs.constants.O_RDWR);
    this.#size = data.length;
    this.#compactAt = Math.max(COMPACT_MIN_BYTES, data.length * 4);
  }
}
