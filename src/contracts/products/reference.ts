// Reference data and surveillance products: `md.instruments` (compacted) and `md.alerts`.

import { AlertV1 } from '../schema/alerts.ts';
import { InstrumentV1 } from '../schema/instruments.ts';
import { DAY_MS, HOUR_MS, jsonProduct, marketKeySpec, Teams } from '../product.ts';

export const instruments = jsonProduct({
  name: 'md.instruments',
  owner: Teams.MARKET_DATA,
  description:
    'Reference data per instrument (base/quote, status, tick size, lot step, min/max quantity, min notional). ' +
    'Compacted: the latest record per instrument is kept forever, so a service builds its local copy by ' +
    'reading from the beginning instead of calling an API; a null value (tombstone) removes a delisted ' +
    'instrument. 6 partitions.',
  key: marketKeySpec,
  partitions: 6,
  cleanup: { policy: 'compact', deleteRetentionMs: DAY_MS, minCompactionLagMs: HOUR_MS },
  schemaId: 'md.instruments',
  versions: [{ schema: InstrumentV1, change: 'initial' }],
  // Real: Coinbase /products, 2021-04-17, shared/data/market/cryptofeed/COINBASE.0.
  example: {
    exchange: 'coinbase',
    symbol: 'BTC-GBP',
    timestamp: 1618677816841,
    localTimestamp: 1618677816841,
    base: 'BTC',
    quote: 'GBP',
    type: 'spot',
    status: 'trading',
    exchangeStatus: 'online',
    tickSize: '0.01',
    stepSize: '0.00000001',
    minQuantity: '0.0001',
    maxQuantity: '80',
    minNotional: '10',
  },
});

export const alerts = jsonProduct({
  name: 'md.alerts',
  owner: Teams.SURVEILLANCE,
  description:
    'Findings of the detector on one instrument (crossed book, sequence gap, checksum mismatch, clock skew, ' +
    'price spike): the rule, a severity and the evidence. 3 partitions; kept 30 days for investigations.',
  key: marketKeySpec,
  partitions: 3,
  cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
  schemaId: 'md.alerts',
  versions: [{ schema: AlertV1, change: 'initial' }],
  // Real skew: the first BTCUSDT depth update of the hftbacktest capture arrived 1271 ms "before" E.
  example: {
    exchange: 'binance',
    symbol: 'BTCUSDT',
    timestamp: 1723161255208,
    localTimestamp: 1723161253937,
    alertId: 'clock.skew:binance:BTCUSDT:1723161255208',
    rule: 'clock.skew',
    severity: 'warning',
    message: 'local clock is 1271 ms behind the exchange',
    evidence: [
      { name: 'exchangeTime', value: '1723161255208' },
      { name: 'receiveTime', value: '1723161253937' },
      { name: 'skewMs', value: '-1271' },
    ],
  },
});
