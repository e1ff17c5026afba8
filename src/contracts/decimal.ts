// Exact arithmetic on the exchanges' decimal text (the `Decimal` of the schemas) over native BigInt.

/**
 * A decimal number as `units * 10^-scale`: "61786.01000000" is { units: 6178601000000n, scale: 8 }.
 * The scale is kept as written, so the trailing zeros (the instrument's precision) survive a
 * round trip and sums of same-precision values print at that precision.
 */
export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

export class DecimalError extends Error {
  readonly code = 'INVALID_DECIMAL';
  readonly canRetry = false;
}

/** Same bound as the schemas' `decimal()` (maxLength 64): longer text is not a price or a quantity. */
const MAX_LENGTH = 64;
const ZERO_CHAR = 48;
const NINE_CHAR = 57;
const DOT = 46;
const MINUS = 45;

/** 10^n as BigInt for every scale a 64-character decimal can have, so rescaling never exponentiates. */
const POW10: readonly bigint[] = Array.from({ length: MAX_LENGTH + 1 }, (_, n) => 10n ** BigInt(n));

export const ZERO: Dec = { units: 0n, scale: 0 };

function invalid(text: string, why: string): never {
  throw new DecimalError(`not a plain decimal (${why}): ${JSON.stringify(text.slice(0, 80))}`);
}

/**
 * Parses decimal text exactly as the schemas' Decimal pattern admits it: optional "-", "0" or
 * digits without a leading zero, optional "." and at least one digit. A character scan rather
 * than a regular expression, since it runs for every price and quantity of every trade.
 */
export function parseDecimal(text: string): Dec {
  const n = text.length;
  if (n === 0) invalid(text, 'empty');
  if (n > MAX_LENGTH) invalid(text, `longer than ${MAX_LENGTH} characters`);
  let i = text.charCodeAt(0) === MINUS ? 1 : 0;
  const intStart = i;
  let dot = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= ZERO_CHAR && c <= NINE_CHAR) continue;
    if (c === DOT && dot < 0) {
      dot = i;
      continue;
    }
    invalid(text, `unexpected ${JSON.stringify(text[i])}`);
  }
  const intEnd = dot < 0 ? n : dot;
  if (intEnd === intStart) invalid(text, 'no digit before the point');
  if (intEnd - intStart > 1 && text.charCodeAt(intStart) === ZERO_CHAR) invalid(text, 'leading zero');
  if (dot === n - 1) invalid(text, 'no digit after the point');
  const digits = dot < 0 ? text.slice(intStart) : text.slice(intStart, dot) + text.slice(dot + 1);
  const units = BigInt(digits);
  return { units: intStart === 1 ? -units : units, scale: dot < 0 ? 0 : n - dot - 1 };
}

/** Plain decimal text with exactly `scale` fraction digits, never an exponent; zero is never "-0". */
export function formatDecimal(value: Dec): string {
  const negative = value.units < 0n;
  let digits = (negative ? -value.units : value.units).toString();
  const { scale } = value;
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** `value` at a larger scale (more trailing zeros); the number is unchanged. */
export function rescale(value: Dec, scale: number): Dec {
  if (scale === value.scale) return value;
  if (scale < value.scale) throw new RangeError(`rescale would drop digits: ${value.scale} -> ${scale}`);
  return { units: value.units * pow10(scale - value.scale), scale };
}

function pow10(n: number): bigint {
  return POW10[n] ?? 10n ** BigInt(n);
}

/** a + b, at the larger of the two scales. */
export function addDecimal(a: Dec, b: Dec): Dec {
  if (a.scale === b.scale) return { units: a.units + b.units, scale: a.scale };
  if (a.scale > b.scale) return { units: a.units + b.units * pow10(a.scale - b.scale), scale: a.scale };
  return { units: a.units * pow10(b.scale - a.scale) + b.units, scale: b.scale };
}

/** a * b, at the sum of the scales (exact: "0.5" * "0.25" is "0.125"). */
export function mulDecimal(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b; the scale does not matter ("1.0" equals "1"). */
export function compareDecimal(a: Dec, b: Dec): -1 | 0 | 1 {
  let x = a.units;
  let y = b.units;
  if (a.scale > b.scale) y *= pow10(a.scale - b.scale);
  else if (b.scale > a.scale) x *= pow10(b.scale - a.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The sign of a decimal: -1, 0 or 1. */
export function signDecimal(value: Dec): -1 | 0 | 1 {
  return value.units < 0n ? -1 : value.units > 0n ? 1 : 0;
}
