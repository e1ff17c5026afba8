// Robust statistics for the rules: median and median absolute deviation, and canonical decimal text.

/** Median of the values (0 for none); does not change the input. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation from `center`. Times 1.4826 it estimates a normal's sigma, but outliers barely move it. */
export function mad(values: readonly number[], center: number): number {
  return median(values.map((v) => Math.abs(v - center)));
}

/** 1.4826 x MAD: the robust stand-in for a standard deviation. */
export const MAD_TO_SIGMA = 1.4826;

/** Decimal text without redundant trailing zeros ("61786.0100" -> "61786.01", "5.000" -> "5"), so equal prices compare equal. */
export function canonical(text: string): string {
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}
