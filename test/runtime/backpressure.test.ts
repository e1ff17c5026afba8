// A slow handler pauses fetching: with a backlog far larger than the consumer's buffers, memory stays bounded.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { encodeBytes, rawTopics, RawHeaders } from '../../src/contracts/index.ts';
import { defineService, ServiceRunner } from '../../src/runtime/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { renamed, tempProductTopics } from './helpers.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const VALUE_BYTES = 512 * 1024;
const RECORDS = 512; // a 256 MiB backlog
const MiB = 1024 * 1024;

/** Bytes held in Buffers and ArrayBuffers once garbage is gone: where fetched records live. */
function heldBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.arrayBuffers + m.heapUsed;
}

for (const backend of backends) {
  describe(`backpressure on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'a slow handler over a 256 MiB backlog keeps the process within a bounded buffer',
      { timeout: 180_000 },
      async (t) => {
        const bus = await backend.open(t);
        const input = renamed(rawTopics.binance, 'bp-in');
        await tempProductTopics(t, bus, [input]);
        const producer = bus.producer();
        const value = Buffer.alloc(VALUE_BYTES, 0x61);
        const identity = { service: 'test-feed', instance: 'test-feed-0' };
        for (let i = 0; i < RECORDS; i += 32) {
          await producer.sendBatch(
            Array.from({ length: 32 }, (_, j) =>
              encodeBytes(
                input,
                value,
                `binance:S${(i + j) % 24}`,
                {
                  [RawHeaders.RECEIVE_TIME]: '1723161254087',
                  [RawHeaders.CONNECTION_ID]: 'bp',
                  [RawHeaders.CONNECTION_SEQ]: String(i + j),
                },
                identity,
              ),
            ),
          );
        }
        await producer.close();
        const before = heldBytes();

        let handled = 0;
        const service = defineService({
          name: tempGroup(t, bus, 'bp-slow'),
          description: 'takes 50 ms per record',
          consumes: [input],
          produces: [],
          maxPollRecords: 5,
          handle: async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            handled++;
          },
        });
        const runner = new ServiceRunner(service, { bus, heartbeatMs: 0, control: false });
        defer(t, () => runner.stop('test over'));
        await runner.start();
        assert.ok(await eventually(() => handled >= 10, 60_000), 'the slow service is working');
        // Give fetching every chance to run ahead of the handler.
        let peak = 0;
        for (let i = 0; i < 8; i++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          peak = Math.max(peak, heldBytes() - before);
        }
        assert.ok(
          handled < RECORDS / 4,
          `the backlog is still mostly unprocessed (${handled} of ${RECORDS} handled)`,
        );
        t.diagnostic(`held at most ${(peak / MiB).toFixed(1)} MiB more; ${handled} records handled`);
        // Kafka: fetching stops at 32 MiB buffered, and one answer in flight may add up to 4 MiB a partition.
        assert.ok(
          peak < 100 * MiB,
          `held ${(peak / MiB).toFixed(1)} MiB more while ${((RECORDS * VALUE_BYTES) / MiB).toFixed(0)} MiB wait on the log`,
        );
      },
    );
  });
}
