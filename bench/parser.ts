// Parser throughput on the real captures, single core: mapping frames to events, next to a bare JSON.parse of the same frames.

import path from 'node:path';
import { bookDelta, encode, instruments, type JsonProduct, klines, trades } from '../src/contracts/index.ts';
import { type Exchange } from '../src/contracts/schema/primitives.ts';
import { detectVenue, readCapture, toRawFrame } from '../src/venues/capture/index.ts';
import { mapperFor } from '../src/venues/mappers.ts';
import { type RawFrame } from '../src/venues/types.ts';
import { progress } from './types.ts';

const MARKET = path.resolve(import.meta.dirname, '../../shared/data/market');
/** One file per venue, the biggest of each. */
const FILES = [
  'binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
  'cryptofeed/KRAKEN.ws.50.0',
  'cryptofeed/OKX.ws.1.0',
  'cryptofeed/COINBASE.ws.28.0',
];

export interface ParserBenchRow {
  readonly file: string;
  readonly exchange: Exchange;
  readonly frames: number;
  readonly events: number;
  /** The reference: `JSON.parse` of each frame's text, nothing else. */
  readonly jsonParsePerSec: number;
  /** What the mapper does: bytes -> checked, normalized events. */
  readonly mapPerSec: number;
  /** What the parser service does per frame besides the bus: map, then validate and serialize each event. */
  readonly mapEncodePerSec: number;
  readonly mapVsJsonParse: number;
  readonly mapEncodeVsJsonParse: number;
}

export interface ParserBenchResult {
  readonly rows: readonly ParserBenchRow[];
  /** Over all files, weighted by frames: what the target is judged on. */
  readonly mapVsJsonParse: number;
  readonly mapEncodeVsJsonParse: number;
  readonly note: string;
}

const productOf = { trade: trades, book: bookDelta, kline: klines, instrument: instruments } as const;
const IDENTITY = { service: 'parser', instance: 'bench' };
const decoder = new TextDecoder();

/** Best frames/s over `rounds` passes of `fn` over all frames, after one warm-up pass. */
function rate(frames: readonly RawFrame[], rounds: number, fn: (frame: RawFrame) => number): number {
  let sink = 0;
  for (const f of frames) sink += fn(f);
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const f of frames) sink += fn(f);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, frames.length / s);
  }
  if (sink === -1) progress('unreachable');
  return best;
}

export async function benchParser(rounds: number): Promise<ParserBenchResult> {
  const rows: ParserBenchRow[] = [];
  for (const name of FILES) {
    const file = path.join(MARKET, name);
    const captured = [];
    for await (const f of readCapture(file)) captured.push(f);
    const exchange = detectVenue(file, captured.slice(0, 50));
    const frames = captured.map((f, i) => toRawFrame(f, exchange, 'bench', i));
    const mapper = mapperFor(exchange);
    progress(`parser: ${name} (${exchange}, ${frames.length} frames)`);
    let events = 0;
    for (const f of frames) events += mapper.map(f).events.length;
    // Both start from the bytes on the log: the reference decodes UTF-8 and parses, as any consumer must.
    const jsonParsePerSec = rate(frames, rounds, (f) => {
      const v = JSON.parse(decoder.decode(f.body)) as unknown;
      return v === null ? 0 : 1;
    });
    const mapPerSec = rate(frames, rounds, (f) => mapper.map(f).events.length);
    const mapEncodePerSec = rate(frames, rounds, (f) => {
      let n = 0;
      for (const e of mapper.map(f).events)
        n += encode(productOf[e.type] as JsonProduct<unknown>, e.value, IDENTITY).value!.length;
      return n;
    });
    rows.push({
      file: name,
      exchange,
      frames: frames.length,
      events,
      jsonParsePerSec,
      mapPerSec,
      mapEncodePerSec,
      mapVsJsonParse: mapPerSec / jsonParsePerSec,
      mapEncodeVsJsonParse: mapEncodePerSec / jsonParsePerSec,
    });
  }
  // Time per frame summed over files (frames / rate), so big files weigh what they cost.
  const total = (pick: (r: ParserBenchRow) => number) => rows.reduce((s, r) => s + r.frames / pick(r), 0);
  const jsonTime = total((r) => r.jsonParsePerSec);
  return {
    rows,
    mapVsJsonParse: jsonTime / total((r) => r.mapPerSec),
    mapEncodeVsJsonParse: jsonTime / total((r) => r.mapEncodePerSec),
    note:
      'one core, frames held in memory as bytes; reference = TextDecoder + JSON.parse of each frame; map = the ' +
      'venue mapper (parse, boundary checks, normalized events); map+encode adds the product schema validation and JSON ' +
      `serialization the parser service does for each event; best of ${rounds} pass(es) after a warm-up`,
  };
}
