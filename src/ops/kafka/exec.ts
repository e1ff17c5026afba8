// Runs a short-lived child process to completion and captures its output (Maven, java -version, kafka tools).

import { spawn, type StdioOptions } from 'node:child_process';

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. */
  readonly input?: string | Uint8Array;
  /** `pipe` captures stdout/stderr; `inherit` lets them through to this process's terminal. */
  readonly stdio?: 'pipe' | 'inherit';
  /** Called with each chunk of combined output as it arrives (only with `pipe`). */
  readonly onOutput?: (chunk: string) => void;
  /** Kills the process (SIGKILL) after this long; the result then has `timedOut: true`. */
  readonly timeoutMs?: number;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Thrown as-is when the executable is not found, so callers can tell "missing" from "failed". */
export class ExecutableNotFound extends Error {
  readonly executable: string;

  constructor(executable: string) {
    super(`${executable} not found on PATH`);
    this.executable = executable;
    this.name = 'ExecutableNotFound';
  }
}

export function exec(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const inherit = options.stdio === 'inherit';
  // With `inherit` and no input the terminal's stdin goes through too (console-producer reads it).
  const stdin = options.input !== undefined ? 'pipe' : inherit ? 'inherit' : 'ignore';
  const stdio: StdioOptions = [stdin, inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      options.onOutput?.(chunk.toString('utf8'));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err.push(chunk);
      options.onOutput?.(chunk.toString('utf8'));
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new ExecutableNotFound(command) : error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        // A signal death has no exit code; report it the way shells do (128 + signal number).
        exitCode: code ?? (signal ? 128 + (signalNumbers[signal] ?? 0) : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    if (child.stdin) {
      // A tool that exits before reading all input closes the pipe; that is not our error.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines: number): string {
  const all = text.trimEnd().split('\n');
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}
