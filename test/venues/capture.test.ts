// Capture readers on the real recordings: frame counts, receive times, REST sources, bad lines, venue detection.

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type CaptureFrame, detectVenue, readCapture } from '../../src/venues/capture/index.ts';
import { CaptureError, CaptureErrorCodes, type CaptureErrorCode } from '../../src/venues/errors.ts';

const MARKET = path.resolve(import.meta.dirname, '../../../shared/data/market');
const HFT = path.join(MARKET, 'binance-spot-hftbacktest');
const CF = path.join(MARKET, 'cryptofeed');

async function collect(file: string): Promise<CaptureFrame[]> {
  const frames: CaptureFrame[] = [];
  for await (const frame of readCapture(file)) frames.push(frame);
  return frames;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-capture-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function rejectsWith(file: string, code: CaptureErrorCode, where: RegExp): Promise<void> {
  await assert.rejects(collect(file), (error: unknown) => {
    assert.ok(error instanceof CaptureError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, where);
    return true;
  });
}

/** Real lines of a gzip capture, as text. */
async function gzLines(file: string): Promise<string[]> {
  return gunzipSync(await readFile(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

describe('readCapture: hftbacktest (gzip, `<ns> <json>`)', () => {
  it('yields every line, in order, with the body byte for byte and ns receive time floored to ms', async () => {
    const file = path.join(HFT, 'spot_btcusdt_20240808.gz');
    const [frames, lines] = await Promise.all([collect(file), gzLines(file)]);
    assert.equal(frames.length, 41_249);
    assert.equal(frames.length, lines.length);
    for (let i = 0; i < lines.length; i++) {
      const space = lines[i]!.indexOf(' ');
      const ns = BigInt(lines[i]!.slice(0, space));
      assert.equal(frames[i]!.body, lines[i]!.slice(space + 1));
      assert.equal(frames[i]!.receivedAtNs, ns);
      assert.equal(frames[i]!.receivedAt, Number(ns / 1_000_000n));
    }
    assert.equal(frames[0]!.receivedAt, 1723161253937);
  });

  it('the one line without "stream" is the REST depth snapshot, its symbol from the neighbouring frames', async () => {
    for (const [name, symbol] of [
      ['spot_btcusdt_20240808.gz', 'BTCUSDT'],
      ['spot_ethusdt_20240808.gz', 'ETHUSDT'],
    ] as const) {
      const frames = await collect(path.join(HFT, name));
      const rest = frames.filter((f) => f.kind === 'rest');
      assert.equal(rest.length, 1, name);
      assert.equal(rest[0]!.source, `/api/v3/depth?symbol=${symbol}&limit=1000`);
      assert.match(rest[0]!.body, /^\{"lastUpdateId":\d+,"bids":/);
      for (const f of frames) if (f.kind === 'ws') assert.equal(f.source, '');
    }
    const next = await collect(path.join(HFT, 'spot_btcusdt_20240809.gz'));
    assert.equal(next.length, 58_325);
    assert.equal(next.filter((f) => f.kind === 'rest').length, 0);
  });

  it('a snapshot before any stream frame takes the next frame symbol; file order is kept', async (t) => {
    const lines = await gzLines(path.join(HFT, 'spot_ethusdt_20240808.gz'));
    const snapshot = lines.find((l) => !l.includes('"stream"'))!;
    const file = path.join(await tempDir(t), 'capture.txt');
    await writeFile(file, [snapshot, lines[0], lines[1]].join('\n'));
    const frames = await collect(file);
    assert.deepEqual(
      frames.map((f) => f.kind),
      ['rest', 'ws', 'ws'],
    );
    assert.equal(frames[0]!.source, '/api/v3/depth?symbol=ETHUSDT&limit=1000');
  });

  it('a snapshot alone takes the symbol in the file name; between two symbols it is an error', async (t) => {
    const [btc, eth] = await Promise.all([
      gzLines(path.join(HFT, 'spot_btcusdt_20240808.gz')),
      gzLines(path.join(HFT, 'spot_ethusdt_20240808.gz')),
    ]);
    const snapshot = btc.find((l) => !l.includes('"stream"'))!;
    const dir = await tempDir(t);
    const alone = path.join(dir, 'spot_btcusdt_20240808');
    await writeFile(alone, `${snapshot}\n`);
    assert.equal((await collect(alone))[0]!.source, '/api/v3/depth?symbol=BTCUSDT&limit=1000');

    const unnamed = path.join(dir, 'snapshot.txt');
    await writeFile(unnamed, `${snapshot}\n`);
    await rejectsWith(unnamed, CaptureErrorCodes.BAD_FRAME, /snapshot\.txt:1: /);

    const mixed = path.join(dir, 'mixed.txt');
    await writeFile(mixed, [btc[0], snapshot, eth[0]].join('\n'));
    await rejectsWith(mixed, CaptureErrorCodes.BAD_FRAME, /mixed\.txt:2: .*btcusdt and ethusdt/);
  });

  it('a line without "stream" that is not a depth snapshot is an error, not a dropped line', async (t) => {
    const lines = await gzLines(path.join(HFT, 'spot_btcusdt_20240808.gz'));
    const file = path.join(await tempDir(t), 'bad.txt');
    await writeFile(file, [lines[0], '1723161253937085769 {"result":null,"id":1}'].join('\n'));
    await rejectsWith(file, CaptureErrorCodes.BAD_LINE, /bad\.txt:2: neither a combined-stream frame/);
  });
});

describe('readCapture: cryptofeed (text)', () => {
  it('received frames only: headers, sent subscriptions and blank lines are not frames', async () => {
    const expected: Record<string, number> = {
      'OKX.ws.1.0': 410,
      'KRAKEN.ws.50.0': 4321,
      'KRAKEN.ws.48.0': 49,
      'KRAKEN.ws.49.0': 60,
      'COINBASE.ws.28.0': 9946,
      'BINANCE.ws.1.0': 265,
      'BINANCE_US.ws.1.0': 480,
    };
    for (const [name, count] of Object.entries(expected)) {
      const frames = await collect(path.join(CF, name));
      assert.equal(frames.length, count, name);
      assert.ok(
        frames.every(
          (f) => f.kind === 'ws' && !f.body.startsWith('{"op"') && !f.body.includes('"subscribe","pair"'),
        ),
        name,
      );
    }
  });

  it('a ws frame carries the URL of the connection header; its receive time is the float text floored to ms', async () => {
    const text = await readFile(path.join(CF, 'BINANCE.ws.1.0'), 'utf8');
    const [header, first] = text.split('\n');
    const frames = await collect(path.join(CF, 'BINANCE.ws.1.0'));
    assert.equal(frames[0]!.source, header!.split(' <-> ')[0]);
    assert.match(
      frames[0]!.source,
      /^wss:\/\/stream\.binance\.com:9443\/stream\?streams=nknusdt@depth@100ms/,
    );
    assert.ok(first!.startsWith('1633998512.0633569: '));
    assert.equal(frames[0]!.receivedAt, 1633998512063);
    assert.equal(frames[0]!.receivedAtNs, undefined);
    assert.equal(frames[0]!.body, first!.slice('1633998512.0633569: '.length));
  });

  it('REST bodies carry the request path and query as source', async () => {
    const frames = await collect(path.join(CF, 'BINANCE.http.0.0'));
    assert.deepEqual(
      frames.map((f) => [f.kind, f.source]),
      ['NKNUSDT', 'BLZETH', 'LRCBTC', 'RUNEEUR'].map((s) => ['rest', `/api/v3/depth?symbol=${s}&limit=1000`]),
    );
    assert.equal(frames[0]!.receivedAt, 1633998512320);
    const products = await collect(path.join(CF, 'COINBASE.0'));
    assert.equal(products.length, 1, 'the configuration line is the recorder’s, not a frame');
    assert.equal(products[0]!.source, '/products');
    assert.match(products[0]!.body, /^\[\{"id":"SKL-EUR"/);
  });

  it('a line in no cryptofeed format throws with file:line', async (t) => {
    const lines = (await readFile(path.join(CF, 'KRAKEN.ws.48.0'), 'utf8')).split('\n');
    const file = path.join(await tempDir(t), 'KRAKEN.ws.1.0');
    await writeFile(file, [...lines.slice(0, 5), 'garbage', ...lines.slice(5)].join('\n'));
    await rejectsWith(file, CaptureErrorCodes.BAD_LINE, /KRAKEN\.ws\.1\.0:6: expected/);
  });
});

describe('readCapture: files', () => {
  it('gzip is recognised by its magic bytes, not by its name', async (t) => {
    const dir = await tempDir(t);
    const gzNamedTxt = path.join(dir, 'capture.txt');
    await copyFile(path.join(HFT, 'spot_ethusdt_20240808.gz'), gzNamedTxt);
    assert.equal((await collect(gzNamedTxt)).length, 33_618);
    const textNamedGz = path.join(dir, 'OKX.ws.1.0.gz');
    await copyFile(path.join(CF, 'OKX.ws.1.0'), textNamedGz);
    assert.equal((await collect(textNamedGz)).length, 410);
    const gzipped = path.join(dir, 'OKX.ws.1.0.bin');
    await writeFile(gzipped, gzipSync(await readFile(path.join(CF, 'OKX.ws.1.0'))));
    assert.deepEqual(await collect(gzipped), await collect(path.join(CF, 'OKX.ws.1.0')));
  });

  it('a gzip stream cut short, and a missing file, throw naming the file', async (t) => {
    const dir = await tempDir(t);
    const cut = path.join(dir, 'cut.gz');
    await writeFile(cut, (await readFile(path.join(HFT, 'spot_btcusdt_20240808.gz'))).subarray(0, 100_000));
    await rejectsWith(cut, CaptureErrorCodes.UNREADABLE, /cut\.gz:\d+: /);
    await rejectsWith(path.join(dir, 'absent'), CaptureErrorCodes.UNREADABLE, /absent: ENOENT/);
  });

  it('a first line in no known format is an unknown format', async (t) => {
    const file = path.join(await tempDir(t), 'x.csv');
    await writeFile(file, '\n\ntimestamp,price\n');
    await rejectsWith(file, CaptureErrorCodes.UNKNOWN_FORMAT, /x\.csv:3: /);
  });
});

describe('detectVenue', () => {
  async function first(file: string, n = 50): Promise<CaptureFrame[]> {
    const out: CaptureFrame[] = [];
    for await (const f of readCapture(file)) if (out.push(f) >= n) break;
    return out;
  }

  it('tells every supported capture its venue', async () => {
    const cases: Record<string, string> = {
      [path.join(HFT, 'spot_btcusdt_20240808.gz')]: 'binance',
      [path.join(HFT, 'spot_ethusdt_20240809.gz')]: 'binance',
      [path.join(CF, 'BINANCE.ws.1.0')]: 'binance',
      [path.join(CF, 'BINANCE.http.0.0')]: 'binance',
      [path.join(CF, 'OKX.ws.1.0')]: 'okx',
      [path.join(CF, 'KRAKEN.ws.48.0')]: 'kraken',
      [path.join(CF, 'KRAKEN.ws.50.0')]: 'kraken',
      [path.join(CF, 'COINBASE.ws.28.0')]: 'coinbase',
      [path.join(CF, 'COINBASE.0')]: 'coinbase',
    };
    for (const [file, venue] of Object.entries(cases))
      assert.equal(detectVenue(file, await first(file)), venue, file);
  });

  it('from the frames alone, without a telling file name or URL', async () => {
    for (const [name, venue] of [
      ['OKX.ws.1.0', 'okx'],
      ['KRAKEN.ws.50.0', 'kraken'],
      ['COINBASE.ws.28.0', 'coinbase'],
      ['BINANCE.ws.1.0', 'binance'],
    ] as const) {
      const frames = (await first(path.join(CF, name))).map((f) => ({ ...f, source: '' }));
      assert.equal(detectVenue('capture.txt', frames), venue, name);
    }
  });

  it('a depth diff with `pu` makes it Binance USD-M futures', () => {
    // Documented USD-M diff-depth shape (no futures capture exists in shared/data/market).
    const body =
      '{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"T":1723161255206,"s":"BTCUSDT","U":5008201,"u":5008209,"pu":5008199,"b":[],"a":[]}}';
    assert.equal(
      detectVenue('capture.txt', [{ receivedAt: 1, kind: 'ws', source: '', body }]),
      'binance-futures',
    );
  });

  it('Binance US is refused with a clear error that points to --venue binance', async () => {
    for (const name of ['BINANCE_US.ws.1.0', 'BINANCE_US.http.0.0']) {
      const file = path.join(CF, name);
      assert.throws(
        () => detectVenue(file, []),
        (error: unknown) =>
          error instanceof CaptureError &&
          error.code === CaptureErrorCodes.UNSUPPORTED_VENUE &&
          /Binance US is not a supported venue/.test(error.message) &&
          /--venue binance/.test(error.message),
      );
    }
    const renamed = (await first(path.join(CF, 'BINANCE_US.ws.1.0'))).slice(0, 3);
    assert.throws(() => detectVenue('capture.txt', renamed), /Binance US/);
  });

  it('no evidence at all is an error, not a guess', () => {
    assert.throws(
      () => detectVenue('capture.txt', []),
      (e: unknown) => e instanceof CaptureError,
    );
  });
});
