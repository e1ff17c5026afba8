// Exact decimal arithmetic: parsing exactly what the schemas' Decimal admits, and sums and products without float error.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDecimal,
  compareDecimal,
  DecimalError,
  formatDecimal,
  mulDecimal,
  parseDecimal,
  rescale,
  signDecimal,
  ZERO,
} from '../../src/contracts/decimal.ts';
import { Decimal } from '../../src/contracts/schema/primitives.ts';

const PATTERN = new RegExp(Decimal.pattern!);

describe('decimal', () => {
  it('parses text into units and scale, keeping trailing zeros', () => {
    assert.deepEqual(parseDecimal('61786.01000000'), { units: 6178601000000n, scale: 8 });
    assert.deepEqual(parseDecimal('0.00010000'), { units: 10000n, scale: 8 });
    assert.deepEqual(parseDecimal('-12.5'), { units: -125n, scale: 1 });
    assert.deepEqual(parseDecimal('0'), { units: 0n, scale: 0 });
    assert.deepEqual(parseDecimal('1234567890123456789012345678901234567890'), {
      units: 1234567890123456789012345678901234567890n,
      scale: 0,
    });
  });

  it('refuses exactly the text the schemas refuse', () => {
    const samples = [
      '1',
      '-1',
      '0.5',
      '-0',
      '10.010',
      '',
      '-',
      '.5',
      '5.',
      '01',
      '-01.5',
      '1e5',
      '+1',
      '1.2.3',
      ' 1',
      '1,5',
      'NaN',
      'Infinity',
      '0x10',
      '00.1',
      '1_000',
      '١',
    ];
    for (const text of samples) {
      const schemaOk = PATTERN.test(text);
      let parsed = true;
      try {
        parseDecimal(text);
      } catch (error) {
        assert.ok(error instanceof DecimalError, `${text}: ${String(error)}`);
        assert.equal(error.canRetry, false);
        parsed = false;
      }
      assert.equal(parsed, schemaOk, JSON.stringify(text));
    }
    assert.throws(() => parseDecimal('1'.repeat(65)), DecimalError);
  });

  it('formats back to the same text, with no exponent and never "-0"', () => {
    for (const text of [
      '61786.01000000',
      '0.00010000',
      '-12.5',
      '0',
      '0.0',
      '7',
      '-0.001',
      '1000000000000000000000.5',
    ])
      assert.equal(formatDecimal(parseDecimal(text)), text);
    assert.equal(formatDecimal({ units: 0n, scale: 3 }), '0.000');
    assert.equal(formatDecimal({ units: -0n, scale: 0 }), '0');
    assert.equal(formatDecimal({ units: 1n, scale: 20 }), '0.00000000000000000001');
    assert.equal(formatDecimal({ units: 10n ** 30n, scale: 0 }), '1000000000000000000000000000000');
    assert.equal(formatDecimal(parseDecimal('-0')), '0');
  });

  it('adds exactly, at the larger scale', () => {
    const sum = (...xs: string[]) => formatDecimal(xs.map(parseDecimal).reduce(addDecimal, ZERO));
    assert.equal(sum('0.1', '0.2'), '0.3'); // 0.30000000000000004 in binary floats
    assert.equal(sum('23.00000000', '54.00000000', '8.00000000'), '85.00000000');
    assert.equal(sum('1.5', '0.25'), '1.75');
    assert.equal(sum('0.25', '1.5'), '1.75');
    assert.equal(sum('-1.5', '1.5'), '0.0');
    assert.equal(sum(), '0');
    // 10,000 additions of 0.1 are exactly 1000 (floats drift to 1000.0000000001588).
    let acc = ZERO;
    const tenth = parseDecimal('0.1');
    for (let i = 0; i < 10_000; i++) acc = addDecimal(acc, tenth);
    assert.equal(formatDecimal(acc), '1000.0');
  });

  it('multiplies exactly, at the sum of the scales', () => {
    const mul = (a: string, b: string) => formatDecimal(mulDecimal(parseDecimal(a), parseDecimal(b)));
    assert.equal(mul('0.00141342', '23.00000000'), '0.0325086600000000');
    assert.equal(mul('0.5', '0.25'), '0.125');
    assert.equal(mul('-2', '0.5'), '-1.0');
    assert.equal(mul('61786.01', '0'), '0.00');
  });

  it('compares by value whatever the scale', () => {
    const cmp = (a: string, b: string) => compareDecimal(parseDecimal(a), parseDecimal(b));
    assert.equal(cmp('1.0', '1'), 0);
    assert.equal(cmp('0.00141342', '0.0014134'), 1);
    assert.equal(cmp('0.0014134', '0.00141342'), -1);
    assert.equal(cmp('-1', '0.5'), -1);
    assert.equal(cmp('100', '99.999999999999999999'), 1);
    assert.equal(signDecimal(parseDecimal('-0.01')), -1);
    assert.equal(signDecimal(parseDecimal('0.000')), 0);
    assert.equal(signDecimal(parseDecimal('3')), 1);
  });

  it('rescales up without changing the number, and refuses to drop digits', () => {
    assert.equal(formatDecimal(rescale(parseDecimal('1.5'), 4)), '1.5000');
    assert.throws(() => rescale(parseDecimal('1.5'), 0), RangeError);
  });

  it('agrees with the text of random sums and products checked against BigInt arithmetic on strings', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const randomText = () => {
      const int = String(rnd(1_000_000));
      const scale = rnd(10);
      const frac = Array.from({ length: scale }, () => String(rnd(10))).join('');
      return (rnd(4) === 0 ? '-' : '') + (scale > 0 ? `${int}.${frac}` : int);
    };
    for (let i = 0; i < 2000; i++) {
      const a = parseDecimal(randomText());
      const b = parseDecimal(randomText());
      const s = Math.max(a.scale, b.scale);
      const sum = addDecimal(a, b);
      assert.equal(sum.units, rescale(a, s).units + rescale(b, s).units);
      assert.equal(sum.scale, s);
      assert.match(formatDecimal(sum), PATTERN);
      assert.match(formatDecimal(mulDecimal(a, b)), PATTERN);
      assert.deepEqual(parseDecimal(formatDecimal(sum)), sum);
    }
  });
});
