// `streamforge run gateway`: the dashboard's gateway as a process of its own (one per container or pod).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defer } from '../helpers/backends.ts';
import { cli, embeddedBus } from '../helpers/cli.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/streamforge.js');

describe('streamforge run gateway', () => {
  it(
    'serves the dashboard on the configured port until SIGTERM, then exits 0',
    { timeout: 60_000 },
    async (t) => {
      const bus = await embeddedBus(t, 'sf-gw-cli-');
      const child = spawn(
        process.execPath,
        [
          bin,
          '--bus',
          bus,
          'run',
          'gateway',
          '--set',
          'ports.dashboard=0',
          '--orchestrator-url',
          'http://127.0.0.1:9',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      defer(t, () => void (child.exitCode === null && child.kill('SIGKILL')));
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
          if (m) {
            clearInterval(timer);
            resolve(m[1]!);
          } else if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`the gateway exited before it served:\n${stderr}`));
          }
        }, 100);
      });
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200, await health.text());
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const config = (await (await fetch(`${url}/config.json`)).json()) as Record<string, unknown>;
      assert.equal(config['orchestratorUrl'], 'http://127.0.0.1:9', JSON.stringify(config));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    },
  );

  it('refuses options that do not apply, naming them', { timeout: 60_000 }, async (t) => {
    const bus = await embeddedBus(t, 'sf-gw-cli-');
    const replicas = await cli(['--bus', bus, 'run', 'gateway', '--replicas', '2']);
    assert.equal(replicas.code, 2, replicas.stderr);
    assert.match(replicas.stderr, /--replicas: the gateway is not a consumer group member/);
    const url = await cli(['--bus', bus, 'run', 'gateway', '--orchestrator-url', 'ftp://x']);
    assert.equal(url.code, 2, url.stderr);
    assert.match(url.stderr, /--orchestrator-url takes http\(s\):\/\/host:port, got "ftp:\/\/x"/);
    const other = await cli(['--bus', bus, 'run', 'parser', '--orchestrator-url', 'http://127.0.0.1:9']);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /--orchestrator-url applies to the gateway only/);
  });
});
