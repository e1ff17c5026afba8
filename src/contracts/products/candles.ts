// Candle products: `md.klines` (the exchange's own) and `md.candles.<interval>` (built from md.trades).

import { type Candle, type CandleInterval, CandleV1, KlineV1 } from '../schema/candles.ts';
import {
  DAY_MS,
  expandTemplate,
  HOUR_MS,
  type JsonProduct,
  jsonProduct,
  marketKeySpec,
  Teams,
} from '../product.ts';

export const klines = jsonProduct({
  name: 'md.klines',
  owner: Teams.MARKET_DATA,
  description:
    "The exchange's own candles (Binance kline stream, OKX candle channel, Kraken ohlc), interim and final, " +
    'kept as a reference to check md.candles against. 6 partitions; kept 30 days.',
  key: marketKeySpec,
  partitions: 6,
  cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
  schemaId: 'md.klines',
  versions: [{ schema: KlineV1, change: 'initial' }],
  // Real: Binance NKNUSDT kline_1m, 2021-10-11, shared/data/market/cryptofeed/BINANCE.ws.1.0.
  example: {
    exchange: 'binance',
    symbol: 'NKNUSDT',
    timestamp: 1633998523963,
    localTimestamp: 1633998523957,
    interval: '1m',
    openTime: 1633998480000,
    closeTime: 1633998539999,
    open: '0.35270000',
    high: '0.35280000',
    low: '0.35220000',
    close: '0.35280000',
    volume: '25877.00000000',
    quoteVolume: '9116.04600000',
    trades: 30,
    takerBuyVolume: '58.00000000',
    takerBuyQuoteVolume: '20.46240000',
    firstTradeId: 19862761,
    lastTradeId: 19862790,
    isClosed: false,
  },
});

// Built with exact decimal sums from the real Binance XRP/ETH trades of 2019-10-11 in
// shared/data/market/freqtrade-xrp-eth (the 1m one equals the exchange's own candle). That
// capture has no receive times, so localTimestamp repeats the exchange time.
const examples: Readonly<
  Record<CandleInterval, Omit<Candle, 'exchange' | 'symbol' | 'interval' | 'isFinal'>>
> = {
  '1s': {
    timestamp: 1570752285320,
    localTimestamp: 1570752285320,
    openTime: 1570752285000,
    closeTime: 1570752285999,
    open: '0.00141249',
    high: '0.00141249',
    low: '0.00141192',
    close: '0.00141192',
    volume: '203.00000000',
    quoteVolume: '0.2867006500000000',
    trades: 5,
    takerBuyVolume: '0',
    takerBuyQuoteVolume: '0',
  },
  '1m': {
    timestamp: 1570752051054,
    localTimestamp: 1570752051054,
    openTime: 1570752000000,
    closeTime: 1570752059999,
    open: '0.00141342',
    high: '0.00141557',
    low: '0.00141266',
    close: '0.00141418',
    volume: '1482.00000000',
    quoteVolume: '2.0955056400000000',
    trades: 9,
    takerBuyVolume: '1182.00000000',
    takerBuyQuoteVolume: '1.6711193600000000',
  },
  '5m': {
    timestamp: 1570752290867,
    localTimestamp: 1570752290867,
    openTime: 1570752000000,
    closeTime: 1570752299999,
    open: '0.00141342',
    high: '0.00141658',
    low: '0.00141192',
    close: '0.00141192',
    volume: '3478.00000000',
    quoteVolume: '4.9173997600000000',
    trades: 24,
    takerBuyVolume: '1226.00000000',
    takerBuyQuoteVolume: '1.7334197300000000',
  },
  '1h': {
    timestamp: 1570755567794,
    localTimestamp: 1570755567794,
    openTime: 1570752000000,
    closeTime: 1570755599999,
    open: '0.00141342',
    high: '0.00141965',
    low: '0.00141159',
    close: '0.00141573',
    volume: '63484.00000000',
    quoteVolume: '89.9853825200000000',
    trades: 181,
    takerBuyVolume: '46111.00000000',
    takerBuyQuoteVolume: '65.3741134500000000',
  },
};

export const candles = expandTemplate<CandleInterval, JsonProduct<Candle>>(
  'md.candles.<interval>',
  {
    '1s': {
      partitions: 12,
      cleanup: { policy: 'delete', retentionMs: 2 * DAY_MS },
      note: '12 partitions (one record per instrument per second); kept 2 days.',
    },
    '1m': {
      partitions: 6,
      cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
      note: '6 partitions; kept 30 days.',
    },
    '5m': {
      partitions: 6,
      cleanup: { policy: 'delete', retentionMs: 90 * DAY_MS },
      note: '6 partitions; kept 90 days.',
    },
    '1h': {
      partitions: 3,
      cleanup: { policy: 'delete', retentionMs: 365 * DAY_MS },
      note: '3 partitions; kept a year (small, and what backtests read).',
    },
  },
  (interval, settings, topic) =>
    jsonProduct({
      name: topic,
      owner: Teams.ANALYTICS,
      description:
        `${interval} OHLCV candles built from md.trades with exact decimal sums: volume, quote volume, ` +
        'trade count and taker-buy volumes; an interval without trades gives a flat candle at the previous ' +
        `close. Interim updates (isFinal false) may precede the final one. ${settings.note}`,
      key: marketKeySpec,
      partitions: settings.partitions,
      cleanup: settings.cleanup,
      schemaId: 'md.candles',
      versions: [{ schema: CandleV1, change: 'initial' }],
      example: { exchange: 'binance', symbol: 'XRPETH', interval, isFinal: true, ...examples[interval] },
    }),
);

export const CANDLE_INTERVAL_MS: Readonly<Record<CandleInterval, number>> = {
  '1s': 1000,
  '1m': 60_000,
  '5m': 300_000,
  '1h': HOUR_MS,
};
