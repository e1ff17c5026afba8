// Control-plane products: `queue-control` (commands) and `queue-events` (lifecycle telemetry).

import {
  QueueControlV1,
  QueueControlV2,
  QueueEventsV1,
  QueueEventsV2,
  QueueEventsV3,
} from '../schema/control.ts';
import { DAY_MS, jsonProduct, Teams } from '../product.ts';

export const queueControl = jsonProduct({
  name: 'queue-control',
  owner: Teams.PLATFORM,
  description:
    'Commands to services (start, stop, ping, pause, resume, subscribe, unsubscribe, snapshot), addressed by queue_id ' +
    '("*" or a "prefix*" pattern reaches many queues) and target_service. One partition: commands are few, and one ' +
    'total order means "stop" can never overtake the "start" it follows. Every instance reads every command (no ' +
    'shared group) and ignores those not addressed to it. Kept 7 days for audit.',
  key: {
    name: 'queue_id',
    meaning: 'queue_id as written in the command (a pattern stays a pattern), so the log reads per workflow',
    of: (command) => command.queue_id,
  },
  partitions: 1,
  cleanup: { policy: 'delete', retentionMs: 7 * DAY_MS },
  schemaId: 'queue-control',
  versions: [
    { schema: QueueControlV1, change: 'initial: the original StreamForge command set' },
    {
      schema: QueueControlV2,
      change:
        'start/stop args may describe a job for the job worker: job, exchange, symbol, interval, workflow_id, attempt (all optional)',
    },
  ],
  example: {
    command_id: 'cmd-2024-08-09-0001',
    queue_id: 'loader-binance-btcusdt',
    target_service: 'loader',
    issued_by: 'orderbook',
    issued_at: 1723161255400,
    command: 'snapshot',
    args: { exchange: 'binance', symbol: 'BTCUSDT', depth: 1000 },
  },
});

export const queueEvents = jsonProduct({
  name: 'queue-events',
  owner: Teams.PLATFORM,
  description:
    'Lifecycle events of every service instance (started, loading with counts, finished, interrupted, error with ' +
    "reason, pong, heartbeat) and the orchestrator's decisions about workflows, for the orchestrator and the " +
    'dashboard. Three partitions keyed by queue_id keep each ' +
    "workflow's events in order while spreading the heartbeats of many instances. Kept 7 days.",
  key: {
    name: 'queue_id',
    meaning: "queue_id: one workflow's events in order",
    of: (event) => event.queue_id,
  },
  partitions: 3,
  cleanup: { policy: 'delete', retentionMs: 7 * DAY_MS },
  schemaId: 'queue-events',
  versions: [
    { schema: QueueEventsV1, change: 'initial: the original StreamForge lifecycle events' },
    { schema: QueueEventsV2, change: 'adds the heartbeat event (state running/paused/idle)' },
    {
      schema: QueueEventsV3,
      change: "adds the orchestrator's decision event (decision, step, attempt, reason)",
    },
  ],
  example: {
    service: 'loader',
    instance: 'loader-7f9c4-0',
    queue_id: 'loader-binance-btcusdt',
    time: 1723161260000,
    event: 'loading',
    loaded: 19904,
    total: 40000,
  },
});
