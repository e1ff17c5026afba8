// The registry of venue mappers: one per exchange, found by exchange name.

import { type Exchange, Exchanges } from '../contracts/schema/primitives.ts';
import { BinanceMapper } from './binance/mapper.ts';
import { CoinbaseMapper } from './coinbase/mapper.ts';
import { KrakenMapper } from './kraken/mapper.ts';
import { OkxMapper } from './okx/mapper.ts';
import { type VenueMapper } from './venue.ts';

// Mappers are stateless, so one instance per exchange serves every caller. Typed as a full
// Record: adding an exchange to `Exchanges` without a mapper fails to compile here.
const mappers: Readonly<Record<Exchange, VenueMapper>> = {
  [Exchanges.BINANCE]: new BinanceMapper(Exchanges.BINANCE),
  [Exchanges.BINANCE_FUTURES]: new BinanceMapper(Exchanges.BINANCE_FUTURES),
  [Exchanges.OKX]: new OkxMapper(),
  [Exchanges.KRAKEN]: new KrakenMapper(),
  [Exchanges.COINBASE]: new CoinbaseMapper(),
};

/** The mapper of an exchange; every `Exchange` has one. */
export function mapperFor(exchange: Exchange): VenueMapper {
  return mappers[exchange];
}
