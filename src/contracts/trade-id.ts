// A normalized trade id read as a sequence number within its id space, where the venue's ids are numbers.

/**
 * `3735683259` is ('', 3735683259); Binance's aggregate `agg-123` is ('agg-', 123). Ids of
 * different spaces are different sequences; any other id (text, hex) is not a sequence.
 */
const NUMBERED = /^((?:[a-z]+-)?)([0-9]{1,15})$/;

export interface TradeSequence {
  readonly space: string;
  readonly number: number;
}

export function tradeSequence(tradeId: string | undefined): TradeSequence | undefined {
  const m = tradeId === undefined ? null : NUMBERED.exec(tradeId);
  return m === null ? undefined : { space: m[1]!, number: Number(m[2]) };
}
