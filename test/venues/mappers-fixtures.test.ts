// Snapshot tests of the venue fixtures: real frames from the captures and what each mapper makes of them.
//
// STREAMFORGE_UPDATE_FIXTURES=1 rewrites each fixture's `expected` with the mapper's current
// output (then run prettier --write on them, and review the diff: it is the behaviour change).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type Exchange } from '../../src/contracts/schema/primitives.ts';
import { type CaptureFrame, toRawFrame } from '../../src/venues/capture/index.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { type MapResult } from '../../src/venues/types.ts';

const VENUES = path.resolve(import.meta.dirname, '../../src/venues');
const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');
const UPDATE = process.env['STREAMFORGE_UPDATE_FIXTURES'] === '1';
const NAME = /^(?:ws|http_get)_[a-z0-9]+(?:_[a-z0-9]+)*\.json$/;

interface Fixture {
  /** The capture the frame was taken from, relative to shared/data/market. */
  readonly capture: string;
  /** Set when the body is a part of the recorded one (a few items of a long list), saying which. */
  readonly excerpt?: string;
  readonly exchange: Exchange;
  readonly frame: Pick<CaptureFrame, 'kind' | 'source' | 'receivedAt' | 'body'>;
  readonly expected: MapResult;
}

const captures = new Map<string, string>();
function captureText(name: string): string {
  let text = captures.get(name);
  if (text === undefined) {
    const bytes = readFileSync(path.join(MARKET, name));
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
    captures.set(name, text);
  }
  return text;
}

for (const venue of ['binance', 'okx', 'kraken', 'coinbase']) {
  const dir = path.join(VENUES, venue, 'fixtures');
  describe(`${venue} fixtures`, () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    it('are named ws_<channel>.json or http_get_<endpoint>.json', () => {
      assert.ok(files.length >= 5);
      for (const f of files) assert.match(f, NAME);
    });

    for (const name of files) {
      const file = path.join(dir, name);
      const fixture = JSON.parse(readFileSync(file, 'utf8')) as Fixture;

      it(`${name}: the frame is real, taken from ${fixture.capture}`, () => {
        const capture = captureText(fixture.capture);
        if (fixture.excerpt === undefined) assert.ok(capture.includes(fixture.frame.body));
        else
          for (const item of JSON.parse(fixture.frame.body) as unknown[])
            assert.ok(capture.includes(JSON.stringify(item)), fixture.excerpt);
      });

      it(`${name}: maps to the recorded snapshot`, () => {
        const frame = toRawFrame(fixture.frame, fixture.exchange, 'fixture', 0);
        const mapper = mapperFor(fixture.exchange);
        const actual = mapper.map(frame);
        if (UPDATE) {
          writeFileSync(file, `${JSON.stringify({ ...fixture, expected: actual }, null, 2)}\n`);
          return;
        }
        assert.deepEqual(actual, fixture.expected);
        for (const e of actual.events)
          if (e.type !== 'instrument') assert.equal(mapper.symbolOf(frame), e.value.symbol);
      });
    }
  });
}
