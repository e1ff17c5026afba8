// The catalog itself: every product is complete, its examples validate, its schemas export as valid JSON Schema.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { catalog, declaredProducts } from '../../src/contracts/catalog.ts';
import { checkHistory } from '../../src/contracts/compat/history.ts';
import { DLQ_SUFFIX } from '../../src/contracts/dlq.ts';
import { productJsonSchemas } from '../../src/contracts/json-schema.ts';
import { currentVersion, isJsonProduct, type JsonProduct } from '../../src/contracts/product.ts';
import { Decimal } from '../../src/contracts/schema/primitives.ts';
import { validate } from '../../src/contracts/validator.ts';

const jsonProducts = catalog.products.filter(isJsonProduct);

function strictAjv(): Ajv {
  // strict mode rejects unknown keywords and ambiguous tuples, so a sloppy export fails here.
  return new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
}

describe('catalog', () => {
  it('declares every product of the design, with the template instances', () => {
    const topics = new Set(catalog.products.map((p) => p.topic));
    const expected = [
      'queue-control',
      'queue-events',
      'orchestrator.workflows',
      'orchestrator.leaders',
      ...['binance', 'binance-futures', 'okx', 'kraken', 'coinbase'].map((e) => `md.raw.${e}`),
      'md.trades',
      'md.book.delta',
      'md.book.top',
      'md.book.depth',
      'md.klines',
      ...['1s', '1m', '5m', '1h'].map((i) => `md.candles.${i}`),
      'md.instruments',
      'md.alerts',
      'trade.signals',
      'trade.orders',
      'trade.executions',
      'trade.positions',
    ];
    for (const topic of expected) {
      assert.ok(topics.has(topic), `${topic} is missing`);
      assert.ok(topics.has(`${topic}${DLQ_SUFFIX}`), `${topic}${DLQ_SUFFIX} is missing`);
    }
    assert.equal(catalog.products.length, expected.length * 2);
    assert.deepEqual(
      catalog.byDeclaration('md.candles.<interval>').map((p) => p.topic),
      ['md.candles.1s', 'md.candles.1m', 'md.candles.5m', 'md.candles.1h'],
    );
  });

  it('every product has an owner, a description, a key meaning, partitions and a cleanup policy', () => {
    for (const p of catalog.products) {
      assert.ok(p.owner, p.topic);
      assert.ok(p.description.length > 40, `${p.topic}: description too short`);
      assert.ok(p.key.name && p.key.meaning, p.topic);
      assert.ok(Number.isInteger(p.partitions) && p.partitions >= 1, p.topic);
      if (p.cleanup.policy === 'delete') assert.ok(p.cleanup.retentionMs > 0, p.topic);
    }
    assert.equal(catalog.get('md.instruments').cleanup.policy, 'compact');
    assert.equal(catalog.get('trade.positions').cleanup.policy, 'compact');
    assert.equal(catalog.get('md.raw.binance').value.format, 'bytes');
  });

  it('a dead-letter topic has the owner of its source and bytes values', () => {
    for (const p of declaredProducts) {
      const dlq = catalog.get(`${p.topic}${DLQ_SUFFIX}`);
      assert.equal(dlq.owner, p.owner);
      assert.equal(dlq.deadLetterOf, p.topic);
      assert.equal(dlq.value.format, 'bytes');
    }
  });

  it('every example validates against the current schema, and its key follows the declaration', () => {
    for (const p of jsonProducts) {
      assert.equal(validate(currentVersion(p).schema, p.value.example), undefined, p.topic);
      const key = p.key.of(p.value.example);
      if (p.key.name === 'exchange:symbol') {
        const example = p.value.example as { exchange: string; symbol: string };
        assert.equal(key, `${example.exchange}:${example.symbol}`, p.topic);
      }
    }
  });

  it('a candle example is of its own topic interval', () => {
    for (const p of catalog.byDeclaration('md.candles.<interval>')) {
      const example = (p as JsonProduct<{ interval: string }>).value.example;
      assert.equal(`md.candles.${example.interval}`, p.topic);
    }
  });

  it('every version of every schema exports as valid draft-07 JSON Schema that ajv compiles', () => {
    const ajv = strictAjv();
    for (const p of jsonProducts) {
      for (const v of productJsonSchemas(p)) {
        assert.equal(ajv.validateSchema(v.schema), true, `${p.topic} v${v.version}: ${ajv.errorsText()}`);
        const check = ajv.compile(v.schema);
        if (v.version === p.value.versions.length)
          assert.equal(check(p.value.example), true, `${p.topic}: ${ajv.errorsText(check.errors)}`);
        ajv.removeSchema(v.schema['$id'] as string);
      }
    }
  });

  it('ajv and the TypeBox validator agree on broken examples', () => {
    const ajv = strictAjv();
    const trades = catalog.get('md.trades') as JsonProduct;
    const schema = productJsonSchemas(trades).at(-1)!.schema;
    const check = ajv.compile(schema);
    const broken = [
      { ...(trades.value.example as object), price: '6.1e4' },
      { ...(trades.value.example as object), aggressorSide: 'maker' },
      { ...(trades.value.example as object), timestamp: 1.5 },
      { ...(trades.value.example as object), extra: 1 },
    ];
    for (const value of broken) {
      assert.equal(check(value), false, JSON.stringify(value));
      assert.notEqual(validate(currentVersion(trades).schema, value), undefined, JSON.stringify(value));
    }
  });

  it('Decimal keeps exact exchange text and rejects exponents, NaN and numbers', () => {
    for (const ok of ['61786.01000000', '0.00010000', '-12.5', '0', '985', '30243.5'])
      assert.equal(validate(Decimal, ok), undefined, ok);
    for (const bad of ['6.1e4', 'NaN', 'Infinity', '', '.5', '1.', '+1', '01', '1,5', ' 1', 61786.01])
      assert.notEqual(validate(Decimal, bad), undefined, String(bad));
  });

  it('every version history is backward compatible (a new incompatible version fails here)', () => {
    const problems = jsonProducts.flatMap(checkHistory);
    assert.deepEqual(problems, []);
    assert.ok(
      jsonProducts.some((p) => p.value.versions.length > 1),
      'at least one product has a second version, so the history check is exercised',
    );
  });

  it('get names close matches for an unknown topic', () => {
    assert.throws(() => catalog.get('md.trade'), {
      code: 'UNKNOWN_PRODUCT',
      message: /did you mean md\.trades/,
    });
    assert.throws(() => catalog.get('md.candles.2m'), { message: /md\.candles\.1m/ });
  });
});
