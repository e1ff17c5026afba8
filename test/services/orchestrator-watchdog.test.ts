// The orchestrator's watchdog on Kafka and PostgreSQL: a step that stalls for real is stuck, stopped and restarted
// from its checkpoint until it succeeds; one that keeps stalling fails its workflow at the retry limit.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workflows } from '../../src/contracts/index.ts';
import { kafkaBackend, tempGroup } from '../helpers/backends.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { renamed, tempProductTopics } from '../runtime/helpers.ts';
import { orchestratorStack, post, waitFor, wholeCaptureRequest } from './orchestrator-fixture.ts';

const pgSkip = await postgresSkipReason();

describe('orchestrator watchdog on kafka and PostgreSQL', { skip: kafkaBackend.skip ?? pgSkip }, () => {
  it(
    'restarts a persist step that stalls (no parser yet) from its checkpoint until it succeeds, and fails a workflow whose step stalls past the retry limit',
    { timeout: 240_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const stack = await orchestratorStack(t, bus, 'orch-wd');
      await stack.startJobs();
      // Two orchestrators, each with its own group and workflows topic: retry limit 3 and 0.
      const retrying = await stack.startOrchestrator({ deadlineMs: 3000 });
      const strictTopic = renamed(workflows, 'orch-wd-wf0');
      await tempProductTopics(t, bus, [strictTopic]);
      const strict = await stack.startOrchestrator({
        name: tempGroup(t, bus, 'orch-wd-strict'),
        deadlineMs: 3000,
        retryLimit: 0,
        topics: { workflows: strictTopic },
      });
      const request = wholeCaptureRequest(stack);
      const a = await post(`${retrying.url}/api/workflows`, request);
      const b = await post(`${strict.url}/api/workflows`, request);
      assert.equal(a.status, 201, JSON.stringify(a.json));
      assert.equal(b.status, 201, JSON.stringify(b.json));
      const idA = a.json['id'] as string;
      const idB = b.json['id'] as string;
      // A job that fails (the exchange does not list the symbol) is an attempt used up as well.
      const c = await post(`${strict.url}/api/workflows`, { ...request, symbol: 'NOPEUSDT' });
      assert.equal(c.status, 201, JSON.stringify(c.json));

      // No parser runs: the backfills finish, but no kline reaches md.klines and persist makes no progress.
      const failed = await waitFor(
        () => strict.url,
        idB,
        (w) => w.state === 'failed',
        'the workflow with retry limit 0 failed',
      );
      assert.deepEqual(
        failed.steps.map((s) => [s.name, s.state, s.attempt]),
        [
          ['backfill', 'succeeded', 1],
          ['persist', 'failed', 1],
          ['features', 'pending', 0],
        ],
      );
      assert.match(failed.steps[1]!.error ?? '', /attempt 1 stuck; retry limit 0 reached/);
      assert.deepEqual(
        failed.history
          .filter((h) => h.step === 'persist')
          .map((h) => h.event)
          .filter((e) => e === 'stuck' || e === 'retry-limit'),
        ['stuck', 'retry-limit'],
      );
      assert.equal(failed.history.at(-1)!.event, 'failed');
      const refused = await waitFor(
        () => strict.url,
        c.json['id'] as string,
        (w) => w.state === 'failed',
        'the workflow of an unlisted symbol failed',
      );
      assert.equal(refused.steps[0]!.state, 'failed');
      assert.match(
        refused.steps[0]!.error ?? '',
        /^attempt 1 failed: .*code -1121: Invalid symbol\..*; retry limit 0 reached$/,
      );
      assert.ok(refused.history.some((h) => h.event === 'error' && h.step === 'backfill'));

      const restarted = await waitFor(
        () => retrying.url,
        idA,
        (w) => w.steps[1]!.attempt >= 2,
        'the stalled persist step was restarted',
      );
      const events = restarted.history.filter((h) => h.step === 'persist').map((h) => h.event);
      assert.ok(events.includes('stuck') && events.includes('restarted'), events.join(', '));
      await waitFor(
        () => retrying.url,
        idA,
        (w) => w.history.some((h) => h.step === 'persist' && h.event === 'interrupted'),
        'the job worker stopped the stuck attempt',
      );

      // The parser comes: the klines arrive and the restarted attempt completes.
      await stack.startParser();
      const done = await waitFor(
        () => retrying.url,
        idA,
        (w) => w.state !== 'running',
        'the retried workflow ended',
      );
      assert.equal(done.state, 'succeeded', JSON.stringify(done.history.slice(-10)));
      assert.ok(
        done.steps[1]!.attempt >= 2 && done.steps[1]!.attempt <= 4,
        `persist attempt ${done.steps[1]!.attempt}`,
      );
      assert.equal(done.steps[1]!.loaded, stack.klines.length);

      // Every kline once, and the jobs' own records agree: the backfill's checkpointed row count is the
      // range's (a page counted twice would exceed it), persist's checkpoint is past its klines.
      const [stored] = await stack.db.query<{ n: string; distinct_n: string }>(
        `SELECT count(*)::text AS n, count(DISTINCT open_time)::text AS distinct_n FROM klines WHERE symbol = 'BTCUSDT'`,
      );
      assert.equal(Number(stored!.n), stack.klines.length);
      assert.equal(Number(stored!.distinct_n), stack.klines.length);
      const jobs = await stack.db.query<{
        queue_id: string;
        state: string;
        attempt: number;
        loaded: string;
        checkpoint: unknown;
      }>(
        `SELECT queue_id, state, attempt, loaded::text AS loaded, checkpoint FROM jobs WHERE workflow_id = $1 ORDER BY queue_id`,
        [idA],
      );
      const byStep = new Map(jobs.map((j) => [j.queue_id.slice(`wf-${idA}-`.length), j]));
      assert.equal(Number(byStep.get('backfill')!.loaded), stack.klines.length);
      assert.equal(byStep.get('persist')!.state, 'finished');
      assert.equal(byStep.get('persist')!.attempt, done.steps[1]!.attempt);
      assert.ok(((byStep.get('persist')!.checkpoint as { offset: number }).offset ?? 0) > 0);
      const [features] = await stack.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM kline_features WHERE symbol = 'BTCUSDT'`,
      );
      assert.equal(Number(features!.n), stack.klines.length);
    },
  );
});
