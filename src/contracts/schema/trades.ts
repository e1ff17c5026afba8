// Value schema of `md.trades`: one normalized trade per record.

import { Type, type Static } from '@sinclair/typebox';
import { decimal, marketEventFields, sequenceId, side } from './primitives.ts';

export const TradeV1 = Type.Object(
  {
    ...marketEventFields,
    tradeId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          "the exchange's trade id as text (Binance and Coinbase send integers, OKX strings); absent where the venue has none (Kraken v1)",
      }),
    ),
    price: decimal('trade price'),
    quantity: decimal('base-asset quantity'),
    aggressorSide: side(
      "side of the taker (aggressor), never the resting order's side: Binance m=true means the buyer was maker, so the aggressor sold; Coinbase `side` is the maker's side, so it is inverted",
    ),
    sequence: Type.Optional(sequenceId('Coinbase `sequence`, where given')),
  },
  { additionalProperties: false },
);
export type Trade = Static<typeof TradeV1>;
