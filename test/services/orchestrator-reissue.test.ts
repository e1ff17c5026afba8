// A step started while no job worker runs: the command is lost (control planes read queue-control from its end); the
// orchestrator sends it again when a worker starts, long before the watchdog's deadline.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Backend, embeddedBackend, kafkaBackend } from '../helpers/backends.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import {
  getWorkflow,
  orchestratorStack,
  post,
  waitFor,
  wholeCaptureRequest,
} from './orchestrator-fixture.ts';

const pgSkip = await postgresSkipReason();

const stacks: [Backend, 'postgres' | 'pglite', string | undefined][] = [
  [kafkaBackend, 'postgres', kafkaBackend.skip ?? pgSkip],
  [embeddedBackend, 'pglite', undefined],
];

for (const [backend, store, skip] of stacks)
  describe(`orchestrator re-issue on ${backend.name} and ${store}`, { skip }, () => {
    it(
      'a step whose start was sent while no job worker ran runs once a worker starts, without waiting for the watchdog',
      { timeout: 240_000 },
      async (t) => {
        const bus = await backend.open(t);
        const stack = await orchestratorStack(t, bus, 'orch-reissue', store);
        await stack.startParser();
        // Ten minutes: only the re-issue can finish the workflow within this test's time.
        const orchestrator = await stack.startOrchestrator({ deadlineMs: 600_000 });
        const created = await post(`${orchestrator.url}/api/workflows`, wholeCaptureRequest(stack));
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const id = created.json['id'] as string;

        // The start of the backfill is on queue-control (201 means it was acknowledged) and nobody heard it.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const waiting = await getWorkflow(orchestrator.url, id);
        assert.equal(waiting.steps[0]!.state, 'running');
        assert.ok(!waiting.history.some((h) => h.event === 'started'), 'no worker answered before one ran');

        const startedAt = Date.now();
        await stack.startJobs();
        const done = await waitFor(
          () => orchestrator.url,
          id,
          (w) => w.state !== 'running' && w.state !== 'pending',
          'the workflow ended after a job worker started',
          150_000,
        );
        assert.equal(done.state, 'succeeded', JSON.stringify(done.history.slice(-10)));
        assert.ok(Date.now() - startedAt < 600_000, 'well inside the watchdog deadline');
        assert.deepEqual(
          done.steps.map((s) => [s.name, s.state, s.attempt]),
          [
            ['backfill', 'succeeded', 1],
            ['persist', 'succeeded', 1],
            ['features', 'succeeded', 1],
          ],
        );
        const events = done.history.map((h) => h.event);
        assert.ok(!events.includes('stuck') && !events.includes('restarted'), events.join(', '));
        const reissued = done.history.filter((h) => h.event === 'reissued');
        assert.equal(reissued.length, 1, JSON.stringify(reissued));
        assert.equal(reissued[0]!.step, 'backfill');
        assert.match(reissued[0]!.detail, /^attempt 1 re-issued: job worker \S+ started$/);
        assert.equal(done.steps[0]!.loaded, stack.klines.length, 'the backfill loaded every kline once');
        const [stored] = await stack.db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM klines WHERE symbol = 'BTCUSDT' AND interval = '1s'`,
        );
        assert.equal(Number(stored!.n), stack.klines.length);
      },
    );
  });
