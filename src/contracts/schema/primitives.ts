// Shared schema building blocks: exact decimals, epoch milliseconds, sequence ids, exchanges, symbols.

import { Type, type SchemaOptions, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

/** A union of string literals (`"a" | "b"`), typed as such; an `enum` keyword would hide the TS type. */
export function literals<const T extends readonly [string, string, ...string[]]>(
  values: T,
  options?: SchemaOptions,
): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;
}

/**
 * A decimal number as the exchange's exact text ("61786.01000000", "0.00010000", "-12.5").
 * Kept as text because binary floats cannot hold most decimal prices exactly, and because the
 * trailing zeros tell the instrument's precision. No exponent, no NaN/Infinity, no leading '+'
 * or '.', and no redundant leading zeros, so equal text means equal number at equal precision.
 */
export function decimal(description = 'exact decimal text: optional "-", digits, optional fraction') {
  return Type.String({ pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', maxLength: 64, description });
}
export const Decimal = decimal();
export type Decimal = Static<typeof Decimal>;

/** Integer milliseconds since the Unix epoch (UTC); `description` says which moment it is. */
export function epochMillis(description = 'integer milliseconds since the Unix epoch (UTC)') {
  return Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
}
export const EpochMillis = epochMillis();
export type EpochMillis = Static<typeof EpochMillis>;

/** An exchange sequence / update id (Binance `U`/`u`/`lastUpdateId`, Coinbase `sequence`). */
export function sequenceId(description = "the exchange's own sequence or update id") {
  return Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
}
export const SequenceId = sequenceId();

export const Exchanges = {
  BINANCE: 'binance',
  BINANCE_FUTURES: 'binance-futures',
  OKX: 'okx',
  KRAKEN: 'kraken',
  COINBASE: 'coinbase',
} as const;
export type Exchange = (typeof Exchanges)[keyof typeof Exchanges];
export const exchangeNames: readonly Exchange[] = Object.values(Exchanges);

export const ExchangeName = literals(
  [Exchanges.BINANCE, Exchanges.BINANCE_FUTURES, Exchanges.OKX, Exchanges.KRAKEN, Exchanges.COINBASE],
  { description: 'exchange the data comes from' },
);

/**
 * The exchange's own instrument id, as the exchange writes it in messages (BTCUSDT, BTC-USDT,
 * XBT/USD, BTC-USD-220527, BTCUSDT_240927): normalising would lose the mapping back to the venue.
 */
export const InstrumentSymbol = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9._/-]*$',
  maxLength: 64,
  description: "the exchange's instrument id as it writes it in messages",
});

/** Fields every normalized market event carries. */
export const marketEventFields = {
  exchange: ExchangeName,
  symbol: InstrumentSymbol,
  timestamp: epochMillis('exchange time of the event in ms (trade time, book update time)'),
  localTimestamp: epochMillis(
    'local receive time in ms; may be earlier than `timestamp` when clocks differ, so never assume an order',
  ),
} as const;

export const Sides = { BUY: 'buy', SELL: 'sell' } as const;
export function side(description = 'buy or sell') {
  return literals([Sides.BUY, Sides.SELL], { description });
}
export const Side = side();

/** A price level: [price, quantity] as decimal text; quantity "0" removes the level in a delta. */
export const PriceLevel = Type.Tuple([Decimal, Decimal], {
  description: '[price, quantity] as exact decimal text',
});
export type PriceLevel = Static<typeof PriceLevel>;

export const ServiceName = Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 64 });
export const NonEmptyText = Type.String({ minLength: 1, maxLength: 1024 });
