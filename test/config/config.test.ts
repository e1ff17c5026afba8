// The configuration: precedence of its sources, every kind of error with its source and path, suggestions, masked secrets, the old variables.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  ConfigError,
  describeSource,
  ENV_ALIASES,
  formatConfig,
  kafkaBusFlag,
  loadConfig,
  type LoadOptions,
  marketUrls,
  maskedConfig,
  maskUrl,
  parseAutoscaleFlag,
  parseReplicasFlag,
  platformService,
} from '../../src/config/index.ts';
import { defer } from '../helpers/backends.ts';
import { cli } from '../helpers/cli.ts';

async function tempFile(t: TestContext, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-config-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The error's message; fails the test when loading succeeds. */
function problem(options: LoadOptions): string {
  try {
    loadConfig({ env: {}, ...options });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

const source = (loaded: ReturnType<typeof loadConfig>, leaf: string): string =>
  describeSource(loaded.sources.get(leaf) ?? { kind: 'default' });

describe('configuration sources', () => {
  it('defaults < file < environment < flags, each value with its source', async (t) => {
    const file = await tempFile(
      t,
      'sf.yaml',
      [
        'market:',
        '  symbols: [BTCUSDT, XRPUSDT]',
        '  simulatorPort: 9100',
        'ports:',
        '  dashboard: 8088',
        '  orchestrator: 8089',
        'services:',
        '  orderbook:',
        '    depthLevels: 50',
        'replicas:',
        '  orderbook: 2',
      ].join('\n'),
    );
    const loaded = loadConfig({
      file,
      env: { STREAMFORGE_PORTS_DASHBOARD: '8090', STREAMFORGE_REPLICAS_ORDERBOOK: '3' },
      flags: [{ path: 'replicas.orderbook', value: '4', flag: '--replicas' }],
    });
    const c = loaded.config;
    assert.equal(c.ports.metrics, 9464);
    assert.equal(source(loaded, 'ports.metrics'), 'default');
    assert.deepEqual(c.market.symbols, ['BTCUSDT', 'XRPUSDT']);
    assert.equal(source(loaded, 'market.symbols'), `file ${file}`);
    assert.equal(c.ports.orchestrator, 8089);
    assert.equal(c.ports.dashboard, 8090, 'the environment beats the file');
    assert.equal(source(loaded, 'ports.dashboard'), 'env STREAMFORGE_PORTS_DASHBOARD');
    assert.equal(c.replicas.orderbook, 4, 'a flag beats the environment and the file');
    assert.equal(source(loaded, 'replicas.orderbook'), 'flag --replicas');
    assert.equal(c.services.orderbook.depthLevels, 50);
    assert.equal(c.services.candles.graceMs, undefined, 'unset: the service default applies');
    assert.equal(loaded.file, file);
  });

  it('reads JSON files, STREAMFORGE_CONFIG, lists written as text, and a whole configuration inline', async (t) => {
    const file = await tempFile(
      t,
      'sf.json',
      JSON.stringify({ market: { symbols: 'ETHUSDT, SOLUSDT', source: 'live' }, log: { level: 'info' } }),
    );
    const viaEnv = loadConfig({ env: { STREAMFORGE_CONFIG: file } });
    assert.deepEqual(viaEnv.config.market.symbols, ['ETHUSDT', 'SOLUSDT']);
    assert.equal(viaEnv.config.market.source, 'live');
    assert.equal(marketUrls(viaEnv.config).restUrl, 'https://api.binance.com');
    // What the supervisor gives a child: the parent's whole configuration, beaten by nothing but flags.
    const inline = loadConfig({
      env: {
        STREAMFORGE_CONFIG: file,
        STREAMFORGE_CONFIG_JSON: JSON.stringify({ log: { level: 'error' }, replicas: { parser: 2 } }),
      },
    });
    assert.equal(inline.config.log.level, 'error');
    assert.equal(source(inline, 'log.level'), 'STREAMFORGE_CONFIG_JSON (from the supervisor)');
    assert.equal(inline.config.market.source, 'live', 'the file still applies below it');
  });

  it('keeps every variable that existed before the configuration', () => {
    const loaded = loadConfig({
      env: {
        STREAMFORGE_BUS: 'kafka://10.0.0.1:9092',
        STREAMFORGE_DATABASE_URL: 'postgres://sf@db:5432/md',
        STREAMFORGE_DATABASE_SCHEMA: 'md',
        STREAMFORGE_SYMBOLS: 'BTCUSDT,ETHUSDT',
        STREAMFORGE_CHANNELS: 'trades,book',
        STREAMFORGE_KLINE_INTERVALS: '1m,5m',
        STREAMFORGE_LOADER_EXCHANGE: 'binance-futures',
        STREAMFORGE_LIVE: '1',
        STREAMFORGE_BINANCE_REST_URL: 'http://127.0.0.1:1234',
        STREAMFORGE_BINANCE_WS_URL: 'ws://127.0.0.1:1234',
        STREAMFORGE_METRICS_PORT: '0',
        STREAMFORGE_WRITER_BOOK_TOP_SAMPLE_MS: '250',
        // Variables of other tools are not the configuration's business.
        STREAMFORGE_TEST_KAFKA: '127.0.0.1:9092',
        STREAMFORGE_DEBUG: '1',
      },
    });
    const c = loaded.config;
    assert.equal(c.bus, 'kafka://10.0.0.1:9092');
    assert.equal(c.database.url, 'postgres://sf@db:5432/md');
    assert.equal(c.database.schema, 'md');
    assert.deepEqual(c.market.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(c.market.channels, ['trades', 'book']);
    assert.deepEqual(c.market.klineIntervals, ['1m', '5m']);
    assert.equal(c.market.exchange, 'binance-futures');
    assert.equal(c.market.source, 'live');
    assert.deepEqual(marketUrls(c), { restUrl: 'http://127.0.0.1:1234', wsUrl: 'ws://127.0.0.1:1234' });
    assert.equal(c.ports.metrics, 0);
    assert.equal(c.services.writer.bookTopSampleMs, 250);
    for (const [name, leaf] of Object.entries(ENV_ALIASES))
      assert.equal(source(loaded, leaf), `env ${name}`, `${name} sets ${leaf}`);
    // The generic name of a leaf wins over its old alias.
    const both = loadConfig({
      env: { STREAMFORGE_SYMBOLS: 'BTCUSDT', STREAMFORGE_MARKET_SYMBOLS: 'ETHUSDT' },
    });
    assert.deepEqual(both.config.market.symbols, ['ETHUSDT']);
    // The database follows the bus when not given.
    assert.equal(loadConfig({ env: { STREAMFORGE_BUS: 'kafka://k:9092' } }).config.database.url, undefined);
  });

  it('builds each platform service from the configuration, named as its consumer group', async () => {
    const { config } = loadConfig({
      env: { STREAMFORGE_BUS: 'kafka://127.0.0.1:9092', STREAMFORGE_SERVICES_WRITER_BOOK_TOP_SAMPLE_MS: '5' },
    });
    const writer = await platformService('writer')!.create(config);
    assert.equal(writer.name, 'writer');
    const loader = await platformService('loader')!.create(config);
    assert.equal(loader.name, 'loader-binance');
    assert.equal(platformService('nope'), undefined);
  });
});

describe('configuration errors', () => {
  it('a bad value in a file names the file, the path, the value and what is allowed', async (t) => {
    const file = await tempFile(t, 'bad.yaml', 'services:\n  orderbook:\n    depthLevels: abc\n');
    assert.equal(
      problem({ file }),
      `file ${file}: services.orderbook.depthLevels = "abc": must be an integer from 1 to 5000`,
    );
    const port = await tempFile(
      t,
      'port.yaml',
      'ports:\n  dashboard: 70000\nmarket:\n  symbols: [btcusdt]\n',
    );
    const both = problem({ file: port });
    assert.match(both, /^2 configuration problems:/);
    assert.match(both, /ports\.dashboard = 70000: must be an integer from 0 to 65535/);
    assert.match(
      both,
      /market\.symbols = \["btcusdt"\]: must be a list .* of an upper-case Binance symbol such as BTCUSDT/,
    );
  });

  it('unknown keys are errors with a suggestion, at any depth and in every source', async (t) => {
    const file = await tempFile(t, 'typo.yaml', 'servces:\n  orderbook: {}\nmarket:\n  symbls: [BTCUSDT]\n');
    const message = problem({ file });
    assert.match(message, /servces: unknown key; did you mean services\?/);
    assert.match(message, /market\.symbls: unknown key; did you mean market\.symbols\?/);
    assert.match(
      problem({ env: { STREAMFORGE_SERVICES_ORDERBOOK_DEPTH_LEVEL: '3' } }),
      /^env STREAMFORGE_SERVICES_ORDERBOOK_DEPTH_LEVEL: no such setting; did you mean STREAMFORGE_SERVICES_ORDERBOOK_DEPTH_LEVELS/,
    );
    assert.match(
      problem({ flags: [{ path: 'ports.dashbord', value: '1', flag: '--set ports.dashbord' }] }),
      /^flag --set ports\.dashbord: ports\.dashbord: no such setting; did you mean ports\.dashboard\?/,
    );
    assert.match(
      problem({ flags: [{ path: 'replicas.orderbok', value: '2', flag: '--set' }] }),
      /did you mean replicas\.orderbook/,
    );
  });

  it('environment and flag values are checked the same way', () => {
    assert.equal(
      problem({ env: { STREAMFORGE_PORTS_METRICS: 'http' } }),
      'env STREAMFORGE_PORTS_METRICS: ports.metrics = "http": must be an integer from 0 to 65535',
    );
    assert.equal(
      problem({ env: { STREAMFORGE_LIVE: 'yes' } }),
      'env STREAMFORGE_LIVE: market.source = "yes": give 1 (live Binance) or 0 (the simulator)',
    );
    assert.equal(
      problem({ env: { STREAMFORGE_BUS: 'localhost:9092' } }),
      'env STREAMFORGE_BUS: bus = "localhost:9092": must be kafka://host:port[,host:port] or embedded:<dir>',
    );
    assert.equal(
      problem({ flags: [{ path: 'market.source', value: 'replay', flag: '--set market.source' }] }),
      'flag --set market.source: market.source = "replay": must be one of simulator, live',
    );
    assert.match(
      problem({ env: { STREAMFORGE_CHANNELS: 'trades,depth' } }),
      /market\.channels = \["trades","depth"\]: must be a list .* of one of trades, book, top, klines, instruments/,
    );
  });

  it('rules between values, required fields, unreadable files', async (t) => {
    assert.match(
      problem({ flags: [{ path: 'autoscale.orderbook.min', value: 2, flag: '--autoscale orderbook:min' }] }),
      /autoscale\.orderbook\.max: is required: give an integer >= 1/,
    );
    assert.equal(
      problem({ flags: parseAutoscaleFlag('orderbook:min=5,max=4,lag=100') }),
      'flag --autoscale orderbook:min: autoscale.orderbook.min = 5: must not exceed autoscale.orderbook.max (4)',
    );
    assert.match(
      problem({
        flags: [...parseAutoscaleFlag('orderbook:max=4,lag=100'), ...parseReplicasFlag('orderbook=6')],
      }),
      /replicas\.orderbook = 6: the autoscaler of orderbook keeps it from 1 to 4 replicas/,
    );
    assert.match(problem({ file: '/no/such/sf.yaml' }), /^file \/no\/such\/sf\.yaml: no such file/);
    assert.match(problem({ file: '/etc/hostname' }), /a config file ends in \.yaml, \.yml or \.json/);
    const broken = await tempFile(t, 'broken.yaml', 'market:\n  symbols: [BTCUSDT\nports: {}\n');
    assert.match(problem({ file: broken }), /is not valid YAML: .*line/i);
    const notMap = await tempFile(t, 'list.json', '[1, 2]');
    assert.match(problem({ file: notMap }), /must be a mapping with keys bus, database, market/);
  });
});

describe('command-line forms', () => {
  it('--replicas, --autoscale and --kafka parse or say how to write them', () => {
    assert.deepEqual(parseReplicasFlag('orderbook=4, candles=2'), [
      { path: 'replicas.orderbook', value: 4, flag: '--replicas' },
      { path: 'replicas.candles', value: 2, flag: '--replicas' },
    ]);
    assert.throws(() => parseReplicasFlag('orderbook:4'), /--replicas takes service=count\[,service=count\]/);
    assert.throws(
      () => parseReplicasFlag('orderbok=4'),
      /no service "orderbok" \(did you mean orderbook\?\)/,
    );
    assert.throws(
      () => parseReplicasFlag('orderbook=four'),
      /the replicas of orderbook must be a whole number, got "four"/,
    );
    const auto = parseAutoscaleFlag('orderbook:min=1,max=4,lag=5000,cooldown=30000;candles:max=2,lag=10');
    assert.deepEqual(
      auto.map((f) => [f.path, f.value]),
      [
        ['autoscale.orderbook.min', 1],
        ['autoscale.orderbook.max', 4],
        ['autoscale.orderbook.lagPerReplica', 5000],
        ['autoscale.orderbook.cooldownMs', 30000],
        ['autoscale.candles.max', 2],
        ['autoscale.candles.lagPerReplica', 10],
      ],
    );
    assert.throws(
      () => parseAutoscaleFlag('orderbook'),
      /takes service:min=<n>,max=<n>,lag=<records per replica>/,
    );
    assert.throws(
      () => parseAutoscaleFlag('orderbook:min=1,lagg=5'),
      /"lagg=5" is not one of .* \(did you mean lag=\.\.\.\?\)/,
    );
    assert.throws(() => parseAutoscaleFlag('orderbook:min=1,max=3'), /lag=<n> is required/);
    assert.throws(() => parseAutoscaleFlag('orderbook:max=1,max=3,lag=1'), /max is given twice/);
    assert.deepEqual(kafkaBusFlag('127.0.0.1:9092,10.0.0.2:9093'), {
      path: 'bus',
      value: 'kafka://127.0.0.1:9092,10.0.0.2:9093',
      flag: '--kafka',
    });
    assert.throws(() => kafkaBusFlag('http://broker:9092'), /--kafka takes the bootstrap servers host:port/);
    assert.throws(() => kafkaBusFlag('broker'), /--kafka takes the bootstrap servers host:port/);
  });
});

describe('secrets', () => {
  it('never appear in the printed configuration, text or JSON; passwords in addresses are masked', async (t) => {
    assert.equal(maskUrl('postgres://sf:s3cret@db:5432/md'), 'postgres://sf:****@db:5432/md');
    assert.equal(maskUrl('postgres://sf@db:5432/md'), 'postgres://sf@db:5432/md');
    const env = {
      STREAMFORGE_BINANCE_API_KEY: 'key-AKIAVERYSECRET',
      STREAMFORGE_BINANCE_API_SECRET: 'secret-XYZZY',
      STREAMFORGE_DATABASE_URL: 'postgres://sf:pw-hunter2@db:5432/md',
    };
    const loaded = loadConfig({ env });
    const text = formatConfig(loaded, { all: true });
    const json = JSON.stringify(maskedConfig(loaded));
    for (const out of [text, json]) {
      for (const secret of ['AKIAVERYSECRET', 'XYZZY', 'hunter2']) assert.ok(!out.includes(secret), out);
    }
    assert.match(text, /^binance\.apiKey +\*\*\*\* +\(env STREAMFORGE_BINANCE_API_KEY\)$/m);
    assert.match(text, /^database\.url +postgres:\/\/sf:\*\*\*\*@db:5432\/md/m);
    assert.equal(loaded.config.binance.apiSecret, 'secret-XYZZY', 'the services still get the real value');
    // Nor in errors: a wrong address is shown with its password masked.
    const wrong = problem({ env: { STREAMFORGE_DATABASE_URL: 'mysql://sf:topsecret@db/md' } });
    assert.match(wrong, /database\.url = "mysql:\/\/sf:\*\*\*\*@db\/md": must be postgres:/);
    assert.ok(!wrong.includes('topsecret'), wrong);
    // A document that does not parse is not quoted back.
    const inline = problem({ env: { STREAMFORGE_CONFIG_JSON: '{"binance":{"apiKey":"sekrit-123" x}}' } });
    assert.match(inline, /^STREAMFORGE_CONFIG_JSON \(from the supervisor\): is not valid JSON: /);
    assert.ok(!inline.includes('sekrit'), inline);
    const leakFile = await tempFile(t, 'leak.json', '{"binance": {"apiSecret": "sekrit-456",}}');
    const fromFile = problem({ file: leakFile });
    assert.match(fromFile, /is not valid JSON: /);
    assert.ok(!fromFile.includes('sekrit'), fromFile);
    const yamlFile = await tempFile(t, 'leak.yaml', 'binance:\n  apiSecret: "sekrit-789\n  x: [\n');
    const fromYaml = problem({ file: yamlFile });
    assert.match(fromYaml, /is not valid YAML: /);
    assert.ok(!fromYaml.includes('sekrit'), fromYaml);

    // The command as a user runs it (registered in the CLI by the lead: `streamforge config print`).
    const file = await tempFile(
      t,
      'sf.yaml',
      'binance:\n  apiSecret: file-secret-QWERTY\nports:\n  dashboard: 8088\n',
    );
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      void import('node:child_process').then(({ spawn }) => {
        const child = spawn(
          process.execPath,
          [
            path.resolve(import.meta.dirname, '../../bin/streamforge.js'),
            'config',
            'print',
            '--config',
            file,
            '--json',
          ],
          { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    });
    assert.equal(run.code, 0, run.stderr);
    for (const secret of ['QWERTY', 'AKIAVERYSECRET', 'XYZZY', 'hunter2'])
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), run.stdout);
    const printed = JSON.parse(run.stdout) as {
      config: Record<string, Record<string, unknown>>;
      sources: Record<string, string>;
    };
    assert.equal(printed.config['binance']!['apiSecret'], '****');
    assert.equal(printed.config['ports']!['dashboard'], 8088);
    assert.equal(printed.sources['ports.dashboard'], `file ${file}`);
    assert.equal(printed.sources['binance.apiKey'], 'env STREAMFORGE_BINANCE_API_KEY');
  });

  it(
    'a bad configuration stops a command with exit code 2 and the problem',
    { timeout: 60_000 },
    async () => {
      const r = await cli(['config', 'print', '--set', 'services.orderbook.depthLevels=0']);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /flag --set services\.orderbook\.depthLevels: services\.orderbook\.depthLevels = 0: must be an integer from 1 to 5000/,
      );
      const up = await cli(['up', '--replicas', 'orderbok=2']);
      assert.equal(up.code, 2);
      assert.match(up.stderr, /--replicas: no service "orderbok" \(did you mean orderbook\?\)/);
      const cluster = await cli(['up', '--kafka', 'http://x:1']);
      assert.equal(cluster.code, 2);
      assert.match(cluster.stderr, /--kafka takes the bootstrap servers/);
    },
  );
});
