// Two orchestrator instances: one leads, the other stands by (reads from its copy, writes 503 naming the leader); the
// leader crashes mid-workflow and the standby takes over and completes it, and at no time do both act.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import { queueControl, queueEvents } from '../../src/contracts/index.ts';
import { type Workflow } from '../../src/contracts/schema/workflows.ts';
import { defer, embeddedBackend, eventually, kafkaBackend, kafkaBootstrap } from '../helpers/backends.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { follow, json } from '../runtime/helpers.ts';
import {
  getWorkflow,
  orchestratorStack,
  post,
  type Stack,
  waitFor,
  wholeCaptureRequest,
} from './orchestrator-fixture.ts';

const pgSkip = await postgresSkipReason();
const ROOT = path.resolve(import.meta.dirname, '../..');

interface Instance {
  readonly url: string;
  /** Ends the instance as a crash would: nothing resigned, committed or left. */
  crash(): Promise<void>;
  /** Stops it gracefully: it resigns and leaves the groups. */
  stop(): Promise<void>;
}

/** How the leader ends, and the election's session timeout (a crash is noticed after it; a stop at once). */
interface Ending {
  readonly how: 'crash' | 'stop';
  readonly sessionTimeoutMs: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function health(url: string): Promise<{ role: string; leader: string | null } | null> {
  try {
    const res = await fetch(`${url}/health`);
    return res.ok ? ((await res.json()) as { role: string; leader: string | null }) : null;
  } catch {
    return null;
  }
}

/** On Kafka each instance is a `streamforge run` process of its own, killed with SIGKILL. */
async function processInstance(t: TestContext, stack: Stack, n: number): Promise<Instance> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/streamforge.js'),
      '--bus',
      `kafka://${kafkaBootstrap()}`,
      'run',
      path.join(ROOT, 'test/services/fixtures/orchestrator.ts'),
      '--instance-prefix',
      `process${n}`,
      '--log-level',
      'warn',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SF_TEST_ORCH_NAME: stack.orchestratorName,
        SF_TEST_ORCH_PORT: String(port),
        SF_TEST_ORCH_JOBS: stack.jobsName,
        SF_TEST_ORCH_WORKFLOWS: stack.topics.workflows.topic,
        SF_TEST_ORCH_LEADERS: stack.topics.leaders.topic,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  defer(t, () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
  const url = `http://127.0.0.1:${port}`;
  assert.ok(
    await eventually(async () => (await health(url)) !== null, 60_000),
    `instance ${n} serves its API`,
  );
  return {
    url,
    async crash() {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** On the embedded log (one process) an instance is abandoned: it stops polling without a word. */
function inProcessInstance(sessionTimeoutMs: number) {
  return async (_t: TestContext, stack: Stack): Promise<Instance> => {
    const { url, orchestrator, host } = await stack.startOrchestrator(
      { sessionTimeoutMs },
      { standby: true },
    );
    return { url, crash: () => orchestrator.abandon(), stop: () => host.stop('stopped by the test') };
  };
}

/** Waits until an instance leads and its engine answers writes (a probe stop of no workflow is 404, not 503). */
async function acting(url: string): Promise<boolean> {
  return eventually(async () => {
    if ((await health(url))?.role !== 'leader') return false;
    const res = await fetch(`${url}/api/workflows/000000/stop`, { method: 'POST' });
    await res.body?.cancel();
    return res.status === 404;
  }, 60_000);
}

async function scenario(
  t: TestContext,
  bus: Bus,
  store: 'postgres' | 'pglite',
  start: (t: TestContext, stack: Stack, n: number) => Promise<Instance>,
  ending: Ending,
): Promise<void> {
  const stack = await orchestratorStack(t, bus, 'orch-ha', store);
  await stack.startParser();
  await stack.startJobs();
  const events = await follow(bus, queueEvents.topic);
  defer(t, () => events.stop());
  const commands = await follow(bus, queueControl.topic);
  defer(t, () => commands.stop());

  const instances = [await start(t, stack, 1), await start(t, stack, 2)];
  // Both are members of the election group before anything happens: the standby is in the group, not
  // still joining it, while the leader works.
  const admin = bus.admin();
  defer(t, () => admin.close());
  assert.ok(
    await eventually(async () => {
      const group = await admin.describeGroup(`${stack.orchestratorName}-leader`).catch(() => null);
      return group?.state === 'Stable' && group.members.length === 2;
    }, 60_000),
    'both instances joined the election group',
  );
  // Which one leads is the group's choice; exactly one does, and the other names it.
  let pair: [Instance, Instance] | null = null;
  assert.ok(
    await eventually(async () => {
      const roles = await Promise.all(instances.map((i) => health(i.url)));
      const leader = roles.findIndex((r) => r?.role === 'leader');
      if (leader === -1 || roles[1 - leader]?.role !== 'standby') return false;
      pair = [instances[leader]!, instances[1 - leader]!];
      return roles[1 - leader]?.leader === instances[leader]!.url;
    }, 60_000),
    `one leads, the other names it: ${JSON.stringify(await Promise.all(instances.map((i) => health(i.url))))}`,
  );
  const [first, second] = pair!;
  assert.ok(await acting(first.url), 'the leader acts');

  const request = wholeCaptureRequest(stack);
  const refused = await post(`${second.url}/api/workflows`, request);
  assert.equal(refused.status, 503, JSON.stringify(refused.json));
  assert.equal(refused.json['leader'], first.url);
  assert.match(refused.json['error'] as string, /standby; send writes to the leader/);

  // Binance answers the backfill's first request with 429 and Retry-After 3 s: the backfill is
  // surely running when the leader dies.
  stack.sim.faults.rateLimit(429, 1, 3);
  const created = await post(`${first.url}/api/workflows`, request);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json['id'] as string;
  await waitFor(
    () => first.url,
    id,
    (w) => w.history.some((h) => h.event === 'started' && h.step === 'backfill'),
    'the job worker started the backfill',
  );
  // The standby serves reads from its own copy of orchestrator.workflows.
  assert.ok(
    await eventually(async () => (await fetch(`${second.url}/api/workflows/${id}`)).status === 200, 30_000),
    'the standby shows the workflow',
  );
  const copy = await getWorkflow(second.url, id);
  assert.equal(copy.steps[0]!.name, 'backfill');
  const stopRefused = await post(`${second.url}/api/workflows/${id}/stop`, {});
  assert.equal(stopRefused.status, 503);
  const before = await getWorkflow(first.url, id);
  assert.equal(before.steps[0]!.state, 'running', 'the leader ends in the middle of the backfill');

  const endedAt = Date.now();
  await (ending.how === 'crash' ? first.crash() : first.stop());
  assert.ok(await acting(second.url), 'the standby took over');
  const tookOverMs = Date.now() - endedAt;
  if (ending.how === 'stop')
    assert.ok(
      tookOverMs < ending.sessionTimeoutMs / 2,
      `a leader that stops hands over at once, not after the session (${tookOverMs} ms)`,
    );
  const done: Workflow = await waitFor(
    () => second.url,
    id,
    (w) => w.state !== 'running' && w.state !== 'pending',
    'the workflow ended under the new leader',
  );
  assert.equal(done.state, 'succeeded', JSON.stringify(done.history.slice(-10)));
  assert.deepEqual(
    done.steps.map((s) => [s.name, s.state]),
    [
      ['backfill', 'succeeded'],
      ['persist', 'succeeded'],
      ['features', 'succeeded'],
    ],
  );
  assert.ok(
    done.history.some((h) => h.event === 'resumed' && h.step === 'backfill'),
    'the new leader resumed the running backfill from the compacted topic',
  );
  assert.equal(done.steps[1]!.loaded, stack.klines.length, 'persist stored every kline');
  const [stored] = await stack.db.query<{ n: string; distinct_n: string }>(
    `SELECT count(*)::text AS n, count(DISTINCT open_time)::text AS distinct_n FROM klines WHERE symbol = 'BTCUSDT'`,
  );
  assert.equal(Number(stored!.n), stack.klines.length);
  assert.equal(Number(stored!.distinct_n), stack.klines.length);
  assert.equal((await health(second.url))?.role, 'leader');

  // At no time did both act: each decision once, the first instance's all before the second's, and
  // the second sent no command before the first died.
  const decisions = events.records
    .map(json)
    .filter((e) => e['queue_id'] === `wf-${id}` && e['event'] === 'decision');
  const keys = decisions.map((d) => `${String(d['decision'])}/${String(d['step'])}/${String(d['attempt'])}`);
  assert.equal(new Set(keys).size, keys.length, `a decision taken twice: ${keys.join(', ')}`);
  const byInstance = decisions.map((d) => d['instance'] as string);
  const switched = byInstance.findIndex((i) => i !== byInstance[0]);
  assert.ok(switched > 0, `both instances decided: ${byInstance.join(', ')}`);
  assert.ok(
    byInstance.slice(switched).every((i) => i === byInstance[switched]),
    `the instances' decisions interleave: ${byInstance.join(', ')}`,
  );
  assert.ok(keys.includes('succeeded/undefined/undefined'), keys.join(', '));
  const secondInstance = byInstance[switched]!;
  const sent = commands.records.map(json).filter((c) => String(c['queue_id']).startsWith(`wf-${id}-`));
  const bySecond = sent.filter((c) => String(c['command_id']).startsWith(secondInstance.slice(0, 60)));
  assert.ok(bySecond.length > 0, 'the new leader sent commands');
  for (const c of bySecond)
    assert.ok(
      (c['issued_at'] as number) >= endedAt,
      `the standby sent ${JSON.stringify(c)} before the leader ended`,
    );
}

describe(
  'orchestrator leader election on kafka and PostgreSQL',
  { skip: kafkaBackend.skip ?? pgSkip },
  () => {
    it(
      'a standby serves reads, refuses writes naming the leader, and takes over a workflow when the leader process is killed',
      { timeout: 300_000 },
      async (t) =>
        scenario(t, await kafkaBackend.open(t), 'postgres', processInstance, {
          how: 'crash',
          sessionTimeoutMs: 6000,
        }),
    );
    it(
      'a leader that stops hands a running workflow over to the standby at once',
      { timeout: 300_000 },
      async (t) =>
        scenario(t, await kafkaBackend.open(t), 'postgres', inProcessInstance(30_000), {
          how: 'stop',
          sessionTimeoutMs: 30_000,
        }),
    );
  },
);

describe('orchestrator leader election on embedded and PGlite', () => {
  it(
    'a standby serves reads, refuses writes naming the leader, and takes over a workflow when the leader is abandoned',
    { timeout: 300_000 },
    async (t) =>
      scenario(t, await embeddedBackend.open(t), 'pglite', inProcessInstance(6000), {
        how: 'crash',
        sessionTimeoutMs: 6000,
      }),
  );
  it(
    'a leader that stops hands a running workflow over to the standby at once',
    { timeout: 300_000 },
    async (t) =>
      scenario(t, await embeddedBackend.open(t), 'pglite', inProcessInstance(30_000), {
        how: 'stop',
        sessionTimeoutMs: 30_000,
      }),
  );
});
