// `md.raw.<exchange>`: exchange frames exactly as received, the replayable source of all market data.

import { type Exchange } from '../schema/primitives.ts';
import { type BytesProduct, DAY_MS, DEFAULT_MAX_VALUE_BYTES, expandTemplate, Teams } from '../product.ts';
import { RawHeaders, rawHeaderSpecs } from '../raw-headers.ts';

// One real frame per exchange from the captures in shared/data/market (receive time from the
// capture, truncated to ms). Binance futures has no capture there: its frame follows the
// documented diff-depth shape with `pu`.
const examples: Readonly<Record<Exchange, { key: string; value: string; receivedAt: number }>> = {
  binance: {
    key: 'binance:BTCUSDT',
    value:
      '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}',
    receivedAt: 1723161254087,
  },
  'binance-futures': {
    key: 'binance-futures:BTCUSDT',
    value:
      '{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"T":1723161255206,"s":"BTCUSDT","U":5008201,"u":5008209,"pu":5008199,"b":[["61737.60","0.512"]],"a":[["61837.70","1.203"]]}}',
    receivedAt: 1723161255210,
  },
  okx: {
    key: 'okx:BTC-USDT',
    value:
      '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"338476307","px":"30236","sz":"0.0002","side":"buy","ts":"1652459224818"}]}',
    receivedAt: 1652459225507,
  },
  kraken: {
    key: 'kraken:XMR/USD',
    value: '[993,[["354.11000000","0.89594024","1618678142.557535","s","l",""]],"trade","XMR/USD"]',
    receivedAt: 1618678142592,
  },
  coinbase: {
    key: 'coinbase:SKL-BTC',
    value:
      '{"type":"match","trade_id":280232,"maker_order_id":"2a0da34e-61f7-4c36-88e5-c9dd15927b16","taker_order_id":"3c82abaa-c01e-4608-be59-6a1e69742891","side":"sell","size":"985","price":"0.00001305","product_id":"SKL-BTC","sequence":177100030,"time":"2021-04-17T16:43:37.089723Z"}',
    receivedAt: 1618677817129,
  },
};

const threeDays = { policy: 'delete', retentionMs: 3 * DAY_MS } as const;

export const rawTopics = expandTemplate<Exchange, BytesProduct>(
  'md.raw.<exchange>',
  {
    binance: { partitions: 12, cleanup: threeDays, note: '12 partitions: the busiest venue.' },
    'binance-futures': { partitions: 12, cleanup: threeDays, note: '12 partitions: as busy as spot.' },
    okx: { partitions: 6, cleanup: threeDays, note: '6 partitions.' },
    kraken: { partitions: 6, cleanup: threeDays, note: '6 partitions.' },
    coinbase: { partitions: 6, cleanup: threeDays, note: '6 partitions.' },
  },
  (exchange, settings, topic) => ({
    topic,
    declaration: 'md.raw.<exchange>',
    owner: Teams.MARKET_DATA,
    description:
      `Frames from ${exchange} exactly as received (WebSocket messages and REST snapshot bodies), written by the ` +
      'loader before any parsing, so every derived topic can be rebuilt by replaying it. Kept 3 days: long ' +
      `enough to rebuild after a bad parser deploy over a weekend. ${settings.note}`,
    key: {
      name: 'exchange:symbol',
      meaning:
        '`exchange:symbol` of the instrument the frame is about; frames about no single instrument (heartbeats, ' +
        'subscription acks) use `exchange:conn:<connection id>` so they stay in connection order',
    },
    partitions: settings.partitions,
    cleanup: settings.cleanup,
    maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
    value: {
      format: 'bytes',
      meaning:
        'the exchange frame byte for byte (UTF-8 JSON for every venue so far); never re-serialized, so ' +
        'checksums and number text survive',
      headers: rawHeaderSpecs,
      example: {
        key: examples[exchange].key,
        value: examples[exchange].value,
        headers: {
          [RawHeaders.RECEIVE_TIME]: String(examples[exchange].receivedAt),
          [RawHeaders.CONNECTION_ID]: `${exchange}-ws-1`,
          [RawHeaders.CONNECTION_SEQ]: '0',
        },
      },
    },
  }),
);
