-- StreamForge job worker: klines made durable by the `persist` step, features computed from them by
-- the `features` step, and the jobs themselves (state, progress, checkpoint) so that a restarted or
-- repeated job resumes where it stopped and a finished one is answered at once.
--
-- Times are bigint epoch milliseconds (UTC). Prices and volumes are NUMERIC: the exchange's exact
-- decimal text. Features that are exact decimal arithmetic (SMA, EMA, RSI, VWAP) are NUMERIC too;
-- those that take a logarithm or a square root (log return, volatility) are double precision.

CREATE TABLE klines (
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
  quote_volume            numeric,
  trades                  bigint,
  taker_buy_volume        numeric,
  taker_buy_quote_volume  numeric,
  PRIMARY KEY (exchange, symbol, interval, open_time)
);

-- One row per kline with enough history before it; formulas in src/services/jobs/features.ts.
CREATE TABLE kline_features (
  exchange        text    NOT NULL,
  symbol          text    NOT NULL,
  interval        text    NOT NULL,
  open_time       bigint  NOT NULL,
  close           numeric NOT NULL,
  log_return      double precision,
  volatility_20   double precision,
  sma_20          numeric,
  ema_20          numeric,
  rsi_14          numeric,
  vwap_20         numeric,
  PRIMARY KEY (exchange, symbol, interval, open_time)
);

CREATE TABLE jobs (
  queue_id     text    PRIMARY KEY,
  job          text    NOT NULL,
  workflow_id  text,
  args         jsonb   NOT NULL,
  state        text    NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'interrupted')),
  attempt      integer NOT NULL,
  loaded       bigint  NOT NULL DEFAULT 0,
  total        bigint,
  -- where a resumed job continues: the backfill's next open time, the persist step's next offset
  checkpoint   jsonb,
  error        text,
  updated_at   bigint  NOT NULL
);
