// Value schemas of the trading products: signals, orders, executions and positions.

import { Type, type Static } from '@sinclair/typebox';
import {
  decimal,
  epochMillis,
  ExchangeName,
  InstrumentSymbol,
  literals,
  NonEmptyText,
  side,
} from './primitives.ts';

const id = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', maxLength: 128, description });

const instrument = { exchange: ExchangeName, symbol: InstrumentSymbol };
const account = id('trading account (one per exchange key)');

export const SignalV1 = Type.Object(
  {
    ...instrument,
    signalId: id('unique id of the signal'),
    strategy: id('strategy that produced it'),
    side: side('direction the strategy wants to trade'),
    quantity: decimal('base quantity the strategy asks for (before risk checks)'),
    limitPrice: Type.Optional(decimal('worst acceptable price; absent for a market order')),
    reason: NonEmptyText,
    timestamp: epochMillis('when the signal was produced'),
    basedOn: epochMillis('exchange time of the newest market event the decision used'),
  },
  { additionalProperties: false },
);
export type Signal = Static<typeof SignalV1>;

export const OrderStatuses = literals([
  'new',
  'accepted',
  'rejected',
  'partially-filled',
  'filled',
  'cancel-requested',
  'canceled',
  'expired',
]);

export const OrderV1 = Type.Object(
  {
    ...instrument,
    orderId: id('client order id, set by risk when it approves a signal'),
    signalId: Type.Optional(id('signal the order came from')),
    account,
    side: side(),
    type: literals(['market', 'limit']),
    timeInForce: literals(['gtc', 'ioc', 'fok']),
    quantity: decimal('ordered base quantity'),
    price: Type.Optional(decimal('limit price; absent for a market order')),
    status: OrderStatuses,
    filledQuantity: decimal('base quantity filled so far'),
    exchangeOrderId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    reason: Type.Optional(Type.String({ maxLength: 1024, description: 'why rejected, canceled or expired' })),
    timestamp: epochMillis('when the order reached this status'),
  },
  {
    additionalProperties: false,
    description: 'one record per status change of an order; the latest per orderId is its state',
  },
);
export type Order = Static<typeof OrderV1>;

export const ExecutionV1 = Type.Object(
  {
    ...instrument,
    executionId: id("the exchange's fill / trade id"),
    orderId: id('client order id'),
    account,
    side: side(),
    price: decimal('fill price'),
    quantity: decimal('filled base quantity'),
    fee: decimal('fee charged; negative for a rebate'),
    feeCurrency: Type.String({ pattern: '^[A-Z0-9]{1,20}$' }),
    liquidity: literals(['maker', 'taker']),
    timestamp: epochMillis('exchange time of the fill'),
    localTimestamp: epochMillis('when the fill report was received'),
  },
  { additionalProperties: false },
);
export type Execution = Static<typeof ExecutionV1>;

export const PositionV1 = Type.Object(
  {
    ...instrument,
    account,
    quantity: decimal('signed base quantity: positive long, negative short, "0" flat'),
    averagePrice: decimal('average entry price of the open quantity; "0" when flat'),
    realizedPnl: decimal('realized profit and loss in `currency`, fees included'),
    currency: Type.String({ pattern: '^[A-Z0-9]{1,20}$', description: 'quote currency of the PnL' }),
    lastExecutionId: Type.Optional(id('last execution applied')),
    timestamp: epochMillis('time of the last execution applied'),
  },
  { additionalProperties: false },
);
export type Position = Static<typeof PositionV1>;
