// The orchestrator's HTTP API on Kafka: every 4xx with its precise message, CORS, and an OpenAPI 3.1 document whose
// schemas are the ones the server validates and answers with.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { orchestratorLeaders, workflows } from '../../src/contracts/index.ts';
import { ServiceHost } from '../../src/runtime/index.ts';
import { createOrchestrator } from '../../src/services/orchestrator/index.ts';
import { defer, kafkaBackend, tempGroup } from '../helpers/backends.ts';
import { renamed, tempProductTopics } from '../runtime/helpers.ts';
import { leads, post } from './orchestrator-fixture.ts';

const valid = {
  type: 'backfill-persist-features',
  exchange: 'binance',
  symbol: 'BTCUSDT',
  interval: '1m',
  from: '2024-08-01T00:00:00Z',
  to: '2024-08-02T00:00:00Z',
};

describe('orchestrator HTTP API on kafka', { skip: kafkaBackend.skip }, () => {
  it(
    'refuses bad requests with the status and a message naming the field, serves CORS and its OpenAPI document',
    { timeout: 120_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const topic = renamed(workflows, 'orch-api-wf');
      const leaders = renamed(orchestratorLeaders, 'orch-api-leaders');
      await tempProductTopics(t, bus, [topic, leaders]);
      const definition = createOrchestrator({
        name: tempGroup(t, bus, 'orch-api'),
        port: 0,
        jobService: 'orch-api-nobody',
        topics: { workflows: topic, leaders },
      });
      const host = new ServiceHost({
        bus,
        services: [{ definition }],
        logLevel: 'silent',
        heartbeatMs: 0,
        lagIntervalMs: 0,
      });
      defer(t, () => host.stop('test over'));
      await host.start();
      await leads(definition);
      const base = definition.url!;
      const api = `${base}/api/workflows`;

      const bad = async (body: unknown, field: string, message: RegExp, status = 400): Promise<void> => {
        const res = await post(api, body);
        assert.equal(res.status, status, `${JSON.stringify(body)} -> ${JSON.stringify(res.json)}`);
        assert.equal(res.json['field'], field, JSON.stringify(res.json));
        assert.match(res.json['error'] as string, message);
      };
      await bad({ ...valid, symbol: undefined }, 'symbol', /^symbol is required$/);
      await bad(
        { ...valid, symbol: 'btcusdt' },
        'symbol',
        /symbol must be an upper-case Binance symbol .*got "btcusdt"/,
      );
      await bad(
        { ...valid, exchange: 'okx' },
        'exchange',
        /exchange must be "binance" or "binance-futures", got "okx"/,
      );
      await bad({ ...valid, interval: '7m' }, 'interval', /interval must be one of 1s, 1m, .*got "7m"/);
      await bad(
        { ...valid, type: 'reindex' },
        'type',
        /type must be "backfill-persist-features", got "reindex"/,
      );
      await bad(
        { ...valid, priority: 1 },
        'priority',
        /unknown field "priority"; the fields are type, exchange/,
      );
      await bad(
        { ...valid, from: 'yesterday' },
        'from',
        /from "yesterday" is not a date-time: write ISO-8601/,
      );
      await bad(
        { ...valid, from: '2024-02-30T00:00:00Z' },
        'from',
        /from "2024-02-30T00:00:00Z" is not a date that exists/,
      );
      await bad(
        { ...valid, to: true },
        'to',
        /to must be an ISO-8601 date-time with a time zone or epoch milliseconds, got true/,
      );
      await bad(
        { ...valid, from: valid.to, to: valid.from },
        'from',
        /from \(2024-08-02T00:00:00.000Z\) must be before to \(2024-08-01T00:00:00.000Z\)/,
      );
      await bad(
        { ...valid, from: Date.parse(valid.from), to: Date.parse(valid.from) },
        'from',
        /must be before to/,
      );
      await bad(
        { ...valid, interval: '1s', to: '2024-09-01T00:00:00Z' },
        'to',
        /the range holds 2678401 1s klines, more than 100000: split it/,
      );
      await bad([valid], 'body', /the body must be a JSON object/);
      await bad('{"type": ', 'body', /the body is not valid JSON/);
      const plain = await post(api, valid, 'text/plain');
      assert.equal(plain.status, 415);
      assert.equal(plain.json['field'], 'body');
      assert.match(plain.json['error'] as string, /send the body as application\/json \(got text\/plain\)/);
      const big = await post(api, { ...valid, padding: 'x'.repeat(20_000) });
      assert.equal(big.status, 413);
      assert.match(big.json['error'] as string, /at most 16384 are accepted|larger than 16384 bytes/);

      const get = async (path: string, method = 'GET') => {
        const res = await fetch(`${base}${path}`, { method });
        const text = await res.text();
        return { res, json: (text ? JSON.parse(text) : null) as Record<string, unknown> | null };
      };
      const missing = await get('/api/workflows/abcdef123');
      assert.equal(missing.res.status, 404);
      assert.equal(missing.json!['error'], 'no workflow "abcdef123"');
      const malformed = await get('/api/workflows/NOT-AN-ID');
      assert.equal(malformed.res.status, 404);
      assert.match(
        malformed.json!['error'] as string,
        /no workflow "NOT-AN-ID": ids are 6 to 40 lower-case letters and digits/,
      );
      const nowhere = await get('/api/flows');
      assert.equal(nowhere.res.status, 404);
      assert.match(nowhere.json!['error'] as string, /no such path \/api\/flows; see \/api\/openapi.json/);
      const deleting = await get('/api/workflows', 'DELETE');
      assert.equal(deleting.res.status, 405);
      assert.equal(deleting.res.headers.get('allow'), 'GET, POST, OPTIONS');
      assert.match(
        deleting.json!['error'] as string,
        /DELETE is not allowed on \/api\/workflows; use GET, POST/,
      );
      assert.equal((await get('/api/workflows/abcdef123/stop')).res.status, 405);
      const stopMissing = await post(`${api}/abcdef123/stop`, {});
      assert.equal(stopMissing.status, 404);

      // CORS: the dashboard calls this API from the browser.
      const preflight = await fetch(api, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);
      assert.equal(missing.res.headers.get('access-control-allow-origin'), '*');

      // Two workflows: created, listed newest first, stopped once (202), then 409.
      const one = await post(api, valid);
      const two = await post(api, {
        ...valid,
        from: Date.parse(valid.from),
        to: Date.parse(valid.to),
        symbol: 'ETHUSDT',
      });
      assert.equal(one.status, 201, JSON.stringify(one.json));
      assert.equal(two.status, 201);
      assert.deepEqual(one.json['params'], {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        interval: '1m',
        from: 1722470400000,
        to: 1722556800000,
      });
      assert.equal(one.json['state'], 'running');
      assert.deepEqual(
        (one.json['steps'] as { name: string; state: string }[]).map((s) => [s.name, s.state]),
        [
          ['backfill', 'running'],
          ['persist', 'pending'],
          ['features', 'pending'],
        ],
      );
      const list = (await get('/api/workflows')).json!['workflows'] as { id: string }[];
      const ids = list.map((w) => w.id);
      assert.ok(
        ids.indexOf(two.json['id'] as string) < ids.indexOf(one.json['id'] as string),
        'newest first',
      );
      const stopped = await post(`${api}/${one.json['id'] as string}/stop`, {});
      assert.equal(stopped.status, 202);
      assert.equal(stopped.json['state'], 'stopped');
      assert.equal((stopped.json['steps'] as { state: string }[])[0]!.state, 'stopped');
      const again = await post(`${api}/${one.json['id'] as string}/stop`, {});
      assert.equal(again.status, 409);
      assert.match(again.json['error'] as string, /has already ended \(stopped\); nothing to stop/);
      const shown = await get(`/api/workflows/${one.json['id'] as string}`);
      assert.deepEqual(
        (shown.json!['history'] as { event: string }[]).map((h) => h.event),
        ['created', 'step-started', 'stopped'],
      );

      // The OpenAPI document: every path with its schemas, and those schemas validate what the API answers.
      const doc = (await get('/api/openapi.json')).json!;
      assert.equal(doc['openapi'], '3.1.0');
      const paths = doc['paths'] as Record<
        string,
        Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>
      >;
      assert.deepEqual(Object.keys(paths).sort(), [
        '/api/openapi.json',
        '/api/workflows',
        '/api/workflows/{id}',
        '/api/workflows/{id}/stop',
        '/health',
      ]);
      assert.ok(paths['/api/workflows']!['post']!.requestBody, 'POST /api/workflows has a request body');
      for (const [path, ops] of Object.entries(paths))
        for (const [method, op] of Object.entries(ops))
          assert.ok(Object.keys(op.responses).length > 0, `${method} ${path} lists its responses`);
      const schemas = (doc['components'] as { schemas: Record<string, object> }).schemas;
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      const workflow = ajv.compile(schemas['Workflow']!);
      assert.ok(workflow(shown.json), JSON.stringify(workflow.errors));
      assert.ok(!workflow({ ...shown.json, state: 'exploded' }), 'the Workflow schema is not a blank check');
      const request = ajv.compile(schemas['CreateWorkflowRequest']!);
      assert.ok(request(valid));
      assert.ok(!request({ ...valid, symbol: 'btc' }));
      const errorSchema = ajv.compile(schemas['Error']!);
      assert.ok(errorSchema(missing.json), JSON.stringify(errorSchema.errors));
      assert.ok(ajv.compile(schemas['WorkflowList']!)({ workflows: list }));
      const health = await get('/health');
      assert.equal(health.res.status, 200);
      assert.ok(ajv.compile(schemas['Health']!)(health.json));
    },
  );
});
