// Normalized market data products from the parser and the order book: trades and the book.

import { BookDeltaV1, BookDepthV1, BookTopV1 } from '../schema/book.ts';
import { TradeV1 } from '../schema/trades.ts';
import { DAY_MS, jsonProduct, marketKeySpec, Teams } from '../product.ts';

// Examples are real: Binance BTCUSDT, 2024-08-09, shared/data/market/binance-spot-hftbacktest.
// The recorder's clock ran ~1.27 s behind the exchange, hence localTimestamp < timestamp.

export const trades = jsonProduct({
  name: 'md.trades',
  owner: Teams.MARKET_DATA,
  description:
    'Every public trade of every instrument, normalized: exact decimal price and quantity, the aggressor (taker) ' +
    'side stated explicitly, exchange and receive time. The input of candles, detectors and strategies. ' +
    '12 partitions for the busiest stream; kept 7 days (candles are the long-term summary).',
  key: marketKeySpec,
  partitions: 12,
  cleanup: { policy: 'delete', retentionMs: 7 * DAY_MS },
  schemaId: 'md.trades',
  versions: [{ schema: TradeV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: 1723161255342,
    localTimestamp: 1723161254087,
    tradeId: '3735683259',
    price: '61837.63000000',
    quantity: '0.02000000',
    aggressorSide: 'sell',
  },
});

export const bookDelta = jsonProduct({
  name: 'md.book.delta',
  owner: Teams.MARKET_DATA,
  description:
    'Order book changes per instrument: snapshots (isSnapshot) and incremental updates with the sequence ids ' +
    'needed to detect a gap (first/last update id, previous last id for Binance futures `pu`) and the venue ' +
    'checksum where it has one. The order book service rebuilds books from it. 12 partitions; kept 3 days, ' +
    'as the raw frames it is derived from.',
  key: marketKeySpec,
  partitions: 12,
  cleanup: { policy: 'delete', retentionMs: 3 * DAY_MS },
  schemaId: 'md.book.delta',
  versions: [{ schema: BookDeltaV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: 1723161255208,
    localTimestamp: 1723161253937,
    isSnapshot: false,
    firstUpdateId: 50093239189,
    lastUpdateId: 50093239202,
    bids: [
      ['61737.63000000', '0.00000000'],
      ['61730.17000000', '0.00000000'],
      ['56854.58000000', '0.00000000'],
    ],
    asks: [
      ['61837.64000000', '1.54698000'],
      ['61839.85000000', '0.00000000'],
      ['61839.86000000', '0.00000000'],
      ['61845.11000000', '0.32329000'],
      ['61848.49000000', '0.00000000'],
      ['61855.45000000', '0.32323000'],
      ['61862.51000000', '0.05041000'],
      ['61862.52000000', '0.00000000'],
      ['61937.64000000', '0.02000000'],
    ],
  },
});

export const bookTop = jsonProduct({
  name: 'md.book.top',
  owner: Teams.MARKET_DATA,
  description:
    'Best bid and ask of the rebuilt book after every change of the top, with the update id it reflects. ' +
    '12 partitions; kept 2 days (the dashboard and strategies read it live; history is rebuilt from deltas).',
  key: marketKeySpec,
  partitions: 12,
  cleanup: { policy: 'delete', retentionMs: 2 * DAY_MS },
  schemaId: 'md.book.top',
  versions: [{ schema: BookTopV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: 1723161255408,
    localTimestamp: 1723161254137,
    lastUpdateId: 50093239224,
    bid: ['61837.63000000', '3.78826000'],
    ask: ['61837.64000000', '1.60520000'],
  },
});

export const bookDepth = jsonProduct({
  name: 'md.book.depth',
  owner: Teams.MARKET_DATA,
  description:
    'Periodic top-N snapshots of the rebuilt book (best first), for consumers that want levels without ' +
    'replaying deltas. 6 partitions; kept 1 day.',
  key: marketKeySpec,
  partitions: 6,
  cleanup: { policy: 'delete', retentionMs: DAY_MS },
  schemaId: 'md.book.depth',
  versions: [{ schema: BookDepthV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: 1723161254206,
    localTimestamp: 1723161254206,
    lastUpdateId: 50093239218,
    depth: 5,
    bids: [
      ['61837.63000000', '3.78826000'],
      ['61837.62000000', '0.61700000'],
      ['61837.24000000', '0.10610000'],
      ['61836.01000000', '0.01570000'],
      ['61836.00000000', '0.54369000'],
    ],
    asks: [
      ['61837.64000000', '1.54698000'],
      ['61837.65000000', '0.00843000'],
      ['61837.68000000', '0.00016000'],
      ['61838.13000000', '0.00086000'],
      ['61838.95000000', '0.00082000'],
    ],
  },
});
