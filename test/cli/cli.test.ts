// The `streamforge` command line, run as a user runs it: a child process with stdin and stdout.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { cli, embeddedBus } from '../helpers/cli.ts';
import { defer, kafkaBootstrap, kafkaSkipReason, uniqueName } from '../helpers/backends.ts';

const TIMEOUT = { timeout: 60_000 } as const;

const trades = [
  '{"exchange":"binance","symbol":"BTCUSDT","price":"61786.01000000","qty":"0.00010000","tradeId":3712497381}',
  '{"exchange":"binance","symbol":"ETHUSDT","price":"2611.73000000","qty":"0.00460000","tradeId":1531622190}',
  '{"exchange":"binance","symbol":"BTCUSDT","price":"61786.02000000","qty":"0.12345678","tradeId":3712497382}',
];

describe('streamforge CLI', () => {
  it('--help lists the command groups', TIMEOUT, async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const command of ['kafka', 'topics', 'produce', 'consume', 'groups'])
      assert.match(r.stdout, new RegExp(`\\b${command}\\b`));
  });

  it('bad arguments exit 2 with a message that names them', TIMEOUT, async () => {
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const badCount = await cli(['topics', 'create', 'x', '--partitions', 'many']);
    assert.equal(badCount.code, 2);
    assert.match(badCount.stderr, /--partitions must be a positive integer, got "many"/);
    const badBus = await cli(['--bus', 'redis://x', 'topics', 'list']);
    assert.equal(badBus.code, 1);
    assert.match(badBus.stderr, /Unknown bus address "redis:\/\/x".*kafka:\/\//);
  });

  it('an unreachable broker is reported with the address tried', TIMEOUT, async () => {
    const r = await cli(['--bus', 'kafka://127.0.0.1:1', 'topics', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /127\.0\.0\.1:1/);
    assert.match(r.stderr, /UNREACHABLE/);
  });

  it(
    'produce then consume round-trips JSON lines on the embedded log, keeping exact decimals',
    TIMEOUT,
    async (t) => {
      const bus = await embeddedBus(t, 'sf-cli-');
      assert.equal((await cli(['--bus', bus, 'topics', 'create', 'md.trades', '--partitions', '3'])).code, 0);
      const produced = await cli(
        ['--bus', bus, 'produce', 'md.trades', '--key-field', 'symbol'],
        trades.join('\n') + '\n',
      );
      assert.equal(produced.code, 0, produced.stderr);
      assert.match(produced.stderr, /Produced 3 record\(s\)/);
      const consumed = await cli(['--bus', bus, 'consume', 'md.trades', '--from-beginning', '--max', '3']);
      assert.equal(consumed.code, 0, consumed.stderr);
      const lines = consumed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: string; value: { price: string } });
      assert.equal(lines.length, 3);
      assert.ok(
        consumed.stdout.includes('"price":"61786.01000000"'),
        'the value text is printed exactly as produced',
      );
      assert.deepEqual(lines.map((l) => l.key).sort(), ['BTCUSDT', 'BTCUSDT', 'ETHUSDT']);
    },
  );

  it(
    'an invalid JSON line stops produce with its line number; the lines before it are delivered',
    TIMEOUT,
    async (t) => {
      const bus = await embeddedBus(t, 'sf-cli-');
      await cli(['--bus', bus, 'topics', 'create', 'md.trades']);
      const r = await cli(
        ['--bus', bus, 'produce', 'md.trades'],
        `${trades[0]}\n${trades[1]}\n{"price": 61786.01,\n${trades[2]}\n`,
      );
      assert.equal(r.code, 2);
      assert.match(r.stderr, /stdin line 3 is not valid JSON/);
      const consumed = await cli([
        '--bus',
        bus,
        'consume',
        'md.trades',
        '--from-beginning',
        '--idle-exit-ms',
        '1500',
      ]);
      assert.equal(consumed.stdout.trim().split('\n').length, 2);
    },
  );

  it('consuming an unknown topic fails with its name', TIMEOUT, async (t) => {
    const bus = await embeddedBus(t, 'sf-cli-');
    const r = await cli(['--bus', bus, 'consume', 'no.such.topic', '--max', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no\.such\.topic/);
    assert.match(r.stderr, /UNKNOWN_TOPIC/);
  });

  it(
    'up (npm start) runs the simulator, loader, parser, orderbook, candles, detector, writer, jobs, orchestrator and the dashboard, shows live counts, and stops cleanly',
    { timeout: 120_000 },
    async (t) => {
      const bus = await embeddedBus(t, 'sf-cli-');
      // The writer's default store is beside the log (<dir>-db): put it in the test's directory instead.
      const database = `pglite:${bus.slice('embedded:'.length)}-db`;
      defer(t, () => rm(database.slice('pglite:'.length), { recursive: true, force: true }));
      const r = await cli([
        '--bus',
        bus,
        'up',
        '--sim-port',
        '0',
        '--metrics-port',
        '0',
        '--dashboard-port',
        '0',
        '--orchestrator-port',
        '0',
        '--database',
        database,
        '--seconds',
        '8',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Exchange simulator: http:\/\/127\.0\.0\.1:\d+/);
      const stopped = /Stopped: frames (\d+) {2}trades (\d+) {2}book deltas (\d+) {2}tops (\d+)/.exec(
        r.stderr,
      );
      assert.ok(stopped, r.stderr);
      assert.ok(Number(stopped[1]) > 100, 'raw frames were loaded');
      assert.ok(Number(stopped[2]) > 0, 'trades were parsed');
      assert.ok(Number(stopped[3]) > 0, 'book deltas were parsed');
      assert.ok(Number(stopped[4]) > 0, 'the order book published tops');
      assert.match(r.stderr, /services 8\/8 running/, 'all eight services ran');
      assert.match(
        r.stderr,
        /Dashboard: http:\/\/127\.0\.0\.1:\d+ .*workflows API: http:\/\/127\.0\.0\.1:\d+\/api\/workflows/,
      );
      // What the platform wrote stays on the bus for any consumer.
      const consumed = await cli(['--bus', bus, 'consume', 'md.trades', '--from-beginning', '--max', '2']);
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.match(consumed.stdout, /"aggressorSide":"(buy|sell)"/);
      // The services' telemetry, readable: started and interrupted events of both.
      const tail = await cli([
        '--bus',
        bus,
        'tail',
        'queue-events',
        '--since',
        '10',
        '--idle-exit-ms',
        '1500',
      ]);
      assert.equal(tail.code, 0, tail.stderr);
      assert.match(tail.stdout, /^\d\d:\d\d:\d\d\.\d{3} started\s+loader-binance /m);
      assert.match(tail.stdout, /^\d\d:\d\d:\d\d\.\d{3} started\s+parser /m);
      assert.match(tail.stdout, /interrupted\s+parser .*reason=/);
      for (const service of ['orderbook', 'candles', 'detector', 'writer', 'jobs', 'orchestrator', 'gateway'])
        assert.match(tail.stdout, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} started\\s+${service} `, 'm'));
      const wrong = await cli(['--bus', bus, 'tail', 'md.trades']);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /streamforge consume md\.trades/);
    },
  );

  it('replay and backfill refuse bad arguments with a clear message', TIMEOUT, async (t) => {
    const bus = await embeddedBus(t, 'sf-cli-');
    const missing = await cli(['--bus', bus, 'replay', '/no/such/capture.gz']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file: \/no\/such\/capture\.gz/);
    const venue = await cli(['--bus', bus, 'replay', '--venue', 'ftx', 'package.json']);
    assert.equal(venue.code, 2);
    assert.match(venue.stderr, /--venue ftx is not a venue/);
    const both = await cli([
      '--bus',
      bus,
      'backfill',
      'binance',
      'BTCUSDT',
      '--from',
      '2024-08-08',
      '--to',
      '2024-08-09',
    ]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of --klines <interval> and --agg-trades/);
    const symbol = await cli([
      '--bus',
      bus,
      'backfill',
      'binance',
      'btcusdt',
      '--agg-trades',
      '--from',
      '2024-08-08',
      '--to',
      '2024-08-09',
    ]);
    assert.equal(symbol.code, 2);
    assert.match(symbol.stderr, /write it upper-case/);
  });

  it(
    'on Kafka: groups lag and reset --to-datetime move a stopped group back in time',
    { ...TIMEOUT, skip: kafkaSkipReason() },
    async () => {
      const bus = `kafka://${kafkaBootstrap()}`;
      const topic = uniqueName('cli');
      const group = uniqueName('cli-group');
      try {
        assert.equal((await cli(['--bus', bus, 'topics', 'create', topic, '--partitions', '2'])).code, 0);
        const before = Date.now();
        assert.equal(
          (await cli(['--bus', bus, 'produce', topic, '--key-field', 'symbol'], trades.join('\n'))).code,
          0,
        );
        const first = await cli([
          '--bus',
          bus,
          'consume',
          topic,
          '--group',
          group,
          '--from-beginning',
          '--max',
          '3',
        ]);
        assert.equal(first.code, 0, first.stderr);
        const lag = await cli(['--bus', bus, 'groups', 'lag', group, '--json']);
        assert.equal(lag.code, 0, lag.stderr);
        assert.equal(
          (JSON.parse(lag.stdout) as Array<{ lag: number }>).reduce((s, l) => s + l.lag, 0),
          0,
        );
        const reset = await cli([
          '--bus',
          bus,
          'groups',
          'reset',
          group,
          '--topic',
          topic,
          '--to-datetime',
          new Date(before - 1000).toISOString(),
        ]);
        assert.equal(reset.code, 0, reset.stderr);
        const lagAfter = await cli(['--bus', bus, 'groups', 'lag', group, '--json']);
        assert.equal(
          (JSON.parse(lagAfter.stdout) as Array<{ lag: number }>).reduce((s, l) => s + l.lag, 0),
          3,
        );
        const again = await cli(['--bus', bus, 'consume', topic, '--group', group, '--max', '3']);
        assert.equal(again.stdout.trim().split('\n').length, 3, 'the replay reads the three records again');
      } finally {
        await cli(['--bus', bus, 'topics', 'delete', topic]);
      }
    },
  );
});
