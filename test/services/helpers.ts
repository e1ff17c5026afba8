// Market-data service test fixtures: the normalized products under unique names, and a parser running on them.

import { type TestContext } from 'node:test';
import { type Bus } from '../../src/bus/types.ts';
import { bookDelta, type BytesProduct, instruments, klines, trades } from '../../src/contracts/index.ts';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createParser } from '../../src/services/parser/index.ts';
import { defer, tempGroup } from '../helpers/backends.ts';
import { renamed } from '../runtime/helpers.ts';

export type NormalizedTopics = ReturnType<typeof normalizedTopics>;

/** md.trades, md.book.delta, md.klines and md.instruments under names unique to this test. */
export function normalizedTopics(prefix: string) {
  return {
    trades: renamed(trades, `${prefix}-trades`),
    bookDelta: renamed(bookDelta, `${prefix}-book`),
    klines: renamed(klines, `${prefix}-klines`),
    instruments: renamed(instruments, `${prefix}-inst`),
  };
}

/** A parser in its own group from `raw` into `out`, stopped when the test ends. */
export async function startParser(
  t: TestContext,
  bus: Bus,
  options: {
    readonly group: string;
    readonly raw: Partial<Readonly<Record<Exchange, BytesProduct>>>;
    readonly out: Partial<NormalizedTopics>;
    readonly exchanges?: readonly Exchange[];
  },
): Promise<ServiceRunner> {
  const runner = new ServiceRunner(
    createParser({
      name: tempGroup(t, bus, options.group),
      ...(options.exchanges ? { exchanges: options.exchanges } : {}),
      topics: { raw: options.raw, ...options.out },
    }),
    { bus, heartbeatMs: 0, control: false },
  );
  defer(t, () => runner.stop('test over'));
  await runner.start();
  return runner;
}
