// `/api/v3/exchangeInfo` and `/fapi/v1/exchangeInfo` bodies for the listed instruments, shaped as Binance's.

import { type Instrument } from '../model/instruments.ts';

export function spotSymbolInfo(inst: Instrument): Record<string, unknown> {
  return {
    symbol: inst.symbol,
    status: 'TRADING',
    baseAsset: inst.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: inst.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: [
      'LIMIT',
      'LIMIT_MAKER',
      'MARKET',
      'STOP_LOSS',
      'STOP_LOSS_LIMIT',
      'TAKE_PROFIT',
      'TAKE_PROFIT_LIMIT',
    ],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: inst.tickSizeText(),
        maxPrice: '1000000.00000000',
        tickSize: inst.tickSizeText(),
      },
      {
        filterType: 'LOT_SIZE',
        minQty: inst.stepSizeText(),
        maxQty: '9000000.00000000',
        stepSize: inst.stepSizeText(),
      },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      {
        filterType: 'MARKET_LOT_SIZE',
        minQty: '0.00000000',
        maxQty: '1000000.00000000',
        stepSize: '0.00000000',
      },
      {
        filterType: 'TRAILING_DELTA',
        minTrailingAboveDelta: 10,
        maxTrailingAboveDelta: 2000,
        minTrailingBelowDelta: 10,
        maxTrailingBelowDelta: 2000,
      },
      {
        filterType: 'PERCENT_PRICE_BY_SIDE',
        bidMultiplierUp: '5',
        bidMultiplierDown: '0.2',
        askMultiplierUp: '5',
        askMultiplierDown: '0.2',
        avgPriceMins: 5,
      },
      {
        filterType: 'NOTIONAL',
        minNotional: `${inst.minNotional}.00000000`,
        applyMinToMarket: true,
        maxNotional: '9000000.00000000',
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT', 'MARGIN']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

export function spotExchangeInfo(symbols: readonly Instrument[], weightLimit: number, now: number): string {
  return JSON.stringify({
    timezone: 'UTC',
    serverTime: now,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: weightLimit },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: symbols.map(spotSymbolInfo),
  });
}

/** USD-M perpetuals: the delivery date Binance gives perpetuals is 2100-12-25. */
export function futuresSymbolInfo(inst: Instrument): Record<string, unknown> {
  return {
    symbol: inst.symbol,
    pair: inst.symbol,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: inst.baseAsset,
    quoteAsset: inst.quoteAsset,
    marginAsset: inst.quoteAsset,
    pricePrecision: inst.priceDecimals,
    quantityPrecision: inst.qtyDecimals,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: [],
    settlePlan: 0,
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: inst.tickSizeText(),
        maxPrice: '4529764',
        tickSize: inst.tickSizeText(),
      },
      { filterType: 'LOT_SIZE', stepSize: inst.stepSizeText(), maxQty: '1000', minQty: inst.stepSizeText() },
      {
        filterType: 'MARKET_LOT_SIZE',
        stepSize: inst.stepSizeText(),
        maxQty: '120',
        minQty: inst.stepSizeText(),
      },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
      { filterType: 'MIN_NOTIONAL', notional: inst.minNotional },
      {
        filterType: 'PERCENT_PRICE',
        multiplierUp: '1.0500',
        multiplierDown: '0.9500',
        multiplierDecimal: '4',
      },
    ],
    orderTypes: [
      'LIMIT',
      'MARKET',
      'STOP',
      'STOP_MARKET',
      'TAKE_PROFIT',
      'TAKE_PROFIT_MARKET',
      'TRAILING_STOP_MARKET',
    ],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
  };
}

export function futuresExchangeInfo(
  symbols: readonly Instrument[],
  weightLimit: number,
  now: number,
): string {
  return JSON.stringify({
    timezone: 'UTC',
    serverTime: now,
    futuresType: 'U_MARGINED',
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: weightLimit },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ],
    exchangeFilters: [],
    assets: [...new Set(symbols.map((s) => s.quoteAsset))].map((asset) => ({
      asset,
      marginAvailable: true,
      autoAssetExchange: '-10000',
    })),
    symbols: symbols.map(futuresSymbolInfo),
  });
}
