// The backward-compatibility check: what it accepts, and each kind of change it must reject.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type, type TSchema } from '@sinclair/typebox';
import { backwardIssues } from '../../src/contracts/compat/backward.ts';
import { checkHistory } from '../../src/contracts/compat/history.ts';
import { jsonProduct, marketKeySpec, Teams } from '../../src/contracts/product.ts';
import { TradeV1 } from '../../src/contracts/schema/trades.ts';

const closed = (properties: Parameters<typeof Type.Object>[0]) =>
  Type.Object(properties, { additionalProperties: false });

function compatible(older: TSchema, newer: TSchema): void {
  assert.deepEqual(backwardIssues(older, newer), []);
}

/** Asserts the change is rejected and the issue names `path` and matches `message`. */
function incompatible(older: TSchema, newer: TSchema, path: string, message: RegExp): void {
  const issues = backwardIssues(older, newer);
  assert.ok(
    issues.some((i) => i.path === path && message.test(i.message)),
    `expected an issue at ${JSON.stringify(path)} matching ${message}, got ${JSON.stringify(issues)}`,
  );
}

const base = closed({ id: Type.String(), price: Type.String({ pattern: '^[0-9]+$' }), qty: Type.Integer() });

describe('backward compatibility: accepted changes', () => {
  it('an identical schema', () => compatible(base, base));
  it('adding an optional field to a closed object', () =>
    compatible(base, closed({ ...base.properties, note: Type.Optional(Type.String()) })));
  it('making a required field optional', () =>
    compatible(base, closed({ ...base.properties, id: Type.Optional(Type.String()) })));
  it('adding an enum value (a union branch)', () =>
    compatible(
      Type.Union([Type.Literal('a'), Type.Literal('b')]),
      Type.Union([Type.Literal('a'), Type.Literal('b'), Type.Literal('c')]),
    ));
  it('widening integer to number and relaxing bounds', () =>
    compatible(Type.Integer({ minimum: 1, maximum: 10 }), Type.Number({ minimum: 0 })));
  it('making a field nullable', () => compatible(Type.String(), Type.Union([Type.String(), Type.Null()])));
  it('relaxing string length and removing a pattern', () =>
    compatible(
      Type.String({ minLength: 2, maxLength: 5, pattern: '^a' }),
      Type.String({ minLength: 1, maxLength: 9 }),
    ));
  it('relaxing array bounds and widening items', () =>
    compatible(
      Type.Array(Type.Integer(), { minItems: 1, maxItems: 3 }),
      Type.Array(Type.Number(), { maxItems: 4 }),
    ));
  it('opening a closed object', () => compatible(base, Type.Object(base.properties)));
  it('dropping a field from an open object', () =>
    compatible(base, Type.Object({ id: Type.String(), qty: Type.Integer() })));
  it('a new discriminated union member (queue-events v1 -> v2 style)', () => {
    const a = closed({ event: Type.Literal('started'), t: Type.Integer() });
    const b = closed({ event: Type.Literal('error'), reason: Type.String() });
    const c = closed({ event: Type.Literal('heartbeat') });
    compatible(Type.Union([a, b]), Type.Union([a, b, c]));
  });
});

describe('backward compatibility: rejected changes', () => {
  it('adding a required field', () =>
    incompatible(
      base,
      closed({ ...base.properties, venue: Type.String() }),
      '/venue',
      /required field "venue" added/,
    ));
  it('making an optional field required', () =>
    incompatible(
      closed({ a: Type.Optional(Type.String()) }),
      closed({ a: Type.String() }),
      '/a',
      /became required/,
    ));
  it('removing a field while extra fields are forbidden', () =>
    incompatible(base, closed({ id: Type.String(), qty: Type.Integer() }), '/price', /removed/));
  it('removing an enum value', () =>
    incompatible(
      closed({ side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]) }),
      closed({ side: Type.Union([Type.Literal('buy')]) }),
      '/side',
      /"sell" is no longer accepted/,
    ));
  it('removing a value of the enum keyword', () =>
    incompatible(
      Type.Unsafe({ enum: ['a', 'b'] }),
      Type.Unsafe({ enum: ['a'] }),
      '',
      /"b" is no longer accepted/,
    ));
  it('changing a field type', () =>
    incompatible(
      base,
      closed({ ...base.properties, qty: Type.String() }),
      '/qty',
      /type integer is no longer/,
    ));
  it('narrowing number to integer', () =>
    incompatible(Type.Number(), Type.Integer(), '', /type number is no longer accepted/));
  it('raising a minimum and lowering a maximum', () => {
    incompatible(Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 1 }), '', /lower bound raised/);
    incompatible(Type.Integer(), Type.Integer({ maximum: 9 }), '', /upper bound lowered/);
    incompatible(Type.Integer({ maximum: 9 }), Type.Integer({ exclusiveMaximum: 9 }), '', /upper bound/);
  });
  it('narrowing string length', () => {
    incompatible(Type.String({ maxLength: 64 }), Type.String({ maxLength: 32 }), '', /maxLength lowered/);
    incompatible(Type.String(), Type.String({ minLength: 1 }), '', /minLength raised/);
  });
  it('adding or changing a pattern', () => {
    incompatible(Type.String(), Type.String({ pattern: '^x' }), '', /pattern "\^x" added/);
    incompatible(
      Type.String({ pattern: '^[0-9]+$' }),
      Type.String({ pattern: '^[0-9]*$' }),
      '',
      /pattern changed/,
    );
  });
  it('narrowing array bounds or items', () => {
    incompatible(
      Type.Array(Type.String()),
      Type.Array(Type.String(), { maxItems: 10 }),
      '',
      /maxItems lowered/,
    );
    incompatible(Type.Array(Type.Number()), Type.Array(Type.Integer()), '/*', /type number/);
    incompatible(
      Type.Tuple([Type.String(), Type.String()]),
      Type.Tuple([Type.String(), Type.Integer()]),
      '/1',
      /type string/,
    );
  });
  it('closing an open object', () =>
    incompatible(Type.Object(base.properties), base, '', /extra fields became forbidden/));
  it('constraining a name an open object allowed as an extra field', () =>
    incompatible(
      Type.Object({ id: Type.String() }),
      Type.Object({ id: Type.String(), note: Type.Optional(Type.String()) }),
      '/note',
      /type .* is no longer accepted/,
    ));
  it('removing a union member', () =>
    incompatible(
      Type.Union([closed({ e: Type.Literal('a') }), closed({ e: Type.Literal('b') })]),
      Type.Union([closed({ e: Type.Literal('a') })]),
      '/e',
      /"b" is no longer accepted/,
    ));
  it('a nested change is reported at its path', () =>
    incompatible(
      closed({ levels: Type.Array(Type.Tuple([Type.String(), Type.String()])) }),
      closed({ levels: Type.Array(Type.Tuple([Type.String(), Type.String({ maxLength: 3 })])) }),
      '/levels/*/1',
      /maxLength lowered/,
    ));
  it('a keyword it does not understand is an issue, never silently compatible', () =>
    incompatible(Type.String(), Type.String({ format: 'date-time' }), '', /cannot compare keyword "format"/));
});

describe('checkHistory', () => {
  it('fails a product whose v2 adds a required field, naming the versions', () => {
    const product = jsonProduct({
      name: 'test.history',
      owner: Teams.PLATFORM,
      description: 'a product with an incompatible second version',
      key: marketKeySpec,
      partitions: 1,
      cleanup: { policy: 'delete', retentionMs: 1000 },
      schemaId: 'test.history',
      versions: [
        { schema: TradeV1, change: 'initial' },
        { schema: Type.Composite([TradeV1, Type.Object({ venue: Type.String() })]), change: 'bad' },
      ],
      example: {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        timestamp: 1,
        localTimestamp: 1,
        price: '1',
        quantity: '1',
        aggressorSide: 'buy',
        venue: 'x',
      },
    });
    const problems = checkHistory(product);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.from, 1);
    assert.equal(problems[0]!.to, 2);
    assert.match(problems[0]!.issues[0]!.message, /required field "venue" added/);
  });
});
