// Runs one service instance: consumer group, decode, handle with retries, DLQ, produce, then commit.

import os from 'node:os';
import {
  type Admin,
  type Bus,
  type BusRecord,
  type Consumer,
  type ProduceRecord,
  type Producer,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../bus/types.ts';
import { isBusError } from '../bus/errors.ts';
import {
  decode,
  decodeBytes,
  decodeCompacted,
  type Product,
  type ProducerIdentity,
  toDeadLetter,
} from '../contracts/index.ts';
import { type QueueCommand } from '../contracts/schema/control.ts';
import { ControlPlane, UnknownCommandError } from './control.ts';
import { type ComponentState, ComponentStates, Lifecycle } from './lifecycle.ts';
import { noMetrics, type RuntimeLogger, type RuntimeMetrics, silentLogger } from './log.ts';
import {
  backoffDelay,
  errorCode,
  errorMessage,
  isRetryable,
  type RetryPolicy,
  retryPolicy,
  sleep,
} from './retry.ts';
import { GlobalTable, type KeyValueStore, StateManager } from './state/index.ts';
import { type ContextHost, RecordContext } from './record-context.ts';
import { SourceEmitter } from './source-context.ts';
import { BatchEmitter } from './batch-context.ts';
import { BackgroundEmitter } from './background-context.ts';
import {
  type Input,
  type LifecycleContext,
  type ServiceDefinition,
  type StartContext,
  type TableView,
} from './service.ts';

export interface RunOptions {
  readonly bus: Bus;
  /** This replica's id; default `<service>-<host>-<pid>-<n>`. */
  readonly instance?: string;
  /** The queue (workflow) this instance answers for on the control plane; default the service name. */
  readonly queueId?: string;
  readonly log?: RuntimeLogger;
  readonly metrics?: RuntimeMetrics;
  /** Listen on queue-control and publish on queue-events. Default true. */
  readonly control?: boolean;
  readonly heartbeatMs?: number;
  /** How long a graceful stop may take before the instance gives up on in-flight work. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  /** How often consumer lag is read for the metrics. Default 5 s; 0 turns it off. */
  readonly lagIntervalMs?: number;
  readonly sessionTimeoutMs?: number;
}

export interface HealthReport {
  readonly service: string;
  readonly instance: string;
  readonly state: ComponentState;
  readonly reason?: string;
  readonly assigned: readonly TopicPartition[];
}

let instances = 0;
const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** Marks a throw of the service's afterBatch, so the failure names it rather than the producer. */
class AfterBatchFailure extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
  }
}

/** How many failures in a row (commits, polls) turn a running instance degraded. */
const DEGRADED_AFTER = 3;

export class ServiceRunner<C extends readonly Product[] = readonly Product[]> {
  readonly lifecycle: Lifecycle;
  readonly identity: ProducerIdentity;
  readonly #definition: ServiceDefinition<C>;
  readonly #options: RunOptions;
  readonly #log: RuntimeLogger;
  readonly #metrics: RuntimeMetrics;
  readonly #retry: RetryPolicy;
  readonly #byTopic: ReadonlyMap<string, Product>;
  readonly #abort = new AbortController();
  #consumer: Consumer | null = null;
  #producer: Producer | null = null;
  #admin: Admin | null = null;
  #control: ControlPlane | null = null;
  /** What onStart's timers and servers and the service's jobs emit through. */
  #background: BackgroundEmitter | null = null;
  #loop: Promise<void> | null = null;
  #timers: NodeJS.Timeout[] = [];
  #paused = false;
  #failuresInRow = 0;
  #lastProgress = 0;
  #stopping: Promise<void> | null = null;
  #lagged = new Set<string>();
  #state: StateManager | null = null;
  /** Offsets whose outputs (and commit markers) are acknowledged, not yet committed, per partition. */
  #committable = new Map<string, TopicPartitionOffset>();
  /**
   * A stateful service's commit markers of the last batch, not yet handed to the producer, and
   * the offsets they cover: those are committable once the markers are acknowledged.
   */
  #markers: ProduceRecord[] = [];
  #marked = new Map<string, TopicPartitionOffset>();
  /** Markers sent on their own (no next batch came at once), until acknowledged. */
  #markersInFlight: Promise<void> | null = null;
  #committing: Promise<void> | null = null;
  #commitError: unknown = null;
  #tables = new Map<string, GlobalTable<unknown>>();
  /** onStart ran and succeeded: onStop is owed. */
  #started = false;
  /** What every record's context reaches through; made once, so a record's context is one small object. */
  readonly #host: ContextHost;

  constructor(definition: ServiceDefinition<C>, options: RunOptions) {
    this.#definition = definition;
    this.#options = options;
    const instance = options.instance ?? `${definition.name}-${os.hostname()}-${process.pid}-${++instances}`;
    this.identity = { service: definition.name, instance };
    this.lifecycle = new Lifecycle(instance);
    this.#log = options.log ?? silentLogger;
    this.#metrics = options.metrics ?? noMetrics;
    this.#retry = retryPolicy(definition.retry);
    this.#byTopic = new Map(definition.consumes.map((p) => [p.topic, p]));
    this.#host = this.#makeHost();
    this.#metrics.setState(this.lifecycle.state);
    this.lifecycle.onChange((next, previous, reason) => {
      this.#metrics.setState(next);
      this.#log.info({ state: next, previous, ...(reason ? { reason } : {}) }, `state ${next}`);
    });
  }

  get groupId(): string {
    return this.#definition.name;
  }

  health(): HealthReport {
    return {
      service: this.identity.service,
      instance: this.identity.instance,
      state: this.lifecycle.state,
      ...(this.lifecycle.reason ? { reason: this.lifecycle.reason } : {}),
      assigned: this.#consumer?.assignment() ?? [],
    };
  }

  /** Ready to take work: started and not on its way out. */
  ready(): boolean {
    const s = this.lifecycle.state;
    return s === ComponentStates.RUNNING || s === ComponentStates.PAUSED || s === ComponentStates.DEGRADED;
  }

  /** Joins the group and starts processing in the background; resolves once the loop runs. */
  async start(): Promise<void> {
    const { bus } = this.#options;
    try {
      // No linger: the runner sends a whole poll's outputs at once and waits for them.
      this.#producer = bus.producer({ clientId: this.identity.instance, lingerMs: 0 });
      this.#admin = bus.admin();
      this.#background = this.#makeBackground();
      if (this.#options.control ?? true) {
        const jobs = this.#definition.jobs;
        this.#control = new ControlPlane({
          bus,
          producer: this.#producer,
          identity: this.identity,
          queueId: this.#options.queueId ?? this.#definition.name,
          ...(jobs ? { ownsQueue: (queueId: string) => ownsJobQueue(jobs.queuePrefix, queueId) } : {}),
          log: this.#log,
          metrics: this.#metrics,
          onCommand: (command) => this.#onCommand(command),
        });
        await this.#control.start();
      }
      if (this.#definition.stores && Object.keys(this.#definition.stores).length > 0) {
        const partitions = new Map(this.#definition.consumes.map((p) => [p.topic, p.partitions]));
        this.#state = new StateManager({
          bus,
          service: this.#definition.name,
          stores: this.#definition.stores,
          partitionsOf: (topic) => partitions.get(topic) ?? 1,
          inputTopics: [...this.#byTopic.keys()],
          metrics: this.#metrics,
          log: this.#log,
          resumeAt: (positions) => this.#resumeAt(positions),
        });
        await this.#state.init();
      }
      for (const [name, product] of Object.entries(this.#definition.tables ?? {})) {
        const table = new GlobalTable<unknown>({ bus, product, log: this.#log, metrics: this.#metrics });
        this.#tables.set(name, table);
      }
      await Promise.all([...this.#tables.values()].map((t) => t.ready()));
      if (this.#definition.onStart) {
        await this.#definition.onStart(this.#background as StartContext);
        this.#started = true;
      }
      if (!this.#definition.source) await this.#subscribe();
    } catch (error) {
      this.lifecycle.to(ComponentStates.FAILED, errorMessage(error));
      await this.#closeClients();
      throw error;
    }
    this.lifecycle.to(ComponentStates.RUNNING);
    this.#loop = this.#definition.source ? this.#runSource() : this.#run();
    this.#startTimers();
    await this.#event('started');
  }

  #lifecycleContext(): LifecycleContext {
    return { service: this.identity.service, instance: this.identity.instance, signal: this.#abort.signal };
  }

  /** Joins the service's consumer group, with commits and state handed over on rebalances. */
  async #subscribe(): Promise<void> {
    const { bus } = this.#options;
    const consumer = bus.consumer({
      groupId: this.groupId,
      clientId: this.identity.instance,
      autoOffsetReset: this.#definition.startFrom ?? 'earliest',
      maxPollRecords: this.#definition.maxPollRecords ?? 500,
      ...(this.#options.sessionTimeoutMs ? { sessionTimeoutMs: this.#options.sessionTimeoutMs } : {}),
    });
    this.#consumer = consumer;
    await consumer.subscribe([...this.#byTopic.keys()], {
      // Before this member rejoins a rebalancing group: what it processed is committed, so the
      // next owner of a partition that moves starts right after it (no record handled twice).
      onRebalancing: () => this.#flushCommits(),
      onRevoked: async (partitions) => {
        // What was processed here is committed before another member takes it over.
        await this.#flushCommits();
        this.#metrics.rebalance();
        for (const tp of partitions) this.#forgetLag(tp);
        this.#state?.onRevoked([...partitions]);
        this.#log.info({ partitions: partitions.length }, 'partitions revoked');
      },
      onAssigned: async (partitions) => {
        if (this.#paused) consumer.pause(partitions);
        // State first: no record of a partition is handled before its stores are restored.
        await this.#state?.onAssigned([...partitions]);
        this.#log.info(
          { partitions: partitions.map((p) => `${p.topic}[${p.partition}]`) },
          'partitions assigned',
        );
      },
    });
  }

  /** Resolves when the instance has stopped (or failed). */
  async done(): Promise<void> {
    await this.#loop;
    await this.#stopping;
  }

  pause(): void {
    if (!this.lifecycle.tryTo(ComponentStates.PAUSED)) return;
    this.#paused = true;
    this.#consumer?.pause(this.#consumer.assignment());
  }

  resume(): void {
    if (!this.lifecycle.tryTo(ComponentStates.RUNNING)) return;
    this.#paused = false;
    this.#consumer?.resume(this.#consumer.assignment());
  }

  /**
   * Stops gracefully: no new poll, the record in hand finishes (its handler sees `signal`
   * abort), outputs are flushed and what was processed is committed, then the group is left.
   */
  stop(reason = 'stopped'): Promise<void> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  /**
   * Drops everything without committing or leaving the group, as a crash would: used by
   * tests that simulate `kill -9` inside one process. The group notices by session timeout.
   */
  async abandon(): Promise<void> {
    this.#abort.abort();
    for (const t of this.#timers) clearInterval(t);
    // The control plane has no group to leave; its loop would otherwise keep the process alive.
    await this.#control?.close().catch(() => undefined);
    this.lifecycle.tryTo(ComponentStates.STOPPING);
    this.lifecycle.tryTo(ComponentStates.FAILED, 'abandoned');
  }

  async #shutdown(reason: string): Promise<void> {
    // Failed or abandoned: nothing to finish, but its clients still hold sockets and timers.
    if (this.lifecycle.isFinal) return this.#closeClients();
    this.lifecycle.tryTo(ComponentStates.STOPPING);
    this.#abort.abort();
    for (const t of this.#timers) clearInterval(t);
    const deadline = this.#options.shutdownTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      (this.#loop ?? Promise.resolve()).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deadline))),
    ]);
    clearTimeout(timer);
    if (timedOut)
      this.#log.error({ deadlineMs: deadline }, 'in-flight work did not finish before the shutdown deadline');
    if (!timedOut) await this.#flushCommits();

    await this.#event('interrupted', { reason: reason.slice(0, 500) || 'stopped' });
    await this.#closeClients();
    if (timedOut) this.lifecycle.tryTo(ComponentStates.FAILED, 'shutdown deadline passed');
    else this.lifecycle.tryTo(ComponentStates.STOPPED);
  }

  async #closeClients(): Promise<void> {
    await this.#control?.close().catch(() => undefined);
    await this.#producer
      ?.close()
      .catch((e: unknown) => this.#log.error({ err: errorMessage(e) }, 'closing the producer failed'));
    await this.#consumer?.close().catch(() => undefined);
    await this.#admin?.close().catch(() => undefined);
    await this.#state?.close().catch(() => undefined);
    await Promise.all([...this.#tables.values()].map((t) => t.close().catch(() => undefined)));
    if (this.#started) {
      this.#started = false;
      try {
        await this.#definition.onStop?.(this.#lifecycleContext());
      } catch (error) {
        this.#log.error({ err: errorMessage(error) }, 'onStop failed');
      }
    }
  }

  async #run(): Promise<void> {
    const consumer = this.#consumer!;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let records: BusRecord[];
      try {
        // Commit markers wait for the next batch's send; without one already fetched they go alone.
        records = await consumer.poll({ timeoutMs: this.#markers.length > 0 ? 0 : 200 });
      } catch (error) {
        if (signal.aborted) break;
        if (!isRetryable(error)) {
          await this.#fail(error, 'poll');
          return;
        }
        this.#noteFailure('poll', error);
        await sleep(backoffDelay(this.#retry, Math.min(this.#failuresInRow, 8)), signal);
        continue;
      }
      if (this.#paused) consumer.pause(consumer.assignment());
      if (records.length === 0) {
        this.#sendMarkers();
        continue;
      }
      try {
        await this.#process(records);
      } catch (error) {
        if (error instanceof AfterBatchFailure) await this.#fail(error.cause, 'afterBatch');
        else await this.#fail(error, 'produce');
        return;
      }
    }
  }

  /** A source's loop: its own function, fed by the outside, until it returns or the instance stops. */
  async #runSource(): Promise<void> {
    const signal = this.#abort.signal;
    const ctx = new SourceEmitter({
      identity: this.identity,
      signal,
      send: (records) => this.#send(records),
      progress: (loaded, total) => this.#host.progress(loaded, total),
      failed: (error) => void this.#fail(error, 'produce'),
    });
    try {
      await this.#definition.source!(ctx);
      await ctx.flush();
    } catch (error) {
      if (this.lifecycle.isFinal) return;
      if (signal.aborted) {
        await ctx.flush().catch(() => undefined);
        return;
      }
      await this.#fail(error, 'source');
      return;
    }
    if (signal.aborted || this.lifecycle.isFinal) return;
    // A source that returns on its own has done its job (a backfill, a replay).
    await this.#event('finished', { loaded: ctx.sent });
    void this.stop('the source finished');
  }

  /** Processes one poll's records in order, sends every output, then commits what was processed. */
  async #process(records: readonly BusRecord[]): Promise<void> {
    const signal = this.#abort.signal;
    const outputs: ProduceRecord[] = [];
    const processed = new Map<string, TopicPartitionOffset>();
    const counts = new Map<string, number>();
    for (const record of records) {
      if (signal.aborted) break;
      const done = await this.#processOne(record, outputs);
      if (!done) break;
      processed.set(tpKey(record.topic, record.partition), {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1,
      });
      counts.set(record.topic, (counts.get(record.topic) ?? 0) + 1);
    }
    if (this.#definition.afterBatch && processed.size > 0) {
      const partitions = [...new Set([...processed.values()].map((p) => p.partition))].sort((a, b) => a - b);
      let handled = 0;
      for (const n of counts.values()) handled += n;
      try {
        await this.#definition.afterBatch(new BatchEmitter(this.#host, outputs, partitions, handled));
      } catch (error) {
        throw new AfterBatchFailure(error);
      }
    }
    // Store changes go with the outputs, so that what is committed has its state on the changelog.
    if (this.#state) outputs.push(...this.#state.takeBaselines(), ...this.#state.takeChangelog());
    // The previous batch's commit markers go first: per changelog partition the log reads
    // [changes N][marker N][changes N+1], and a restore stops at the last marker.
    const marked = this.#marked;
    if (this.#markers.length > 0) {
      outputs.unshift(...this.#markers);
      this.#markers = [];
      this.#marked = new Map();
    }
    if (outputs.length > 0) await this.#send(outputs);
    for (const [key, offset] of marked) this.#committable.set(key, offset);
    for (const [topic, n] of counts) this.#metrics.recordsIn(topic, n);
    if (processed.size > 0) {
      if (this.#state) {
        // State and input positions are committed together: the group's offsets follow once the
        // markers are acknowledged, so they never run ahead of the state a restore would find.
        this.#markers = this.#state.commitMarkers([...processed.values()]);
        this.#marked = processed;
      } else {
        for (const [key, offset] of processed) this.#committable.set(key, offset);
      }
    }
    // The commit runs while the next poll is processed (one broker round trip off every batch's
    // path); a rebalance or a stop waits for it.
    this.#commitSoon();
    if (this.#commitError) {
      const error = this.#commitError;
      this.#commitError = null;
      throw error;
    }
  }

  /** Starts a commit of what is committable unless one is running; it chains until nothing is left. */
  #commitSoon(): void {
    if (this.#committing || this.#committable.size === 0) return;
    const offsets = [...this.#committable.values()];
    this.#committable.clear();
    this.#committing = this.#consumer!.commit(offsets).then(
      () => {
        this.#metrics.commit(offsets.length);
        this.#recovered();
      },
      (error: unknown) => {
        // The outputs are out; the next owner of these partitions processes the records again,
        // so their outputs are sent again (consumers of outputs are idempotent by key). A
        // stateful service's state is not applied twice: the next owner resumes after the
        // positions of the changelog's last commit marker.
        this.#noteFailure('commit', error);
        if (!isBusError(error, 'REBALANCE_IN_PROGRESS') && !isRetryable(error)) this.#commitError = error;
      },
    );
    void this.#committing.finally(() => {
      this.#committing = null;
      if (!this.#abort.signal.aborted) this.#commitSoon();
    });
  }

  /** Waits for the running commit, then commits whatever else is committable (commit markers first). */
  async #flushCommits(): Promise<void> {
    while (
      this.#markers.length > 0 ||
      this.#markersInFlight ||
      this.#committing ||
      this.#committable.size > 0
    ) {
      this.#sendMarkers();
      if (this.#markersInFlight) await this.#markersInFlight;
      else if (this.#committing) await this.#committing;
      else this.#commitSoon();
    }
  }

  /**
   * Sends the pending commit markers on their own, without waiting: no next batch came to take
   * them. Their offsets are committed once they are acknowledged; if they fail, those offsets
   * stay uncommitted and a restart replays them from the marker before.
   */
  #sendMarkers(): void {
    if (this.#markers.length === 0) return;
    const markers = this.#markers;
    const marked = this.#marked;
    this.#markers = [];
    this.#marked = new Map();
    const sent = this.#producer!.sendBatch(markers).then(
      () => {
        for (const [key, offset] of marked) this.#committable.set(key, offset);
        this.#commitSoon();
      },
      (error: unknown) => {
        this.#noteFailure('commit', error);
        if (!isRetryable(error)) this.#commitError = error;
      },
    );
    this.#markersInFlight = sent;
    void sent.finally(() => {
      if (this.#markersInFlight === sent) this.#markersInFlight = null;
    });
  }

  /**
   * After a restore: an input partition whose state already holds records past its committed
   * offset (the batch before a crash was marked in the changelog, its offset commit was lost)
   * resumes after them, so they are not applied twice.
   */
  #resumeAt(positions: readonly TopicPartitionOffset[]): void {
    const consumer = this.#consumer;
    if (!consumer) return;
    for (const tp of positions) {
      const committed = consumer.position(tp);
      if (tp.offset <= committed) continue;
      consumer.seek(tp, tp.offset);
      // Committed as well (its marker is on the log already), or the group's lag would count
      // records it will never process again until the partition's next batch.
      this.#committable.set(tpKey(tp.topic, tp.partition), tp);
      this.#log.info(
        { topic: tp.topic, partition: tp.partition, committed, resumeAt: tp.offset },
        'resuming after the committed offset: the restored state already holds the records before',
      );
    }
    this.#commitSoon();
  }

  /** One record: decode (bad ones go straight to the DLQ), then handle with retries. False when stopping cut it short. */
  async #processOne(record: BusRecord, outputs: ProduceRecord[]): Promise<boolean> {
    const product = this.#byTopic.get(record.topic)!;
    let input: Input;
    try {
      input = toInput(product, record);
    } catch (error) {
      this.#metrics.error('decode');
      this.#deadLetter(record, error, 1, outputs);
      return true;
    }
    const signal = this.#abort.signal;
    for (let attempt = 1; ; attempt++) {
      const emitted: ProduceRecord[] = [];
      const started = performance.now();
      try {
        await this.#definition.handle!(input as never, new RecordContext(this.#host, input, emitted));
        this.#metrics.observeHandler((performance.now() - started) / 1000);
        outputs.push(...emitted);
        return true;
      } catch (error) {
        this.#metrics.observeHandler((performance.now() - started) / 1000);
        this.#metrics.error('handler');
        if (!isRetryable(error) || attempt >= this.#retry.maxAttempts) {
          this.#deadLetter(record, error, attempt, outputs);
          return true;
        }
        this.#metrics.retried(record.topic);
        this.#log.warn(
          {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            attempt,
            err: errorMessage(error),
          },
          'handler failed; retrying',
        );
        await sleep(backoffDelay(this.#retry, attempt), signal);
        if (signal.aborted) return false;
      }
    }
  }

  #deadLetter(record: BusRecord, error: unknown, attempts: number, outputs: ProduceRecord[]): void {
    const code = errorCode(error);
    this.#metrics.deadLettered(record.topic, code);
    this.#log.warn(
      {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        attempts,
        code,
        err: errorMessage(error),
      },
      'record sent to the dead-letter topic',
    );
    outputs.push(toDeadLetter(record, { code, reason: errorMessage(error), attempts }, this.identity));
  }

  /** Sends outputs, retrying retryable failures; gives up (and fails the instance) rather than commit unsent work. */
  async #send(outputs: readonly ProduceRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#producer!.sendBatch(outputs);
        const counts = new Map<string, number>();
        for (const o of outputs) counts.set(o.topic, (counts.get(o.topic) ?? 0) + 1);
        for (const [topic, n] of counts) this.#metrics.recordsOut(topic, n);
        return;
      } catch (error) {
        this.#noteFailure('produce', error);
        if (!isRetryable(error) || attempt >= this.#retry.maxAttempts) throw error;
        await sleep(backoffDelay(this.#retry, attempt));
      }
    }
  }

  #makeHost(): ContextHost {
    return {
      identity: this.identity,
      signal: this.#abort.signal,
      store: <V>(name: string, partition: number): KeyValueStore<V> => {
        if (!this.#state || !this.#definition.stores?.[name])
          throw new Error(
            `${this.identity.service} has no store "${name}"; declare it in defineService({ stores })`,
          );
        return this.#state.store<V>(name, partition);
      },
      table: <V>(name: string): TableView<V> => {
        const table = this.#tables.get(name);
        if (!table)
          throw new Error(
            `${this.identity.service} has no table "${name}"; declare it in defineService({ tables })`,
          );
        return table as unknown as GlobalTable<V>;
      },
      progress: (loaded: number, total?: number): void => {
        const now = Date.now();
        if (now - this.#lastProgress < 1000) return;
        this.#lastProgress = now;
        void this.#event('loading', { loaded, ...(total === undefined ? {} : { total }) });
      },
    };
  }

  #makeBackground(): BackgroundEmitter {
    return new BackgroundEmitter({
      identity: this.identity,
      signal: this.#abort.signal,
      bus: this.#options.bus,
      send: (records) => this.#send(records),
      progress: (loaded, total) => this.#host.progress(loaded, total),
      failed: (error) => void this.#fail(error, 'produce'),
      report: async (queueId, event, fields) => {
        if (!this.#control) return;
        try {
          await this.#control.publish(event, fields, queueId);
        } catch (error) {
          this.#log.warn(
            { event, queueId, err: errorMessage(error) },
            'could not publish a queue-events event',
          );
        }
      },
      table: (name) => this.#host.table(name),
    });
  }

  async #onCommand(command: QueueCommand): Promise<void> {
    const reply = { command_id: command.command_id };
    const jobs = this.#definition.jobs;
    if (
      jobs &&
      (command.command === 'start' || command.command === 'stop') &&
      ownsJobQueue(jobs.queuePrefix, command.queue_id)
    ) {
      await jobs[command.command](command, this.#background!);
      return;
    }
    switch (command.command) {
      case 'ping':
        await this.#event('pong', reply);
        return;
      case 'pause':
        this.pause();
        await this.#event('heartbeat', { ...reply, state: 'paused' });
        return;
      case 'resume':
      case 'start':
        this.resume();
        await this.#event(command.command === 'start' ? 'started' : 'heartbeat', {
          ...reply,
          ...(command.command === 'resume' ? { state: 'running' } : {}),
        });
        return;
      case 'stop':
        void this.stop(
          `stop command ${command.command_id}${command.args?.reason ? `: ${command.args.reason}` : ''}`,
        );
        return;
      default: {
        const handler = this.#definition.commands?.[command.command];
        if (!handler) {
          throw new UnknownCommandError(this.identity.service, command.command, [
            'ping',
            'start',
            'stop',
            'pause',
            'resume',
            ...Object.keys(this.#definition.commands ?? {}),
          ]);
        }
        // What a command handler emits (a loader's snapshot, say) is sent before the command counts as done.
        const emitted: ProduceRecord[] = [];
        await handler(
          command as Readonly<Record<string, unknown>>,
          new RecordContext(this.#host, commandInput(command), emitted),
        );
        if (emitted.length > 0) await this.#send(emitted);
      }
    }
  }

  async #event(
    event: Parameters<ControlPlane['publish']>[0],
    fields?: Record<string, unknown>,
  ): Promise<void> {
    if (!this.#control) return;
    try {
      await this.#control.publish(event, fields);
    } catch (error) {
      this.#log.warn({ event, err: errorMessage(error) }, 'could not publish a queue-events event');
    }
  }

  #startTimers(): void {
    const heartbeat = this.#options.heartbeatMs ?? 10_000;
    if (this.#control && heartbeat > 0) {
      this.#timers.push(
        setInterval(() => {
          const state = this.#paused
            ? 'paused'
            : (this.#consumer?.assignment().length ?? 0) > 0
              ? 'running'
              : 'idle';
          void this.#event('heartbeat', { state });
        }, heartbeat).unref(),
      );
    }
    const lagEvery = this.#options.lagIntervalMs ?? 5_000;
    if (lagEvery > 0) this.#timers.push(setInterval(() => void this.#readLag(), lagEvery).unref());
  }

  /** Lag as `kafka-consumer-groups --describe` computes it: log end minus the committed offset. */
  async #readLag(): Promise<void> {
    if (!this.#admin || !this.#consumer || this.#abort.signal.aborted) return;
    try {
      const assigned = new Set(this.#consumer.assignment().map((tp) => tpKey(tp.topic, tp.partition)));
      const lags = await this.#admin.groupLag(this.groupId, [...this.#byTopic.keys()]);
      for (const lag of lags) {
        const key = tpKey(lag.topic, lag.partition);
        if (!assigned.has(key)) continue;
        this.#metrics.setLag(lag.topic, lag.partition, lag.lag);
        this.#lagged.add(key);
      }
      for (const key of [...this.#lagged]) {
        if (assigned.has(key)) continue;
        const [topic, partition] = key.split('\0');
        this.#forgetLag({ topic: topic!, partition: Number(partition) });
      }
    } catch (error) {
      this.#log.debug({ err: errorMessage(error) }, 'reading consumer lag failed');
    }
  }

  #forgetLag(tp: TopicPartition): void {
    if (this.#lagged.delete(tpKey(tp.topic, tp.partition))) this.#metrics.clearLag(tp.topic, tp.partition);
  }

  /** Counts a failure that may pass (poll, produce, commit); enough in a row make the instance degraded. */
  #noteFailure(kind: string, error: unknown): void {
    this.#metrics.error(kind);
    this.#failuresInRow++;
    this.#log.warn({ kind, failuresInRow: this.#failuresInRow, err: errorMessage(error) }, `${kind} failed`);
    if (this.#failuresInRow >= DEGRADED_AFTER)
      this.lifecycle.tryTo(ComponentStates.DEGRADED, `${kind}: ${errorMessage(error)}`);
  }

  #recovered(): void {
    if (this.#failuresInRow === 0) return;
    this.#failuresInRow = 0;
    if (this.lifecycle.state === ComponentStates.DEGRADED)
      this.lifecycle.tryTo(this.#paused ? ComponentStates.PAUSED : ComponentStates.RUNNING);
  }

  async #fail(error: unknown, kind: string): Promise<void> {
    this.#metrics.error(kind);
    this.#log.error({ kind, err: errorMessage(error) }, 'the service failed');
    this.lifecycle.tryTo(ComponentStates.FAILED, `${kind}: ${errorMessage(error)}`);
    await this.#event('error', {
      reason: `${kind}: ${errorMessage(error)}`.slice(0, 1000),
      code: errorCode(error),
    });
    for (const t of this.#timers) clearInterval(t);
    // The stop signal tells the handler's resources (a database lease, a source) that this instance is done.
    this.#abort.abort();
    await this.#closeClients();
  }
}

/** A job's queue: an exact id (never a pattern) with the service's job prefix. */
function ownsJobQueue(prefix: string, queueId: string): boolean {
  return !queueId.includes('*') && queueId.startsWith(prefix);
}

/** Decodes a record per its product's format and policy (a compacted product may hold tombstones). */
function toInput(product: Product, record: BusRecord): Input {
  const key = record.key === null ? null : record.key.toString('utf8');
  if (product.value.format === 'bytes') {
    const decoded = decodeBytes(product as never, record);
    return { product, value: decoded as never, key, meta: decoded, record };
  }
  if (product.cleanup.policy === 'compact') {
    const decoded = decodeCompacted(product as never, record);
    return { product, value: (decoded?.value ?? null) as never, key, meta: decoded ?? emptyMeta, record };
  }
  const decoded = decode(product as never, record);
  return { product, value: decoded.value as never, key, meta: decoded, record };
}

const emptyMeta = { producer: undefined, trace: undefined, eventTime: undefined };

/** Commands have no input record; a handler context still needs one for its trace. */
function commandInput(command: QueueCommand): Input {
  return {
    product: undefined as never,
    value: command as never,
    key: command.queue_id,
    meta: emptyMeta,
    record: {
      topic: 'queue-control',
      partition: 0,
      offset: -1,
      timestamp: command.issued_at,
      key: null,
      value: null,
      headers: {},
    },
  };
}
