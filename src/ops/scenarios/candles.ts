// Candle outputs of a scenario: the candles topics under unique names, read back by candle key, compared value for value.

import { type Bus, type BusRecord } from '../../bus/types.ts';
import { candles, type JsonProduct, trades } from '../../contracts/index.ts';
import { type Candle, type CandleInterval } from '../../contracts/schema/candles.ts';
import { changelogTopic } from '../../runtime/state/index.ts';
import { CANDLES_STORE } from '../../services/candles/index.ts';
import { createTopics, readTopic, renamed, uniqueName } from './topics.ts';

/** The intervals the scenarios build: short enough that the captured minutes close many of them. */
export const SCENARIO_INTERVALS = ['1s', '1m'] as const satisfies readonly CandleInterval[];

export interface CandleTopics {
  readonly trades: typeof trades;
  readonly candles: Record<(typeof SCENARIO_INTERVALS)[number], JsonProduct<Candle>>;
}

/** md.trades and md.candles.1s/1m under names unique to one run (`prefix` names the scenario). */
export function candleTopics(prefix: string, tradesTopic?: typeof trades): CandleTopics {
  const out = {} as CandleTopics['candles'];
  for (const i of SCENARIO_INTERVALS) out[i] = renamed(candles[i], uniqueName(`${prefix}-candles-${i}`));
  return { trades: tradesTopic ?? renamed(trades, uniqueName(`${prefix}-trades`)), candles: out };
}

/** A candles service of a scenario: its name (consumer group and changelog prefix) and its topics. */
export interface ScenarioCandles {
  readonly name: string;
  readonly topics: CandleTopics;
}

/**
 * Two candles services reading the same trades topic (the first's), each writing candles of its
 * own: what a scenario does to one is judged against the other. The prefixes name them.
 */
export function candlesPair(first: string, second: string): [ScenarioCandles, ScenarioCandles] {
  const a = { name: uniqueName(first), topics: candleTopics(first) };
  return [a, { name: uniqueName(second), topics: candleTopics(second, a.topics.trades) }];
}

/** Creates the pair's trades and candles topics; what it returns deletes them and both changelogs. */
export function createPairTopics(
  bus: Bus,
  [a, b]: readonly [ScenarioCandles, ScenarioCandles],
): Promise<() => Promise<void>> {
  return createTopics(
    bus,
    [a.topics.trades, ...Object.values(a.topics.candles), ...Object.values(b.topics.candles)],
    [a, b].map((s) => changelogTopic(s.name, CANDLES_STORE)),
  );
}

/** `exchange:symbol|interval|openTime`: what identifies one candle. */
export function candleKey(c: Candle): string {
  return `${c.exchange}:${c.symbol}|${c.interval}|${c.openTime}`;
}

/**
 * The latest value per candle key over the records of candle topics, in log order (a record
 * delivered twice, or an interim candle then its final one, counts once: as its last value).
 */
export function latestCandles(records: readonly BusRecord[]): Map<string, Candle> {
  const out = new Map<string, Candle>();
  for (const r of records) {
    if (r.value === null) continue;
    const c = JSON.parse(r.value.toString('utf8')) as Candle;
    out.set(candleKey(c), c);
  }
  return out;
}

/** Every candle on the topics, latest value per candle key. */
export async function readCandleOutput(bus: Bus, topics: CandleTopics): Promise<Map<string, Candle>> {
  const records: BusRecord[] = [];
  for (const p of Object.values(topics.candles)) records.push(...(await readTopic(bus, p.topic)));
  return latestCandles(records);
}

/**
 * What differs between two sets of candles keyed by candle key: missing, extra, and every field
 * that differs (prices and volumes compared as the exact decimal text they carry). At most
 * `limit` lines, then a count of the rest.
 */
export function diffCandles(
  reference: ReadonlyMap<string, Candle>,
  actual: ReadonlyMap<string, Candle>,
  limit = 20,
): string[] {
  const out: string[] = [];
  for (const [key, want] of reference) {
    const got = actual.get(key);
    if (!got) {
      out.push(`${key}: missing`);
      continue;
    }
    for (const field of Object.keys({ ...want, ...got }) as (keyof Candle)[])
      if (got[field] !== want[field])
        out.push(`${key}: ${field} ${JSON.stringify(got[field])}, reference ${JSON.stringify(want[field])}`);
  }
  for (const key of actual.keys()) if (!reference.has(key)) out.push(`${key}: not in the reference`);
  return out.length > limit ? [...out.slice(0, limit), `... and ${out.length - limit} more`] : out;
}

/** Final candles per interval, for the verdict's lines. */
export function countByInterval(candleMap: ReadonlyMap<string, Candle>): string {
  const counts = new Map<string, number>();
  for (const c of candleMap.values()) counts.set(c.interval, (counts.get(c.interval) ?? 0) + 1);
  return [...counts].map(([i, n]) => `${n} ${i}`).join(', ');
}
