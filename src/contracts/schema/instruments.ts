// Value schema of `md.instruments`: reference data per instrument, the latest per key kept by compaction.

import { Type, type Static } from '@sinclair/typebox';
import { decimal, literals, marketEventFields } from './primitives.ts';

const asset = (description: string) =>
  Type.String({ pattern: '^[A-Z0-9]{1,20}$', description: `${description}, as the exchange names it` });

export const InstrumentV1 = Type.Object(
  {
    ...marketEventFields,
    base: asset('base asset (BTC, XBT)'),
    quote: asset('quote asset (USDT, USD)'),
    type: literals(['spot', 'perpetual', 'future', 'option']),
    status: literals(['trading', 'halted', 'pre-trading', 'post-trading', 'delisted'], {
      description: 'normalized; `exchangeStatus` keeps the original',
    }),
    exchangeStatus: Type.String({
      maxLength: 64,
      description: 'status text as sent (Binance TRADING/BREAK, Coinbase online)',
    }),
    tickSize: decimal(
      'price increment (Binance PRICE_FILTER tickSize, Coinbase quote_increment, OKX tickSz)',
    ),
    stepSize: decimal(
      'quantity increment, the lot size (Binance LOT_SIZE stepSize, Coinbase base_increment)',
    ),
    minQuantity: decimal('smallest order quantity (Coinbase base_min_size, OKX minSz)'),
    maxQuantity: Type.Optional(decimal('largest order quantity (Coinbase base_max_size)')),
    minNotional: Type.Optional(
      decimal('smallest order value in quote (Binance NOTIONAL, Coinbase min_market_funds)'),
    ),
    contractSize: Type.Optional(decimal('size of one contract for derivatives (OKX ctVal)')),
    expiry: Type.Optional(Type.Integer({ minimum: 0, description: 'expiry of a future or option, ms' })),
  },
  {
    additionalProperties: false,
    description:
      'reference data comes over REST without an exchange time, so `timestamp` is the receive time',
  },
);
export type Instrument = Static<typeof InstrumentV1>;
