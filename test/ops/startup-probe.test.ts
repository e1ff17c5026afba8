// The startup probe (src/ops/startup): what it accepts as live data from the gateway, and that it fails when there is none or it is impossible.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BookDepth } from '../../src/contracts/schema/book.ts';
import {
  checkCandle,
  checkDepth,
  checkTrade,
  FeedProbeError,
  ImplausibleDataError,
  probeFeed,
} from '../../src/ops/startup/index.ts';
import { type WireCandle, type WireTrade } from '../../src/services/gateway/state.ts';
import { embeddedBackend } from '../helpers/backends.ts';
import { produceValues } from '../runtime/helpers.ts';
import { capturedTops, gatewayTopics, startTestGateway } from '../gateway/helpers.ts';

const candle: WireCandle = {
  time: 1723075200000,
  open: '61786.01000000',
  high: '61790.00000000',
  low: '61780.50000000',
  close: '61788.00000000',
  volume: '1.23456789',
  trades: 12,
  isFinal: false,
};
const trade: WireTrade = { time: 1723075200123, price: '61786.01', quantity: '0.0001', side: 'buy', id: '1' };
const depth = (bids: [string, string][], asks: [string, string][]): BookDepth => ({
  exchange: 'binance',
  symbol: 'BTCUSDT',
  timestamp: 1723075200000,
  localTimestamp: 1723075200001,
  depth: 20,
  bids,
  asks,
});

describe('startup probe', () => {
  it('accepts a plausible candle, book and trade and refuses impossible ones, naming why', () => {
    checkCandle(candle);
    checkTrade(trade);
    checkDepth(
      depth(
        [
          ['100.1', '2'],
          ['100.0', '1'],
        ],
        [
          ['100.2', '1'],
          ['100.3', '5'],
        ],
      ),
    );
    const refused = (fn: () => void, why: RegExp): void =>
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof ImplausibleDataError);
        assert.match(e.message, why);
        return true;
      });
    refused(() => checkCandle({ ...candle, high: '61770.00' }), /high below low/);
    refused(() => checkCandle({ ...candle, close: '61800' }), /close outside \[low, high\]/);
    refused(() => checkCandle({ ...candle, low: '0' }), /candle low "0": not greater than zero/);
    refused(() => checkTrade({ ...trade, price: '6.1e4' }), /trade price "6\.1e4"/);
    refused(() => checkTrade({ ...trade, price: '-61786.01' }), /not greater than zero/);
    refused(() => checkTrade({ ...trade, quantity: '0.0' }), /trade quantity/);
    refused(() => checkDepth(depth([['100.2', '1']], [['100.2', '1']])), /best bid not below best ask/);
    refused(
      () =>
        checkDepth(
          depth(
            [
              ['100.0', '1'],
              ['100.1', '1'],
            ],
            [],
          ),
        ),
      /bid levels .* best-first/,
    );
    refused(() => checkDepth(depth([], [['100.2', '0']])), /ask size "0"/);
  });

  it(
    'fails naming candles, book and trades when the gateway serves no market data',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const gateway = await startTestGateway(t, bus, gatewayTopics('probe-empty'));
      await assert.rejects(probeFeed(gateway.url, { timeoutMs: 1500 }), (e: unknown) => {
        assert.ok(e instanceof FeedProbeError);
        assert.match(
          e.message,
          /no candles, book, trades .* within 1500 ms \(instrument none: no tickers yet/,
        );
        return true;
      });
    },
  );

  it('fails at a crossed book on the feed (best bid above best ask)', { timeout: 60_000 }, async (t) => {
    const bus = await embeddedBackend.open(t);
    const topics = gatewayTopics('probe-crossed');
    const gateway = await startTestGateway(t, bus, topics);
    const [top] = await capturedTops(1);
    await produceValues(bus, topics.bookTop, [{ ...top!, bid: top!.ask, ask: top!.bid }]);
    await assert.rejects(probeFeed(gateway.url, { timeoutMs: 30_000 }), (e: unknown) => {
      assert.ok(e instanceof ImplausibleDataError, String(e));
      assert.match(e.message, /book top .*best bid not below best ask/);
      return true;
    });
  });
});
