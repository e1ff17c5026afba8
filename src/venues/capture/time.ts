// Recorded time texts to integer ms, from the digits: floats would round 1633998512.0639999 up a millisecond.

const SECONDS = /^(\d+)(?:\.(\d+))?$/;

/** `1633998512.0633569` (seconds since the epoch) -> 1633998512063; undefined when the text is not that. */
export function secondsTextToMs(text: string): number | undefined {
  const m = SECONDS.exec(text);
  if (!m) return undefined;
  const fraction = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const ms = Number(m[1]) * 1000 + Number(fraction);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const NS_PER_MS = 1_000_000n;

/** `1723161253937085768` (ns since the epoch) -> its ms (floor) and the exact ns. */
export function nanosTextToTimes(text: string): { readonly ms: number; readonly ns: bigint } {
  const ns = BigInt(text);
  return { ms: Number(ns / NS_PER_MS), ns };
}
