-- StreamForge writer: market data tables (md.trades, md.candles.*, md.book.top sampled, md.alerts).
--
-- Times are bigint epoch milliseconds (UTC), the exact integers the records carry: no time zone
-- in the way of equality or checksums. Prices and quantities are NUMERIC, which keeps the
-- exchange's decimal text exactly, trailing zeros included. Every table's primary key is the
-- record's natural id, so a replayed record is an upsert of the same row.

CREATE TABLE trades (
  exchange        text    NOT NULL,
  symbol          text    NOT NULL,
  -- the exchange's trade id; for venues without one (Kraken v1) '~<receive ms>:<content hash>:<n>',
  -- see src/services/writer/runs.ts
  trade_key       text    NOT NULL,
  trade_id        text,
  ts              bigint  NOT NULL,
  local_ts        bigint  NOT NULL,
  price           numeric NOT NULL,
  quantity        numeric NOT NULL,
  aggressor_side  text    NOT NULL CHECK (aggressor_side IN ('buy', 'sell')),
  sequence        bigint,
  PRIMARY KEY (exchange, symbol, trade_key)
);
CREATE INDEX trades_symbol_ts ON trades (symbol, ts);

CREATE TABLE candles (
  exchange                text    NOT NULL,
  symbol                  text    NOT NULL,
  interval                text    NOT NULL,
  open_time               bigint  NOT NULL,
  close_time              bigint  NOT NULL,
  open                    numeric NOT NULL,
  high                    numeric NOT NULL,
  low                     numeric NOT NULL,
  close                   numeric NOT NULL,
  volume                  numeric NOT NULL,
  quote_volume            numeric NOT NULL,
  trades                  bigint  NOT NULL,
  taker_buy_volume        numeric NOT NULL,
  taker_buy_quote_volume  numeric NOT NULL,
  is_final                boolean NOT NULL,
  ts                      bigint  NOT NULL,
  local_ts                bigint  NOT NULL,
  PRIMARY KEY (exchange, symbol, interval, open_time)
);
CREATE INDEX candles_symbol_interval_open ON candles (symbol, interval, open_time);

-- One row per instrument per sampling period of event time: the top of book with the latest
-- event time in that period (sample_time = period start).
CREATE TABLE book_top (
  exchange        text    NOT NULL,
  symbol          text    NOT NULL,
  sample_time     bigint  NOT NULL,
  ts              bigint  NOT NULL,
  local_ts        bigint  NOT NULL,
  last_update_id  bigint,
  bid_price       numeric,
  bid_quantity    numeric,
  ask_price       numeric,
  ask_quantity    numeric,
  PRIMARY KEY (exchange, symbol, sample_time)
);
CREATE INDEX book_top_symbol_sample ON book_top (symbol, sample_time);

CREATE TABLE alerts (
  alert_id   text   PRIMARY KEY,
  exchange   text   NOT NULL,
  symbol     text   NOT NULL,
  ts         bigint NOT NULL,
  local_ts   bigint NOT NULL,
  rule       text   NOT NULL,
  severity   text   NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message    text   NOT NULL,
  evidence   jsonb  NOT NULL
);
CREATE INDEX alerts_symbol_ts ON alerts (symbol, ts);

-- The writer's own bookkeeping for trades without an exchange id: where a batch ended inside a
-- frame's trades, the per-content counts so far, so that a restart there numbers the rest the
-- same way (see src/services/writer/runs.ts).
CREATE TABLE writer_trade_runs (
  topic        text    NOT NULL,
  partition    integer NOT NULL,
  next_offset  bigint  NOT NULL,
  frame        text    NOT NULL,
  counts       jsonb   NOT NULL,
  PRIMARY KEY (topic, partition, next_offset)
);
