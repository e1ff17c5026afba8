// The supervisor with real child processes: restarts with backoff, gives up on a crash loop, stops gracefully, scales.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  CrashHistory,
  DEFAULT_RESTART_POLICY,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from '../../src/ops/supervisor/index.ts';
import { defer, eventually } from '../helpers/backends.ts';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/crashy-child.ts');
const TIMEOUT = { timeout: 60_000 };

interface Logged {
  readonly replica: number;
  readonly event: string;
  readonly time: number;
  readonly pid: number;
}

async function logOf(file: string): Promise<Logged[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [replica, event, time, pid] = l.split(' ');
      return { replica: Number(replica), event: event!, time: Number(time), pid: Number(pid) };
    });
}

/** A supervisor of the fixture child, its log file, and every event and output line it saw. */
async function harness(
  t: TestContext,
  env: Readonly<Record<string, string>>,
  options: Partial<SupervisorOptions> = {},
): Promise<{ supervisor: Supervisor; log: string; events: SupervisorEvent[]; lines: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-sup-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'events.log');
  const events: SupervisorEvent[] = [];
  const lines: string[] = [];
  const supervisor = new Supervisor({
    commandFor: (_service, replica) => ({
      command: process.execPath,
      args: ['--import', 'tsx', FIXTURE],
      env: { ...process.env, ...env, FIXTURE_LOG: log, FIXTURE_REPLICA: String(replica) },
    }),
    onEvent: (e) => events.push(e),
    output: (line) => lines.push(line),
    stopGraceMs: 5000,
    ...options,
  });
  defer(t, () => supervisor.stop());
  return { supervisor, log, events, lines };
}

describe('restart policy', () => {
  it('doubles the delay per consecutive crash within +-jitter, resets after a healthy run, gives up on a crash loop', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, initialMs: 100, maxMs: 1000, crashLoopRestarts: 6 };
    for (const r of [0, 0.5, 0.999]) {
      const history = new CrashHistory(policy, () => r);
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        const v = history.crashed(1000 * i, 10);
        assert.ok(v.restart);
        delays.push(v.delayMs);
      }
      [100, 200, 400, 800, 1000].forEach((base, i) => {
        assert.ok(
          delays[i]! >= Math.floor(base * 0.8) && delays[i]! <= Math.min(1000, Math.ceil(base * 1.2)),
          `${delays}`,
        );
      });
    }
    const history = new CrashHistory(policy, () => 0.5);
    assert.deepEqual(history.crashed(0, 10), { restart: true, delayMs: 100, attempt: 1 });
    assert.deepEqual(history.crashed(1, 10), { restart: true, delayMs: 200, attempt: 2 });
    // Up for longer than healthyAfterMs: the next crash starts over.
    assert.deepEqual(history.crashed(100_000, policy.healthyAfterMs), {
      restart: true,
      delayMs: 100,
      attempt: 1,
    });
    const loop = new CrashHistory({ ...policy, crashLoopRestarts: 2, crashLoopWindowMs: 1000 }, () => 0.5);
    assert.equal(loop.crashed(0, 1).restart, true);
    assert.equal(loop.crashed(10, 1).restart, true);
    // Crashes older than the window are forgotten.
    assert.equal(loop.crashed(2000, 1).restart, true);
    assert.equal(loop.crashed(2010, 1).restart, true);
    assert.deepEqual(loop.crashed(2020, 1), { restart: false, crashes: 3 });
  });
});

describe('supervisor', () => {
  it(
    'restarts a crashing replica after 200, 400, 800, 1600 ms, then gives up on the crash loop with its last output',
    TIMEOUT,
    async (t) => {
      const { supervisor, log, events } = await harness(
        t,
        { FIXTURE_CRASH_AFTER_MS: '0' },
        {
          policy: { initialMs: 200, factor: 2, crashLoopRestarts: 4, crashLoopWindowMs: 60_000 },
          random: () => 0.5, // no jitter: the delays are exact
        },
      );
      const gaveUp = new Promise<string>((resolve) => supervisor.onGiveUp((e) => resolve(e.reason)));
      await supervisor.scale('crashy', 1);
      const reason = await gaveUp;
      assert.match(reason, /crashy#0 exited with code 3, its 5th crash within 60000 ms: a crash loop/);
      assert.match(reason, /boom \(crash on demand\)/, 'the last output says why');
      const starts = (await logOf(log)).filter((l) => l.event === 'start');
      assert.equal(starts.length, 5, 'the first start and four restarts');
      assert.equal(new Set(starts.map((s) => s.pid)).size, 5, 'each a new process');
      const delays = events.flatMap((e) => (e.type === 'restarting' ? [e.delayMs] : []));
      assert.deepEqual(delays, [200, 400, 800, 1600]);
      const crashes = (await logOf(log)).filter((l) => l.event === 'crash');
      for (let i = 0; i < 4; i++) {
        const gap = starts[i + 1]!.time - crashes[i]!.time;
        assert.ok(
          gap >= delays[i]!,
          `restart ${i + 1} came ${gap} ms after the crash, before its ${delays[i]} ms delay`,
        );
        assert.ok(gap < delays[i]! + 10_000, `restart ${i + 1} came ${gap} ms after the crash`);
      }
      assert.equal(supervisor.replicas('crashy'), 0, 'a given-up replica does not count as running');
      assert.equal(supervisor.status()[0]!.state, 'failed');
      assert.equal(events.filter((e) => e.type === 'exited' && !e.expected).length, 5);
    },
  );

  it(
    'scales up and down: new replicas start, the highest-numbered stop gracefully, output is prefixed',
    TIMEOUT,
    async (t) => {
      const { supervisor, log, lines } = await harness(t, {});
      await supervisor.scale('svc', 3);
      assert.equal(supervisor.replicas('svc'), 3);
      assert.ok(
        await eventually(
          async () => (await logOf(log)).filter((l) => l.event === 'start').length === 3,
          30_000,
        ),
      );
      const pids = supervisor.status().map((s) => s.pid!);
      for (const pid of pids) assert.doesNotThrow(() => process.kill(pid, 0), `replica pid ${pid} is alive`);
      assert.ok(
        await eventually(() => lines.some((l) => /^svc#2 \| replica 2 running as \d+$/.test(l)), 10_000),
        lines.join('\n'),
      );

      await supervisor.scale('svc', 1);
      assert.equal(supervisor.replicas('svc'), 1);
      const after = await logOf(log);
      assert.deepEqual(
        after
          .filter((l) => l.event === 'graceful')
          .map((l) => l.replica)
          .sort(),
        [1, 2],
        'replicas 1 and 2 stopped through their SIGTERM handler',
      );
      assert.throws(() => process.kill(pids[2]!, 0), 'replica 2 is gone');
      assert.doesNotThrow(() => process.kill(pids[0]!, 0), 'replica 0 still runs');

      await supervisor.scale('svc', 2);
      assert.equal(supervisor.replicas('svc'), 2);
      assert.ok(
        await eventually(
          async () => (await logOf(log)).filter((l) => l.event === 'start').length === 4,
          30_000,
        ),
      );
      assert.equal(
        (await logOf(log)).filter((l) => l.event === 'start').at(-1)!.replica,
        1,
        'the free slot 1 is reused',
      );
      await assert.rejects(supervisor.scale('svc', -1), /replicas must be an integer >= 0, got -1/);

      await supervisor.stop();
      const final = await logOf(log);
      assert.equal(
        final.filter((l) => l.event === 'graceful').length,
        4,
        'stop() stops the remaining two gracefully',
      );
      assert.equal(final.filter((l) => l.event === 'start').length, 4, 'nothing was restarted by the stop');
    },
  );

  it('kills a replica that ignores SIGTERM after the grace period', TIMEOUT, async (t) => {
    const { supervisor, log, events } = await harness(t, { FIXTURE_IGNORE_TERM: '1' }, { stopGraceMs: 700 });
    await supervisor.scale('stubborn', 1);
    assert.ok(await eventually(async () => (await logOf(log)).some((l) => l.event === 'start'), 30_000));
    const t0 = Date.now();
    await supervisor.stop();
    const took = Date.now() - t0;
    assert.ok(took >= 700, `stopped after ${took} ms, before the grace period`);
    assert.ok(
      (await logOf(log)).some((l) => l.event === 'ignored-sigterm'),
      'it was asked first',
    );
    const exited = events.find((e) => e.type === 'exited');
    assert.ok(exited && exited.type === 'exited');
    assert.equal(exited.signal, 'SIGKILL');
    assert.equal(exited.expected, true);
    assert.equal(events.filter((e) => e.type === 'restarting').length, 0);
  });
});
