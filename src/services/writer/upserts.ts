// One statement per table per batch: the rows as parallel arrays through unnest, upserted by natural key.

import { type PendingBatch } from './batch.ts';
import { type SqlExecutor } from './db/types.ts';

// Arrays, not a VALUES list: one statement text whatever the row count (the server plans it
// once), and no limit of 65,535 parameters per statement.

const TRADES = `
INSERT INTO trades (exchange, symbol, trade_key, trade_id, ts, local_ts, price, quantity, aggressor_side, sequence)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                     $7::numeric[], $8::numeric[], $9::text[], $10::bigint[])
ON CONFLICT (exchange, symbol, trade_key) DO NOTHING`;

// A final candle replaces an interim one (and a later final an earlier one); an interim one
// never replaces a final one, so replaying a topic from any offset ends on the same rows.
const CANDLES = `
INSERT INTO candles (exchange, symbol, interval, open_time, close_time, open, high, low, close, volume,
                     quote_volume, trades, taker_buy_volume, taker_buy_quote_volume, is_final, ts, local_ts)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::numeric[],
                     $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[],
                     $12::bigint[], $13::numeric[], $14::numeric[], $15::boolean[], $16::bigint[], $17::bigint[])
ON CONFLICT (exchange, symbol, interval, open_time) DO UPDATE SET
  close_time = EXCLUDED.close_time, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
  close = EXCLUDED.close, volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
  trades = EXCLUDED.trades, taker_buy_volume = EXCLUDED.taker_buy_volume,
  taker_buy_quote_volume = EXCLUDED.taker_buy_quote_volume, is_final = EXCLUDED.is_final,
  ts = EXCLUDED.ts, local_ts = EXCLUDED.local_ts
WHERE EXCLUDED.is_final OR NOT candles.is_final`;

// The sample of a period is the top with the latest event time (then update id) in it: the
// same rule as PendingBatch.addBookTop, so the order records arrive in does not matter.
const BOOK_TOP = `
INSERT INTO book_top (exchange, symbol, sample_time, ts, local_ts, last_update_id,
                      bid_price, bid_quantity, ask_price, ask_quantity)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                     $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[])
ON CONFLICT (exchange, symbol, sample_time) DO UPDATE SET
  ts = EXCLUDED.ts, local_ts = EXCLUDED.local_ts, last_update_id = EXCLUDED.last_update_id,
  bid_price = EXCLUDED.bid_price, bid_quantity = EXCLUDED.bid_quantity,
  ask_price = EXCLUDED.ask_price, ask_quantity = EXCLUDED.ask_quantity
WHERE EXCLUDED.ts > book_top.ts
   OR (EXCLUDED.ts = book_top.ts AND coalesce(EXCLUDED.last_update_id, -1) >= coalesce(book_top.last_update_id, -1))`;

// Evidence travels as JSON text and is cast here: drivers disagree on how to encode a jsonb[].
// Replays give an alert the same id; a rebuilt md.alerts (a fixed detector) replaces the text.
const ALERTS = `
INSERT INTO alerts (alert_id, exchange, symbol, ts, local_ts, rule, severity, message, evidence)
SELECT a, e, s, t, l, r, v, m, x::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
            $7::text[], $8::text[], $9::text[]) AS u(a, e, s, t, l, r, v, m, x)
ON CONFLICT (alert_id) DO UPDATE SET
  exchange = EXCLUDED.exchange, symbol = EXCLUDED.symbol, ts = EXCLUDED.ts, local_ts = EXCLUDED.local_ts,
  rule = EXCLUDED.rule, severity = EXCLUDED.severity, message = EXCLUDED.message, evidence = EXCLUDED.evidence`;

/** Writes the batch's rows (id-less trades already keyed) inside the caller's transaction. */
export async function upsertBatch(tx: SqlExecutor, batch: PendingBatch): Promise<void> {
  if (batch.trades.size > 0) {
    const r = [...batch.trades.values()];
    await tx.query(TRADES, [
      r.map((x) => x.exchange),
      r.map((x) => x.symbol),
      r.map((x) => x.tradeKey),
      r.map((x) => x.tradeId),
      r.map((x) => x.ts),
      r.map((x) => x.localTs),
      r.map((x) => x.price),
      r.map((x) => x.quantity),
      r.map((x) => x.side),
      r.map((x) => x.sequence),
    ]);
  }
  if (batch.candles.size > 0) {
    const r = [...batch.candles.values()];
    await tx.query(CANDLES, [
      r.map((x) => x.exchange),
      r.map((x) => x.symbol),
      r.map((x) => x.interval),
      r.map((x) => x.openTime),
      r.map((x) => x.closeTime),
      r.map((x) => x.open),
      r.map((x) => x.high),
      r.map((x) => x.low),
      r.map((x) => x.close),
      r.map((x) => x.volume),
      r.map((x) => x.quoteVolume),
      r.map((x) => x.trades),
      r.map((x) => x.takerBuyVolume),
      r.map((x) => x.takerBuyQuoteVolume),
      r.map((x) => x.isFinal),
      r.map((x) => x.ts),
      r.map((x) => x.localTs),
    ]);
  }
  if (batch.bookTops.size > 0) {
    const r = [...batch.bookTops.values()];
    await tx.query(BOOK_TOP, [
      r.map((x) => x.exchange),
      r.map((x) => x.symbol),
      r.map((x) => x.sampleTime),
      r.map((x) => x.ts),
      r.map((x) => x.localTs),
      r.map((x) => x.lastUpdateId),
      r.map((x) => x.bidPrice),
      r.map((x) => x.bidQuantity),
      r.map((x) => x.askPrice),
      r.map((x) => x.askQuantity),
    ]);
  }
  if (batch.alerts.size > 0) {
    const r = [...batch.alerts.values()];
    await tx.query(ALERTS, [
      r.map((x) => x.alertId),
      r.map((x) => x.exchange),
      r.map((x) => x.symbol),
      r.map((x) => x.ts),
      r.map((x) => x.localTs),
      r.map((x) => x.rule),
      r.map((x) => x.severity),
      r.map((x) => x.message),
      r.map((x) => x.evidence),
    ]);
  }
}
