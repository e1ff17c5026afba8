// Scaling is an operation (issue 6): a 20x burst makes a slow group lag, the autoscaler adds replicas, the lag drains, nothing is lost.
//
// On Kafka. The service runs as real `streamforge run` processes under the supervisor, one
// replica at first; the autoscaler reads the group's lag as KEDA's Kafka scaler does and
// scales it; partitions spread over the new members. The output must hold every input record
// exactly once, in order per key.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type Bus, type GroupDescription } from '../../src/bus/types.ts';
import { encode, queueEvents, trades } from '../../src/contracts/index.ts';
import {
  Autoscaler,
  publishDecision,
  type ScaleDecision,
  Supervisor,
  type SupervisorEvent,
} from '../../src/ops/supervisor/index.ts';
import { startGateway } from '../../src/services/gateway/index.ts';
import { defer, eventually, kafkaBackend, kafkaBootstrap, tempGroup } from '../helpers/backends.ts';
import { capturedTrades, follow, json, readToEnd, renamed, tempProductTopics } from '../runtime/helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PARTITIONS = 8;
/** Keys (lanes) the records are spread over: enough for every partition to get some. */
const LANES = 32;
const BASE_RATE = 40; // records/s
const BURST = 20; // x the base rate
const BURST_MS = 6000;
const COST_MS = 4; // per record: one replica copies at most ~250 records/s
const LAG_PER_REPLICA = 400;
const MAX_POLL = 20;
const MAX_REPLICAS = 4;

const laneOf = (i: number): string => `lane-${String(i % LANES).padStart(2, '0')}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function describeGroup(bus: Bus, group: string): Promise<GroupDescription | null> {
  const admin = bus.admin();
  try {
    return await admin.describeGroup(group);
  } catch {
    return null;
  } finally {
    await admin.close();
  }
}

async function totalLag(bus: Bus, group: string, topic: string): Promise<number> {
  const admin = bus.admin();
  try {
    return (await admin.groupLag(group, [topic])).reduce((sum, p) => sum + p.lag, 0);
  } finally {
    await admin.close();
  }
}

describe('scaling scenario (Kafka)', { skip: kafkaBackend.skip }, () => {
  it(
    'a 20x burst raises the lag, the autoscaler adds replicas, partitions spread, the lag drains, every record arrives once, in key order',
    { timeout: 150_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const input = { ...renamed(trades, 'scale-in'), partitions: PARTITIONS };
      const output = { ...renamed(trades, 'scale-out'), partitions: PARTITIONS };
      await tempProductTopics(t, bus, [input, output]);
      const group = tempGroup(t, bus, 'scale-slow');
      const events: SupervisorEvent[] = [];
      const supervisor = new Supervisor({
        commandFor: (_service, replica) => ({
          command: process.execPath,
          args: [
            path.join(ROOT, 'bin/streamforge.js'),
            '--bus',
            `kafka://${kafkaBootstrap()}`,
            'run',
            path.join(ROOT, 'test/ops/fixtures/slow-copy.ts'),
            '--instance-prefix',
            `scale-r${replica}`,
            '--log-level',
            'warn',
          ],
          env: {
            ...process.env,
            SF_SCALE_INPUT: input.topic,
            SF_SCALE_OUTPUT: output.topic,
            SF_SCALE_GROUP: group,
            SF_SCALE_PARTITIONS: String(PARTITIONS),
            SF_SCALE_COST_MS: String(COST_MS),
            SF_SCALE_MAX_POLL: String(MAX_POLL),
          },
          cwd: ROOT,
        }),
        onEvent: (e) => events.push(e),
        output: (line) => t.diagnostic(line),
        stopGraceMs: 20_000,
      });
      defer(t, () => supervisor.stop());
      await supervisor.scale(group, 1);
      assert.ok(
        await eventually(async () => (await describeGroup(bus, group))?.members.length === 1, 60_000, 250),
        'the first replica joins the group',
      );

      // The dashboard's gateway: its lag panel samples the group, its queue-events panel gets the decisions.
      const gateway = await startGateway({ bus, port: 0, groups: [group], lagIntervalMs: 500 });
      defer(t, () => gateway.stop());

      // The decisions go to queue-events, where the dashboard and `tail queue-events` see them.
      const controlEvents = await follow(bus, queueEvents.topic);
      defer(t, () => controlEvents.stop());
      const producer = bus.producer();
      defer(t, () => producer.close());
      const admin = bus.admin();
      defer(t, () => admin.close());
      const decisions: ScaleDecision[] = [];
      const lagSeen: number[] = [];
      const autoscaler = new Autoscaler({
        service: group,
        group,
        topics: [input.topic],
        admin,
        min: 1,
        max: MAX_REPLICAS,
        lagPerReplica: LAG_PER_REPLICA,
        cooldownMs: 120_000, // no scale-down within the test: the drain is done by the added replicas
        intervalMs: 1000,
        current: () => supervisor.replicas(group),
        scale: (n) => supervisor.scale(group, n),
        onDecision: async (d) => {
          decisions.push(d);
          t.diagnostic(`autoscaler: ${d.action} -> ${d.target}: ${d.reason}`);
          await publishDecision(producer, `supervisor-${process.pid}`, d);
        },
      });
      const sampler = setInterval(() => {
        if (autoscaler.lastLag !== null) lagSeen.push(autoscaler.lastLag);
      }, 500);
      defer(t, () => clearInterval(sampler));
      autoscaler.start((message) => t.diagnostic(message));
      defer(t, () => autoscaler.stop());

      // The feed: the base rate, then 20x for BURST_MS, then the base rate again briefly.
      const values = await capturedTrades(Math.ceil(((BURST_MS / 1000) * BURST + 4) * BASE_RATE) + 100);
      let sent = 0;
      const feed = async (rate: number, ms: number): Promise<void> => {
        const tickMs = 100;
        const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
        const until = Date.now() + ms;
        while (Date.now() < until && sent < values.length) {
          const started = Date.now();
          const chunk = values.slice(sent, sent + perTick).map((v, i) => ({
            ...encode(input, v, { service: 'feed', instance: 'feed-0' }),
            key: laneOf(sent + i),
          }));
          await producer.sendBatch(chunk);
          sent += chunk.length;
          await sleep(Math.max(0, tickMs - (Date.now() - started)));
        }
      };
      await feed(BASE_RATE, 2000);
      const beforeBurst = Math.max(0, ...lagSeen.slice(-2));
      await feed(BASE_RATE * BURST, BURST_MS);
      await feed(BASE_RATE, 2000);
      t.diagnostic(
        `fed ${sent} records; lag before the burst ${beforeBurst}, highest seen ${Math.max(...lagSeen)}`,
      );

      assert.ok(
        Math.max(...lagSeen) > LAG_PER_REPLICA,
        `the burst raised the lag above ${LAG_PER_REPLICA} (seen ${lagSeen.join(', ')})`,
      );
      const ups = decisions.filter((d) => d.action === 'up');
      assert.ok(ups.length > 0, 'the autoscaler scaled up');
      assert.ok(supervisor.replicas(group) > 1, 'more than one replica runs');
      assert.ok(supervisor.replicas(group) <= MAX_REPLICAS);

      // The partitions spread over the members: each has some, none is held twice, all are held.
      let spread: GroupDescription | null = null;
      assert.ok(
        await eventually(
          async () => {
            spread = await describeGroup(bus, group);
            if (!spread || spread.state !== 'Stable' || spread.members.length !== supervisor.replicas(group))
              return false;
            const held = spread.members.flatMap((m) => m.assignment.map((a) => a.partition));
            return (
              spread.members.every((m) => m.assignment.length > 0) &&
              held.length === PARTITIONS &&
              new Set(held).size === PARTITIONS
            );
          },
          60_000,
          500,
        ),
        `the ${supervisor.replicas(group)} replicas share the ${PARTITIONS} partitions: ${JSON.stringify(spread)}`,
      );
      t.diagnostic(
        `members: ${spread!.members.map((m) => `${m.clientId}=[${m.assignment.map((a) => a.partition).join(',')}]`).join(' ')}`,
      );

      assert.ok(
        await eventually(async () => (await totalLag(bus, group, input.topic)) === 0, 90_000, 500),
        `the lag drains to 0 (now ${await totalLag(bus, group, input.topic)})`,
      );

      // Every record exactly once, in input order per key: a member that rejoins a rebalancing
      // group commits what it processed first, so the next owner of a partition starts after it.
      const out = await readToEnd(bus, output.topic);
      const expected = new Map<string, string[]>();
      values.slice(0, sent).forEach((v, i) => {
        const lane = laneOf(i);
        expected.set(lane, [...(expected.get(lane) ?? []), `${v.symbol}:${v.tradeId}`]);
      });
      const got = new Map<string, string[]>();
      for (const r of out) {
        const lane = r.key!.toString();
        const v = json(r);
        got.set(lane, [...(got.get(lane) ?? []), `${String(v['symbol'])}:${String(v['tradeId'])}`]);
      }
      const joins = events.filter((e) => e.type === 'started').length - 1;
      t.diagnostic(`${sent} records in, ${out.length} out, across ${joins} joins`);
      for (const [lane, ids] of expected)
        assert.deepEqual(got.get(lane) ?? [], ids, `lane ${lane}: every record once, in order`);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), 'no other keys');
      assert.equal(out.length, sent, 'no record was handled twice');

      // The decisions reached queue-events.
      assert.ok(
        await eventually(
          () =>
            controlEvents.records.some((r) => {
              const e = json(r);
              return (
                e['service'] === 'supervisor' &&
                e['queue_id'] === `autoscale-${group}` &&
                /^autoscale up: scale .* up from 1 to \d/.test(String(e['reason']))
              );
            }),
          10_000,
        ),
        'the scale-up decision is on queue-events',
      );

      // The dashboard showed it: the lag panel's history of the group rises over one replica's
      // share and drains to 0, and the queue-events panel holds the scale-up decision.
      let lagPanel: number[] = [];
      assert.ok(
        await eventually(
          async () => {
            const body = (await (await fetch(`${gateway.url}/api/lag`)).json()) as {
              samples: Array<{ groups: Array<{ group: string; lag: number }> }>;
            };
            lagPanel = body.samples.flatMap((s) =>
              s.groups.filter((g) => g.group === group).map((g) => g.lag),
            );
            return lagPanel.length > 0 && lagPanel.at(-1) === 0;
          },
          10_000,
          250,
        ),
        `the lag panel has samples of the group, the newest at 0: ${lagPanel.join(', ')}`,
      );
      assert.ok(
        Math.max(...lagPanel) > LAG_PER_REPLICA,
        `the lag panel saw the burst: ${lagPanel.join(', ')}`,
      );
      const eventsPanel = (await (await fetch(`${gateway.url}/api/events?limit=10000`)).json()) as {
        events: Array<{ n: number; value: Record<string, unknown> }>;
      };
      assert.ok(
        eventsPanel.events.some(
          ({ value }) =>
            value['queue_id'] === `autoscale-${group}` && /^autoscale up/.test(String(value['reason'])),
        ),
        `the queue-events panel shows the scale-up decision (it holds ${eventsPanel.events.length} events)`,
      );

      // A graceful stop: every replica leaves with exit code 0, none is restarted.
      await autoscaler.stop();
      await supervisor.stop();
      const exits = events.filter((e) => e.type === 'exited');
      assert.ok(
        exits.every((e) => e.type === 'exited' && e.code === 0),
        JSON.stringify(exits),
      );
      assert.equal(events.filter((e) => e.type === 'restarting').length, 0, 'no replica crashed');
    },
  );
});
