// Value schema of `orchestrator.workflows`: one workflow with its steps and history, as the orchestrator's HTTP API shows it.

import { Type, type Static } from '@sinclair/typebox';
import { epochMillis, ExchangeName, InstrumentSymbol, literals, NonEmptyText } from './primitives.ts';

export const WorkflowTypes = { BACKFILL_PERSIST_FEATURES: 'backfill-persist-features' } as const;
export type WorkflowType = (typeof WorkflowTypes)[keyof typeof WorkflowTypes];

export const WorkflowStates = {
  PENDING: 'pending',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  STOPPED: 'stopped',
} as const;
export type WorkflowState = (typeof WorkflowStates)[keyof typeof WorkflowStates];

export const StepStates = {
  PENDING: 'pending',
  RUNNING: 'running',
  STUCK: 'stuck',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  STOPPED: 'stopped',
} as const;
export type StepState = (typeof StepStates)[keyof typeof StepStates];

export const WorkflowId = Type.String({
  pattern: '^[a-z0-9]{6,40}$',
  description: 'workflow id: lower-case letters and digits; its queues are wf-<id> and wf-<id>-<step>',
});

const orNull = <T extends ReturnType<typeof epochMillis>>(schema: T) => Type.Union([schema, Type.Null()]);

export const WorkflowParams = Type.Object(
  {
    exchange: ExchangeName,
    symbol: InstrumentSymbol,
    interval: Type.String({ pattern: '^[0-9]+[smhdwM]$', maxLength: 8, description: 'kline interval' }),
    from: epochMillis('first kline open time of the range (inclusive)'),
    to: epochMillis('last kline open time of the range (inclusive)'),
  },
  { additionalProperties: false },
);
export type WorkflowParams = Static<typeof WorkflowParams>;

export const WorkflowStep = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]*$',
      maxLength: 32,
      description: 'backfill, persist, features',
    }),
    state: literals([
      StepStates.PENDING,
      StepStates.RUNNING,
      StepStates.STUCK,
      StepStates.SUCCEEDED,
      StepStates.FAILED,
      StepStates.STOPPED,
    ]),
    attempt: Type.Integer({ minimum: 0, maximum: 1000, description: '0 before the first start' }),
    loaded: Type.Integer({ minimum: 0, description: 'items done so far, as the job last reported' }),
    total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'items expected, when known',
    }),
    startedAt: orNull(epochMillis('when the current attempt was started')),
    updatedAt: orNull(epochMillis('last sign of progress (the watchdog measures from here)')),
    finishedAt: orNull(epochMillis('when it ended')),
    error: Type.Union([NonEmptyText, Type.Null()], { description: 'why it failed or was stopped' }),
  },
  { additionalProperties: false },
);
export type WorkflowStep = Static<typeof WorkflowStep>;

export const WorkflowHistoryEntry = Type.Object(
  {
    time: epochMillis('when it happened'),
    event: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'a job event or an orchestrator decision',
    }),
    step: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    detail: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type WorkflowHistoryEntry = Static<typeof WorkflowHistoryEntry>;

/** History kept per workflow; older entries beyond it are dropped (the first one, `created`, stays). */
export const MAX_HISTORY = 200;

export const WorkflowV1 = Type.Object(
  {
    id: WorkflowId,
    type: Type.Literal(WorkflowTypes.BACKFILL_PERSIST_FEATURES),
    params: WorkflowParams,
    state: literals([
      WorkflowStates.PENDING,
      WorkflowStates.RUNNING,
      WorkflowStates.SUCCEEDED,
      WorkflowStates.FAILED,
      WorkflowStates.STOPPED,
    ]),
    createdAt: epochMillis('when it was created'),
    updatedAt: epochMillis('when it last changed'),
    steps: Type.Array(WorkflowStep, { minItems: 1, maxItems: 16 }),
    history: Type.Array(WorkflowHistoryEntry, { maxItems: MAX_HISTORY }),
  },
  { additionalProperties: false },
);
export type Workflow = Static<typeof WorkflowV1>;
