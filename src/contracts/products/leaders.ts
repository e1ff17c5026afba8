// The orchestrator's election topic: `orchestrator.leaders` (compacted, one partition), who leads and where its API is.

import { type Static, Type } from '@sinclair/typebox';
import { epochMillis, literals } from '../schema/primitives.ts';
import { DAY_MS, HOUR_MS, jsonProduct, Teams } from '../product.ts';

export const LeaderStates = {
  /** Holds partition 0 of the election group and waits to read this claim back before acting. */
  CLAIMED: 'claimed',
  /** Read its claim back: acts (commands, workflow writes) until it loses partition 0. */
  LEADING: 'leading',
  /** Gave leadership up (lost partition 0, or stopped). */
  RESIGNED: 'resigned',
} as const;

export const OrchestratorLeaderV1 = Type.Object(
  {
    orchestrator: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,62}$',
      description: 'the orchestrator service (and consumer group) name',
    }),
    instance: Type.String({ minLength: 1, maxLength: 128, description: 'the instance this record is about' }),
    state: literals([LeaderStates.CLAIMED, LeaderStates.LEADING, LeaderStates.RESIGNED]),
    term: Type.String({
      minLength: 1,
      maxLength: 160,
      description: 'unique per claim: the instance reads its own claim back to know it holds partition 0',
    }),
    url: Type.Union([Type.String({ maxLength: 256 }), Type.Null()], {
      description: "the instance's HTTP API, null when it serves none",
    }),
    since: epochMillis('when the instance entered this state'),
  },
  { additionalProperties: false },
);

export type OrchestratorLeader = Static<typeof OrchestratorLeaderV1>;

export const orchestratorLeaders = jsonProduct({
  name: 'orchestrator.leaders',
  owner: Teams.PLATFORM,
  description:
    'The election of the active orchestrator among its instances. Every instance joins the consumer group ' +
    '<orchestrator>-leader on this topic; the one assigned its only partition leads once it has read back the claim ' +
    'it wrote here, and the others stand by. Also where a standby finds the leader API to name: the latest record of ' +
    'each instance (claimed, leading, resigned) with its URL. Compacted; keyed by instance.',
  key: {
    name: 'instance',
    meaning: 'orchestrator instance id: the latest state of each instance is kept',
    of: (record) => record.instance,
  },
  partitions: 1,
  cleanup: { policy: 'compact', deleteRetentionMs: DAY_MS, minCompactionLagMs: HOUR_MS },
  schemaId: 'orchestrator.leaders',
  versions: [{ schema: OrchestratorLeaderV1, change: 'initial' }],
  example: {
    orchestrator: 'orchestrator',
    instance: 'orch-host-a-4711-orchestrator-0',
    state: 'leading',
    term: 'orch-host-a-4711-orchestrator-0:1',
    url: 'http://10.0.0.7:8081',
    since: 1732417200000,
  },
});
