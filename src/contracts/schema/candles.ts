// Value schemas of `md.klines` (the exchange's own candles) and `md.candles.<interval>` (built from trades).

import { Type, type Static } from '@sinclair/typebox';
import { decimal, epochMillis, literals, marketEventFields, sequenceId } from './primitives.ts';

const ohlc = {
  open: decimal('first trade price'),
  high: decimal('highest trade price'),
  low: decimal('lowest trade price'),
  close: decimal('last trade price'),
  volume: decimal('base-asset volume, summed exactly in decimal'),
};

export const KlineV1 = Type.Object(
  {
    ...marketEventFields,
    interval: Type.String({
      pattern: '^[0-9]+[smhdwM]$',
      maxLength: 8,
      description: "the exchange's interval name (Binance `k.i`: 1m, 1h, 1d, 1M)",
    }),
    openTime: epochMillis('start of the interval (Binance `k.t`)'),
    closeTime: epochMillis('last millisecond of the interval (Binance `k.T`)'),
    ...ohlc,
    quoteVolume: Type.Optional(decimal('quote-asset volume (Binance `k.q`, OKX `volCcyQuote`)')),
    trades: Type.Optional(Type.Integer({ minimum: 0, description: 'number of trades (Binance `k.n`)' })),
    takerBuyVolume: Type.Optional(decimal('base volume bought by takers (Binance `k.V`)')),
    takerBuyQuoteVolume: Type.Optional(decimal('quote volume bought by takers (Binance `k.Q`)')),
    firstTradeId: Type.Optional(sequenceId('Binance `k.f`')),
    lastTradeId: Type.Optional(sequenceId('Binance `k.L`')),
    isClosed: Type.Boolean({ description: 'the interval is over and the kline final (Binance `k.x`)' }),
  },
  { additionalProperties: false },
);
export type Kline = Static<typeof KlineV1>;

export const CandleIntervals = { S1: '1s', M1: '1m', M5: '5m', H1: '1h' } as const;
export type CandleInterval = (typeof CandleIntervals)[keyof typeof CandleIntervals];

export const CandleV1 = Type.Object(
  {
    ...marketEventFields,
    interval: literals([CandleIntervals.S1, CandleIntervals.M1, CandleIntervals.M5, CandleIntervals.H1]),
    openTime: epochMillis('start of the interval, aligned to the interval in UTC'),
    closeTime: epochMillis('last millisecond of the interval (openTime + interval - 1), as Binance'),
    ...ohlc,
    quoteVolume: decimal('sum of price * quantity, exact'),
    trades: Type.Integer({
      minimum: 0,
      description: 'trades in the interval; 0 makes a flat candle at the previous close',
    }),
    takerBuyVolume: decimal('base volume of trades whose aggressor bought'),
    takerBuyQuoteVolume: decimal('quote volume of trades whose aggressor bought'),
    isFinal: Type.Boolean({ description: 'false for an interim update of a still-open candle' }),
  },
  {
    additionalProperties: false,
    description:
      '`timestamp`/`localTimestamp` are those of the last trade included (of the interval end for an empty candle)',
  },
);
export type Candle = Static<typeof CandleV1>;
