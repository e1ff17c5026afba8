// Frames no capture in shared/data/market holds: Binance futures and REST, OKX seqId and books5, error replies.
//
// These bodies follow the shapes and example values of the exchanges' API documentation (Binance
// spot rest-api.md / web-socket-streams.md and USD-M "Exchange Information", "Diff. Book Depth
// Streams"; OKX v5 "Order book channel"; Kraken v1 "subscriptionStatus"; Coinbase "error");
// where a real capture exists the tests use it instead (mappers.test.ts, the fixtures).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encode,
  instruments,
  type JsonProduct,
  klines,
  trades,
  bookDelta,
} from '../../src/contracts/index.ts';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { FrameError, FrameErrorCodes } from '../../src/venues/errors.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { FrameKinds, type MapResult, type NormalizedEvent, type RawFrame } from '../../src/venues/types.ts';

const RECEIVED = 1_700_000_000_000;

function frame(exchange: Exchange, body: unknown, source = '', kind: RawFrame['kind'] = 'ws'): RawFrame {
  return {
    exchange,
    kind,
    source,
    receivedAt: RECEIVED,
    connectionId: 'test',
    connectionSeq: 0,
    body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

function map(f: RawFrame): MapResult {
  const result = mapperFor(f.exchange).map(f);
  const products: Record<NormalizedEvent['type'], JsonProduct> = {
    trade: trades as JsonProduct,
    book: bookDelta as JsonProduct,
    kline: klines as JsonProduct,
    instrument: instruments as JsonProduct,
  };
  for (const e of result.events) encode(products[e.type], e.value, { service: 'parser', instance: 't' });
  return result;
}

const futuresDiff = {
  e: 'depthUpdate',
  E: 1723161255208,
  T: 1723161255206,
  s: 'BTCUSDT',
  U: 5008201,
  u: 5008209,
  pu: 5008199,
  b: [['61737.60', '0.512']],
  a: [['61837.70', '1.203']],
};

describe('Binance USD-M futures', () => {
  it('a diff carries pu as prevLastUpdateId, E as its time', () => {
    const result = map(frame('binance-futures', { stream: 'btcusdt@depth@100ms', data: futuresDiff }));
    assert.deepEqual(result.events, [
      {
        type: 'book',
        value: {
          exchange: 'binance-futures',
          symbol: 'BTCUSDT',
          timestamp: 1723161255208,
          localTimestamp: RECEIVED,
          isSnapshot: false,
          firstUpdateId: 5008201,
          lastUpdateId: 5008209,
          prevLastUpdateId: 5008199,
          bids: [['61737.60', '0.512']],
          asks: [['61837.70', '1.203']],
        },
      },
    ]);
  });

  it('a futures diff without pu is missing a field; bare (not combined) frames map the same', () => {
    const { pu: _pu, ...withoutPu } = futuresDiff;
    assert.throws(
      () => map(frame('binance-futures', withoutPu)),
      (e: unknown) => e instanceof FrameError && e.code === FrameErrorCodes.MISSING_FIELD && e.field === 'pu',
    );
    assert.equal(map(frame('binance-futures', futuresDiff)).events.length, 1);
    assert.equal(mapperFor('binance-futures').symbolOf(frame('binance-futures', futuresDiff)), 'BTCUSDT');
  });

  it('the REST depth answer has E: it is the snapshot time; the endpoint is /fapi/v1', () => {
    const body = {
      lastUpdateId: 1027024,
      E: 1589436922972,
      T: 1589436922959,
      bids: [['4.00000000', '431.00000000']],
      asks: [['4.00000200', '12.00000000']],
    };
    const result = map(frame('binance-futures', body, '/fapi/v1/depth?symbol=BTCUSDT&limit=1000', 'rest'));
    const book = result.events[0]!.value as { timestamp: number; lastUpdateId: number; isSnapshot: boolean };
    assert.deepEqual([book.timestamp, book.lastUpdateId, book.isSnapshot], [1589436922972, 1027024, true]);
    assert.throws(
      () => map(frame('binance', body, '/fapi/v1/depth?symbol=BTCUSDT', 'rest')),
      /not a binance REST endpoint/,
    );
  });

  it('exchangeInfo: perpetuals have no expiry, quarterlies expire at deliveryDate; MIN_NOTIONAL says notional', () => {
    const filters = [
      { filterType: 'PRICE_FILTER', maxPrice: '300', minPrice: '0.0001', tickSize: '0.0001' },
      { filterType: 'LOT_SIZE', maxQty: '10000000', minQty: '1', stepSize: '1' },
      { filterType: 'MARKET_LOT_SIZE', maxQty: '590119', minQty: '1', stepSize: '1' },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      { filterType: 'MIN_NOTIONAL', notional: '5' },
    ];
    const info = {
      serverTime: 1565613908500,
      symbols: [
        {
          symbol: 'BLZUSDT',
          pair: 'BLZUSDT',
          contractType: 'PERPETUAL',
          deliveryDate: 4133404800000,
          status: 'TRADING',
          baseAsset: 'BLZ',
          quoteAsset: 'USDT',
          filters,
        },
        {
          symbol: 'BTCUSDT_240927',
          pair: 'BTCUSDT',
          contractType: 'CURRENT_QUARTER',
          deliveryDate: 1727424000000,
          status: 'PENDING_TRADING',
          baseAsset: 'BTC',
          quoteAsset: 'USDT',
          filters,
        },
        {
          symbol: 'ETHUSDT_230630',
          pair: 'ETHUSDT',
          contractType: 'CURRENT_QUARTER',
          deliveryDate: 1688112000000,
          status: 'SETTLING',
          baseAsset: 'ETH',
          quoteAsset: 'USDT',
          filters,
        },
      ],
    };
    const list = map(frame('binance-futures', info, '/fapi/v1/exchangeInfo', 'rest')).events.map(
      (e) => e.value,
    );
    assert.deepEqual(list[0], {
      exchange: 'binance-futures',
      symbol: 'BLZUSDT',
      timestamp: RECEIVED,
      localTimestamp: RECEIVED,
      base: 'BLZ',
      quote: 'USDT',
      type: 'perpetual',
      status: 'trading',
      exchangeStatus: 'TRADING',
      tickSize: '0.0001',
      stepSize: '1',
      minQuantity: '1',
      maxQuantity: '10000000',
      minNotional: '5',
    });
    assert.deepEqual(
      list
        .slice(1)
        .map((i) => [
          i.symbol,
          (i as { type: string }).type,
          (i as { expiry?: number }).expiry,
          (i as { status: string }).status,
        ]),
      [
        ['BTCUSDT_240927', 'future', 1727424000000, 'pre-trading'],
        ['ETHUSDT_230630', 'future', 1688112000000, 'halted'],
      ],
    );
    assert.equal(
      mapperFor('binance-futures').symbolOf(frame('binance-futures', info, '/fapi/v1/exchangeInfo', 'rest')),
      null,
    );
  });

  it('control events and unnormalized streams are skipped with their reason', () => {
    assert.equal(
      map(frame('binance-futures', { e: 'serverShutdown', E: 1723161255208 })).skipped,
      'control event: serverShutdown',
    );
    assert.equal(
      map(
        frame('binance-futures', {
          stream: 'btcusdt@markPrice',
          data: { e: 'markPriceUpdate', E: 1, s: 'BTCUSDT', p: '1' },
        }),
      ).skipped,
      'event type not normalized: markPriceUpdate',
    );
    assert.equal(
      map(
        frame('binance-futures', {
          e: 'bookTicker',
          u: 400900217,
          E: 1568014460893,
          T: 1568014460891,
          s: 'BNBUSDT',
          b: '25.35190000',
          B: '31.21000000',
          a: '25.36520000',
          A: '40.66000000',
        }),
      ).skipped,
      'bookTicker is not normalized: the orderbook service publishes md.book.top',
    );
    assert.equal(
      map(frame('binance-futures', { stream: 'btcusdt@depth5@100ms', data: futuresDiff })).skipped,
      'partial book depth is a top-N picture, not a diff: books are built from diffs',
    );
  });
});

describe('Binance spot REST and replies', () => {
  it('exchangeInfo: one instrument per symbol, filters and statuses mapped, NOTIONAL minNotional', () => {
    const symbol = (name: string, status: string, base: string, quote: string) => ({
      symbol: name,
      status,
      baseAsset: base,
      quoteAsset: quote,
      filters: [
        {
          filterType: 'PRICE_FILTER',
          minPrice: '0.00000100',
          maxPrice: '100000.00000000',
          tickSize: '0.00000100',
        },
        { filterType: 'LOT_SIZE', minQty: '0.00100000', maxQty: '100000.00000000', stepSize: '0.00100000' },
        {
          filterType: 'NOTIONAL',
          minNotional: '0.00010000',
          applyMinToMarket: false,
          maxNotional: '9000000.00000000',
        },
      ],
    });
    const info = {
      timezone: 'UTC',
      serverTime: 1565246363776,
      symbols: [
        symbol('ETHBTC', 'TRADING', 'ETH', 'BTC'),
        symbol('BNBBTC', 'BREAK', 'BNB', 'BTC'),
        symbol('LTCBTC', 'PRE_TRADING', 'LTC', 'BTC'),
        symbol('NEOBTC', 'POST_TRADING', 'NEO', 'BTC'),
        symbol('QTUMETH', 'END_OF_DAY', 'QTUM', 'ETH'),
        symbol('EOSETH', 'HALT', 'EOS', 'ETH'),
        symbol('SNTETH', 'AUCTION_MATCH', 'SNT', 'ETH'),
        symbol('BNTETH', 'SOMETHING_NEW', 'BNT', 'ETH'),
      ],
    };
    const list = map(frame('binance', info, '/api/v3/exchangeInfo', 'rest')).events.map(
      (e) =>
        e.value as {
          symbol: string;
          status: string;
          type: string;
          tickSize: string;
          stepSize: string;
          minQuantity: string;
          maxQuantity: string;
          minNotional: string;
        },
    );
    assert.deepEqual(
      list.map((i) => [i.symbol, i.status]),
      [
        ['ETHBTC', 'trading'],
        ['BNBBTC', 'halted'],
        ['LTCBTC', 'pre-trading'],
        ['NEOBTC', 'post-trading'],
        ['QTUMETH', 'halted'],
        ['EOSETH', 'halted'],
        ['SNTETH', 'pre-trading'],
        ['BNTETH', 'halted'],
      ],
    );
    assert.deepEqual(
      [
        list[0]!.type,
        list[0]!.tickSize,
        list[0]!.stepSize,
        list[0]!.minQuantity,
        list[0]!.maxQuantity,
        list[0]!.minNotional,
      ],
      ['spot', '0.00000100', '0.00100000', '0.00100000', '100000.00000000', '0.00010000'],
    );
    const noLot = { ...info, symbols: [{ ...symbol('ETHBTC', 'TRADING', 'ETH', 'BTC'), filters: [] }] };
    assert.throws(
      () => map(frame('binance', noLot, '/api/v3/exchangeInfo', 'rest')),
      (e: unknown) =>
        e instanceof FrameError &&
        e.code === FrameErrorCodes.MISSING_FIELD &&
        e.field === 'symbols[0].filters',
    );
  });

  it('klines: interval and symbol from the query; closed iff the close time is before the receive time', () => {
    const rows = [
      [
        1699999920000,
        '0.01634790',
        '0.80000000',
        '0.01575800',
        '0.01577100',
        '148976.11427815',
        1699999979999,
        '2434.19055334',
        308,
        '1756.87402397',
        '28.46694368',
        '0',
      ],
      [
        1699999980000,
        '0.01577100',
        '0.01580000',
        '0.01575800',
        '0.01579000',
        '12.00000000',
        1700000039999,
        '0.18940000',
        3,
        '1.00000000',
        '0.01580000',
        '0',
      ],
    ];
    const result = map(frame('binance', rows, '/api/v3/klines?symbol=BNBBTC&interval=1m&limit=2', 'rest'));
    const [closed, open] = result.events.map((e) => e.value) as unknown as [
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    assert.deepEqual(closed, {
      exchange: 'binance',
      symbol: 'BNBBTC',
      timestamp: 1699999979999,
      localTimestamp: RECEIVED,
      interval: '1m',
      openTime: 1699999920000,
      closeTime: 1699999979999,
      open: '0.01634790',
      high: '0.80000000',
      low: '0.01575800',
      close: '0.01577100',
      volume: '148976.11427815',
      quoteVolume: '2434.19055334',
      trades: 308,
      takerBuyVolume: '1756.87402397',
      takerBuyQuoteVolume: '28.46694368',
      isClosed: true,
    });
    assert.equal(open['isClosed'], false);
    assert.equal(open['timestamp'], RECEIVED);
    assert.throws(
      () => map(frame('binance', rows, '/api/v3/klines?symbol=BNBBTC', 'rest')),
      /source\.interval/,
    );
  });

  it('aggTrades: agg- ids, m decides the aggressor, T the time', () => {
    const rows = [
      { a: 26129, p: '0.01633102', q: '4.70443515', f: 27781, l: 27781, T: 1498793709153, m: true, M: true },
    ];
    const result = map(frame('binance', rows, '/api/v3/aggTrades?symbol=LTCBTC', 'rest'));
    assert.deepEqual(result.events, [
      {
        type: 'trade',
        value: {
          exchange: 'binance',
          symbol: 'LTCBTC',
          timestamp: 1498793709153,
          localTimestamp: RECEIVED,
          tradeId: 'agg-26129',
          price: '0.01633102',
          quantity: '4.70443515',
          aggressorSide: 'sell',
        },
      },
    ]);
    assert.equal(
      mapperFor('binance').symbolOf(frame('binance', rows, '/api/v3/aggTrades?symbol=LTCBTC', 'rest')),
      'LTCBTC',
    );
  });

  it('all-market array streams are skipped; an empty REST page is skipped as empty', () => {
    const minis = [
      {
        e: '24hrMiniTicker',
        E: 1672515782136,
        s: 'BNBBTC',
        c: '0.0025',
        o: '0.0010',
        h: '0.0025',
        l: '0.0010',
        v: '10000',
        q: '18',
      },
    ];
    assert.equal(
      map(frame('binance', { stream: '!miniTicker@arr', data: minis })).skipped,
      'event type not normalized: 24hrMiniTicker',
    );
    assert.equal(map(frame('binance', minis)).skipped, 'event type not normalized: 24hrMiniTicker');
    assert.throws(() => map(frame('binance', [{ e: 'somethingElse' }])), /\[0\]\.e/);
    assert.equal(
      map(frame('binance', [], '/api/v3/klines?symbol=BNBBTC&interval=1m', 'rest')).skipped,
      'empty: the frame lists no items',
    );
    assert.equal(
      map(frame('binance', [], '/api/v3/aggTrades?symbol=BNBBTC', 'rest')).skipped,
      'empty: the frame lists no items',
    );
  });

  it('acks, WebSocket error replies and REST error bodies are skipped with the error text', () => {
    assert.deepEqual(map(frame('binance', { result: null, id: 1 })), {
      events: [],
      skipped: 'subscription ack: id 1',
    });
    assert.equal(
      map(frame('binance', { error: { code: 2, msg: 'Invalid request: unknown variant `SUBSCRIB`' }, id: 7 }))
        .skipped,
      'error reply: 2 Invalid request: unknown variant `SUBSCRIB`',
    );
    assert.equal(
      map(frame('binance', { code: -1121, msg: 'Invalid symbol.' }, '/api/v3/depth?symbol=NOPE', 'rest'))
        .skipped,
      'error reply: -1121 Invalid symbol.',
    );
    assert.equal(mapperFor('binance').symbolOf(frame('binance', { result: null, id: 1 })), null);
  });

  it('connection markers are skipped on every venue, with the marker named', () => {
    const marker = {
      marker: 'connected',
      connectionId: 'c1',
      url: 'wss://stream.binance.com:9443/stream',
      streams: ['btcusdt@trade'],
    };
    for (const venue of ['binance', 'binance-futures', 'okx', 'kraken', 'coinbase'] as const) {
      const f = frame(venue, marker, marker.url, FrameKinds.MARKER);
      assert.deepEqual(mapperFor(venue).map(f), { events: [], skipped: 'connection marker: connected' });
      assert.equal(mapperFor(venue).symbolOf(f), null);
    }
  });
});

describe('OKX v5 (sequence ids since 2022, whole-book channels, errors)', () => {
  const book = (channel: string, extra: Record<string, unknown>, action?: string): RawFrame =>
    frame('okx', {
      arg: { channel, instId: 'BTC-USDT' },
      ...(action === undefined ? {} : { action }),
      data: [
        {
          asks: [['8476.98', '415', '0', '13']],
          bids: [['8476.97', '256', '0', '12']],
          ts: '1597026383085',
          ...extra,
        },
      ],
    });

  it('seqId is lastUpdateId; prevSeqId is prevLastUpdateId, except -1 on a snapshot', () => {
    const snapshot = map(book('books', { checksum: -855196043, prevSeqId: -1, seqId: 123456 }, 'snapshot'));
    assert.deepEqual(snapshot.events[0]!.value, {
      exchange: 'okx',
      symbol: 'BTC-USDT',
      timestamp: 1597026383085,
      localTimestamp: RECEIVED,
      isSnapshot: true,
      bids: [['8476.97', '256']],
      asks: [['8476.98', '415']],
      lastUpdateId: 123456,
      checksum: -855196043,
    });
    const update = map(book('books', { checksum: 1, prevSeqId: 123456, seqId: 123457 }, 'update'));
    const v = update.events[0]!.value as {
      lastUpdateId: number;
      prevLastUpdateId: number;
      isSnapshot: boolean;
    };
    assert.deepEqual([v.isSnapshot, v.lastUpdateId, v.prevLastUpdateId], [false, 123457, 123456]);
    assert.throws(() => map(book('books', { prevSeqId: -2, seqId: 1 }, 'update')), /prevSeqId/);
  });

  it('books5 and bbo-tbt are whole books (isSnapshot) without action; books needs its action', () => {
    for (const channel of ['books5', 'bbo-tbt']) {
      const v = map(book(channel, { instId: 'BTC-USDT', seqId: 363996337 })).events[0]!.value as {
        isSnapshot: boolean;
      };
      assert.equal(v.isSnapshot, true, channel);
    }
    assert.throws(
      () => map(book('books', {})),
      (e: unknown) =>
        e instanceof FrameError && e.code === FrameErrorCodes.MISSING_FIELD && e.field === 'action',
    );
  });

  it('error events are skipped with the code and message', () => {
    const error = { event: 'error', code: '60012', msg: 'Invalid request', connId: 'a4d3ae55' };
    assert.equal(map(frame('okx', error)).skipped, 'error reply: 60012 Invalid request');
    assert.equal(mapperFor('okx').symbolOf(frame('okx', error)), null);
  });
});

describe('Kraken and Coinbase error replies', () => {
  it('a refused Kraken subscription is skipped with its error message', () => {
    const refused = {
      errorMessage: 'Subscription depth not supported',
      event: 'subscriptionStatus',
      pair: 'XBT/USD',
      status: 'error',
      subscription: { depth: 42, name: 'book' },
    };
    assert.equal(
      map(frame('kraken', refused)).skipped,
      'error reply: subscriptionStatus Subscription depth not supported',
    );
  });

  it('a Coinbase error is skipped with message and reason; a snapshot with a time takes it', () => {
    const error = { type: 'error', message: 'Failed to subscribe', reason: 'GBP-USD is not a valid product' };
    assert.equal(
      map(frame('coinbase', error)).skipped,
      'error reply: Failed to subscribe GBP-USD is not a valid product',
    );
    const snapshot = {
      type: 'snapshot',
      product_id: 'BTC-USD',
      bids: [['10101.10', '0.45054140']],
      asks: [['10102.55', '0.57753524']],
      time: '2022-08-05T18:30:02.551324Z',
    };
    const v = map(frame('coinbase', snapshot)).events[0]!.value as { timestamp: number };
    assert.equal(v.timestamp, Date.UTC(2022, 7, 5, 18, 30, 2, 551));
  });
});
