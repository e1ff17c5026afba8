// Book checksums on the real captures: books rebuilt from the mapped OKX and Kraken deltas verify every checksum sent.

import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { type BookDelta } from '../../src/contracts/schema/book.ts';
import { type Exchange, type PriceLevel } from '../../src/contracts/schema/primitives.ts';
import { readCapture, toRawFrame } from '../../src/venues/capture/index.ts';
import { krakenChecksum } from '../../src/venues/kraken/checksum.ts';
import { krakenBookDepth } from '../../src/venues/kraken/mapper.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { okxChecksum } from '../../src/venues/okx/checksum.ts';

const CF = path.resolve(import.meta.dirname, '../../../shared/data/market/cryptofeed');

interface Delta {
  readonly delta: BookDelta;
  /** The subscribed depth, for Kraken: from the raw frame's channel name (`book-1000`). */
  readonly depth: number | undefined;
}

async function deltas(file: string, venue: Exchange): Promise<Delta[]> {
  const out: Delta[] = [];
  let seq = 0;
  for await (const f of readCapture(file)) {
    const result = mapperFor(venue).map(toRawFrame(f, venue, 'c', seq++));
    for (const e of result.events) {
      if (e.type !== 'book') continue;
      const raw: unknown = JSON.parse(f.body);
      const channel = Array.isArray(raw) ? (raw[raw.length - 2] as string) : '';
      out.push({ delta: e.value, depth: krakenBookDepth(channel) });
    }
  }
  return out;
}

/** A price -> quantity-text map per side, read best first; the quantity text is kept as last received. */
class Book {
  readonly bids = new Map<string, string>();
  readonly asks = new Map<string, string>();

  apply(delta: BookDelta): void {
    if (delta.isSnapshot) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [p, q] of delta.bids)
      if (Number(q) === 0) this.bids.delete(p);
      else this.bids.set(p, q);
    for (const [p, q] of delta.asks)
      if (Number(q) === 0) this.asks.delete(p);
      else this.asks.set(p, q);
  }

  /** Kraken keeps only the subscribed depth and sends no delete for a level pushed out of it. */
  truncate(depth: number): void {
    for (const [side, levels] of [
      [this.bids, this.side('bids')],
      [this.asks, this.side('asks')],
    ] as const)
      for (const [p] of levels.slice(depth)) side.delete(p);
  }

  side(which: 'bids' | 'asks'): PriceLevel[] {
    const sign = which === 'bids' ? -1 : 1;
    return [...this[which]].sort((a, b) => sign * (Number(a[0]) - Number(b[0])));
  }
}

describe('OKX checksum (signed CRC32 of the top 25 levels, interleaved)', () => {
  let okx: Delta[];
  before(async () => {
    okx = await deltas(path.join(CF, 'OKX.ws.1.0'), 'okx');
  });

  it('verifies all 290 checksummed book messages of the capture', () => {
    const books = new Map<string, Book>();
    let verified = 0;
    for (const { delta } of okx) {
      const book = books.get(delta.symbol) ?? new Book();
      books.set(delta.symbol, book);
      book.apply(delta);
      assert.equal(okxChecksum(book.side('bids'), book.side('asks')), delta.checksum, delta.symbol);
      verified++;
    }
    assert.equal(verified, 290);
    assert.equal(books.size, 3);
  });

  it('fails when one level is wrong, or when its text is re-formatted', () => {
    const book = new Book();
    book.apply(okx.find((d) => d.delta.isSnapshot)!.delta);
    const bids = book.side('bids');
    const asks = book.side('asks');
    const good = okxChecksum(bids, asks);
    assert.equal(good, okx.find((d) => d.delta.isSnapshot)!.delta.checksum);
    const corrupt = bids.map((l, i): PriceLevel => (i === 24 ? [l[0], `${l[1]}1`] : l));
    assert.notEqual(okxChecksum(corrupt, asks), good);
    const reformatted = asks.map((l, i): PriceLevel => (i === 0 ? [l[0], `${l[1]}.0`] : l));
    assert.notEqual(okxChecksum(bids, reformatted), good);
    // Level 26 is outside the checksum.
    const deep = bids.map((l, i): PriceLevel => (i === 25 ? [l[0], `${l[1]}1`] : l));
    assert.equal(okxChecksum(deep, asks), good);
  });

  it('is a signed 32-bit integer, as OKX sends it', () => {
    const values = okx.map((d) => d.delta.checksum!);
    assert.ok(values.some((c) => c < 0) && values.some((c) => c > 0));
    assert.ok(values.every((c) => Number.isInteger(c) && c >= -(2 ** 31) && c < 2 ** 31));
  });
});

describe('Kraken checksum (unsigned CRC32 of the top 10 asks then bids, digits only)', () => {
  let kraken: Delta[];
  before(async () => {
    kraken = await deltas(path.join(CF, 'KRAKEN.ws.50.0'), 'kraken');
  });

  it('verifies all 4,269 checksummed updates, with the book truncated to the subscribed depth', () => {
    const books = new Map<string, Book>();
    let verified = 0;
    for (const { delta, depth } of kraken) {
      assert.equal(depth, 1000);
      const book = books.get(delta.symbol) ?? new Book();
      books.set(delta.symbol, book);
      book.apply(delta);
      book.truncate(depth!);
      if (delta.checksum === undefined) continue;
      assert.equal(krakenChecksum(book.side('bids'), book.side('asks')), delta.checksum, delta.symbol);
      verified++;
    }
    assert.equal(verified, 4_269);
    assert.equal(books.size, 10);
  });

  it('fails when one of the top 10 levels is wrong; level 11 does not count', () => {
    const snapshot = kraken.find((d) => d.delta.isSnapshot && d.delta.symbol === 'XMR/USD')!.delta;
    const book = new Book();
    book.apply(snapshot);
    const bids = book.side('bids');
    const asks = book.side('asks');
    const good = krakenChecksum(bids, asks);
    assert.ok(good >= 0 && good <= 0xffffffff);
    const corrupt = asks.map((l, i): PriceLevel => (i === 9 ? [l[0], '1.00000000'] : l));
    assert.notEqual(krakenChecksum(bids, corrupt), good);
    const deep = bids.map((l, i): PriceLevel => (i === 10 ? [l[0], '1.00000000'] : l));
    assert.equal(krakenChecksum(deep, asks), good);
    // The sides are not interchangeable: asks come first.
    assert.notEqual(krakenChecksum(asks, bids), good);
  });
});
