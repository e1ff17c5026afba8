// Orchestrator test fixtures: the simulator replaying a real capture, the parser, the job worker and orchestrators on unique topics.

import assert from 'node:assert/strict';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { type Bus } from '../../src/bus/types.ts';
import { orchestratorLeaders, rawTopics, workflows } from '../../src/contracts/index.ts';
import { type Workflow } from '../../src/contracts/schema/workflows.ts';
import { ServiceHost, type ServiceDefinition } from '../../src/runtime/index.ts';
import { createJobs } from '../../src/services/jobs/index.ts';
import {
  createOrchestrator,
  type OrchestratorHandle,
  type OrchestratorOptions,
} from '../../src/services/orchestrator/index.ts';
import { openDatabase, type SqlDatabase } from '../../src/services/writer/index.ts';
import { type BinanceRestKline } from '../../src/venues/binance/raw-types.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { type Simulator } from '../../src/venues/simulator/index.ts';
import { defer, eventually, tempGroup, uniqueName } from '../helpers/backends.ts';
import { postgresUrl, tempSchema } from '../helpers/postgres.ts';
import { renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const CAPTURE = path.resolve(
  import.meta.dirname,
  '../../../shared/data/market/binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
);

export interface Stack {
  readonly bus: Bus;
  readonly sim: Simulator;
  readonly db: SqlDatabase;
  readonly dbUrl: string;
  readonly schema: string;
  readonly topics: ReturnType<typeof normalizedTopics> & {
    raw: typeof rawTopics.binance;
    workflows: typeof workflows;
    leaders: typeof orchestratorLeaders;
  };
  readonly jobsName: string;
  /** The orchestrator's name (and consumer group) every startOrchestrator() shares unless told another. */
  readonly orchestratorName: string;
  /** The 1s klines the simulator serves for the whole capture (about 346), oldest first. */
  readonly klines: BinanceRestKline[];
  startJobs(): Promise<ServiceHost>;
  startParser(): Promise<void>;
  /**
   * An orchestrator instance under the stack's name and topics unless `options` names others;
   * resolves once it leads, or with `standby`, once it serves its API.
   */
  startOrchestrator(
    options?: OrchestratorOptions,
    how?: { readonly standby?: boolean },
  ): Promise<{ host: ServiceHost; url: string; orchestrator: OrchestratorHandle }>;
}

async function host(t: TestContext, bus: Bus, definition: ServiceDefinition): Promise<ServiceHost> {
  const h = new ServiceHost({
    bus,
    services: [{ definition }],
    // Instances of one service in this process need ids of their own (a process has one by default).
    instancePrefix: uniqueName('i'),
    logLevel: 'silent',
    heartbeatMs: 0,
    lagIntervalMs: 0,
  });
  defer(t, () => h.stop('test over'));
  await h.start();
  return h;
}

/**
 * The simulator replays the real BTCUSDT capture of 2024-08-08 at full speed, so its REST klines
 * are real market history (1s klines over about six minutes); PostgreSQL in a fresh schema.
 */
export async function orchestratorStack(
  t: TestContext,
  bus: Bus,
  prefix: string,
  store: 'postgres' | 'pglite' = 'postgres',
): Promise<Stack> {
  const sim = await startSimulator({ port: 0, replay: { files: [CAPTURE], speed: 'max' } });
  defer(t, () => sim.close());
  // The replay starts with its first subscriber; its trades build the REST klines as they go.
  const subscriber = new WebSocket(`${sim.wsUrl}/ws/btcusdt@trade`);
  subscriber.on('error', () => undefined);
  try {
    assert.ok(await eventually(() => sim.stats().replay?.done === true, 60_000), 'the capture was replayed');
  } finally {
    subscriber.terminate();
  }
  const rest = await fetch(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=1000`);
  const klines = (await rest.json()) as BinanceRestKline[];
  assert.ok(klines.length > 300, `the replay built ${klines.length} 1s klines`);

  // PGlite is one connection in this process: the jobs get the open database itself.
  const schema = store === 'postgres' ? await tempSchema(t, `sf_${prefix.replace(/-/g, '_')}`) : 'public';
  const dbUrl = store === 'postgres' ? await postgresUrl() : 'pglite:memory';
  const db = await openDatabase(dbUrl, { schema });
  defer(t, () => db.close());
  const database = store === 'postgres' ? { database: dbUrl, schema } : { database: db };
  const topics = {
    ...normalizedTopics(`${prefix}`),
    raw: renamed(rawTopics.binance, `${prefix}-raw`),
    workflows: renamed(workflows, `${prefix}-wf`),
    leaders: renamed(orchestratorLeaders, `${prefix}-leaders`),
  };
  await tempProductTopics(t, bus, Object.values(topics));
  const jobsName = tempGroup(t, bus, `${prefix}-jobs`);
  const orchestratorName = tempGroup(t, bus, `${prefix}-orch`);
  defer(t, async () => {
    const admin = bus.admin();
    await admin.deleteGroup(`${orchestratorName}-leader`).catch(() => undefined);
    await admin.close();
  });
  return {
    bus,
    sim,
    db,
    dbUrl,
    schema,
    topics,
    jobsName,
    orchestratorName,
    klines,
    startJobs: () =>
      host(
        t,
        bus,
        createJobs({
          name: jobsName,
          ...database,
          restUrls: { binance: sim.restUrl, 'binance-futures': sim.futuresRestUrl },
          pageLimit: 20,
          progressMs: 100,
          topics: { raw: { binance: topics.raw }, klines: topics.klines },
        }),
      ),
    async startParser() {
      await startParser(t, bus, {
        group: `${prefix}-parser`,
        exchanges: ['binance'],
        raw: { binance: topics.raw },
        out: {
          trades: topics.trades,
          bookDelta: topics.bookDelta,
          klines: topics.klines,
          instruments: topics.instruments,
        },
      });
    },
    async startOrchestrator(options = {}, how = {}) {
      const definition = createOrchestrator({
        name: orchestratorName,
        port: 0,
        jobService: jobsName,
        checkIntervalMs: 200,
        sessionTimeoutMs: 6000,
        topics: { workflows: topics.workflows, leaders: topics.leaders },
        ...options,
      });
      const h = await host(t, bus, definition);
      const url = definition.url;
      assert.ok(url, 'the orchestrator serves its API once started');
      if (!how.standby) await leads(definition);
      return { host: h, url, orchestrator: definition };
    },
  };
}

/** Waits until an orchestrator instance leads and its engine answers writes. */
/** The backfill-persist-features workflow over every 1s kline the stack's simulator serves. */
export function wholeCaptureRequest(stack: Stack): Record<string, unknown> {
  return {
    type: 'backfill-persist-features',
    exchange: 'binance',
    symbol: 'BTCUSDT',
    interval: '1s',
    from: stack.klines[0]![0],
    to: stack.klines.at(-1)![0],
  };
}

export async function leads(orchestrator: OrchestratorHandle, timeoutMs = 60_000): Promise<void> {
  const ok = await eventually(async () => {
    if (orchestrator.role !== 'leader' || !orchestrator.url) return false;
    // Elected is not yet acting: the engine loads the workflows first (a write meanwhile is 503).
    const res = await fetch(`${orchestrator.url}/api/workflows/000000/stop`, { method: 'POST' });
    await res.body?.cancel();
    return res.status === 404;
  }, timeoutMs);
  assert.ok(ok, `the orchestrator instance leads (role ${orchestrator.role})`);
}

export async function post(
  url: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function getWorkflow(base: string, id: string): Promise<Workflow> {
  const res = await fetch(`${base}/api/workflows/${id}`);
  assert.equal(res.status, 200, `GET workflow ${id}`);
  return (await res.json()) as Workflow;
}

/** Polls a workflow until `check` passes; fails naming the last state seen. */
export async function waitFor(
  base: () => string,
  id: string,
  check: (w: Workflow) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<Workflow> {
  let last: Workflow | undefined;
  const ok = await eventually(async () => {
    last = await getWorkflow(base(), id);
    return check(last);
  }, timeoutMs);
  assert.ok(
    ok,
    `${what}; last seen: ${JSON.stringify({ state: last?.state, steps: last?.steps, history: last?.history.slice(-8) })}`,
  );
  return last!;
}
