// Trading products: signals from strategies, orders after risk, executions and positions.
//
// There is no captured trading traffic, so these examples are made up to match the BTCUSDT
// market examples in market.ts (same prices and times).

import { ExecutionV1, OrderV1, PositionV1, SignalV1 } from '../schema/trading.ts';
import { DAY_MS, HOUR_MS, jsonProduct, marketKeySpec, Teams } from '../product.ts';

export const signals = jsonProduct({
  name: 'trade.signals',
  owner: Teams.TRADING,
  description:
    'What strategies want to trade (side, quantity, optional limit) and why, before risk checks. ' +
    '6 partitions; kept 30 days so decisions can be audited against the market data they used.',
  key: marketKeySpec,
  partitions: 6,
  cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
  schemaId: 'trade.signals',
  versions: [{ schema: SignalV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    signalId: 'sig-mr-000042',
    strategy: 'mean-reversion',
    side: 'buy',
    quantity: '0.01000000',
    limitPrice: '61837.64000000',
    reason: 'price 2.1 sd below the 1m mean',
    timestamp: 1723161254150,
    basedOn: 1723161255408,
  },
});

export const orders = jsonProduct({
  name: 'trade.orders',
  owner: Teams.TRADING,
  description:
    'Every status change of every order (new, accepted, rejected, partially filled, filled, canceled, ' +
    "expired); keyed by instrument so an order's changes stay in order with the instrument's other orders. " +
    '6 partitions; kept 1 year for audit.',
  key: marketKeySpec,
  partitions: 6,
  cleanup: { policy: 'delete', retentionMs: 365 * DAY_MS },
  schemaId: 'trade.orders',
  versions: [{ schema: OrderV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    orderId: 'ord-000042',
    signalId: 'sig-mr-000042',
    account: 'binance-main',
    side: 'buy',
    type: 'limit',
    timeInForce: 'ioc',
    quantity: '0.01000000',
    price: '61837.64000000',
    status: 'filled',
    filledQuantity: '0.01000000',
    exchangeOrderId: '28457218931',
    timestamp: 1723161255460,
  },
});

export const executions = jsonProduct({
  name: 'trade.executions',
  owner: Teams.TRADING,
  description:
    'Fills reported by the exchange: price, quantity, fee and whether we were maker or taker. The source of ' +
    'positions and PnL. 6 partitions; kept 1 year for accounting.',
  key: marketKeySpec,
  partitions: 6,
  cleanup: { policy: 'delete', retentionMs: 365 * DAY_MS },
  schemaId: 'trade.executions',
  versions: [{ schema: ExecutionV1, change: 'initial' }],
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    executionId: '3735683301',
    orderId: 'ord-000042',
    account: 'binance-main',
    side: 'buy',
    price: '61837.64000000',
    quantity: '0.01000000',
    fee: '0.00001000',
    feeCurrency: 'BTC',
    liquidity: 'taker',
    timestamp: 1723161255455,
    localTimestamp: 1723161254190,
  },
});

export const positions = jsonProduct({
  name: 'trade.positions',
  owner: Teams.TRADING,
  description:
    'Current position per account and instrument: signed quantity, average price, realized PnL. Compacted, so ' +
    'the latest position per key is kept forever and a restarted service reloads every position by reading ' +
    'the topic from the beginning. 6 partitions.',
  key: {
    name: 'account:exchange:symbol',
    meaning:
      '`account:exchange:symbol`: one position per account and instrument; compaction keeps the latest',
    of: (position) => `${position.account}:${position.exchange}:${position.symbol}`,
  },
  partitions: 6,
  cleanup: { policy: 'compact', deleteRetentionMs: DAY_MS, minCompactionLagMs: HOUR_MS },
  schemaId: 'trade.positions',
  versions: [{ schema: PositionV1, change: 'initial' }],
  example: {
    account: 'binance-main',
    exchange: 'binance',
    symbol: 'BTCUSDT',
    quantity: '0.00999000',
    averagePrice: '61837.64000000',
    realizedPnl: '0',
    currency: 'USDT',
    lastExecutionId: '3735683301',
    timestamp: 1723161255455,
  },
});
