// Exact decimal text from scaled integers, and back: prices and quantities never pass through binary floats.

const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * `units` counted in 10^-scale, as decimal text with exactly `decimals` fraction digits
 * (formatFixed(6183763000000n, 8, 8) === "61837.63000000"). With `decimals` < `scale` the extra
 * digits are cut, never rounded: callers only do that where those digits are known to be zero.
 */
export function formatFixed(units: number | bigint, scale: number, decimals: number): string {
  let digits = typeof units === 'bigint' ? units.toString() : String(units);
  const negative = digits.startsWith('-');
  if (negative) digits = digits.slice(1);
  if (scale > 0) digits = digits.padStart(scale + 1, '0');
  const whole = scale > 0 ? digits.slice(0, digits.length - scale) : digits;
  let fraction = scale > 0 ? digits.slice(digits.length - scale) : '';
  fraction = decimals >= scale ? fraction + '0'.repeat(decimals - scale) : fraction.slice(0, decimals);
  const text = decimals > 0 ? `${whole}.${fraction}` : whole;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

/** Decimal text as an integer count of 10^-scale; throws if it has more digits than the scale holds. */
export function parseFixed(text: string, scale: number): number {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a plain decimal: "${text}"`);
  const fraction = m[2] ?? '';
  if (fraction.replace(/0+$/, '').length > scale)
    throw new Error(`"${text}" has more than ${scale} decimal places`);
  const units = Number(m[1] + fraction.padEnd(scale, '0').slice(0, scale));
  if (!Number.isSafeInteger(units))
    throw new Error(`"${text}" does not fit a safe integer at scale ${scale}`);
  return units;
}

/** Number of fraction digits a decimal text needs ("0.00001000" -> 5, "1" -> 0). */
export function significantDecimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.slice(dot + 1).replace(/0+$/, '').length;
}
