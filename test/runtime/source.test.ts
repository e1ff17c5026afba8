// Source services (no consumed topic, data from outside) on both backends: ordered background sends, finish, stop, commands.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueEvents, trades } from '../../src/contracts/index.ts';
import { defineService, ServiceRunner } from '../../src/runtime/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import {
  capturedTrades,
  controlCommand,
  follow,
  json,
  readAll,
  renamed,
  tempProductTopics,
} from './helpers.ts';

const TIMEOUT = { timeout: 120_000 } as const;

for (const backend of backends) {
  describe(`source services on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'sends everything a source emits, in order per key, then reports finished and stops',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const output = renamed(trades, 'src-out');
        await tempProductTopics(t, bus, [output]);
        const values = await capturedTrades(3000);
        const service = defineService({
          name: tempGroup(t, bus, 'src-finite'),
          description: 'emits captured trades, a few per turn of the event loop, then ends',
          consumes: [],
          produces: [output],
          source: async (ctx) => {
            for (let i = 0; i < values.length; i++) {
              ctx.emit(output, values[i]!);
              if (i % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
            }
          },
        });
        const events = await follow(bus, queueEvents.topic);
        defer(t, () => events.stop());
        const runner = new ServiceRunner(service, { bus, heartbeatMs: 0 });
        defer(t, () => runner.stop('test over'));
        await runner.start();
        await runner.done();
        assert.equal(runner.lifecycle.state, 'stopped', 'a source that returns stops cleanly');
        const out = await readAll(bus, output.topic, (r) => r.length >= values.length);
        assert.equal(out.length, values.length, 'every emitted record was sent');
        const bySymbol = new Map<string, number[]>();
        for (const r of out) {
          const v = json(r);
          bySymbol.set(String(v['symbol']), [
            ...(bySymbol.get(String(v['symbol'])) ?? []),
            Number(v['tradeId']),
          ]);
        }
        for (const [symbol, ids] of bySymbol)
          assert.deepEqual(
            ids,
            [...ids].sort((a, b) => a - b),
            `${symbol}: emit order kept on its partition`,
          );
        assert.ok(
          await eventually(
            () =>
              events.records
                .map(json)
                .some((e) => e['instance'] === runner.identity.instance && e['event'] === 'finished'),
            10_000,
          ),
          'a finished event on queue-events',
        );
      },
    );

    it('runs until stopped, and a command handler can emit next to the source', TIMEOUT, async (t) => {
      const bus = await backend.open(t);
      const output = renamed(trades, 'src-cmd');
      await tempProductTopics(t, bus, [output]);
      const [sample] = await capturedTrades(1);
      let emitted = 0;
      const service = defineService({
        name: tempGroup(t, bus, 'src-live'),
        description: 'emits a trade every 5 ms until stopped',
        consumes: [],
        produces: [output],
        source: async (ctx) => {
          while (!ctx.signal.aborted) {
            ctx.emit(output, { ...sample!, tradeId: String(++emitted) });
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        },
        commands: {
          snapshot: (command, ctx) => {
            const args = command['args'] as { symbol: string };
            ctx.emit(output, { ...sample!, symbol: args.symbol, tradeId: '0' });
          },
        },
      });
      const queueId = `${service.name}-q`;
      const runner = new ServiceRunner(service, { bus, queueId, heartbeatMs: 0 });
      defer(t, () => runner.stop('test over'));
      await runner.start();
      const producer = bus.producer();
      defer(t, () => producer.close());
      await producer.send(
        controlCommand({
          id: 'c-snap',
          queueId,
          target: service.name,
          command: 'snapshot',
          args: { exchange: 'binance', symbol: 'SOLUSDT' },
        }),
      );
      await readAll(bus, output.topic, (r) => r.some((x) => json(x)['symbol'] === 'SOLUSDT'));
      await runner.stop('test done');
      assert.equal(runner.lifecycle.state, 'stopped');
      const out = await readAll(bus, output.topic, (r) => r.length >= emitted + 1);
      assert.equal(
        out.length,
        emitted + 1,
        'everything emitted before the stop was sent, and the command output',
      );
    });
  });
}
