// Replay mode: the simulator serves a real Binance capture byte for byte, in order, at the chosen speed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { readCapture } from '../../src/venues/capture/index.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/venues/simulator/index.ts';

const T = { timeout: 60_000 } as const;
const CAPTURE = path.resolve(
  import.meta.dirname,
  '../../../shared/data/market/binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
);
const STREAMS = ['btcusdt@depth@100ms', 'btcusdt@bookTicker', 'btcusdt@trade'];

async function simulator(t: TestContext, replay: SimulatorOptions['replay']): Promise<Simulator> {
  const sim = await startSimulator({ replay: replay! });
  t.after(() => sim.close());
  return sim;
}

/** Receives text frames until `count` have arrived; resolves with them and the time the transfer took. */
async function receive(
  t: TestContext,
  url: string,
  count: number,
): Promise<{ frames: string[]; ms: number }> {
  const ws = new WebSocket(url);
  t.after(() => ws.terminate());
  const frames: string[] = [];
  let first = 0;
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      if (frames.length === 0) first = performance.now();
      frames.push(data.toString());
      if (frames.length === count) resolve({ frames, ms: performance.now() - first });
    });
  });
}

interface Recorded {
  ws: string[];
  snapshot: string;
}

let recorded: Promise<Recorded> | undefined;
/** The capture's frames as the capture reader gives them (the oracle). */
function capture(): Promise<Recorded> {
  recorded ??= (async () => {
    const ws: string[] = [];
    let snapshot = '';
    for await (const f of readCapture(CAPTURE)) {
      if (f.kind === 'ws') ws.push(f.body);
      else snapshot = f.body;
    }
    return { ws, snapshot };
  })();
  return recorded;
}

describe('simulator replay', () => {
  it(
    'serves the capture to a combined-stream subscriber byte for byte, in order, at full speed',
    T,
    async (t) => {
      const { ws } = await capture();
      const sim = await simulator(t, { files: [CAPTURE], speed: 'max' });
      const { frames } = await receive(t, `${sim.wsUrl}/stream?streams=${STREAMS.join('/')}`, ws.length);
      assert.equal(frames.length, ws.length);
      for (let i = 0; i < ws.length; i++)
        if (frames[i] !== ws[i]) assert.equal(frames[i], ws[i], `frame ${i}`);
      const stats = sim.stats();
      assert.equal(stats.mode, 'replay');
      assert.equal(stats.replay!.framesReplayed, ws.length);
    },
  );

  it('gives a raw subscriber the payload inside each recorded envelope', T, async (t) => {
    const { ws } = await capture();
    const trades = ws.filter((f) => f.startsWith('{"stream":"btcusdt@trade"'));
    const sim = await simulator(t, { files: [CAPTURE], speed: 'max' });
    const { frames } = await receive(t, `${sim.wsUrl}/ws/btcusdt@trade`, trades.length);
    assert.deepEqual(
      frames,
      trades.map((f) => f.slice('{"stream":"btcusdt@trade","data":'.length, -1)),
    );
    // The REST history follows the replayed trades: every trade is in a 1m kline.
    await new Promise((r) => setTimeout(r, 200));
    const rows = (await (
      await fetch(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m`)
    ).json()) as unknown[][];
    assert.equal(
      rows.reduce((n, r) => n + (r[8] as number), 0),
      trades.length,
    );
  });

  it('answers /api/v3/depth from the capture snapshot and lists the captured symbol', T, async (t) => {
    const { snapshot } = await capture();
    const sim = await simulator(t, { files: [CAPTURE], speed: 1 });
    const full = await fetch(`${sim.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=1000`);
    assert.equal(await full.text(), snapshot);
    const top = (await (await fetch(`${sim.restUrl}/api/v3/depth?symbol=BTCUSDT`)).json()) as {
      lastUpdateId: number;
      bids: unknown[];
    };
    const recordedBook = JSON.parse(snapshot) as { lastUpdateId: number; bids: unknown[] };
    assert.equal(top.lastUpdateId, recordedBook.lastUpdateId);
    assert.deepEqual(top.bids, recordedBook.bids.slice(0, 100));
    const info = (await (await fetch(`${sim.restUrl}/api/v3/exchangeInfo`)).json()) as {
      symbols: { symbol: string }[];
    };
    assert.deepEqual(
      info.symbols.map((s) => s.symbol),
      ['BTCUSDT'],
    );
    assert.equal((await fetch(`${sim.restUrl}/api/v3/depth?symbol=ETHUSDT`)).status, 400);
  });

  it('replays at xN: the capture time divided by the speed', T, async (t) => {
    const { ws } = await capture();
    const trades = ws.filter((f) => f.startsWith('{"stream":"btcusdt@trade"'));
    const times = trades.map((f) => (JSON.parse(f) as { data: { E: number } }).data.E);
    const spanMs = times.at(-1)! - times[0]!;
    const speed = 150;
    const sim = await simulator(t, { files: [CAPTURE], speed });
    const { ms } = await receive(t, `${sim.wsUrl}/ws/btcusdt@trade`, trades.length);
    const expected = spanMs / speed;
    assert.ok(
      ms > expected * 0.8 && ms < expected * 1.5 + 500,
      `took ${ms.toFixed(0)} ms, expected ~${expected.toFixed(0)}`,
    );
  });

  it('refuses missing files and bad speeds with a clear error', T, async () => {
    await assert.rejects(
      startSimulator({ replay: { files: ['/nonexistent.gz'], speed: 1 } }),
      /cannot read capture file \/nonexistent\.gz/,
    );
    await assert.rejects(
      startSimulator({ replay: { files: [CAPTURE], speed: 0 } }),
      /speed must be a positive number or "max"/,
    );
    await assert.rejects(startSimulator({ replay: { files: [], speed: 1 } }), /at least one capture file/);
  });
});
