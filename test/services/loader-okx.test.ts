// The venue-neutral loader on OKX (a venue with book checksums), against a local server replaying the real OKX capture.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rawTopics, RawHeaders } from '../../src/contracts/index.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { createFeedLoader } from '../../src/services/loader/feed-loader.ts';
import { startOkxCaptureServer } from '../../src/venues/okx/capture-server.ts';
import { okxChecksum } from '../../src/venues/okx/checksum.ts';
import { OkxFeed } from '../../src/venues/okx/feed.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { json, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 120_000 } as const;
const CAPTURE = path.resolve(import.meta.dirname, '../../../shared/data/market/cryptofeed/OKX.ws.1.0');

type Level = [string, string];

/** A plain book: price text -> quantity text per side, best first when read out. */
function applyDelta(
  book: { bids: Map<string, string>; asks: Map<string, string> },
  d: Record<string, unknown>,
): void {
  if (d['isSnapshot']) {
    book.bids.clear();
    book.asks.clear();
  }
  for (const [side, levels] of [
    [book.bids, d['bids']],
    [book.asks, d['asks']],
  ] as const)
    for (const [price, qty] of levels as Level[]) {
      if (Number(qty) === 0) side.delete(price);
      else side.set(price, qty);
    }
}

const sorted = (side: Map<string, string>, descending: boolean): Level[] =>
  [...side].sort((a, b) => (descending ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));

for (const backend of backends) {
  describe(`OKX loader on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'writes the OKX frames as received; parsed, every book checksum of the capture verifies',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const server = await startOkxCaptureServer({ port: 0, capture: CAPTURE });
        defer(t, () => server.close());
        const raw = renamed(rawTopics.okx, 'okx-raw');
        const out = normalizedTopics('okx');
        await tempProductTopics(t, bus, [raw, ...Object.values(out)]);
        const loader = createFeedLoader({
          exchange: 'okx',
          feed: (callbacks) => new OkxFeed({ ...callbacks, wsUrl: server.wsUrl }),
          symbols: ['BTC-USDT', 'UNI-USD-SWAP', 'BTC-USD-220527'],
          channels: ['book', 'trades'],
          name: tempGroup(t, bus, 'loader-okx'),
          product: raw,
        });
        const runner = new ServiceRunner(loader, { bus, heartbeatMs: 0, control: false });
        defer(t, () => runner.stop('test over'));
        await runner.start();
        await startParser(t, bus, {
          group: 'okx-parser',
          exchanges: ['okx'],
          raw: { okx: raw },
          out,
        });

        // The capture's 290 checksummed book messages of its three instruments.
        let books: Array<Record<string, unknown>> = [];
        assert.ok(
          await eventually(async () => {
            books = (await readAll(bus, out.bookDelta.topic, () => false, 300)).map(json);
            return books.length >= 290;
          }, 60_000),
          'book deltas arrive',
        );
        const rawFrames = await readAll(bus, raw.topic, () => false, 300);
        assert.ok(rawFrames.every((r) => r.headers[RawHeaders.CONNECTION_ID] !== undefined));
        const perSymbol = new Map<string, { bids: Map<string, string>; asks: Map<string, string> }>();
        let verified = 0;
        for (const d of books) {
          const symbol = String(d['symbol']);
          const book = perSymbol.get(symbol) ?? { bids: new Map(), asks: new Map() };
          perSymbol.set(symbol, book);
          applyDelta(book, d);
          assert.equal(typeof d['checksum'], 'number', 'OKX sends a checksum with every book message');
          assert.equal(
            okxChecksum(sorted(book.bids, true), sorted(book.asks, false)),
            d['checksum'],
            `${symbol}: the book rebuilt from md.book.delta matches OKX's checksum`,
          );
          verified++;
        }
        assert.equal(verified, 290, 'all 290 checksummed book messages of the capture, each verified');
        assert.deepEqual([...perSymbol.keys()].sort(), ['BTC-USD-220527', 'BTC-USDT', 'UNI-USD-SWAP']);
      },
    );
  });
}
