// The features job: per-kline features from the stored klines, in exact decimals where the formula allows.
//
// For kline t of the range (ordered by open time), with c = close, v = volume, q = quote volume
// (Binance's `q`, the sum of price x quantity of the interval's trades; close x volume when absent):
//   log_return_t    = ln(c_t / c_{t-1})                                   double; null for the first
//   volatility_20_t = sample standard deviation of the last 20 log returns double; null before 20
//   sma_20_t        = (c_{t-19} + ... + c_t) / 20                          exact; null before 20 klines
//   ema_20_t        = ema_{t-1} + (c_t - ema_{t-1}) x 2 / 21, seeded with sma_20 at the 20th kline
//   rsi_14_t        = 100 - 100 / (1 + G_t / L_t) = 100 G_t / (G_t + L_t), Wilder's smoothing: G and L
//                     start as the mean gain and loss of the first 14 changes, then
//                     G_t = (13 G_{t-1} + gain_t) / 14 (L alike), each rounded at 18 digits; 100 when L
//                     is 0, 50 when the price did not move; null before 14 changes
//   vwap_20_t       = (q_{t-19} + ... + q_t) / (v_{t-19} + ... + v_t)      null when that volume is 0
// "Exact" values are fixed-point decimals with 18 fractional digits (BigInt), each division and
// multiplication rounded half away from zero at the 18th digit: no binary float touches them. The
// logarithm and square root have no exact decimal form; they are computed in double precision from
// the decimal closes.

import { parseDecimal } from '../../contracts/decimal.ts';
import { type SqlDatabase, type SqlExecutor } from '../writer/db/types.ts';
import { type JobSpec } from './args.ts';

const SCALE = 18;
const ONE = 10n ** BigInt(SCALE);
export const WINDOWS = { volatility: 20, sma: 20, ema: 20, rsi: 14, vwap: 20 } as const;

/** Decimal text as units of 10^-18 (more fractional digits are rounded half away from zero). */
export function fixed(text: string): bigint {
  const d = parseDecimal(text);
  if (d.scale <= SCALE) return d.units * 10n ** BigInt(SCALE - d.scale);
  return divRound(d.units, 10n ** BigInt(d.scale - SCALE));
}

/** n / d rounded half away from zero. */
export function divRound(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (2n * an + ad) / (2n * ad);
  return negative ? -q : q;
}

/** Units of 10^-18 as decimal text with all 18 digits ("61786.010000000000000000"). */
export function formatFixed(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / ONE;
  const frac = (abs % ONE).toString().padStart(SCALE, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

export interface KlineInput {
  readonly openTime: number;
  readonly close: string;
  readonly volume: string;
  readonly quoteVolume: string | null;
}

export interface FeatureRow {
  readonly openTime: number;
  readonly close: string;
  readonly logReturn: number | null;
  readonly volatility20: number | null;
  readonly sma20: string | null;
  readonly ema20: string | null;
  readonly rsi14: string | null;
  readonly vwap20: string | null;
}

/** The features of every kline, oldest first (see the formulas at the top of this file). */
export function computeFeatures(klines: readonly KlineInput[]): FeatureRow[] {
  const closes = klines.map((k) => fixed(k.close));
  const volumes = klines.map((k) => fixed(k.volume));
  const quotes = klines.map((k, i) =>
    k.quoteVolume === null ? divRound(closes[i]! * volumes[i]!, ONE) : fixed(k.quoteVolume),
  );
  const returns: (number | null)[] = [];
  const out: FeatureRow[] = [];
  let ema: bigint | null = null;
  let avgGain: bigint | null = null;
  let avgLoss: bigint | null = null;
  let sumGain = 0n;
  let sumLoss = 0n;
  for (let i = 0; i < klines.length; i++) {
    const c = closes[i]!;
    const logReturn =
      i === 0 || closes[i - 1]! <= 0n || c <= 0n
        ? null
        : Math.log(Number(klines[i]!.close) / Number(klines[i - 1]!.close));
    returns.push(logReturn);

    let volatility: number | null = null;
    const rs = returns.slice(Math.max(0, i - WINDOWS.volatility + 1), i + 1);
    if (i >= WINDOWS.volatility && rs.every((r) => r !== null)) {
      const xs = rs as number[];
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      volatility = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    }

    let sma: bigint | null = null;
    if (i + 1 >= WINDOWS.sma) {
      let sum = 0n;
      for (let j = i + 1 - WINDOWS.sma; j <= i; j++) sum += closes[j]!;
      sma = divRound(sum, BigInt(WINDOWS.sma));
    }

    if (i + 1 === WINDOWS.ema) ema = sma;
    else if (ema !== null) ema = ema + divRound((c - ema) * 2n, BigInt(WINDOWS.ema + 1));

    let rsi: bigint | null = null;
    if (i > 0) {
      const change = c - closes[i - 1]!;
      const gain = change > 0n ? change : 0n;
      const loss = change < 0n ? -change : 0n;
      const n = BigInt(WINDOWS.rsi);
      if (i <= WINDOWS.rsi) {
        sumGain += gain;
        sumLoss += loss;
        if (i === WINDOWS.rsi) {
          avgGain = divRound(sumGain, n);
          avgLoss = divRound(sumLoss, n);
        }
      } else {
        avgGain = divRound(avgGain! * (n - 1n) + gain, n);
        avgLoss = divRound(avgLoss! * (n - 1n) + loss, n);
      }
      // 100 - 100 / (1 + G/L) written as 100 G / (G + L): one division, and no special case but G + L = 0.
      if (avgGain !== null && avgLoss !== null)
        rsi = avgGain + avgLoss === 0n ? 50n * ONE : divRound(100n * ONE * avgGain, avgGain + avgLoss);
    }

    let vwap: bigint | null = null;
    if (i + 1 >= WINDOWS.vwap) {
      let q = 0n;
      let v = 0n;
      for (let j = i + 1 - WINDOWS.vwap; j <= i; j++) {
        q += quotes[j]!;
        v += volumes[j]!;
      }
      if (v > 0n) vwap = divRound(q * ONE, v);
    }

    out.push({
      openTime: klines[i]!.openTime,
      close: klines[i]!.close,
      logReturn,
      volatility20: volatility,
      sma20: sma === null ? null : formatFixed(sma),
      ema20: ema === null ? null : formatFixed(ema),
      rsi14: rsi === null ? null : formatFixed(rsi),
      vwap20: vwap === null ? null : formatFixed(vwap),
    });
  }
  return out;
}

const COLUMNS = 11;
const CHUNK = 500;

/** Reads the range's stored klines, computes their features and upserts them; returns the rows written. */
export async function runFeatures(db: SqlDatabase, spec: JobSpec, signal: AbortSignal): Promise<number> {
  const klines = await db.query<{
    open_time: string | number;
    close: string;
    volume: string;
    quote_volume: string | null;
  }>(
    `SELECT open_time, close::text AS close, volume::text AS volume, quote_volume::text AS quote_volume FROM klines
     WHERE exchange = $1 AND symbol = $2 AND interval = $3 AND open_time BETWEEN $4 AND $5 ORDER BY open_time`,
    [spec.exchange, spec.symbol, spec.interval, spec.from, spec.to],
  );
  if (klines.length === 0)
    throw new Error(
      `no klines stored for ${spec.exchange} ${spec.symbol} ${spec.interval} in the range; run the persist step first`,
    );
  const rows = computeFeatures(
    klines.map((k) => ({
      openTime: Number(k.open_time),
      close: k.close,
      volume: k.volume,
      quoteVolume: k.quote_volume,
    })),
  );
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length && !signal.aborted; i += CHUNK)
      await upsertFeatures(tx, spec, rows.slice(i, i + CHUNK));
  });
  if (signal.aborted) return 0;
  return rows.length;
}

async function upsertFeatures(tx: SqlExecutor, spec: JobSpec, rows: readonly FeatureRow[]): Promise<void> {
  const params: unknown[] = [];
  const tuples = rows.map((r, j) => {
    params.push(
      spec.exchange,
      spec.symbol,
      spec.interval,
      r.openTime,
      r.close,
      r.logReturn,
      r.volatility20,
      r.sma20,
      r.ema20,
      r.rsi14,
      r.vwap20,
    );
    const base = j * COLUMNS;
    return `(${Array.from({ length: COLUMNS }, (_, c) => `$${base + c + 1}`).join(', ')})`;
  });
  await tx.query(
    `INSERT INTO kline_features (exchange, symbol, interval, open_time, close, log_return, volatility_20, sma_20,
       ema_20, rsi_14, vwap_20)
     VALUES ${tuples.join(', ')}
     ON CONFLICT (exchange, symbol, interval, open_time) DO UPDATE SET close = EXCLUDED.close,
       log_return = EXCLUDED.log_return, volatility_20 = EXCLUDED.volatility_20, sma_20 = EXCLUDED.sma_20,
       ema_20 = EXCLUDED.ema_20, rsi_14 = EXCLUDED.rsi_14, vwap_20 = EXCLUDED.vwap_20`,
    params,
  );
}
