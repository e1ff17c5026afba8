// Decimal price text to an exact scaled integer without allocating: the order book's hot path.

/** Powers of ten that are exact doubles (10^0 .. 10^22). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function pow10(n: number): number {
  const p = POW10[n];
  if (p === undefined) throw new RangeError(`10^${n} is not an exact double`);
  return p;
}

/**
 * Fraction digits a decimal text needs, trailing zeros not counted ("61837.63000000" -> 2,
 * "3000.5" -> 1, "12.000" -> 0), or -1 when the text is not a plain decimal (digits with at
 * most one '.'). Counting only these keeps scaled prices small: "99999997.00000000" is 99999997.
 */
export function fractionDigits(text: string): number {
  let dot = -1;
  let lastNonZero = -1;
  const n = text.length;
  if (n === 0) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (dot >= 0 || i === 0 || i === n - 1) return -1;
      dot = i;
    } else if (c < 48 || c > 57) return -1;
    else if (c !== 48) lastNonZero = i;
  }
  return dot < 0 || lastNonZero < dot ? 0 : lastNonZero - dot;
}

/**
 * `text` counted in 10^-scale (scaledInteger("61837.63", 8) === 6183763000000), exactly, or
 * NaN when it cannot be: not a plain non-negative decimal, more fraction digits than `scale`
 * (other than trailing zeros), or beyond 2^53 where doubles stop counting in ones.
 */
export function scaledInteger(text: string, scale: number): number {
  const n = text.length;
  let value = 0;
  let i = 0;
  let c = 0;
  // The whole part, up to the point.
  for (; i < n; i++) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  if (i === 0) return NaN;
  let digits = 0;
  if (i < n) {
    if (c !== 46 || i === n - 1) return NaN;
    // The fraction: `scale` digits count, the rest must be zeros.
    for (i++; i < n; i++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) return NaN;
      if (digits === scale) {
        if (c !== 48) return NaN;
      } else {
        value = value * 10 + (c - 48);
        digits++;
      }
    }
  }
  if (digits < scale) value *= POW10[scale - digits]!;
  return value <= Number.MAX_SAFE_INTEGER ? value : NaN;
}

/** Whether a decimal text is zero ("0", "0.00000000"): a delta's quantity that removes its level. */
export function isZeroText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 48 && c !== 46) return false;
  }
  return true;
}
