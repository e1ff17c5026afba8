// Value schemas of the order book products: `md.book.delta`, `md.book.top`, `md.book.depth`.

import { Type, type Static } from '@sinclair/typebox';
import { marketEventFields, PriceLevel, SequenceId, sequenceId } from './primitives.ts';

const levels = (side: string) =>
  Type.Array(PriceLevel, {
    maxItems: 10_000,
    description: `${side} levels as [price, quantity]; in a delta, quantity "0" removes the level`,
  });

export const BookDeltaV1 = Type.Object(
  {
    ...marketEventFields,
    isSnapshot: Type.Boolean({
      description:
        'true: replace the whole book with these levels (REST snapshot, OKX/Kraken/Coinbase snapshot)',
    }),
    firstUpdateId: Type.Optional(sequenceId('first update id in the event (Binance `U`)')),
    lastUpdateId: Type.Optional(
      sequenceId('last update id in the event (Binance `u`, REST `lastUpdateId`, OKX `seqId`)'),
    ),
    prevLastUpdateId: Type.Optional(
      sequenceId("previous event's last update id (Binance futures `pu`, OKX `prevSeqId`)"),
    ),
    bids: levels('bid'),
    asks: levels('ask'),
    checksum: Type.Optional(
      Type.Integer({
        minimum: -2_147_483_648,
        maximum: 4_294_967_295,
        description: 'CRC32 of the top of the book after applying the event (OKX signed, Kraken unsigned)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'sequence ids are present only where the venue sends them (Kraken v1 and Coinbase level2 have none); a REST snapshot has no exchange time, so `timestamp` is then the receive time',
  },
);
export type BookDelta = Static<typeof BookDeltaV1>;

export const BookTopV1 = Type.Object(
  {
    ...marketEventFields,
    lastUpdateId: Type.Optional(SequenceId),
    bid: Type.Union([PriceLevel, Type.Null()], { description: 'best bid, null when the side is empty' }),
    ask: Type.Union([PriceLevel, Type.Null()], { description: 'best ask, null when the side is empty' }),
  },
  { additionalProperties: false },
);
export type BookTop = Static<typeof BookTopV1>;

export const BookDepthV1 = Type.Object(
  {
    ...marketEventFields,
    lastUpdateId: Type.Optional(SequenceId),
    depth: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'levels per side the snapshot holds at most',
    }),
    bids: Type.Array(PriceLevel, { maxItems: 1000, description: 'best first' }),
    asks: Type.Array(PriceLevel, { maxItems: 1000, description: 'best first' }),
  },
  { additionalProperties: false },
);
export type BookDepth = Static<typeof BookDepthV1>;
