// Value schemas of the control plane: commands on `queue-control`, lifecycle events on `queue-events`.
//
// Field names are snake_case because these two topics keep the original StreamForge contract
// (`queue_id`, ...), which dashboards and orchestrators outside this repository already read.

import { Type, type Static, type TProperties } from '@sinclair/typebox';
import {
  epochMillis,
  ExchangeName,
  InstrumentSymbol,
  literals,
  NonEmptyText,
  ServiceName,
} from './primitives.ts';

/** A queue (workflow) id, or a pattern ending in `*` that addresses every queue with that prefix. */
export const QueueIdPattern = Type.String({
  pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9._:-]*\\*?)$',
  maxLength: 128,
  description: 'queue id; "*" addresses every queue, "loader-*" every queue starting with "loader-"',
});

export const QueueId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
  maxLength: 128,
  description: 'the queue (workflow) this event belongs to',
});

const commandFields = {
  command_id: Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
    maxLength: 128,
    description: 'unique id of the command; events answering it carry it back',
  }),
  queue_id: QueueIdPattern,
  target_service: Type.Union([Type.Literal('*'), ServiceName], {
    description: 'service that must act on it ("*": every service)',
  }),
  issued_by: ServiceName,
  issued_at: epochMillis('when the command was issued'),
};

const lifecycleArgs = {
  reason: Type.Optional(NonEmptyText),
  from: Type.Optional(epochMillis('start of a history range to load')),
  to: Type.Optional(epochMillis('end of a history range to load (exclusive)')),
};

function lifecycleCommand<P extends TProperties>(args: P) {
  return Type.Object(
    {
      ...commandFields,
      command: literals(['start', 'stop', 'ping', 'pause', 'resume'], { description: 'lifecycle command' }),
      args: Type.Optional(Type.Object(args, { additionalProperties: false })),
    },
    { additionalProperties: false },
  );
}

const LifecycleCommand = lifecycleCommand(lifecycleArgs);

/** The steps of a workflow the job worker runs, in order. */
export const JobKinds = { BACKFILL: 'backfill', PERSIST: 'persist', FEATURES: 'features' } as const;
export type JobKind = (typeof JobKinds)[keyof typeof JobKinds];

/**
 * v2 of the lifecycle command: a `start` for the job worker describes its job. Every field is
 * optional, so every v1 command is a v2 command; `from`/`to` keep their v1 meaning (the job's
 * range, here inclusive of `to` as Binance's endTime is).
 */
const LifecycleCommandV2 = lifecycleCommand({
  ...lifecycleArgs,
  job: Type.Optional(
    literals([JobKinds.BACKFILL, JobKinds.PERSIST, JobKinds.FEATURES], { description: 'which job to run' }),
  ),
  exchange: Type.Optional(ExchangeName),
  symbol: Type.Optional(InstrumentSymbol),
  interval: Type.Optional(
    Type.String({ pattern: '^[0-9]+[smhdwM]$', maxLength: 8, description: 'kline interval (1s, 1m, 1h)' }),
  ),
  workflow_id: Type.Optional(QueueId),
  attempt: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, description: 'attempt number of the step, 1 first' }),
  ),
});

const SubscriptionCommand = Type.Object(
  {
    ...commandFields,
    command: literals(['subscribe', 'unsubscribe']),
    args: Type.Object(
      {
        exchange: ExchangeName,
        symbols: Type.Array(InstrumentSymbol, { minItems: 1, maxItems: 1024 }),
        channels: Type.Array(literals(['trades', 'book', 'top', 'klines', 'instruments']), {
          minItems: 1,
          maxItems: 8,
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Asks the loader for a fresh REST book snapshot (e.g. after a sequence gap); it lands in md.raw. */
const SnapshotCommand = Type.Object(
  {
    ...commandFields,
    command: Type.Literal('snapshot'),
    args: Type.Object(
      {
        exchange: ExchangeName,
        symbol: InstrumentSymbol,
        depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const QueueControlV1 = Type.Union([LifecycleCommand, SubscriptionCommand, SnapshotCommand]);
/** v2: a lifecycle command's args may describe a job (job, exchange, symbol, interval, workflow_id, attempt). */
export const QueueControlV2 = Type.Union([LifecycleCommandV2, SubscriptionCommand, SnapshotCommand]);
export type QueueCommand = Static<typeof QueueControlV2>;
/** A start, stop, ping, pause or resume command. */
export type LifecycleQueueCommand = Static<typeof LifecycleCommandV2>;

const eventFields = {
  service: ServiceName,
  instance: Type.String({ minLength: 1, maxLength: 128, description: 'replica id (pod, host:pid)' }),
  queue_id: QueueId,
  time: epochMillis('when the event happened'),
  command_id: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: 'the command this event answers' }),
  ),
};

function event<E extends string, P extends TProperties = Record<never, never>>(name: E, extra?: P) {
  return Type.Object(
    { ...eventFields, event: Type.Literal(name), ...(extra ?? ({} as P)) },
    { additionalProperties: false },
  );
}

const counts = {
  loaded: Type.Integer({ minimum: 0, description: 'items processed so far' }),
  total: Type.Optional(Type.Integer({ minimum: 0, description: 'items expected, when known' })),
};

const v1Events = [
  event('started'),
  event('pong'),
  event('loading', counts),
  event('finished', { loaded: Type.Integer({ minimum: 0 }) }),
  event('interrupted', { reason: NonEmptyText }),
  event('error', { reason: NonEmptyText, code: Type.Optional(Type.String({ maxLength: 64 })) }),
];

export const QueueEventsV1 = Type.Union(v1Events);

/** v2 adds the `heartbeat` event (liveness between progress events); every v1 event is unchanged. */
const heartbeat = event('heartbeat', {
  state: literals(['running', 'paused', 'idle']),
});
export const QueueEventsV2 = Type.Union([...v1Events, heartbeat]);

/** What the orchestrator decided about a workflow (its `decision` events). */
export const Decisions = {
  CREATED: 'created',
  STEP_STARTED: 'step-started',
  STEP_SUCCEEDED: 'step-succeeded',
  STUCK: 'stuck',
  RESTARTED: 'restarted',
  RETRY_LIMIT: 'retry-limit',
  STOPPED: 'stopped',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
} as const;
export type Decision = (typeof Decisions)[keyof typeof Decisions];

/**
 * v3 adds `decision`: what an orchestrator decided about a workflow (created, a step started or
 * restarted, stuck, the retry limit reached, stopped, succeeded, failed), with the step, its
 * attempt and a reason a person can read. Every v2 event is unchanged.
 */
export const QueueEventsV3 = Type.Union([
  ...v1Events,
  heartbeat,
  event('decision', {
    decision: literals([
      Decisions.CREATED,
      Decisions.STEP_STARTED,
      Decisions.STEP_SUCCEEDED,
      Decisions.STUCK,
      Decisions.RESTARTED,
      Decisions.RETRY_LIMIT,
      Decisions.STOPPED,
      Decisions.SUCCEEDED,
      Decisions.FAILED,
    ]),
    step: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 32 })),
    attempt: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    reason: NonEmptyText,
  }),
]);
export type QueueEvent = Static<typeof QueueEventsV3>;
