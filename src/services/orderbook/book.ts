// An L2 order book of one instrument: both sides, exact scaled prices, the exchange's text, top and depth views.

import { type PriceLevel } from '../../contracts/schema/primitives.ts';
import { BookSide } from './book-side.ts';
import { fractionDigits, isZeroText, pow10, scaledInteger } from './price.ts';

/** Why a level could not be applied; the book is then unusable until the next snapshot. */
export class LevelError extends Error {
  readonly code = 'BAD_LEVEL';
}

/** The largest price scale a book accepts: 10^15 keeps typical prices inside 2^53. */
const MAX_SCALE = 15;

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  /** Fraction digits prices are counted in; grows when a finer price arrives. */
  #scale = 0;

  get scale(): number {
    return this.#scale;
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /** Applies one side's levels of a delta or snapshot; quantity "0" removes a level. */
  apply(levels: readonly PriceLevel[], side: BookSide): void {
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      const priceText = level[0];
      const qtyText = level[1];
      let price = scaledInteger(priceText, this.#scale);
      if (price !== price) price = this.#widen(priceText);
      side.set(price, priceText, qtyText, isZeroText(qtyText));
    }
  }

  /** Best bid >= best ask: impossible on a matching engine, so the book is wrong (or the feed). */
  isCrossed(): boolean {
    return this.bids.size > 0 && this.asks.size > 0 && this.bids.bestPrice() >= this.asks.bestPrice();
  }

  /** A price the current scale cannot hold: widen the scale if that is what it needs, else refuse. */
  #widen(text: string): number {
    const digits = fractionDigits(text);
    if (digits < 0) throw new LevelError(`price ${JSON.stringify(text)} is not a plain decimal`);
    if (digits > this.#scale) {
      if (digits > MAX_SCALE) throw new LevelError(`price ${text} has more than ${MAX_SCALE} decimals`);
      const factor = pow10(digits - this.#scale);
      if (!this.bids.rescale(factor) || !this.asks.rescale(factor))
        throw new LevelError(
          `price ${text} needs ${digits} decimals, which the book's prices cannot take exactly`,
        );
      this.#scale = digits;
      const price = scaledInteger(text, digits);
      if (price === price) return price;
    }
    throw new LevelError(`price ${text} does not fit an exact integer at ${this.#scale} decimals`);
  }
}
