// The detector's thresholds: one typed options object, its documented defaults, and the check that names a bad field.

import { type Exchange, exchangeNames } from '../../contracts/schema/primitives.ts';

/** Price jumps: a robust z-score (median/MAD) of the latest move against a rolling window of returns. */
export interface PriceJumpOptions {
  /** Returns are taken between the last prices of consecutive event-time buckets of this length. Default 1000. */
  readonly bucketMs: number;
  /** Completed returns kept in the rolling window. Default 300 (5 minutes of 1 s buckets). */
  readonly window: number;
  /** Returns needed before the rule may fire. Default 60. */
  readonly minSamples: number;
  /** |robust z| at or above this fires. Default 10. */
  readonly zThreshold: number;
  /** ...and the move must be at least this many basis points, so a dead-calm window cannot make 1 tick a jump. Default 15. */
  readonly minMoveBps: number;
  /** Floor of the robust scale (1.4826 x MAD) in basis points; a window of zeros has MAD 0. Default 0.5. */
  readonly minScaleBps: number;
}

/** Volume bursts: the volume of the current bucket against the mean of the previous buckets. */
export interface VolumeBurstOptions {
  /** Default 1000. */
  readonly bucketMs: number;
  /** Completed buckets (empty ones included) in the baseline. Default 120. */
  readonly window: number;
  /** Buckets needed before the rule may fire. Default 60. */
  readonly minSamples: number;
  /** The current bucket's volume at or above this multiple of the baseline mean fires. Default 25. */
  readonly multiple: number;
  /** ...with at least this many trades in the bucket (one block trade is not a burst). Default 20. */
  readonly minTrades: number;
}

/** Likely wash trading: a run of same-size trades whose aggressor side alternates, each close to the last. */
export interface WashTradeOptions {
  /** Trades in the run needed to fire. Default 6. */
  readonly minTrades: number;
  /** Most event time between two trades of the run. Default 50. */
  readonly maxGapMs: number;
}

/** Spoofing-like behaviour: a large level near the top that vanishes without trading. */
export interface SpoofOptions {
  /** "Near the top": within this many levels of the best on its side. Default 5. */
  readonly nearLevels: number;
  /** Added quantity at or above this multiple of the median quantity of the near levels makes a level "large". Default 20. */
  readonly sizeMultiple: number;
  /** A level that lived less than this is a flicker (quote update), not a spoof. Default 500. */
  readonly minLifeMs: number;
  /** A level that rested longer than this was a real order. Default 30000. */
  readonly maxLifeMs: number;
  /** Removed means at least this fraction of the added quantity went away. Default 0.8. */
  readonly removedFraction: number;
  /** "Without trading": traded quantity at the level's price below this fraction of its size. Default 0.1. */
  readonly maxTradedFraction: number;
}

/** Crossed, locked and stale books. */
export interface BookHealthOptions {
  /** A book that did not change for this long while trades happened is stale. Default 5000. */
  readonly staleMs: number;
  /** ...with at least this many trades in the silent interval. Default 5. */
  readonly staleMinTrades: number;
}

/** Feed gaps: book update ids that skip, trade ids that skip where the venue numbers them consecutively. */
export interface FeedGapOptions {
  /** Venues whose trade ids (per instrument and id space) are consecutive. Default binance, binance-futures, coinbase. */
  readonly consecutiveTradeIds: readonly Exchange[];
}

export interface DetectorRuleOptions {
  readonly priceJump: PriceJumpOptions;
  readonly volumeBurst: VolumeBurstOptions;
  readonly washTrades: WashTradeOptions;
  readonly spoofing: SpoofOptions;
  readonly bookHealth: BookHealthOptions;
  readonly feedGaps: FeedGapOptions;
  /** After an alert, the same rule on the same instrument stays quiet this long (event time); the next alert says how many it held back. Default 60000. */
  readonly cooldownMs: number;
  /** Levels per side the detector's light book keeps. Default 25. */
  readonly bookLevels: number;
  /** Recent trades kept per instrument to match book events with trades that arrive out of order. Default 200. */
  readonly tradeMemory: number;
  /** A spoof or stale verdict waits until the trades' event time passes the book event by this much (the two topics are read at different paces). Default 2000. */
  readonly settleMs: number;
}

/** What a caller may give: any subset, per rule any subset. */
export type DetectorRuleInput = {
  readonly [K in keyof DetectorRuleOptions]?: DetectorRuleOptions[K] extends number
    ? number
    : DetectorRuleOptions[K] extends readonly Exchange[]
      ? readonly Exchange[]
      : Partial<DetectorRuleOptions[K]>;
};

export const DETECTOR_DEFAULTS: DetectorRuleOptions = {
  priceJump: {
    bucketMs: 1000,
    window: 300,
    minSamples: 60,
    zThreshold: 10,
    minMoveBps: 15,
    minScaleBps: 0.5,
  },
  volumeBurst: { bucketMs: 1000, window: 120, minSamples: 60, multiple: 25, minTrades: 20 },
  washTrades: { minTrades: 6, maxGapMs: 50 },
  spoofing: {
    nearLevels: 5,
    sizeMultiple: 20,
    minLifeMs: 500,
    maxLifeMs: 30_000,
    removedFraction: 0.8,
    maxTradedFraction: 0.1,
  },
  bookHealth: { staleMs: 5000, staleMinTrades: 5 },
  feedGaps: { consecutiveTradeIds: ['binance', 'binance-futures', 'coinbase'] },
  cooldownMs: 60_000,
  bookLevels: 25,
  tradeMemory: 200,
  settleMs: 2000,
};

type Check = 'int>=0' | 'int>=1' | 'int>=2' | '>0' | 'fraction';

const CHECKS: { readonly [K in keyof DetectorRuleOptions]: unknown } = {
  priceJump: {
    bucketMs: 'int>=1',
    window: 'int>=2',
    minSamples: 'int>=2',
    zThreshold: '>0',
    minMoveBps: '>0',
    minScaleBps: '>0',
  },
  volumeBurst: {
    bucketMs: 'int>=1',
    window: 'int>=1',
    minSamples: 'int>=1',
    multiple: '>0',
    minTrades: 'int>=1',
  },
  washTrades: { minTrades: 'int>=2', maxGapMs: 'int>=0' },
  spoofing: {
    nearLevels: 'int>=1',
    sizeMultiple: '>0',
    minLifeMs: 'int>=0',
    maxLifeMs: 'int>=1',
    removedFraction: 'fraction',
    maxTradedFraction: 'fraction',
  },
  bookHealth: { staleMs: 'int>=1', staleMinTrades: 'int>=0' },
  feedGaps: { consecutiveTradeIds: 'exchanges' },
  cooldownMs: 'int>=0',
  bookLevels: 'int>=2',
  tradeMemory: 'int>=1',
  settleMs: 'int>=0',
};

const DESCRIBE: Readonly<Record<Check, string>> = {
  'int>=0': 'an integer >= 0',
  'int>=1': 'an integer >= 1',
  'int>=2': 'an integer >= 2',
  '>0': 'a finite number > 0',
  fraction: 'a number in [0, 1]',
};

function valid(check: Check, v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  switch (check) {
    case 'int>=0':
      return Number.isSafeInteger(v) && v >= 0;
    case 'int>=1':
      return Number.isSafeInteger(v) && v >= 1;
    case 'int>=2':
      return Number.isSafeInteger(v) && v >= 2;
    case '>0':
      return v > 0;
    case 'fraction':
      return v >= 0 && v <= 1;
  }
}

/** Thrown for a bad detector option; `field` is its dotted path (`spoofing.sizeMultiple`). */
export class DetectorConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`detector option ${field}: ${message}`);
    this.name = 'DetectorConfigError';
    this.field = field;
  }
}

function checkLeaf(field: string, check: unknown, value: unknown, fallback: unknown): unknown {
  if (value === undefined) return fallback;
  if (check === 'exchanges') {
    if (!Array.isArray(value) || value.some((e) => !exchangeNames.includes(e as Exchange)))
      throw new DetectorConfigError(
        field,
        `must be a list of ${exchangeNames.join(', ')}; got ${JSON.stringify(value)}`,
      );
    return [...(value as Exchange[])];
  }
  if (!valid(check as Check, value))
    throw new DetectorConfigError(field, `must be ${DESCRIBE[check as Check]}, got ${JSON.stringify(value)}`);
  return value;
}

/** The defaults overlaid with `input`; throws DetectorConfigError naming the first bad or unknown field. */
export function resolveRuleOptions(input: DetectorRuleInput = {}): DetectorRuleOptions {
  const out: Record<string, unknown> = {};
  const given = input as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (!(key in CHECKS))
      throw new DetectorConfigError(key, `unknown option; known: ${Object.keys(CHECKS).join(', ')}`);
  for (const [key, check] of Object.entries(CHECKS)) {
    const fallback = (DETECTOR_DEFAULTS as unknown as Record<string, unknown>)[key];
    const value = given[key];
    if (typeof check === 'string') {
      out[key] = checkLeaf(key, check, value, fallback);
      continue;
    }
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
      throw new DetectorConfigError(key, `must be an object, got ${JSON.stringify(value)}`);
    const group: Record<string, unknown> = {};
    const fields = check as Record<string, unknown>;
    const values = (value ?? {}) as Record<string, unknown>;
    for (const name of Object.keys(values))
      if (!(name in fields))
        throw new DetectorConfigError(
          `${key}.${name}`,
          `unknown option; known: ${Object.keys(fields).join(', ')}`,
        );
    for (const [name, leaf] of Object.entries(fields))
      group[name] = checkLeaf(
        `${key}.${name}`,
        leaf,
        values[name],
        (fallback as Record<string, unknown>)[name],
      );
    out[key] = group;
  }
  const resolved = out as unknown as DetectorRuleOptions;
  if (resolved.priceJump.minSamples > resolved.priceJump.window)
    throw new DetectorConfigError('priceJump.minSamples', 'must not exceed priceJump.window');
  if (resolved.volumeBurst.minSamples > resolved.volumeBurst.window)
    throw new DetectorConfigError('volumeBurst.minSamples', 'must not exceed volumeBurst.window');
  if (resolved.spoofing.minLifeMs >= resolved.spoofing.maxLifeMs)
    throw new DetectorConfigError('spoofing.minLifeMs', 'must be below spoofing.maxLifeMs');
  if (resolved.spoofing.nearLevels > resolved.bookLevels)
    throw new DetectorConfigError('spoofing.nearLevels', 'must not exceed bookLevels');
  return resolved;
}
