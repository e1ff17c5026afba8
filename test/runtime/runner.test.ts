// The service runtime on both backends: at-least-once processing, retries, DLQ, control plane, graceful stop.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  DeadLetterHeaders,
  encode,
  HeaderNames,
  queueControl,
  queueEvents,
  trades,
} from '../../src/contracts/index.ts';
import { defineService, PermanentError, ServiceRunner } from '../../src/runtime/index.ts';
import { changelogTopic } from '../../src/runtime/state/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import {
  capturedTrades,
  controlCommand,
  follow,
  json,
  produceValues,
  readAll,
  renamed,
  tempProductTopics,
  type Trade,
} from './helpers.ts';

const TIMEOUT = { timeout: 120_000 } as const;
const FAST_RETRY = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 } as const;

function start(t: TestContext, runner: Pick<ServiceRunner, 'start' | 'stop'>): Promise<void> {
  defer(t, () => runner.stop('test over'));
  return runner.start();
}

for (const backend of backends) {
  describe(`service runtime on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'processes every record once, with outputs acknowledged before the input is committed',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(trades, 'rt-in');
        const output = renamed(trades, 'rt-out');
        await tempProductTopics(t, bus, [input, output]);
        const values = await capturedTrades(400);
        await produceValues(bus, input, values);

        const service = defineService({
          name: tempGroup(t, bus, 'rt-pass'),
          description: 'copies trades',
          consumes: [input],
          produces: [output],
          handle: (record, ctx) => ctx.emit(output, record.value),
        });
        const runner = new ServiceRunner(service, { bus, heartbeatMs: 0 });
        await start(t, runner);
        const out = await readAll(bus, output.topic, (r) => r.length >= values.length);
        assert.equal(out.length, values.length, 'one output per input');
        const ids = new Set(out.map((r) => `${json(r)['symbol']}:${json(r)['tradeId']}`));
        assert.equal(ids.size, values.length, 'no duplicate and no missing trade');
        // Outputs continue the trace of their input and say who produced them.
        assert.equal(out[0]!.headers[HeaderNames.PRODUCER_SERVICE]?.toString(), service.name);
        assert.match(
          out[0]!.headers[HeaderNames.TRACEPARENT]!.toString(),
          /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/,
        );
        // Per key, the output order is the input order.
        const btc = out.filter((r) => json(r)['symbol'] === 'BTCUSDT').map((r) => json(r)['tradeId']);
        assert.deepEqual(
          btc,
          values.filter((v) => v.symbol === 'BTCUSDT').map((v) => v.tradeId),
        );
        assert.ok(
          await eventually(async () => {
            const admin = bus.admin();
            const lag = await admin.groupLag(service.name, [input.topic]);
            await admin.close();
            return lag.length > 0 && lag.every((l) => l.lag === 0);
          }, 20_000),
          'the group commits everything it processed',
        );
      },
    );

    it(
      'sends a malformed record and a poison record to the DLQ with the reason, retries transient failures, and keeps the partition flowing',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = { ...renamed(trades, 'rt-poison'), partitions: 1 };
        const output = renamed(trades, 'rt-poison-out');
        await tempProductTopics(t, bus, [input, output]);
        const values = await capturedTrades(20);
        const poisonId = values[5]!.tradeId;
        const flakyId = values[9]!.tradeId;
        const producer = bus.producer();
        defer(t, () => producer.close());
        const identity = { service: 'test-feed', instance: 'test-feed-0' };
        await producer.sendBatch(values.slice(0, 3).map((v) => encode(input, v, identity)));
        // Not JSON, no headers: what a misbehaving producer writes.
        await producer.send({ topic: input.topic, key: 'binance:BTCUSDT', value: '{"price": 61837.63' });
        await producer.sendBatch(values.slice(3).map((v) => encode(input, v, identity)));

        let flakyCalls = 0;
        const service = defineService({
          name: tempGroup(t, bus, 'rt-poison'),
          description: 'fails on purpose',
          consumes: [input],
          produces: [output],
          retry: FAST_RETRY,
          handle: (record, ctx) => {
            const trade = record.value as Trade;
            if (trade.tradeId === poisonId)
              throw new PermanentError('BAD_TRADE', `trade ${poisonId} is unusable`);
            if (trade.tradeId === flakyId && ++flakyCalls < 3)
              throw new Error('database briefly unavailable');
            ctx.emit(output, trade);
          },
        });
        const runner = new ServiceRunner(service, { bus, heartbeatMs: 0 });
        await start(t, runner);

        const out = await readAll(bus, output.topic, (r) => r.length >= values.length - 1);
        assert.equal(out.length, values.length - 1, 'every record but the poison one has its output');
        assert.equal(flakyCalls, 3, 'the transient failure was retried until it passed');
        const dlq = await readAll(bus, `${input.topic}.dlq`, (r) => r.length >= 2);
        assert.equal(dlq.length, 2);
        const header = (i: number, name: string): string | undefined => dlq[i]!.headers[name]?.toString();
        assert.equal(header(0, DeadLetterHeaders.CODE), 'MISSING_HEADER');
        assert.equal(header(0, DeadLetterHeaders.OFFSET), '3');
        assert.equal(header(0, DeadLetterHeaders.ATTEMPTS), '1');
        assert.equal(dlq[0]!.value!.toString(), '{"price": 61837.63', 'the original bytes are kept');
        assert.equal(header(1, DeadLetterHeaders.CODE), 'BAD_TRADE');
        assert.equal(header(1, DeadLetterHeaders.ATTEMPTS), '1', 'a permanent error is not retried');
        assert.equal(header(1, DeadLetterHeaders.TOPIC), input.topic);
        assert.match(header(1, DeadLetterHeaders.REASON)!, /unusable/);
        assert.equal(header(1, DeadLetterHeaders.SERVICE), service.name);
        assert.ok(
          await eventually(async () => {
            const admin = bus.admin();
            const lag = await admin.groupLag(service.name, [input.topic]);
            await admin.close();
            return lag[0]?.committed === values.length + 1;
          }, 20_000),
          'the group commits past the bad records',
        );
      },
    );

    it(
      'answers ping, pauses and resumes on command, reports a malformed or unknown command as an error event',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(trades, 'rt-ctl');
        const output = renamed(trades, 'rt-ctl-out');
        await tempProductTopics(t, bus, [input, output]);
        const service = defineService({
          name: tempGroup(t, bus, 'rt-ctl'),
          description: 'copies trades',
          consumes: [input],
          produces: [output],
          handle: (record, ctx) => ctx.emit(output, record.value),
        });
        const queueId = `${service.name}-q`;
        const events = await follow(bus, queueEvents.topic);
        defer(t, () => events.stop());
        const runner = new ServiceRunner(service, { bus, queueId, heartbeatMs: 0 });
        await start(t, runner);
        const mine = (): Array<Record<string, unknown>> =>
          events.records.map(json).filter((e) => e['instance'] === runner.identity.instance);
        assert.ok(
          await eventually(() => mine().some((e) => e['event'] === 'started'), 10_000),
          'started event',
        );

        const producer = bus.producer();
        defer(t, () => producer.close());
        const command = (name: string, id: string, args?: object) =>
          controlCommand({ id, queueId: `${service.name}*`, target: service.name, command: name, args });
        await producer.send(command('ping', 'c-ping'));
        assert.ok(
          await eventually(
            () => mine().some((e) => e['event'] === 'pong' && e['command_id'] === 'c-ping'),
            10_000,
          ),
          'pong answers the ping with its command id',
        );

        await producer.send(command('pause', 'c-pause'));
        assert.ok(await eventually(() => runner.lifecycle.state === 'paused', 10_000), 'paused');
        const values = await capturedTrades(10);
        await produceValues(bus, input, values);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const whilePaused = await readAll(bus, output.topic, () => false, 500);
        assert.equal(whilePaused.length, 0, 'nothing is processed while paused');
        await producer.send(command('resume', 'c-resume'));
        const out = await readAll(bus, output.topic, (r) => r.length >= values.length);
        assert.equal(out.length, values.length, 'resumed: the backlog is processed');

        // Well-formed, but this service has no snapshot command (the loader has).
        await producer.send(command('snapshot', 'c-unknown', { exchange: 'binance', symbol: 'BTCUSDT' }));
        // Missing fields: no command_id, no issued_at.
        await producer.send({
          topic: queueControl.topic,
          key: service.name,
          value: JSON.stringify({ queue_id: queueId, target_service: service.name, command: 'ping' }),
        });
        assert.ok(
          await eventually(() => mine().filter((e) => e['event'] === 'error').length >= 2, 10_000),
          'both bad commands are answered with an error event',
        );
        const errors = mine().filter((e) => e['event'] === 'error');
        assert.ok(errors.some((e) => e['code'] === 'UNKNOWN_COMMAND' && e['command_id'] === 'c-unknown'));
        assert.ok(
          errors.some((e) => e['code'] === 'MISSING_HEADER'),
          'the command without headers is named as such',
        );
        const dlq = await readAll(bus, `${queueControl.topic}.dlq`, (r) =>
          r.some((x) => x.headers[DeadLetterHeaders.INSTANCE]?.toString() === runner.identity.instance),
        );
        assert.ok(
          dlq.some((x) => x.headers[DeadLetterHeaders.INSTANCE]?.toString() === runner.identity.instance),
          'bad commands reach queue-control.dlq',
        );
        assert.equal(runner.lifecycle.state, 'running', 'bad commands do not stop the service');
      },
    );

    it(
      'sends what a service-specific command handler emits (as a loader answers `snapshot`)',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(trades, 'rt-cmd');
        const output = renamed(trades, 'rt-cmd-out');
        await tempProductTopics(t, bus, [input, output]);
        const [sample] = await capturedTrades(1);
        const service = defineService({
          name: tempGroup(t, bus, 'rt-cmd'),
          description: 'emits a trade when told to',
          consumes: [input],
          produces: [output],
          handle: () => undefined,
          commands: {
            snapshot: (command, ctx) => {
              const args = command['args'] as { symbol: string };
              ctx.emit(output, { ...sample!, symbol: args.symbol, tradeId: '424242' });
            },
          },
        });
        const queueId = `${service.name}-q`;
        const runner = new ServiceRunner(service, { bus, queueId, heartbeatMs: 0 });
        await start(t, runner);
        const producer = bus.producer();
        defer(t, () => producer.close());
        await producer.send(
          controlCommand({
            id: 'c-emit',
            queueId,
            target: service.name,
            command: 'snapshot',
            args: { exchange: 'binance', symbol: 'SOLUSDT' },
          }),
        );
        const out = await readAll(bus, output.topic, (r) => r.length >= 1);
        assert.equal(out.length, 1, "the command handler's output reached the topic");
        assert.equal(json(out[0]!)['tradeId'], '424242');
        assert.equal(json(out[0]!)['symbol'], 'SOLUSDT');
        assert.equal(json(out[0]!)['symbol'], 'SOLUSDT');
      },
    );

    it(
      'stops gracefully on command: in-flight work committed, an interrupted event, state stopped',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(trades, 'rt-stop');
        const output = renamed(trades, 'rt-stop-out');
        await tempProductTopics(t, bus, [input, output]);
        const values = await capturedTrades(50);
        await produceValues(bus, input, values);
        const service = defineService({
          name: tempGroup(t, bus, 'rt-stop'),
          description: 'copies trades slowly',
          consumes: [input],
          produces: [output],
          maxPollRecords: 10,
          handle: async (record, ctx) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            ctx.emit(output, record.value);
          },
        });
        const events = await follow(bus, queueEvents.topic);
        defer(t, () => events.stop());
        const runner = new ServiceRunner(service, { bus, heartbeatMs: 0 });
        await start(t, runner);
        await readAll(bus, output.topic, (r) => r.length >= 10);
        await runner.stop('test asked');
        assert.equal(runner.lifecycle.state, 'stopped');
        const out = await readAll(bus, output.topic, () => false, 1000);
        const admin = bus.admin();
        defer(t, () => admin.close());
        const lag = await admin.groupLag(service.name, [input.topic]);
        const committed = lag.reduce((sum, l) => sum + (l.committed ?? 0) - l.logStart, 0);
        assert.equal(committed, out.length, 'exactly the records whose outputs are out are committed');
        assert.ok(
          await eventually(
            () =>
              events.records
                .map(json)
                .some((e) => e['instance'] === runner.identity.instance && e['event'] === 'interrupted'),
            10_000,
          ),
          'an interrupted event',
        );
      },
    );

    it(
      'keeps a state store across a restart on another instance: restored from its changelog',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(trades, 'rt-state');
        const values = await capturedTrades(200);
        /** An exact decimal quantity in units of 1e-8 (Binance's precision). */
        const unitsOf = (quantity: string): bigint => {
          const [whole, fraction = ''] = quantity.split('.');
          return BigInt(whole!) * 100_000_000n + BigInt(fraction.padEnd(8, '0').slice(0, 8));
        };
        const service = defineService({
          name: tempGroup(t, bus, 'rt-state'),
          description: 'counts trades and sums their quantity in units of 1e-8 per symbol',
          consumes: [input],
          produces: [],
          stores: { totals: {} },
          handle: (record, ctx) => {
            const trade = record.value as Trade;
            const store = ctx.store<{ trades: number; units: string }>('totals');
            const before = store.get(trade.symbol) ?? { trades: 0, units: '0' };
            store.put(trade.symbol, {
              trades: before.trades + 1,
              units: String(BigInt(before.units) + unitsOf(trade.quantity)),
            });
          },
        });
        const changelog = changelogTopic(service.name, 'totals');
        await tempProductTopics(t, bus, [input], [changelog]);
        const drained = (): Promise<boolean> =>
          eventually(async () => {
            const admin = bus.admin();
            const lag = await admin.groupLag(service.name, [input.topic]);
            await admin.close();
            return lag.length > 0 && lag.every((l) => l.lag === 0);
          }, 30_000);

        await produceValues(bus, input, values.slice(0, 100));
        const first = new ServiceRunner(service, { bus, instance: `${service.name}-a`, heartbeatMs: 0 });
        await start(t, first);
        assert.ok(await drained(), 'the first instance works off the first half');
        await first.stop('restart');

        await produceValues(bus, input, values.slice(100));
        const second = new ServiceRunner(service, { bus, instance: `${service.name}-b`, heartbeatMs: 0 });
        await start(t, second);
        assert.ok(await drained(), 'the second instance works off the rest');
        await second.stop('done');

        const latest = new Map<string, { trades: number; units: string }>();
        for (const r of await readAll(bus, changelog, () => false, 2000))
          latest.set(r.key!.toString(), JSON.parse(r.value!.toString()) as { trades: number; units: string });
        for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
          const mine = values.filter((v) => v.symbol === symbol);
          const units = mine.reduce((sum, v) => sum + unitsOf(v.quantity), 0n);
          assert.deepEqual(
            latest.get(symbol),
            { trades: mine.length, units: String(units) },
            `${symbol}: totals over both halves`,
          );
        }
      },
    );

    it(
      'afterBatch runs once per poll after its records, its emits go out before the commit, and a throw commits nothing; onStart/onStop frame the instance',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(trades, 'rt-batch-in');
        const output = renamed(trades, 'rt-batch-out');
        await tempProductTopics(t, bus, [input, output]);
        const values = await capturedTrades(300);
        await produceValues(bus, input, values);

        let failOnce = true;
        const lifecycle: string[] = [];
        const batches: { records: number; handled: number; partitions: readonly number[] }[] = [];
        let handledSinceBatch = 0;
        const pending: Trade[] = [];
        const service = defineService({
          name: tempGroup(t, bus, 'rt-batch'),
          description: 'emits the last trade of every batch',
          consumes: [input],
          produces: [output],
          maxPollRecords: 50,
          onStart: (ctx) => {
            lifecycle.push(`start ${ctx.signal.aborted}`);
          },
          onStop: (ctx) => {
            lifecycle.push(`stop ${ctx.signal.aborted}`);
          },
          handle: (record) => {
            if (lifecycle.at(-1) !== 'handling') lifecycle.push('handling');
            handledSinceBatch++;
            pending.push(record.value);
          },
          afterBatch: (ctx) => {
            batches.push({ records: ctx.records, handled: handledSinceBatch, partitions: ctx.partitions });
            handledSinceBatch = 0;
            const taken = pending.splice(0);
            if (failOnce) {
              failOnce = false;
              throw new Error('the database is down');
            }
            for (const v of taken) ctx.emit(output, v);
          },
        });
        const first = new ServiceRunner(service, { bus, heartbeatMs: 0 });
        defer(t, () => first.stop('test over'));
        await first.start();
        await first.done();
        assert.equal(first.lifecycle.state, 'failed', 'a throwing afterBatch fails the instance');
        assert.deepEqual(
          lifecycle,
          ['start false', 'handling', 'stop true'],
          'onStart before any record, onStop once the failed instance is done, with its signal aborted',
        );
        const admin = bus.admin();
        defer(t, () => admin.close());
        const lagAfterFailure = await admin.groupLag(service.name, [input.topic]);
        assert.equal(
          lagAfterFailure.reduce((sum, l) => sum + l.lag, 0),
          values.length,
          'nothing of the failed batch is committed',
        );

        const second = new ServiceRunner(service, { bus, heartbeatMs: 0 });
        await start(t, second);
        const out = await readAll(bus, output.topic, (r) => r.length >= values.length);
        assert.equal(out.length, values.length, 'every record is emitted once by afterBatch');
        for (const b of batches) {
          assert.equal(b.records, b.handled, 'ctx.records counts the records handled in the batch');
          assert.ok(b.records <= 50 && b.partitions.length > 0);
          assert.deepEqual(
            [...b.partitions].sort((x, y) => x - y),
            b.partitions,
            'partitions ascending',
          );
        }
        assert.ok(
          await eventually(async () => {
            const lag = await admin.groupLag(service.name, [input.topic]);
            return lag.length > 0 && lag.every((l) => l.lag === 0);
          }, 20_000),
          'the batches are committed once afterBatch succeeds',
        );
        await second.stop('test over');
        assert.deepEqual(
          lifecycle.slice(3),
          ['start false', 'handling', 'stop true'],
          'and for a stopped one',
        );
      },
    );
  });
}
