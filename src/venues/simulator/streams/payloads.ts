// Stream payloads as Binance writes them (field order included), built as text: this is the hot path.

import { type DepthDiff } from '../model/diff.ts';
import { type Instrument, MarketKinds } from '../model/instruments.ts';
import { type Kline } from '../model/klines.ts';
import { type TopOfBook } from '../model/market.ts';
import { type AggTrade, type Trade } from '../model/trades.ts';

/** Spot `<symbol>@trade` (the buyer/seller order ids Binance dropped in 2023 are not sent). */
export function tradePayload(inst: Instrument, t: Trade): string {
  return (
    `{"e":"trade","E":${t.time},"s":"${inst.symbol}","t":${t.id},"p":"${inst.priceText(t.price)}",` +
    `"q":"${inst.qtyText(t.lots)}","T":${t.time},"m":${t.buyerIsMaker},"M":true}`
  );
}

/** `<symbol>@aggTrade`; spot carries the ignored `M`, USD-M futures does not. */
export function aggTradePayload(inst: Instrument, a: AggTrade, eventTime: number): string {
  const tail = inst.kind === MarketKinds.SPOT ? ',"M":true}' : '}';
  return (
    `{"e":"aggTrade","E":${eventTime},"s":"${inst.symbol}","a":${a.id},"p":"${inst.priceText(a.price)}",` +
    `"q":"${inst.qtyText(a.lots)}","f":${a.firstId},"l":${a.lastId},"T":${a.time},"m":${a.buyerIsMaker}${tail}`
  );
}

/** An aggTrade row of `/api/v3/aggTrades` / `/fapi/v1/aggTrades` (no event fields). */
export function aggTradeRow(inst: Instrument, a: AggTrade): string {
  const tail = inst.kind === MarketKinds.SPOT ? ',"M":true}' : '}';
  return (
    `{"a":${a.id},"p":"${inst.priceText(a.price)}","q":"${inst.qtyText(a.lots)}","f":${a.firstId},` +
    `"l":${a.lastId},"T":${a.time},"m":${a.buyerIsMaker}${tail}`
  );
}

export function levelsText(inst: Instrument, levels: readonly (readonly [number, number])[]): string {
  let out = '[';
  for (let i = 0; i < levels.length; i++) {
    const [price, lots] = levels[i]!;
    out += `${i === 0 ? '' : ','}["${inst.priceText(price)}","${inst.qtyText(lots)}"]`;
  }
  return out + ']';
}

/** `depthUpdate`; USD-M adds the transaction time `T` and `pu`, the previous event's `u`. */
export function depthUpdatePayload(
  inst: Instrument,
  d: DepthDiff,
  eventTime: number,
  transactTime: number,
): string {
  const b = levelsText(inst, d.bids);
  const a = levelsText(inst, d.asks);
  if (inst.kind === MarketKinds.SPOT)
    return `{"e":"depthUpdate","E":${eventTime},"s":"${inst.symbol}","U":${d.firstId},"u":${d.lastId},"b":${b},"a":${a}}`;
  return (
    `{"e":"depthUpdate","E":${eventTime},"T":${transactTime},"s":"${inst.symbol}","U":${d.firstId},` +
    `"u":${d.lastId},"pu":${d.previousLastId},"b":${b},"a":${a}}`
  );
}

/** `<symbol>@bookTicker`: spot is bare; USD-M adds the event type and both times. */
export function bookTickerPayload(inst: Instrument, top: TopOfBook): string | undefined {
  if (top.bid === undefined || top.ask === undefined) return undefined;
  const quotes =
    `"s":"${inst.symbol}","b":"${inst.priceText(top.bid)}","B":"${inst.qtyText(top.bidLots)}",` +
    `"a":"${inst.priceText(top.ask)}","A":"${inst.qtyText(top.askLots)}"`;
  if (inst.kind === MarketKinds.SPOT) return `{"u":${top.updateId},${quotes}}`;
  return `{"e":"bookTicker","u":${top.updateId},"E":${top.time},"T":${top.time},${quotes}}`;
}

/** `<symbol>@kline_<interval>`; `x` says whether the kline is closed. */
export function klinePayload(
  inst: Instrument,
  k: Kline,
  interval: string,
  eventTime: number,
  closed: boolean,
): string {
  return (
    `{"e":"kline","E":${eventTime},"s":"${inst.symbol}","k":{"t":${k.openTime},"T":${k.closeTime},` +
    `"s":"${inst.symbol}","i":"${interval}","f":${k.firstId},"L":${k.lastId},"o":"${inst.priceText(k.open)}",` +
    `"c":"${inst.priceText(k.close)}","h":"${inst.priceText(k.high)}","l":"${inst.priceText(k.low)}",` +
    `"v":"${inst.qtyText(k.volume)}","n":${k.trades},"x":${closed},"q":"${inst.quoteText(k.quote)}",` +
    `"V":"${inst.qtyText(k.takerBuyVolume)}","Q":"${inst.quoteText(k.takerBuyQuote)}","B":"0"}}`
  );
}

/** A row of `/klines`: the 12-element array. */
export function klineRow(inst: Instrument, k: Kline): string {
  return (
    `[${k.openTime},"${inst.priceText(k.open)}","${inst.priceText(k.high)}","${inst.priceText(k.low)}",` +
    `"${inst.priceText(k.close)}","${inst.qtyText(k.volume)}",${k.closeTime},"${inst.quoteText(k.quote)}",` +
    `${k.trades},"${inst.qtyText(k.takerBuyVolume)}","${inst.quoteText(k.takerBuyQuote)}","0"]`
  );
}

/** The maintenance notice; combined connections get it under the stream name `!serverShutdown`. */
export function serverShutdownPayload(eventTime: number): string {
  return `{"e":"serverShutdown","E":${eventTime}}`;
}

export function envelope(stream: string, data: string): string {
  return `{"stream":"${stream}","data":${data}}`;
}
