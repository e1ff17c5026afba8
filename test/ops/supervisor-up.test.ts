// `streamforge up --kafka --postgres`: every service its own process under the supervisor, replicas in the group, Ctrl-C stops all cleanly.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { childMetricsPort } from '../../src/apps/cli/commands/up.ts';
import { openBus } from '../../src/bus/open.ts';
import { defer, eventually, kafkaBackend, kafkaBootstrap } from '../helpers/backends.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/streamforge.js');
const pgSkip = await postgresSkipReason();

describe('streamforge up in cluster mode (Kafka + PostgreSQL)', { skip: kafkaBackend.skip ?? pgSkip }, () => {
  it(
    'runs each service as its own process, orderbook with 2 replicas sharing the partitions; data reaches PostgreSQL; Ctrl-C stops every process cleanly',
    { timeout: 240_000 },
    async (t) => {
      const schema = await tempSchema(t, 'sf_up');
      // Replicas serve /metrics on fixed ports from this base (a random one, away from other tests).
      const metricsBase = 20_000 + Math.floor(Math.random() * 20_000);
      const child = spawn(
        process.execPath,
        [
          BIN,
          'up',
          '--kafka',
          kafkaBootstrap()!,
          '--postgres',
          await postgresUrl(),
          '--set',
          `database.schema=${schema}`,
          '--sim-port',
          '0',
          '--symbols',
          'BTCUSDT,ETHUSDT',
          '--replicas',
          'orderbook=2',
          '--metrics-port',
          String(metricsBase),
          '--dashboard-port',
          '0',
          '--orchestrator-port',
          '0',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          // A variable the flag overrides: the children must follow up's effective configuration
          // (the schema from --set), not this variable they would otherwise read themselves; the
          // writer would then store into another schema and the check of the trades would fail.
          env: { ...process.env, STREAMFORGE_DATABASE_SCHEMA: 'sf_not_this_schema' },
        },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      defer(t, () => void (child.exitCode === null && child.kill('SIGKILL')));

      assert.ok(
        await eventually(() => /Every replica has joined its group/.test(output), 180_000, 250),
        `every replica joins its group:\n${output}`,
      );
      assert.match(output, /each service its own process under the supervisor/);
      const bus = await openBus(`kafka://${kafkaBootstrap()}`);
      defer(t, () => bus.close());
      const admin = bus.admin();
      defer(t, () => admin.close());
      const group = await admin.describeGroup('orderbook');
      assert.equal(group.members.length, 2, 'two orderbook processes in the group');
      const held = group.members.flatMap((m) => m.assignment.map((a) => `${a.topic}[${a.partition}]`));
      assert.equal(new Set(held).size, held.length, 'no partition is held twice');
      assert.ok(
        group.members.every((m) => m.assignment.length > 0),
        'both replicas have partitions',
      );

      // Each orderbook replica serves its own /health on the port derived from the base.
      for (const replica of [0, 1]) {
        const port = childMetricsPort(metricsBase, 'orderbook', replica);
        const health = await fetch(`http://127.0.0.1:${port}/health`);
        assert.equal(health.status, 200, `orderbook#${replica} /health on port ${port}`);
        assert.match(await health.text(), new RegExp(`r${replica}-orderbook-0`));
      }

      // The status line names the replicas and the lag of each group, and data flows to PostgreSQL.
      assert.ok(
        await eventually(
          () => /replicas: loader 1, parser 1 \(lag \d+\), orderbook 2 \(lag \d+\)/.test(output),
          30_000,
        ),
        output,
      );
      const client = new pg.Client({ connectionString: await postgresUrl() });
      await client.connect();
      defer(t, () => client.end());
      assert.ok(
        await eventually(async () => {
          const r = await client
            .query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".trades`)
            .catch(() => ({ rows: [{ n: '0' }] }));
          return Number(r.rows[0]!.n) > 0;
        }, 60_000),
        'the writer stores trades in the configured schema',
      );

      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, 0, output);
      assert.match(output, /Stopped: frames \d+ {2}trades \d+/);
      assert.doesNotMatch(
        output,
        /crashed|crash loop|cannot go from/,
        'no replica crashed or failed to stop',
      );
      // Every child left its group when it stopped.
      assert.ok(
        await eventually(async () => (await admin.describeGroup('orderbook')).members.length === 0, 30_000),
        'the orderbook replicas left the group',
      );
    },
  );
});
