// `streamforge simulator` as a user runs it: prints its URLs, serves, stops cleanly on SIGTERM, refuses bad arguments.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../helpers/cli.ts';

const T = { timeout: 60_000 } as const;
const bin = path.resolve(import.meta.dirname, '../../bin/streamforge.js');
const CAPTURE = path.resolve(
  import.meta.dirname,
  '../../../shared/data/market/binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
);

/** Starts `streamforge simulator <args>`, waits for its spot REST URL, and stops it with SIGTERM when asked. */
async function running(
  args: readonly string[],
): Promise<{ url: string; stop: () => Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [bin, 'simulator', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /spot REST\s+(http:\/\/\S+)\/api\/v3/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      return { code: await exited, stderr };
    },
  };
}

describe('streamforge simulator', () => {
  it('prints its URLs, answers Binance requests and stops cleanly on SIGTERM', T, async () => {
    const sim = await running(['--symbols', 'btcusdt,ETHUSDT', '--futures-symbols', '', '--seed', '3']);
    const info = (await (await fetch(`${sim.url}/api/v3/exchangeInfo`)).json()) as {
      symbols: { symbol: string }[];
    };
    assert.deepEqual(
      info.symbols.map((s) => s.symbol),
      ['BTCUSDT', 'ETHUSDT'],
    );
    const futures = (await (await fetch(`${sim.url}/fapi/v1/exchangeInfo`)).json()) as { symbols: unknown[] };
    assert.equal(futures.symbols.length, 0);
    const stopped = await sim.stop();
    assert.equal(stopped.code, 0);
    assert.match(stopped.stderr, /Simulator stopped \(SIGTERM\)/);
  });

  it('replays a capture given with --replay and --speed', T, async () => {
    const sim = await running(['--replay', CAPTURE, '--speed', 'max']);
    const depth = (await (await fetch(`${sim.url}/api/v3/depth?symbol=BTCUSDT&limit=5`)).json()) as {
      lastUpdateId: number;
    };
    assert.equal(depth.lastUpdateId, 50093239218);
    assert.equal((await sim.stop()).code, 0);
  });

  it('refuses bad arguments with exit code 2 and a message naming them', T, async () => {
    const cases: [string[], RegExp][] = [
      [['--symbols', 'BTC-USDT'], /--symbols: "BTC-USDT" is not a Binance symbol/],
      [['--port', '70000'], /--port must be at most 65535, got "70000"/],
      [['--speed', '2'], /--speed applies to --replay only/],
      [['--replay', CAPTURE, '--speed', 'fast'], /--speed must be a positive number .* or "max", got "fast"/],
      [['--replay', CAPTURE, '--seed', '2'], /apply to the model, not to --replay/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['simulator', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
    const missing = await cli(['simulator', '--port', '0', '--replay', '/no/such/capture.gz']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read capture file \/no\/such\/capture\.gz/);
  });
});
