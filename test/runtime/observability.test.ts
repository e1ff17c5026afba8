// Observability of the runtime: metrics scraped over a real socket, /health and /ready, JSON logs with redaction.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Gauge, type Registry } from 'prom-client';
import {
  getMetricsFromIterator,
  type PromData,
  type PromHistogramData,
  type PromMetric,
  type PromMetrics,
  type PromSummaryData,
} from 'prom2javascript';
import {
  ComponentStates,
  type ComponentState,
  createLogger,
  createMetricsRegistry,
  createServiceMetrics,
  type HealthReport,
  isObservabilityError,
  MetricNames,
  ObservabilityErrorCodes,
  type ObservabilityServer,
  parsePort,
  REDACTED,
  startObservabilityServer,
} from '../../src/runtime/observability/index.ts';

type Labels = Readonly<Record<string, string>>;
type Series = PromData | PromHistogramData | PromSummaryData;

async function serve(
  t: TestContext,
  registry: Registry,
  health: () => HealthReport = () => ({ components: {} }),
  ready: () => boolean = () => true,
): Promise<ObservabilityServer> {
  const server = await startObservabilityServer({ port: 0, registry, health, ready });
  t.after(() => server.close());
  return server;
}

/** GET /metrics over the socket, parsed by a Prometheus text-format parser written elsewhere. */
async function scrape(server: ObservabilityServer): Promise<PromMetrics> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  return getMetricsFromIterator(text.split('\n')[Symbol.iterator]());
}

function family(metrics: PromMetrics, name: string): PromMetric {
  const found = metrics[name];
  assert.ok(found, `no metric family ${name} in the scrape`);
  return found;
}

function allSeries(metrics: PromMetrics, name: string): readonly Series[] {
  return family(metrics, name).data;
}

/** The series of `name` whose labels are exactly `labels`, or undefined. */
function series(metrics: PromMetrics, name: string, labels: Labels): Series | undefined {
  return allSeries(metrics, name).find((s) => sameLabels(s.labels, labels));
}

function value(metrics: PromMetrics, name: string, labels: Labels): number {
  const found = series(metrics, name, labels);
  assert.ok(found && 'value' in found, `no series ${name}${JSON.stringify(labels)}`);
  return found.value;
}

function histogram(metrics: PromMetrics, name: string, labels: Labels): PromHistogramData {
  assert.equal(family(metrics, name).type, 'histogram');
  const found = series(metrics, name, labels);
  assert.ok(found && 'buckets' in found, `no histogram ${name}${JSON.stringify(labels)}`);
  return found;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

const parser = { service: 'parser', instance: 'host-1' } as const;

describe('service metrics, scraped over HTTP and parsed as Prometheus text', () => {
  it('counters hold exactly what was recorded, per topic, kind and code', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createServiceMetrics(registry, parser);
    metrics.recordsIn('md.raw.binance', 100);
    metrics.recordsIn('md.raw.binance', 50);
    metrics.recordsIn('md.raw.bybit', 7);
    metrics.recordsOut('md.trades', 120);
    metrics.error('decode');
    metrics.error('decode');
    metrics.error('produce');
    metrics.deadLettered('md.raw.binance', 'SCHEMA_INVALID');
    metrics.retried('md.raw.binance');
    metrics.retried('md.raw.binance');
    metrics.retried('md.raw.binance');
    metrics.rebalance();
    metrics.commit(3);
    metrics.commit(2);

    const families = await scrape(await serve(t, registry));
    assert.equal(family(families, MetricNames.RECORDS_IN).type, 'counter');
    assert.equal(value(families, MetricNames.RECORDS_IN, { ...parser, topic: 'md.raw.binance' }), 150);
    assert.equal(value(families, MetricNames.RECORDS_IN, { ...parser, topic: 'md.raw.bybit' }), 7);
    assert.equal(value(families, MetricNames.RECORDS_OUT, { ...parser, topic: 'md.trades' }), 120);
    assert.equal(value(families, MetricNames.ERRORS, { ...parser, kind: 'decode' }), 2);
    assert.equal(value(families, MetricNames.ERRORS, { ...parser, kind: 'produce' }), 1);
    assert.equal(
      value(families, MetricNames.DEAD_LETTERED, {
        ...parser,
        topic: 'md.raw.binance',
        code: 'SCHEMA_INVALID',
      }),
      1,
    );
    assert.equal(value(families, MetricNames.RETRIES, { ...parser, topic: 'md.raw.binance' }), 3);
    assert.equal(value(families, MetricNames.REBALANCES, parser), 1);
    assert.equal(value(families, MetricNames.OFFSETS_COMMITTED, parser), 5);
  });

  it('follows Prometheus naming: streamforge_ prefix, counters end in _total, durations in _seconds', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createServiceMetrics(registry, parser);
    const families = await scrape(await serve(t, registry));
    assert.deepEqual(Object.keys(families).sort(), Object.values(MetricNames).sort());
    for (const [name, { type }] of Object.entries(families)) {
      assert.match(name, /^streamforge_[a-z_]+$/);
      assert.equal(type === 'counter', name.endsWith('_total'), `${name} is a ${type}`);
      if (type === 'histogram') assert.ok(name.endsWith('_seconds'), name);
    }
    assert.equal(family(families, MetricNames.STORE_RESTORE_DURATION).type, 'gauge');
  });

  it('the handler histogram counts and sums observations into buckets from 50 µs to 10 s', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createServiceMetrics(registry, parser);
    for (const seconds of [0.25, 0.5, 2, 0.00005]) metrics.observeHandler(seconds);

    const families = await scrape(await serve(t, registry));
    const observed = histogram(families, MetricNames.HANDLER_DURATION, parser);
    assert.equal(observed.count, 4);
    assert.equal(observed.sum, 2.75005);
    // Buckets are cumulative: le is "less than or equal".
    assert.deepEqual(observed.buckets, {
      '0.00005': 1,
      '0.0001': 1,
      '0.00025': 1,
      '0.0005': 1,
      '0.001': 1,
      '0.0025': 1,
      '0.005': 1,
      '0.01': 1,
      '0.025': 1,
      '0.05': 1,
      '0.1': 1,
      '0.25': 2,
      '0.5': 3,
      '1': 3,
      '2.5': 4,
      '5': 4,
      '10': 4,
      '+Inf': 4,
    });
  });

  it('the lag gauge has one series per partition, and clearLag removes the revoked one', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createServiceMetrics(registry, parser);
    const server = await serve(t, registry);
    metrics.setLag('md.raw.binance', 0, 10);
    metrics.setLag('md.raw.binance', 1, 20);
    metrics.setLag('md.raw.binance', 1, 25);

    let families = await scrape(server);
    assert.equal(family(families, MetricNames.CONSUMER_LAG).type, 'gauge');
    const p0 = { ...parser, topic: 'md.raw.binance', partition: '0' };
    const p1 = { ...parser, topic: 'md.raw.binance', partition: '1' };
    assert.equal(value(families, MetricNames.CONSUMER_LAG, p0), 10);
    assert.equal(value(families, MetricNames.CONSUMER_LAG, p1), 25);

    metrics.clearLag('md.raw.binance', 0);
    families = await scrape(server);
    assert.equal(series(families, MetricNames.CONSUMER_LAG, p0), undefined);
    assert.equal(value(families, MetricNames.CONSUMER_LAG, p1), 25);
  });

  it('clearAllLag removes every lag series of the instance and none of another service', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const mine = createServiceMetrics(registry, parser);
    const other = createServiceMetrics(registry, { service: 'candles', instance: 'host-1' });
    mine.setLag('md.raw.binance', 0, 1);
    mine.setLag('md.raw.binance', 3, 2);
    other.setLag('md.trades', 0, 9);

    await mine.clearAllLag();
    const lag = allSeries(await scrape(await serve(t, registry)), MetricNames.CONSUMER_LAG);
    assert.deepEqual(
      lag.map((s) => [s.labels.service, 'value' in s ? s.value : undefined]),
      [['candles', 9]],
    );
  });

  it('the state gauge is 1 for the current state and 0 for each of the six others', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createServiceMetrics(registry, parser);
    const server = await serve(t, registry);
    const states = Object.values(ComponentStates);
    assert.equal(states.length, 7);

    for (const current of [ComponentStates.RUNNING, ComponentStates.DEGRADED] as const) {
      metrics.setState(current);
      const families = await scrape(server);
      assert.equal(allSeries(families, MetricNames.STATE).length, 7);
      for (const state of states) {
        assert.equal(
          value(families, MetricNames.STATE, { ...parser, state }),
          state === current ? 1 : 0,
          `${state} while ${current}`,
        );
      }
    }
  });

  it('a store restore records its duration and the restored record count', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createServiceMetrics(registry, parser);
    metrics.observeRestore('books', 1.5, 1000);
    metrics.observeRestore('books', 0.5, 10);

    const families = await scrape(await serve(t, registry));
    const labels = { ...parser, store: 'books' };
    assert.equal(value(families, MetricNames.STORE_RESTORE_DURATION, labels), 0.5);
    assert.equal(value(families, MetricNames.STORE_RESTORED_RECORDS, labels), 1010);
  });

  it('two services share one registry: same metrics, separate series', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const a = createServiceMetrics(registry, parser);
    const b = createServiceMetrics(registry, { service: 'orderbook', instance: 'host-1' });
    a.recordsIn('md.book.delta', 3);
    b.recordsIn('md.book.delta', 4);
    a.setState(ComponentStates.RUNNING);
    b.setState(ComponentStates.PAUSED);

    const families = await scrape(await serve(t, registry));
    const topic = 'md.book.delta';
    assert.equal(value(families, MetricNames.RECORDS_IN, { ...parser, topic }), 3);
    assert.equal(
      value(families, MetricNames.RECORDS_IN, { service: 'orderbook', instance: 'host-1', topic }),
      4,
    );
    assert.equal(value(families, MetricNames.STATE, { ...parser, state: 'running' }), 1);
    assert.equal(
      value(families, MetricNames.STATE, { service: 'orderbook', instance: 'host-1', state: 'paused' }),
      1,
    );
    assert.equal(
      value(families, MetricNames.STATE, { service: 'orderbook', instance: 'host-1', state: 'running' }),
      0,
    );
  });

  it('creating the same service twice (a restart) reuses the metrics and keeps counting', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createServiceMetrics(registry, parser).recordsIn('md.raw.binance', 5);
    const restarted = createServiceMetrics(registry, parser);
    restarted.recordsIn('md.raw.binance', 6);
    restarted.observeHandler(1);

    const families = await scrape(await serve(t, registry));
    assert.equal(value(families, MetricNames.RECORDS_IN, { ...parser, topic: 'md.raw.binance' }), 11);
    assert.equal(allSeries(families, MetricNames.RECORDS_IN).length, 1);
    assert.equal(histogram(families, MetricNames.HANDLER_DURATION, parser).count, 1);
  });

  it("the process's standard Node.js metrics are there under their usual names, and can be left out", async (t) => {
    // Read as text: right after start prom-client writes the event loop lag mean as "Nan", which
    // Prometheus accepts (it parses floats case-insensitively) but the test parser does not.
    const withProcess = await (
      await fetch(`${(await serve(t, createMetricsRegistry())).url}/metrics`)
    ).text();
    assert.match(withProcess, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.match(withProcess, /^process_cpu_user_seconds_total \d/m);
    assert.match(withProcess, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);

    const without = await scrape(await serve(t, createMetricsRegistry({ processMetrics: false })));
    assert.deepEqual(
      Object.keys(without).filter((name) => name.startsWith('process_') || name.startsWith('nodejs_')),
      [],
    );
  });

  it('rejects impossible values with INVALID_ARGUMENT and records nothing', async (t) => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createServiceMetrics(registry, parser);
    const invalid = (error: unknown) => isObservabilityError(error, ObservabilityErrorCodes.INVALID_ARGUMENT);
    assert.throws(() => metrics.recordsIn('md.trades', Number.NaN), invalid);
    assert.throws(() => metrics.recordsIn('md.trades', -1), invalid);
    assert.throws(() => metrics.recordsOut('md.trades', 1.5), invalid);
    assert.throws(() => metrics.commit(Number.POSITIVE_INFINITY), invalid);
    assert.throws(() => metrics.observeHandler(Number.NaN), invalid);
    assert.throws(() => metrics.observeHandler(-0.001), invalid);
    assert.throws(() => metrics.setLag('md.trades', -1, 5), invalid);
    assert.throws(() => metrics.setLag('md.trades', 0, Number.NaN), invalid);
    assert.throws(() => metrics.observeRestore('books', 1, -3), invalid);
    assert.throws(() => metrics.setState('sleeping' as ComponentState), invalid);
    assert.throws(() => createServiceMetrics(registry, { service: '', instance: 'x' }), invalid);

    const families = await scrape(await serve(t, registry));
    for (const name of [
      MetricNames.RECORDS_IN,
      MetricNames.RECORDS_OUT,
      MetricNames.OFFSETS_COMMITTED,
      MetricNames.HANDLER_DURATION,
      MetricNames.CONSUMER_LAG,
      MetricNames.STORE_RESTORE_DURATION,
      MetricNames.STORE_RESTORED_RECORDS,
      MetricNames.STATE,
    ]) {
      assert.deepEqual(allSeries(families, name), [], name);
    }
  });

  it('refuses a registry where a streamforge_ name is taken by a metric of another type', () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    new Gauge({ name: MetricNames.RECORDS_IN, help: 'not ours', registers: [registry] });
    assert.throws(
      () => createServiceMetrics(registry, parser),
      (error: unknown) =>
        isObservabilityError(error, ObservabilityErrorCodes.METRIC_CONFLICT) &&
        error.message.includes(MetricNames.RECORDS_IN),
    );
  });
});

describe('observability server: /health and /ready', () => {
  const cases: ReadonlyArray<{
    readonly name: string;
    readonly states: Readonly<Record<string, ComponentState>>;
    readonly code: number;
    readonly status: string;
  }> = [
    { name: 'no components', states: {}, code: 200, status: 'ok' },
    { name: 'all running', states: { parser: 'running', candles: 'running' }, code: 200, status: 'ok' },
    {
      name: 'starting, paused, stopping, stopped',
      states: { a: 'starting', b: 'paused', c: 'stopping', d: 'stopped' },
      code: 200,
      status: 'ok',
    },
    {
      name: 'one degraded',
      states: { parser: 'running', candles: 'degraded' },
      code: 200,
      status: 'degraded',
    },
    { name: 'one failed', states: { parser: 'degraded', candles: 'failed' }, code: 503, status: 'failed' },
  ];
  for (const c of cases) {
    it(`/health with ${c.name}: ${c.code} ${c.status}`, async (t) => {
      const components = Object.fromEntries(
        Object.entries(c.states).map(([name, state]) => [name, { state, detail: `${name} is ${state}` }]),
      );
      const server = await serve(t, createMetricsRegistry({ processMetrics: false }), () => ({ components }));
      const response = await fetch(`${server.url}/health`);
      assert.equal(response.status, c.code);
      assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.deepEqual(await response.json(), { status: c.status, components });
    });
  }

  it('/health answers 503 failed when the health callback throws', async (t) => {
    const server = await serve(t, createMetricsRegistry({ processMetrics: false }), () => {
      throw new Error('runtime lost its state');
    });
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { status: 'failed', error: 'runtime lost its state' });
  });

  it('/ready answers 200 when ready and 503 when not, asking on every request', async (t) => {
    let ready = false;
    const server = await serve(t, createMetricsRegistry({ processMetrics: false }), undefined, () => ready);
    let response = await fetch(`${server.url}/ready`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false });
    ready = true;
    response = await fetch(`${server.url}/ready`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ready: true });
  });

  it('/ready answers 503 when the readiness callback throws', async (t) => {
    const server = await serve(t, createMetricsRegistry({ processMetrics: false }), undefined, () => {
      throw new Error('no assignment yet');
    });
    const response = await fetch(`${server.url}/ready`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false, error: 'no assignment yet' });
  });

  it('an unknown path is a JSON 404 that lists the paths; a query string does not matter', async (t) => {
    const server = await serve(t, createMetricsRegistry({ processMetrics: false }));
    const response = await fetch(`${server.url}/metricz`);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await response.json(), {
      error: 'no such path: /metricz',
      paths: ['/metrics', '/health', '/ready'],
    });
    assert.equal((await fetch(`${server.url}/ready?verbose=1`)).status, 200);
  });

  it('methods other than GET and HEAD get 405 with an Allow header', async (t) => {
    const server = await serve(t, createMetricsRegistry({ processMetrics: false }));
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${server.url}/metrics`, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      assert.deepEqual(await response.json(), {
        error: `method ${method} not allowed`,
        allow: ['GET', 'HEAD'],
      });
    }
  });

  it('HEAD answers like GET without a body', async (t) => {
    const server = await serve(t, createMetricsRegistry({ processMetrics: false }), () => ({
      components: { parser: { state: 'failed' } },
    }));
    const get = await fetch(`${server.url}/health`);
    const getBody = await get.text();
    const head = await fetch(`${server.url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 503);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(getBody)));
    assert.equal(await head.text(), '');
  });

  it('a port in use is a PORT_IN_USE error naming the port and how to choose another', async (t) => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const { port } = squatter.address() as AddressInfo;

    await assert.rejects(
      startObservabilityServer({
        port,
        registry: createMetricsRegistry({ processMetrics: false }),
        health: () => ({ components: {} }),
        ready: () => true,
      }),
      (error: unknown) => {
        assert.ok(isObservabilityError(error, ObservabilityErrorCodes.PORT_IN_USE));
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}\\b`));
        assert.match(error.message, /--metrics-port/);
        assert.match(error.message, /STREAMFORGE_METRICS_PORT/);
        return true;
      },
    );
  });

  it('a port outside 0..65535 is refused before listening', async () => {
    await assert.rejects(
      startObservabilityServer({
        port: 70000,
        registry: createMetricsRegistry({ processMetrics: false }),
        health: () => ({ components: {} }),
        ready: () => true,
      }),
      (error: unknown) => isObservabilityError(error, ObservabilityErrorCodes.INVALID_ARGUMENT),
    );
  });

  it('close ends open connections at once, even one waiting on a slow health check, and can be called twice', async () => {
    let answer: ((report: HealthReport) => void) | undefined;
    let asked: () => void = () => {};
    const healthAsked = new Promise<void>((resolve) => (asked = resolve));
    const server = await startObservabilityServer({
      port: 0,
      registry: createMetricsRegistry({ processMetrics: false }),
      health: () => {
        asked();
        return new Promise<HealthReport>((resolve) => (answer = resolve));
      },
      ready: () => true,
    });
    await (await fetch(`${server.url}/metrics`)).text();
    const pending = fetch(`${server.url}/health`);
    await healthAsked;

    const started = Date.now();
    await Promise.all([server.close(), server.close()]);
    assert.ok(Date.now() - started < 1000, 'close waited for an open connection');
    await assert.rejects(pending);
    await assert.rejects(fetch(`${server.url}/ready`));
    // The late answer is written to a closed socket; it must not throw out of the server.
    answer?.({ components: {} });
  });
});

describe('parsePort', () => {
  it('accepts 0 to 65535 and names the source of anything else', () => {
    assert.equal(parsePort('9464'), 9464);
    assert.equal(parsePort(' 0 '), 0);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of ['65536', '-1', '1.5', 'abc', '', '0x10', '1e3']) {
      assert.throws(
        () => parsePort(bad, 'STREAMFORGE_METRICS_PORT'),
        (error: unknown) =>
          isObservabilityError(error, ObservabilityErrorCodes.INVALID_ARGUMENT) &&
          error.message.startsWith(`STREAMFORGE_METRICS_PORT: '${bad}' is not a port`),
        bad,
      );
    }
  });
});

describe('logger', () => {
  // The test's own list, so that dropping a key from the logger's list fails here.
  const credentialKeys = [
    'apiKey',
    'api_key',
    'apiSecret',
    'api_secret',
    'secret',
    'secretKey',
    'privateKey',
    'password',
    'passphrase',
    'token',
    'accessToken',
    'signature',
    'authorization',
    'Authorization',
    'cookie',
    'x-mbx-apikey',
    'X-MBX-APIKEY',
  ];

  function capture(level?: 'debug' | 'info') {
    const lines: string[] = [];
    const logger = createLogger({
      ...parser,
      level,
      destination: { write: (line: string) => lines.push(line) },
    });
    const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    return { logger, lines, records };
  }

  it('writes one JSON object per line with service, instance, level, time and msg', () => {
    const { logger, lines, records } = capture();
    logger.info({ topic: 'md.trades', partition: 2 }, 'assigned');
    logger.child({ component: 'consumer' }).error('poll failed');
    logger.debug('not at info');

    assert.equal(lines.length, 2);
    for (const line of lines) assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    const [first, second] = records();
    assert.deepEqual(
      { service: first?.service, instance: first?.instance, level: first?.level, msg: first?.msg },
      { ...parser, level: 'info', msg: 'assigned' },
    );
    assert.equal(first?.topic, 'md.trades');
    assert.equal(first?.partition, 2);
    assert.ok(!Number.isNaN(Date.parse(String(first?.time))));
    assert.deepEqual(
      {
        service: second?.service,
        instance: second?.instance,
        level: second?.level,
        component: second?.component,
      },
      { ...parser, level: 'error', component: 'consumer' },
    );
  });

  it('the level option lets debug lines through', () => {
    const { logger, records } = capture('debug');
    logger.debug('fetch sent');
    assert.deepEqual(
      records().map((r) => [r.level, r.msg]),
      [['debug', 'fetch sent']],
    );
  });

  it('redacts every credential key at the top level and two objects deep, in objects, arrays and child bindings', () => {
    const { logger, lines, records } = capture();
    for (const key of credentialKeys) {
      const secret = `s3cr3t-${key}`;
      logger.info(
        {
          [key]: `${secret}-0`,
          venue: { [key]: `${secret}-1`, binance: { [key]: `${secret}-2` } },
          accounts: [{ [key]: `${secret}-3` }],
          keep: 'visible',
        },
        `with ${key}`,
      );
      logger.child({ config: { [key]: `${secret}-4` } }).warn(`child with ${key}`);
    }
    assert.equal(lines.length, credentialKeys.length * 2);
    for (const line of lines) assert.doesNotMatch(line, /s3cr3t/);
    const all = records();
    credentialKeys.forEach((key, i) => {
      const line = all[i * 2] as Record<string, Record<string, Record<string, unknown>>>;
      assert.equal(line[key], REDACTED, key);
      assert.equal(line.venue?.[key], REDACTED, key);
      assert.equal(line.venue?.binance?.[key], REDACTED, key);
      assert.equal((line.accounts as unknown as Array<Record<string, unknown>>)[0]?.[key], REDACTED, key);
      assert.equal(line.keep, 'visible');
      const child = all[i * 2 + 1] as Record<string, Record<string, unknown>>;
      assert.equal(child.config?.[key], REDACTED, key);
    });
  });

  it('redacts credentials carried on a logged error', () => {
    const { lines, logger, records } = capture();
    const error = Object.assign(new Error('signature rejected'), { request: { signature: 'abc123def' } });
    logger.error({ err: error }, 'order failed');
    assert.doesNotMatch(lines.join(''), /abc123def/);
    const err = records()[0]?.err as { message: string; request: { signature: string } };
    assert.equal(err.message, 'signature rejected');
    assert.equal(err.request.signature, REDACTED);
  });
});
