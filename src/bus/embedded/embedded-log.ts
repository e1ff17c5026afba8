// One open embedded log directory: the lock, topics and their partitions, group offsets and
// coordinator, and the background fsync and cleaner timers. Shared by every Bus opened on it.

import fs from 'node:fs';
import path from 'node:path';
import { BusError, BusErrorCodes } from '../errors.ts';
import { type TopicSpec } from '../types.ts';
import { type CleanState, applyRetention, compactLog } from './cleaner.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import { acquireLock } from './lock.ts';
import { OffsetsStore } from './offsets-store.ts';
import { type EmbeddedOptions, FsyncPolicies } from './options.ts';
import { PartitionLog, syncDir } from './partition-log.ts';
import {
  type TopicConfig,
  resolveTopicConfig,
  validateTopicConfigs,
  validateTopicName,
} from './topic-config.ts';

export interface TopicState {
  readonly name: string;
  readonly dir: string;
  configs: Record<string, string>;
  config: TopicConfig;
  partitions: PartitionLog[];
  readonly clean: CleanState[];
}

interface TopicFile {
  readonly name: string;
  readonly partitions: number;
  readonly configs: Record<string, string>;
}

export function unknownTopic(name: string): BusError {
  return new BusError(BusErrorCodes.UNKNOWN_TOPIC, `Unknown topic ${name}`, {
    hint: `create it first: streamforge topics create ${name}`,
  });
}

export class EmbeddedLog {
  readonly dir: string;
  readonly options: EmbeddedOptions;
  readonly topics = new Map<string, TopicState>();
  readonly offsets: OffsetsStore;
  readonly groups: GroupCoordinator;
  closed = false;
  readonly #topicsDir: string;
  readonly #release: () => void;
  readonly #timers: NodeJS.Timeout[] = [];
  #cleanerError: unknown = null;

  private constructor(dir: string, options: EmbeddedOptions, release: () => void) {
    this.dir = dir;
    this.options = options;
    this.#release = release;
    this.#topicsDir = path.join(dir, 'topics');
    this.groups = new GroupCoordinator((topic) => this.topics.get(topic)?.partitions.length ?? 0);
    try {
      fs.mkdirSync(this.#topicsDir, { recursive: true });
      fs.rmSync(path.join(dir, 'trash'), { recursive: true, force: true });
      for (const name of fs.readdirSync(this.#topicsDir)) this.#loadTopic(name);
      this.offsets = OffsetsStore.open(path.join(dir, 'groups'), options.fsync);
    } catch (error) {
      for (const topic of this.topics.values()) for (const p of topic.partitions) p.destroy();
      throw error;
    }
  }

  /** Locks the directory, recovers every partition and starts the background timers. */
  static open(dir: string, options: EmbeddedOptions): EmbeddedLog {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new BusError(BusErrorCodes.UNREACHABLE, `Cannot create the embedded log directory ${dir}`, {
        cause: error,
      });
    }
    const release = acquireLock(dir);
    let log: EmbeddedLog;
    try {
      log = new EmbeddedLog(dir, options, release);
    } catch (error) {
      release();
      throw error;
    }
    if (options.fsync === FsyncPolicies.INTERVAL) {
      log.#timers.push(setInterval(() => void log.syncDirty(), options.fsyncIntervalMs));
    }
    log.#timers.push(setInterval(() => log.#cleanQuietly(), options.cleanerIntervalMs));
    for (const t of log.#timers) t.unref();
    return log;
  }

  topic(name: string): TopicState {
    this.#checkOpen();
    const topic = this.topics.get(name);
    if (!topic) throw unknownTopic(name);
    return topic;
  }

  partition(topic: string, partition: number): PartitionLog {
    const t = this.topic(topic);
    const log = t.partitions[partition];
    if (!log) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `Partition ${partition} does not exist: topic ${topic} has ${t.partitions.length} partition(s)`,
      );
    }
    return log;
  }

  /** Validates every spec first, so a bad one creates nothing. */
  createTopics(specs: readonly TopicSpec[], ifNotExists: boolean): void {
    this.#checkOpen();
    const fresh: TopicSpec[] = [];
    for (const spec of specs) {
      validateTopicName(spec.name);
      if (!Number.isSafeInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 100_000) {
        throw new BusError(
          BusErrorCodes.INVALID_ARGUMENT,
          `Topic ${spec.name}: partitions must be an integer from 1 to 100000, got ${String(spec.partitions)}`,
        );
      }
      validateTopicConfigs(spec.name, spec.configs ?? {});
      if (this.topics.has(spec.name) || fresh.some((f) => f.name === spec.name)) {
        if (ifNotExists) continue;
        throw new BusError(BusErrorCodes.TOPIC_EXISTS, `Topic ${spec.name} already exists`);
      }
      fresh.push(spec);
    }
    for (const spec of fresh) {
      const dir = path.join(this.#topicsDir, spec.name);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const topic = this.#newTopicState(spec.name, { ...(spec.configs ?? {}) });
      this.topics.set(spec.name, topic);
      this.#addPartitions(topic, spec.partitions);
      this.#writeTopicFile(topic);
    }
    if (fresh.length > 0) this.groups.topicsChanged();
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    for (const name of names) this.topic(name);
    for (const name of names) {
      const topic = this.topic(name);
      this.topics.delete(name);
      for (const p of topic.partitions) p.destroy();
      // Rename first so a crash mid-delete never leaves a half-deleted topic that looks alive.
      const trash = path.join(this.dir, 'trash', `${name}-${Date.now()}`);
      fs.mkdirSync(path.dirname(trash), { recursive: true });
      fs.renameSync(topic.dir, trash);
      fs.rmSync(trash, { recursive: true, force: true });
      await this.offsets.deleteTopic(name);
    }
    this.groups.topicsChanged();
  }

  alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): void {
    const topic = this.topic(name);
    const next = { ...topic.configs };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    validateTopicConfigs(name, next);
    topic.configs = next;
    topic.config = resolveTopicConfig(next);
    this.#writeTopicFile(topic);
  }

  createPartitions(name: string, total: number): void {
    const topic = this.topic(name);
    if (!Number.isSafeInteger(total) || total <= topic.partitions.length || total > 100_000) {
      throw new BusError(
        BusErrorCodes.INVALID_ARGUMENT,
        `Topic ${name} has ${topic.partitions.length} partition(s); the new count must be higher, got ${String(total)}`,
      );
    }
    this.#addPartitions(topic, total - topic.partitions.length);
    this.#writeTopicFile(topic);
    this.groups.topicsChanged();
  }

  /** Applies retention and compaction to every partition now (the cleaner timer calls this). */
  runCleaner(now = Date.now()): void {
    for (const topic of this.topics.values()) {
      topic.partitions.forEach((log, i) => {
        applyRetention(log, topic.config, now);
        compactLog(log, topic.config, topic.clean[i]!, now);
      });
    }
  }

  /** fsyncs every partition written since its last sync, and the offsets file. */
  async syncDirty(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const topic of this.topics.values())
      for (const p of topic.partitions) if (p.dirty) pending.push(p.sync());
    if (this.offsets.dirty) pending.push(this.offsets.sync());
    await Promise.allSettled(pending);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.groups.close();
    for (const topic of this.topics.values()) for (const p of topic.partitions) await p.close();
    await this.offsets.close();
    this.#release();
  }

  #checkOpen(): void {
    if (this.closed) throw new BusError(BusErrorCodes.CLOSED, `The embedded log ${this.dir} is closed`);
  }

  #cleanQuietly(): void {
    try {
      this.runCleaner();
      this.#cleanerError = null;
    } catch (error) {
      // Report each distinct failure once; the next run retries.
      if (String(error) !== String(this.#cleanerError)) {
        process.emitWarning(`StreamForge embedded log cleaner failed in ${this.dir}: ${String(error)}`);
      }
      this.#cleanerError = error;
    }
  }

  #newTopicState(name: string, configs: Record<string, string>): TopicState {
    return {
      name,
      dir: path.join(this.#topicsDir, name),
      configs,
      config: resolveTopicConfig(configs),
      partitions: [],
      clean: [],
    };
  }

  #addPartitions(topic: TopicState, count: number): void {
    for (let i = 0; i < count; i++) {
      const p = topic.partitions.length;
      topic.partitions.push(
        PartitionLog.open(
          path.join(topic.dir, String(p)),
          topic.name,
          p,
          () => topic.config,
          this.options.fsync,
        ),
      );
      topic.clean.push({ cleanEnd: -1, tombstoneDue: Infinity });
    }
  }

  #loadTopic(name: string): void {
    const dir = path.join(this.#topicsDir, name);
    let meta: TopicFile;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, 'topic.json'), 'utf8')) as TopicFile;
    } catch {
      // No readable topic.json: the topic was never fully created; creation writes it last.
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
    const topic = this.#newTopicState(name, meta.configs);
    this.topics.set(name, topic);
    this.#addPartitions(topic, meta.partitions);
  }

  // Atomic replace: tmp, fsync, rename, fsync the directory.
  #writeTopicFile(topic: TopicState): void {
    const file = path.join(topic.dir, 'topic.json');
    const body: TopicFile = { name: topic.name, partitions: topic.partitions.length, configs: topic.configs };
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2));
    const fd = fs.openSync(`${file}.tmp`, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(`${file}.tmp`, file);
    syncDir(topic.dir);
  }
}
