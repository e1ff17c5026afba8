// The instruments the simulator lists: Binance's tick and lot sizes, display precision, start prices, order-flow rates.

import { formatFixed, parseFixed, significantDecimals } from './fixed.ts';
import { hashString } from './random.ts';

export const MarketKinds = { SPOT: 'spot', FUTURES: 'futures' } as const;
export type MarketKind = (typeof MarketKinds)[keyof typeof MarketKinds];

/** How busy a symbol is: limit orders and market orders per second; each resting order's cancel rate. */
export interface FlowRates {
  readonly limitPerSecond: number;
  readonly marketPerSecond: number;
  readonly cancelPerOrderPerSecond: number;
}

interface Spec {
  readonly base: string;
  readonly quote: string;
  readonly tick: string;
  readonly step: string;
  readonly start: string;
  /** A typical resting order, in base units; market orders are a third of it. */
  readonly typicalQty: string;
  readonly minNotional: string;
  readonly limitPerSecond: number;
  readonly marketPerSecond: number;
}

// Tick and lot sizes as Binance lists them (spot and USD-M differ); start prices near August 2024.
const SPOT: Readonly<Record<string, Spec>> = {
  BTCUSDT: spec('BTC', 'USDT', '0.01', '0.00001', '61837.63', '0.02', '5', 150, 25),
  ETHUSDT: spec('ETH', 'USDT', '0.01', '0.0001', '2680.55', '0.3', '5', 120, 20),
  SOLUSDT: spec('SOL', 'USDT', '0.01', '0.001', '152.34', '5', '5', 80, 10),
  XRPUSDT: spec('XRP', 'USDT', '0.0001', '0.1', '0.5712', '1500', '5', 80, 10),
  BNBUSDT: spec('BNB', 'USDT', '0.01', '0.001', '521.40', '2', '5', 60, 8),
};
const FUTURES: Readonly<Record<string, Spec>> = {
  BTCUSDT: spec('BTC', 'USDT', '0.10', '0.001', '61830.50', '0.1', '100', 150, 30),
  ETHUSDT: spec('ETH', 'USDT', '0.01', '0.001', '2679.87', '1', '20', 120, 25),
  SOLUSDT: spec('SOL', 'USDT', '0.0100', '1', '152.3100', '20', '5', 80, 10),
  XRPUSDT: spec('XRP', 'USDT', '0.0001', '0.1', '0.5711', '3000', '5', 80, 10),
  BNBUSDT: spec('BNB', 'USDT', '0.010', '0.01', '521.370', '5', '5', 60, 8),
};
const QUOTES = ['FDUSD', 'USDT', 'USDC', 'TUSD', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY'] as const;

function spec(
  base: string,
  quote: string,
  tick: string,
  step: string,
  start: string,
  typicalQty: string,
  minNotional: string,
  limitPerSecond: number,
  marketPerSecond: number,
): Spec {
  return { base, quote, tick, step, start, typicalQty, minNotional, limitPerSecond, marketPerSecond };
}

/** One listed instrument; prices are counted in ticks and quantities in lots everywhere in the model. */
export class Instrument {
  readonly kind: MarketKind;
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  /** Digits after the point in price / quantity / quote-volume text (spot always writes 8). */
  readonly priceDecimals: number;
  readonly qtyDecimals: number;
  readonly quoteDecimals: number;
  /** Significant decimals of the tick and the lot (futures pricePrecision/quantityPrecision). */
  readonly tickDecimals: number;
  readonly stepDecimals: number;
  /** One tick in 10^-priceDecimals, one lot in 10^-qtyDecimals. */
  readonly tickUnits: number;
  readonly lotUnits: number;
  readonly startTicks: number;
  readonly typicalLots: number;
  readonly minNotional: string;
  readonly rates: FlowRates;

  constructor(kind: MarketKind, symbol: string, s: Spec) {
    this.kind = kind;
    this.symbol = symbol;
    this.baseAsset = s.base;
    this.quoteAsset = s.quote;
    this.tickDecimals = significantDecimals(s.tick);
    this.stepDecimals = significantDecimals(s.step);
    const futures = kind === MarketKinds.FUTURES;
    // Futures write a price with the tick's written precision ("0.10" -> 2), spot always with 8.
    this.priceDecimals = futures ? (s.tick.split('.')[1]?.length ?? 0) : 8;
    this.qtyDecimals = futures ? this.stepDecimals : 8;
    this.quoteDecimals = futures ? this.priceDecimals + this.qtyDecimals : 8;
    this.tickUnits = parseFixed(s.tick, this.priceDecimals);
    this.lotUnits = parseFixed(s.step, this.qtyDecimals);
    this.startTicks = Math.round(parseFixed(s.start, this.priceDecimals) / this.tickUnits);
    this.typicalLots = Math.max(1, Math.round(parseFixed(s.typicalQty, this.qtyDecimals) / this.lotUnits));
    this.minNotional = s.minNotional;
    this.rates = {
      limitPerSecond: s.limitPerSecond,
      marketPerSecond: s.marketPerSecond,
      cancelPerOrderPerSecond: 0.08,
    };
  }

  priceText(ticks: number): string {
    return formatFixed(ticks * this.tickUnits, this.priceDecimals, this.priceDecimals);
  }

  qtyText(lots: number): string {
    return formatFixed(lots * this.lotUnits, this.qtyDecimals, this.qtyDecimals);
  }

  /** Sum of ticks x lots as quote-asset text; the product's precision always fits quoteDecimals. */
  quoteText(tickLots: bigint): string {
    const scale = this.priceDecimals + this.qtyDecimals;
    return formatFixed(tickLots * BigInt(this.tickUnits * this.lotUnits), scale, this.quoteDecimals);
  }

  /** The tick or lot size as exchangeInfo writes it (spot: 8 decimals; futures: as listed). */
  tickSizeText(): string {
    return formatFixed(this.tickUnits, this.priceDecimals, this.priceDecimals);
  }

  stepSizeText(): string {
    return formatFixed(this.lotUnits, this.qtyDecimals, this.qtyDecimals);
  }
}

export const SYMBOL_PATTERN = /^[A-Z0-9]{2,20}$/;

/** The instrument for a symbol: Binance's real parameters where known, plausible derived ones otherwise. */
export function instrumentFor(kind: MarketKind, symbol: string): Instrument {
  if (!SYMBOL_PATTERN.test(symbol)) throw new Error(`"${symbol}" is not a Binance symbol (A-Z and 0-9 only)`);
  const known = (kind === MarketKinds.SPOT ? SPOT : FUTURES)[symbol];
  return new Instrument(kind, symbol, known ?? derivedSpec(symbol));
}

/**
 * A spot instrument whose tick and lot are 10^-8, the precision spot writes: replayed prices and
 * quantities fit it whatever the symbol's real sizes were when the capture was made.
 */
export function unitInstrument(symbol: string): Instrument {
  const s = derivedSpec(symbol);
  return new Instrument(MarketKinds.SPOT, symbol, {
    ...s,
    tick: '0.00000001',
    step: '0.00000001',
    start: '1',
    typicalQty: '1',
  });
}

/**
 * A symbol the table does not know still gets a consistent instrument: its quote asset from the
 * suffix, a start price from its name's hash (0.01 to 10,000), a tick giving ~5 significant digits.
 */
function derivedSpec(symbol: string): Spec {
  const quote = QUOTES.find((q) => symbol.endsWith(q) && symbol.length > q.length) ?? 'USDT';
  const base = symbol.endsWith(quote) ? symbol.slice(0, -quote.length) : symbol;
  const h = hashString(symbol);
  const exponent = (h % 7) - 2; // price 10^-2 .. 10^4
  const mantissa = 1000 + (Math.floor(h / 7) % 9000); // 1.000 .. 9.999, in thousandths
  const tickDecimals = 4 - exponent; // 0 .. 6: five significant digits
  const stepDecimals = Math.max(0, exponent + 1);
  const unit = (decimals: number): string => (decimals === 0 ? '1' : `0.${'0'.repeat(decimals - 1)}1`);
  // price = mantissa / 1000 * 10^exponent, which is mantissa * 10 ticks at this tick size.
  const start = formatFixed(mantissa * 10, tickDecimals, tickDecimals);
  // About 200 quote units per typical order whatever the price (a model parameter, not a wire value).
  const typicalLots = Math.max(1, Math.round((200_000 * 10 ** stepDecimals) / (mantissa * 10 ** exponent)));
  const typical = formatFixed(typicalLots, stepDecimals, stepDecimals);
  return spec(base, quote, unit(tickDecimals), unit(stepDecimals), start, typical, '5', 40, 5);
}
