// Runs `streamforge up` (= `npm start`) as a child process in a fresh working directory, finds its dashboard, and stops it with Ctrl-C (SIGINT).

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const STREAMFORGE_BIN = path.resolve(import.meta.dirname, '../../../bin/streamforge.js');

export interface UpProcessOptions {
  /**
   * The working directory. `up`'s data (the embedded log and PGlite) goes to `.streamforge/` under
   * it by default, so a fresh directory starts from nothing, as on a clean clone.
   */
  readonly cwd: string;
  /** The dashboard's port; 0 for any free one (then read it with dashboardUrl()). */
  readonly dashboardPort: number;
  /** Added to the environment. STREAMFORGE_* variables of this process are not passed on. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface UpExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From the SIGINT to the exit. */
  readonly ms: number;
  /** The "Stopped: ..." line `up` prints once every service has stopped, or null. */
  readonly stoppedLine: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class UpProcess {
  readonly child: ChildProcess;
  /** performance.now() just before the spawn. */
  readonly startedAt: number;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  #output = '';
  readonly #lines: Array<{ readonly at: number; readonly text: string }> = [];

  private constructor(options: UpProcessOptions) {
    const env: NodeJS.ProcessEnv = {};
    // The platform's own defaults, as for a user without settings: no bus, database or ports from here.
    for (const [name, value] of Object.entries(process.env))
      if (!name.startsWith('STREAMFORGE_')) env[name] = value;
    Object.assign(env, options.env);
    const args = [
      STREAMFORGE_BIN,
      'up',
      '--dashboard-port',
      String(options.dashboardPort),
      // Any free port for the rest, so that runs never collide with another `up` on this machine.
      '--sim-port',
      '0',
      '--metrics-port',
      '0',
      '--orchestrator-port',
      '0',
    ];
    this.startedAt = performance.now();
    this.child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      let partial = '';
      stream.on('data', (text: string) => {
        this.#output += text;
        const at = performance.now();
        const parts = (partial + text).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.#lines.push({ at, text: line });
      });
    }
    this.#exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.#output += `\nspawn failed: ${error.message}\n`;
        resolve({ code: null, signal: null, at: performance.now() });
      });
      this.child.on('close', (code, signal) => resolve({ code, signal, at: performance.now() }));
    });
  }

  static start(options: UpProcessOptions): UpProcess {
    return new UpProcess(options);
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get output(): string {
    return this.#output;
  }

  /** performance.now() when the first line matching `pattern` arrived, or null. */
  lineAt(pattern: RegExp): number | null {
    return this.#lines.find((l) => pattern.test(l.text))?.at ?? null;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  #failure(what: string): Error {
    return new Error(`streamforge up: ${what}; its output:\n${this.#output}`);
  }

  /** The dashboard URL `up` prints once the gateway listens. */
  async dashboardUrl(timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = /Dashboard: (http:\/\/[^\s]+)/.exec(this.#output);
      if (m) return m[1]!;
      if (!this.running) throw this.#failure('exited before it printed the dashboard URL');
      if (performance.now() > deadline) throw this.#failure(`no dashboard URL within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /**
   * Asks for the page (GET /) every 50 ms until it is served (200, HTML); returns performance.now()
   * of that answer. A refused connection means not yet; the process exiting means never.
   */
  async waitForPage(url: string, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw this.#failure('exited before the dashboard answered');
      try {
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        const at = performance.now();
        if (res.status !== 200 || !/<html/i.test(body))
          throw this.#failure(`GET ${url}/ answered ${res.status}: ${body.slice(0, 200)}`);
        return at;
      } catch (error) {
        // fetch() reports a refused connection as a TypeError whose cause carries the code.
        const code = ((error as { cause?: { code?: string } }).cause ?? {}).code;
        if (code !== 'ECONNREFUSED') throw error;
      }
      if (performance.now() > deadline)
        throw this.#failure(`the dashboard did not answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Ctrl-C: SIGINT, then waits for the exit; after `timeoutMs` the process is killed and this rejects. */
  async interrupt(timeoutMs: number): Promise<UpExit> {
    const sent = performance.now();
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.#exited;
    clearTimeout(timer);
    if (exit.signal === 'SIGKILL') throw this.#failure(`did not exit within ${timeoutMs} ms of SIGINT`);
    return {
      code: exit.code,
      signal: exit.signal,
      ms: exit.at - sent,
      stoppedLine: /^Stopped: .*$/m.exec(this.#output)?.[0] ?? null,
    };
  }

  /** For cleanup after a failure: SIGKILL if still running, and wait for the exit. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.#exited;
  }
}
