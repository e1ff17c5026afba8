// A trade as the candle aggregator needs it: exact decimals and checks done once, before any state changes.

import { type Dec, mulDecimal, parseDecimal, signDecimal } from '../../contracts/decimal.ts';
import { HOUR_MS } from '../../contracts/product.ts';
import { Sides } from '../../contracts/schema/primitives.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { PermanentError } from '../../runtime/index.ts';

export interface TradeFacts {
  /** Exchange (event) time, ms. */
  readonly time: number;
  /** Receive time, ms. */
  readonly local: number;
  readonly price: Dec;
  readonly quantity: Dec;
  /** price * quantity, exact. */
  readonly quote: Dec;
  readonly takerBuy: boolean;
}

/**
 * An exchange time this far after the receive time is a clock or unit error (seconds read as
 * ms, a bad venue clock), not network delay: folded in, it would move the instrument's
 * watermark into the future, publish every open candle early and make all later trades late.
 */
export const MAX_AHEAD_OF_RECEIVE_MS = HOUR_MS;

export const TradeErrorCodes = {
  NOT_POSITIVE: 'CANDLES_NOT_POSITIVE',
  FUTURE_TIME: 'CANDLES_FUTURE_TIME',
} as const;

/**
 * Checks and converts a trade; throws a PermanentError (the record goes to the DLQ, no retry)
 * for a trade no candle may contain. It runs before the handler touches any state, so a throw
 * never leaves a half-applied trade behind.
 */
export function tradeFacts(trade: Trade): TradeFacts {
  const price = parseDecimal(trade.price);
  const quantity = parseDecimal(trade.quantity);
  if (signDecimal(price) <= 0 || signDecimal(quantity) <= 0)
    throw new PermanentError(
      TradeErrorCodes.NOT_POSITIVE,
      `trade ${trade.tradeId ?? '(no id)'} of ${trade.exchange}:${trade.symbol} has price ${trade.price} and quantity ${trade.quantity}; both must be > 0`,
    );
  if (trade.timestamp - trade.localTimestamp > MAX_AHEAD_OF_RECEIVE_MS)
    throw new PermanentError(
      TradeErrorCodes.FUTURE_TIME,
      `trade ${trade.tradeId ?? '(no id)'} of ${trade.exchange}:${trade.symbol} has exchange time ${trade.timestamp}, ` +
        `more than ${MAX_AHEAD_OF_RECEIVE_MS} ms after its receive time ${trade.localTimestamp}`,
    );
  return {
    time: trade.timestamp,
    local: trade.localTimestamp,
    price,
    quantity,
    quote: mulDecimal(price, quantity),
    takerBuy: trade.aggressorSide === Sides.BUY,
  };
}
