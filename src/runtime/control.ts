// The control plane of one service instance: commands from queue-control, lifecycle events to queue-events.

import { type Bus, type BusRecord, type Consumer, type Producer } from '../bus/types.ts';
import {
  decode,
  encode,
  isContractError,
  type ProducerIdentity,
  queueControl,
  queueEvents,
  toDeadLetter,
} from '../contracts/index.ts';
import { type QueueCommand, type QueueEvent } from '../contracts/schema/control.ts';
import { type RuntimeLogger, type RuntimeMetrics } from './log.ts';
import { errorCode, errorMessage } from './retry.ts';

/** Whether a command's queue_id (`*`, `prefix*` or an exact id) addresses `queueId`. */
export function queueMatches(pattern: string, queueId: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return queueId.startsWith(pattern.slice(0, -1));
  return pattern === queueId;
}

type EventName = QueueEvent['event'];
/** The fields an event adds to the common ones (service, instance, queue_id, time, event). */
export type EventFields = Readonly<Record<string, unknown>>;

export interface ControlPlaneOptions {
  readonly bus: Bus;
  readonly producer: Producer;
  readonly identity: ProducerIdentity;
  readonly queueId: string;
  /** Exact queue ids this instance also answers for besides its own (a job worker's jobs). */
  readonly ownsQueue?: (queueId: string) => boolean;
  readonly log: RuntimeLogger;
  readonly metrics: RuntimeMetrics;
  /** Acts on a command addressed to this instance; throws to report an `error` event. */
  readonly onCommand: (command: QueueCommand) => Promise<void>;
}

/**
 * Every instance reads every command (assigned, not in a group: a command for "all loaders"
 * must reach each of them) from the end of the topic, and ignores those not addressed to it.
 */
export class ControlPlane {
  readonly #options: ControlPlaneOptions;
  #consumer: Consumer | null = null;
  #loop: Promise<void> | null = null;
  #closed = false;

  constructor(options: ControlPlaneOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const consumer = this.#options.bus.consumer({ clientId: `${this.#options.identity.instance}-control` });
    this.#consumer = consumer;
    const partitions = Array.from({ length: queueControl.partitions }, (_, partition) => ({
      topic: queueControl.topic,
      partition,
    }));
    await consumer.assign(partitions);
    await consumer.seekToEnd();
    this.#loop = this.#run(consumer);
  }

  /** Publishes a lifecycle event for this instance's queue (or `queueId`). */
  async publish(event: EventName, fields: EventFields = {}, queueId = this.#options.queueId): Promise<void> {
    const { identity } = this.#options;
    const value = {
      service: identity.service,
      instance: identity.instance,
      queue_id: queueId,
      time: Date.now(),
      event,
      ...fields,
    } as QueueEvent;
    await this.#options.producer.send(encode(queueEvents, value, identity));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#loop?.catch(() => undefined);
    await this.#consumer?.close();
  }

  async #run(consumer: Consumer): Promise<void> {
    while (!this.#closed) {
      let records: BusRecord[];
      try {
        records = await consumer.poll({ timeoutMs: 250 });
      } catch (error) {
        if (this.#closed) return;
        this.#options.log.warn({ err: errorMessage(error) }, 'reading queue-control failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      for (const record of records) {
        if (this.#closed) return;
        await this.#handle(record);
      }
    }
  }

  async #handle(record: BusRecord): Promise<void> {
    const { identity, log, metrics } = this.#options;
    let command: QueueCommand;
    try {
      command = decode(queueControl, record).value;
    } catch (error) {
      // A malformed command cannot be trusted to say whom it is for; the services it seems to
      // address (all of them when that is unreadable) report it.
      const raw = rawFields(record);
      if (raw.target !== undefined && raw.target !== '*' && raw.target !== identity.service) return;
      metrics.deadLettered(record.topic, errorCode(error));
      log.warn({ offset: record.offset, err: errorMessage(error) }, 'malformed command on queue-control');
      await this.#reportFailure(record, error, raw.queueId, raw.commandId);
      return;
    }
    if (command.target_service !== '*' && command.target_service !== identity.service) return;
    const owned = this.#options.ownsQueue?.(command.queue_id) === true;
    if (!owned && !queueMatches(command.queue_id, this.#options.queueId)) return;
    log.info({ command: command.command, command_id: command.command_id }, 'command received');
    try {
      await this.#options.onCommand(command);
    } catch (error) {
      metrics.error('command');
      log.warn({ command: command.command, err: errorMessage(error) }, 'command failed');
      await this.#reportFailure(
        record,
        error,
        owned ? command.queue_id : this.#options.queueId,
        command.command_id,
      );
    }
  }

  async #reportFailure(
    record: BusRecord,
    error: unknown,
    queueId: string | undefined,
    commandId: string | undefined,
  ): Promise<void> {
    const { identity, producer } = this.#options;
    const reason = errorMessage(error).slice(0, 1000) || 'command failed';
    try {
      await this.publish(
        'error',
        { reason, code: errorCode(error), ...(commandId ? { command_id: commandId } : {}) },
        queueId ?? this.#options.queueId,
      );
      if (isContractError(error) || (error as { dlq?: unknown })?.dlq === true)
        await producer.send(toDeadLetter(record, { code: errorCode(error), reason, attempts: 1 }, identity));
    } catch (publishError) {
      this.#options.log.error({ err: errorMessage(publishError) }, 'could not report a failed command');
    }
  }
}

/** What can be read of a command that failed validation, to answer it where it came from. */
function rawFields(record: BusRecord): { target?: string; queueId?: string; commandId?: string } {
  try {
    const parsed = JSON.parse(record.value?.toString('utf8') ?? 'null') as Record<string, unknown> | null;
    if (typeof parsed !== 'object' || parsed === null) return {};
    const text = (v: unknown): string | undefined =>
      typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(v) ? v : undefined;
    const target = parsed['target_service'];
    return {
      ...(typeof target === 'string' ? { target } : {}),
      ...(text(parsed['queue_id']) ? { queueId: text(parsed['queue_id'])! } : {}),
      ...(text(parsed['command_id']) ? { commandId: text(parsed['command_id'])! } : {}),
    };
  } catch {
    return {};
  }
}

/** An error for a command that is well-formed but that this service does not know: it goes to the DLQ too. */
export class UnknownCommandError extends Error {
  readonly code = 'UNKNOWN_COMMAND';
  readonly canRetry = false;
  readonly dlq = true;

  constructor(service: string, command: string, known: readonly string[]) {
    super(`${service} has no command ${JSON.stringify(command)}; it knows ${known.join(', ')}`);
    this.name = 'UnknownCommandError';
  }
}
