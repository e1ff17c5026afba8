// The codec over a real log: encode, produce, consume, decode on both backends; a bad record reaches the DLQ.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BusRecord, type Consumer } from '../../src/bus/types.ts';
import { applyCatalog } from '../../src/contracts/apply.ts';
import { buildCatalog } from '../../src/contracts/catalog.ts';
import { decode, decodeBytes } from '../../src/contracts/decode.ts';
import { DeadLetterHeaders, toDeadLetter } from '../../src/contracts/dlq.ts';
import { encode } from '../../src/contracts/encode.ts';
import { isContractError } from '../../src/contracts/errors.ts';
import { HeaderNames } from '../../src/contracts/headers.ts';
import { type BytesProduct, type JsonProduct } from '../../src/contracts/product.ts';
import { trades } from '../../src/contracts/products/market.ts';
import { type Trade } from '../../src/contracts/schema/trades.ts';
import { backends, defer, uniqueName } from '../helpers/backends.ts';

async function readAll(consumer: Consumer, count: number): Promise<BusRecord[]> {
  const out: BusRecord[] = [];
  const deadline = Date.now() + 20_000;
  while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 250 })));
  return out;
}

describe('codec over the bus', () => {
  for (const backend of backends) {
    test(
      `${backend.name}: values survive produce/consume exactly; a bad one is dead-lettered`,
      { timeout: 60_000, skip: backend.skip },
      async (t) => {
        const bus = await backend.open(t);
        const topic = uniqueName('sf-codec');
        const product: JsonProduct<Trade> = { ...trades, topic, declaration: topic, partitions: 1 };
        const testCatalog = buildCatalog([product]);
        const admin = bus.admin();
        defer(t, async () => {
          await admin.deleteTopics([topic, `${topic}.dlq`]).catch(() => undefined);
          await admin.close();
        });
        await applyCatalog(admin, testCatalog.products, { replicationFactor: 1 });

        const producer = bus.producer();
        defer(t, () => producer.close());
        const identity = { service: 'test', instance: 'test-0' };
        await producer.send(encode(product, trades.value.example, identity));
        // A writer that bypasses the codec: the consumer must classify it, not crash.
        await producer.send({
          topic,
          key: 'binance:BTCUSDT',
          value: '{"price":',
          headers: { [HeaderNames.SCHEMA_ID]: 'md.trades', [HeaderNames.SCHEMA_VERSION]: '1' },
        });

        const consumer = bus.consumer();
        defer(t, () => consumer.close());
        await consumer.assign([{ topic, partition: 0 }]);
        await consumer.seekToBeginning();
        const [ok, bad] = await readAll(consumer, 2);
        assert.ok(ok && bad);
        assert.deepEqual(decode(product, ok).value, trades.value.example);
        assert.equal(decode(product, ok).value.price, '61837.63000000');

        let code: string | undefined;
        try {
          decode(product, bad);
        } catch (error) {
          assert.ok(isContractError(error));
          assert.equal(error.canRetry, false);
          code = error.code;
          await producer.send(
            toDeadLetter(bad, { code: error.code, reason: error.message, attempts: 1 }, identity),
          );
        }
        assert.equal(code, 'MALFORMED_JSON');

        const dlqConsumer = bus.consumer();
        defer(t, () => dlqConsumer.close());
        await dlqConsumer.assign([{ topic: `${topic}.dlq`, partition: 0 }]);
        await dlqConsumer.seekToBeginning();
        const [dead] = await readAll(dlqConsumer, 1);
        assert.ok(dead);
        const letter = decodeBytes(testCatalog.get(`${topic}.dlq`) as BytesProduct, dead);
        assert.equal(letter.value.toString(), '{"price":');
        assert.equal(letter.headers[DeadLetterHeaders.OFFSET], String(bad.offset));
        assert.equal(letter.headers[DeadLetterHeaders.CODE], 'MALFORMED_JSON');
      },
    );
  }
});
