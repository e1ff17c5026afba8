// Drops events a frame repeats: the overlap of a planned reconnect delivers some frames twice.

import { type BookDelta } from '../../contracts/schema/book.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { tradeSequence } from '../../contracts/trade-id.ts';

/**
 * Remembers, per instrument, the highest trade id and book update id seen. Only ids the venue
 * hands out in increasing order per instrument count (Binance `t`/`a`/`u`, OKX `seqId`, Coinbase
 * `trade_id`); venues without ids (Kraken v1 trades, Coinbase level2) pass untouched.
 * Snapshots always pass: a REST snapshot may be older than the stream and the order book
 * service decides what to do with it. Kept in memory: after a restart a duplicate can pass,
 * which consumers of at-least-once topics handle anyway (the writer upserts by trade id).
 */
export class Dedupe {
  readonly #trades = new Map<string, number>();
  readonly #books = new Map<string, number>();
  duplicates = 0;

  isDuplicateTrade(trade: Trade): boolean {
    // Only numbered ids are a sequence; any other id is never taken for a duplicate.
    const id = tradeSequence(trade.tradeId);
    if (id === undefined) return false;
    return this.#seen(this.#trades, `${trade.exchange}:${trade.symbol}:${id.space}`, id.number);
  }

  isDuplicateBook(delta: BookDelta): boolean {
    if (delta.isSnapshot || delta.lastUpdateId === undefined) return false;
    return this.#seen(this.#books, `${delta.exchange}:${delta.symbol}`, delta.lastUpdateId);
  }

  #seen(last: Map<string, number>, key: string, id: number): boolean {
    const previous = last.get(key);
    if (previous !== undefined && id <= previous) {
      this.duplicates++;
      return true;
    }
    last.set(key, id);
    return false;
  }
}
