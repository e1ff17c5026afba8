// Which Binance streams a loader subscribes for the channels it is asked for.

import { type BinanceExchange } from '../../venues/binance/transport/index.ts';

/** What a loader can be asked to carry, as named by `subscribe` commands on queue-control. */
export const Channels = {
  TRADES: 'trades',
  BOOK: 'book',
  TOP: 'top',
  KLINES: 'klines',
  INSTRUMENTS: 'instruments',
} as const;
export type Channel = (typeof Channels)[keyof typeof Channels];
export const channelNames: readonly Channel[] = Object.values(Channels);

/**
 * Stream names for one symbol. Spot trades come from `<s>@trade` (every trade with its id);
 * USD-M futures document no raw trade stream, so they come from `<s>@aggTrade`. Books from
 * the 100 ms diff stream, which the order book service joins onto a REST snapshot.
 * `instruments` is REST only (exchangeInfo), no stream.
 */
export function streamsFor(
  exchange: BinanceExchange,
  symbol: string,
  channels: readonly Channel[],
  klineIntervals: readonly string[],
): string[] {
  const s = symbol.toLowerCase();
  const out: string[] = [];
  for (const channel of channels) {
    switch (channel) {
      case Channels.TRADES:
        out.push(exchange === 'binance' ? `${s}@trade` : `${s}@aggTrade`);
        break;
      case Channels.BOOK:
        out.push(`${s}@depth@100ms`);
        break;
      case Channels.TOP:
        out.push(`${s}@bookTicker`);
        break;
      case Channels.KLINES:
        for (const interval of klineIntervals) out.push(`${s}@kline_${interval}`);
        break;
      case Channels.INSTRUMENTS:
        break;
    }
  }
  return out;
}
