// Bad input to the venue mappers: each kind of fault is a FrameError with its code and the field named, never an event.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { type CaptureFrame, toRawFrame } from '../../src/venues/capture/index.ts';
import { FrameError, type FrameErrorCode, FrameErrorCodes } from '../../src/venues/errors.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { type RawFrame } from '../../src/venues/types.ts';

const VENUES = path.resolve(import.meta.dirname, '../../src/venues');

interface Fixture {
  readonly exchange: Exchange;
  readonly frame: CaptureFrame;
}

/** A real frame (a fixture taken from a capture) with its body passed through `edit`. */
function real(fixture: string, edit: (body: string) => string = (b) => b): RawFrame {
  const [venue, name] = fixture.split('/') as [string, string];
  const f = JSON.parse(readFileSync(path.join(VENUES, venue, 'fixtures', `${name}.json`), 'utf8')) as Fixture;
  const body = edit(f.frame.body);
  return toRawFrame({ ...f.frame, body }, f.exchange, 'test', 0);
}

/** Replaces exactly one occurrence, so a test cannot silently edit nothing. */
function once(from: string, to: string): (body: string) => string {
  return (body) => {
    const at = body.indexOf(from);
    assert.ok(at >= 0 && body.indexOf(from, at + 1) < 0, `${from} occurs exactly once`);
    return body.slice(0, at) + to + body.slice(at + from.length);
  };
}

function rejects(frame: RawFrame, code: FrameErrorCode, field?: string | RegExp): FrameError {
  let caught: unknown;
  try {
    mapperFor(frame.exchange).map(frame);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof FrameError, `expected a FrameError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (typeof field === 'string') assert.equal(caught.field, field, caught.message);
  else if (field) assert.match(caught.field ?? '', field, caught.message);
  return caught;
}

describe('not JSON', () => {
  it('a cut-off frame, a NaN literal and invalid UTF-8 are not-json', () => {
    rejects(
      real('binance/ws_trade', (b) => b.slice(0, 40)),
      FrameErrorCodes.NOT_JSON,
    );
    rejects(real('binance/ws_trade', once('"t":3735683259', '"t":NaN')), FrameErrorCodes.NOT_JSON);
    const frame = real('okx/ws_trades');
    rejects({ ...frame, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }, FrameErrorCodes.NOT_JSON);
    rejects(
      real('kraken/ws_trade', () => 'ping'),
      FrameErrorCodes.NOT_JSON,
    );
    rejects(
      real('coinbase/ws_matches_match', () => ''),
      FrameErrorCodes.NOT_JSON,
    );
  });

  it('OKX `pong` text is the one non-JSON frame that is understood', () => {
    assert.equal(mapperFor('okx').map(real('okx/ws_trades', () => 'pong')).skipped, 'pong');
  });
});

describe('missing fields', () => {
  it('name the field that is missing', () => {
    rejects(
      real('binance/ws_trade', once('"p":"61837.63000000",', '')),
      FrameErrorCodes.MISSING_FIELD,
      'data.p',
    );
    rejects(real('binance/ws_depth', once('"U":50093239189,', '')), FrameErrorCodes.MISSING_FIELD, 'data.U');
    rejects(real('binance/ws_kline', once('"x":false,', '')), FrameErrorCodes.MISSING_FIELD, 'data.k.x');
    rejects(
      real('okx/ws_books_update', once(',"ts":"1652459225464"', '')),
      FrameErrorCodes.MISSING_FIELD,
      'data[0].ts',
    );
    rejects(
      real('okx/ws_trades', once('"tradeId":"7849",', '')),
      FrameErrorCodes.MISSING_FIELD,
      'data[0].tradeId',
    );
    rejects(
      real('kraken/ws_book_update', once(',"1618678133.365913"', '')),
      FrameErrorCodes.MISSING_FIELD,
      '[1].b[0][2]',
    );
    rejects(
      real('coinbase/ws_matches_match', once(',"time":"2021-04-17T16:43:37.089723Z"', '')),
      FrameErrorCodes.MISSING_FIELD,
      'time',
    );
    rejects(
      real('coinbase/ws_level2_l2update', once('"type":"l2update",', '')),
      FrameErrorCodes.MISSING_FIELD,
      'type',
    );
  });
});

describe('bad values: only exact decimal text, integer ids and times, known enumerations', () => {
  const priceEdits: Record<string, string> = {
    '1e-8': 'exponent',
    NaN: 'NaN text',
    Infinity: 'Infinity',
    '-61837.63': 'negative',
    '0': 'zero price',
    '0.00000000': 'zero price with precision',
    '061837.63': 'leading zero',
    '61837.': 'no fraction digits',
    '.5': 'no integer digits',
    ' 61837.63': 'space',
    '61,837.63': 'thousands separator',
  };
  for (const [text, what] of Object.entries(priceEdits))
    it(`a price of "${text}" (${what}) is bad-value`, () => {
      rejects(
        real('binance/ws_trade', once('"p":"61837.63000000"', `"p":"${text}"`)),
        FrameErrorCodes.BAD_VALUE,
        'data.p',
      );
    });

  it('a price given as a JSON number is bad-value (its exact text is lost in a float)', () => {
    rejects(
      real('binance/ws_trade', once('"p":"61837.63000000"', '"p":61837.63')),
      FrameErrorCodes.BAD_VALUE,
      'data.p',
    );
  });

  it('bad levels, ids, times, sides and checksums', () => {
    rejects(
      real('binance/ws_depth', once('["61737.63000000","0.00000000"]', '["61737.63000000"]')),
      FrameErrorCodes.BAD_VALUE,
      'data.b[0]',
    );
    rejects(
      real('binance/ws_depth', once('["61737.63000000","0.00000000"]', '["61737.63000000","-1"]')),
      FrameErrorCodes.BAD_VALUE,
      'data.b[0][1]',
    );
    rejects(real('binance/ws_trade', once('"t":3735683259', '"t":-1')), FrameErrorCodes.BAD_VALUE, 'data.t');
    rejects(
      real('binance/ws_trade', once('"t":3735683259', '"t":3735683259.5')),
      FrameErrorCodes.BAD_VALUE,
      'data.t',
    );
    rejects(
      real('binance/ws_trade', once('"T":1723161255342', '"T":"1723161255342"')),
      FrameErrorCodes.BAD_VALUE,
      'data.T',
    );
    rejects(real('binance/ws_trade', once('"m":true', '"m":"true"')), FrameErrorCodes.BAD_VALUE, 'data.m');
    rejects(
      real('binance/ws_trade', once('"s":"BTCUSDT"', '"s":"btc usdt"')),
      FrameErrorCodes.BAD_VALUE,
      'data.s',
    );
    // U after u: an impossible range of update ids.
    rejects(
      real('binance/ws_depth', once('"U":50093239189', '"U":50093239203')),
      FrameErrorCodes.BAD_VALUE,
      'data.U',
    );
    rejects(
      real('binance/ws_kline', once('"i":"1m"', '"i":"1 minute"')),
      FrameErrorCodes.BAD_VALUE,
      'data.k.i',
    );
    rejects(
      real('okx/ws_trades', once('"side":"buy"', '"side":"b"')),
      FrameErrorCodes.BAD_VALUE,
      'data[0].side',
    );
    rejects(
      real('okx/ws_trades', once('"ts":"1652459199958"', '"ts":"1652459199958.5"')),
      FrameErrorCodes.BAD_VALUE,
      'data[0].ts',
    );
    rejects(
      real('okx/ws_books_update', once('"checksum":-914047754', '"checksum":3000000000')),
      FrameErrorCodes.BAD_VALUE,
      'data[0].checksum',
    );
    rejects(
      real('okx/ws_books_update', once('"action":"update"', '"action":"patch"')),
      FrameErrorCodes.BAD_VALUE,
      'action',
    );
    rejects(
      real('kraken/ws_book_update', once('"c":"2583817756"', '"c":"4294967296"')),
      FrameErrorCodes.BAD_VALUE,
      /c$/,
    );
    rejects(
      real('kraken/ws_book_update', once('"1618678133.365913"', '"yesterday"')),
      FrameErrorCodes.BAD_VALUE,
      '[1].b[0][2]',
    );
    rejects(real('kraken/ws_book_update', once('"book-1000"', '"book-7"')), FrameErrorCodes.BAD_VALUE, '[2]');
    rejects(
      real('kraken/ws_trade', once('"1618678150.826417","s"', '"1618678150.826417","x"')),
      FrameErrorCodes.BAD_VALUE,
      '[1][0][3]',
    );
    rejects(
      real('coinbase/ws_matches_match', once('"side":"sell"', '"side":"ask"')),
      FrameErrorCodes.BAD_VALUE,
      'side',
    );
    for (const impossible of [
      '2021-02-30T16:43:37.089723Z',
      '2021-13-01T16:43:37.089723Z',
      '2021-04-17T24:43:37.089723Z',
      '2021-04-17T16:60:37.089723Z',
      '2021-04-17T16:43:60.089723Z',
    ])
      rejects(
        real('coinbase/ws_matches_match', once('2021-04-17T16:43:37.089723Z', impossible)),
        FrameErrorCodes.BAD_VALUE,
        'time',
      );
    rejects(
      real('coinbase/ws_matches_match', once('2021-04-17T16:43:37.089723Z', '2021-04-17 16:43:37')),
      FrameErrorCodes.BAD_VALUE,
      'time',
    );
    rejects(
      real('coinbase/ws_level2_l2update', once('"buy"', '"bid"')),
      FrameErrorCodes.BAD_VALUE,
      'changes[0][0]',
    );
  });
});

describe('unknown messages and sources', () => {
  it('an unknown event type, channel or message type is unknown-message', () => {
    rejects(
      real('binance/ws_trade', once('"e":"trade"', '"e":"tradeV2"')),
      FrameErrorCodes.UNKNOWN_MESSAGE,
      'data.e',
    );
    rejects(
      real('binance/ws_trade', () => '{"hello":"world"}'),
      FrameErrorCodes.UNKNOWN_MESSAGE,
      'e',
    );
    rejects(
      real('binance/ws_trade', () => '[1,2,3]'),
      FrameErrorCodes.UNKNOWN_MESSAGE,
    );
    rejects(
      real('okx/ws_trades', once('"channel":"trades"', '"channel":"trades-v9"')),
      FrameErrorCodes.UNKNOWN_MESSAGE,
      'arg.channel',
    );
    rejects(real('kraken/ws_trade', once('"trade"', '"trades"')), FrameErrorCodes.UNKNOWN_MESSAGE);
    rejects(
      real('coinbase/ws_matches_match', once('"type":"match"', '"type":"fill"')),
      FrameErrorCodes.UNKNOWN_MESSAGE,
      'type',
    );
  });

  it('a REST body from an endpoint the mapper does not know is unknown-source', () => {
    const depth = real('binance/http_get_depth');
    rejects({ ...depth, source: '/api/v3/ticker/bookTicker?symbol=RUNEEUR' }, FrameErrorCodes.UNKNOWN_SOURCE);
    rejects({ ...depth, source: '/fapi/v1/depth?symbol=RUNEEUR&limit=1000' }, FrameErrorCodes.UNKNOWN_SOURCE);
    rejects({ ...depth, source: '/api/v3/depth?limit=1000' }, FrameErrorCodes.UNKNOWN_SOURCE);
    rejects({ ...real('coinbase/http_get_products'), source: '/currencies' }, FrameErrorCodes.UNKNOWN_SOURCE);
    rejects(
      { ...real('okx/ws_trades'), kind: 'rest', source: '/api/v5/market/trades' },
      FrameErrorCodes.UNKNOWN_SOURCE,
    );
  });
});

describe('error messages', () => {
  it('name the field and show the frame, shortened', () => {
    const error = rejects(
      real('binance/http_get_depth', once('["6.25100000",', '["1e-8",')),
      FrameErrorCodes.BAD_VALUE,
    );
    assert.match(
      error.message,
      /^bids\[0\]\[0\]: expected decimal text > 0, got "1e-8"; frame: \{"lastUpdateId":15602511/,
    );
    assert.ok(error.message.endsWith('...'));
    assert.ok(error.message.length < 400, 'a 20 kB frame is not copied into the message');
    assert.equal(error.canRetry, false);
  });
});
