// Recorded time texts to integer ms: cryptofeed's float seconds (from the digits) and hftbacktest's ns.

export { secondsTextToMs } from '../venue.ts';

const NS_PER_MS = 1_000_000n;

/** `1723161253937085768` (ns since the epoch) -> its ms (floor) and the exact ns. */
export function nanosTextToTimes(text: string): { readonly ms: number; readonly ns: bigint } {
  const ns = BigInt(text);
  return { ms: Number(ns / NS_PER_MS), ns };
}
