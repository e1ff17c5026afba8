// The orchestrator's product: `orchestrator.workflows` (compacted), the current state of every workflow.

import { WorkflowV1 } from '../schema/workflows.ts';
import { DAY_MS, HOUR_MS, jsonProduct, Teams } from '../product.ts';

export const workflows = jsonProduct({
  name: 'orchestrator.workflows',
  owner: Teams.PLATFORM,
  description:
    'Every workflow the orchestrator runs (backfill, persist, features), whole, after each change: its ' +
    'parameters, state, steps with attempts and progress, and history of job events and orchestrator ' +
    'decisions. A materialized view of queue-events plus the decisions; compacted, so the latest record per ' +
    'workflow is kept and a restarted orchestrator (or a dashboard) rebuilds from it. One partition.',
  key: {
    name: 'id',
    meaning: 'workflow id',
    of: (workflow) => workflow.id,
  },
  partitions: 1,
  cleanup: { policy: 'compact', deleteRetentionMs: DAY_MS, minCompactionLagMs: HOUR_MS },
  schemaId: 'orchestrator.workflows',
  versions: [{ schema: WorkflowV1, change: 'initial' }],
  example: {
    id: 'm3x9k2ab12cd34',
    type: 'backfill-persist-features',
    params: {
      exchange: 'binance',
      symbol: 'BTCUSDT',
      interval: '1m',
      from: 1722470400000,
      to: 1722556800000,
    },
    state: 'running',
    createdAt: 1732417200000,
    updatedAt: 1732417203500,
    steps: [
      {
        name: 'backfill',
        state: 'running',
        attempt: 1,
        loaded: 1000,
        total: 1441,
        startedAt: 1732417200050,
        updatedAt: 1732417203500,
        finishedAt: null,
        error: null,
      },
      {
        name: 'persist',
        state: 'pending',
        attempt: 0,
        loaded: 0,
        total: null,
        startedAt: null,
        updatedAt: null,
        finishedAt: null,
        error: null,
      },
      {
        name: 'features',
        state: 'pending',
        attempt: 0,
        loaded: 0,
        total: null,
        startedAt: null,
        updatedAt: null,
        finishedAt: null,
        error: null,
      },
    ],
    history: [
      {
        time: 1732417200000,
        event: 'created',
        step: null,
        detail:
          'backfill-persist-features binance BTCUSDT 1m 2024-08-01T00:00:00.000Z..2024-08-02T00:00:00.000Z',
      },
      { time: 1732417200050, event: 'step-started', step: 'backfill', detail: 'attempt 1' },
      { time: 1732417203500, event: 'loading', step: 'backfill', detail: '1000 of 1441' },
    ],
  },
});
