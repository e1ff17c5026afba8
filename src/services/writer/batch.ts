// The rows one poll's records give, collected by handle() and written by afterBatch() in one transaction.

import {
  type AlertRow,
  type BookTopRow,
  bookTopSupersedes,
  type CandleRow,
  candleSupersedes,
  type TradeRow,
} from './rows.ts';

/** Where an id-less trade sits on the log: its key is numbered by position (runs.ts). */
export interface IdlessTrade {
  readonly row: TradeRow;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Rows keyed by their primary key, so that one statement never touches a row twice (which
 * ON CONFLICT DO UPDATE refuses) and a batch holding a key twice keeps the same row the
 * database would keep after writing them one by one.
 */
export class PendingBatch {
  readonly trades = new Map<string, TradeRow>();
  readonly idless: IdlessTrade[] = [];
  readonly candles = new Map<string, CandleRow>();
  readonly bookTops = new Map<string, BookTopRow>();
  readonly alerts = new Map<string, AlertRow>();
  /** First offset handled per trades partition in this batch (`topic\0partition`). */
  readonly firstOffsets = new Map<string, number>();
  /** Last offset handled per trades partition in this batch. */
  readonly lastOffsets = new Map<string, number>();

  get size(): number {
    return this.trades.size + this.idless.length + this.candles.size + this.bookTops.size + this.alerts.size;
  }

  /** Notes a trades record's position, whatever it held, so that runs of id-less trades see gaps. */
  sawTradeRecord(topic: string, partition: number, offset: number): void {
    const key = `${topic}\0${partition}`;
    if (!this.firstOffsets.has(key)) this.firstOffsets.set(key, offset);
    this.lastOffsets.set(key, offset);
  }

  addTrade(row: TradeRow): void {
    // Trades never change: the first copy stands (ON CONFLICT DO NOTHING does the same).
    const key = `${row.exchange}\0${row.symbol}\0${row.tradeKey}`;
    if (!this.trades.has(key)) this.trades.set(key, row);
  }

  addCandle(row: CandleRow): void {
    const key = `${row.exchange}\0${row.symbol}\0${row.interval}\0${row.openTime}`;
    const current = this.candles.get(key);
    if (!current || candleSupersedes(row, current)) this.candles.set(key, row);
  }

  addBookTop(row: BookTopRow): void {
    const key = `${row.exchange}\0${row.symbol}\0${row.sampleTime}`;
    const current = this.bookTops.get(key);
    if (!current || bookTopSupersedes(row, current)) this.bookTops.set(key, row);
  }

  addAlert(row: AlertRow): void {
    this.alerts.set(row.alertId, row);
  }
}
