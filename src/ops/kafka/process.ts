// Launches a broker JVM as a detached daemon, and stops processes (SIGTERM, grace period, SIGKILL).

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { javaArgs } from './jvm.ts';
import { homeFiles, nodeDir } from './paths.ts';
import { commandLine } from './state.ts';

export interface LaunchedBroker {
  readonly nodeId: number;
  readonly pid: number;
  /** Set when the JVM exits while this process still watches it (i.e. during start). */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export function launchBroker(
  home: string,
  nodeId: number,
  classpath: string,
  heapMb: number,
): LaunchedBroker {
  const dir = nodeDir(home, nodeId);
  // JVM-level failures (bad flags, OutOfMemoryError, a crash) never reach log4j; keep them in a file too.
  const out = openSync(homeFiles.stdoutLog(home, nodeId), 'a');
  try {
    const args = [
      ...javaArgs(classpath, 'kafka.Kafka', {
        heapMb,
        log4jFile: homeFiles.log4j(home),
        systemProperties: { 'kafka.logs.dir': dir },
      }),
      homeFiles.serverProperties(home, nodeId),
    ];
    // Detached in its own process group and unref'd: the broker is a daemon that outlives `start`.
    const child = spawn('java', args, { cwd: dir, detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined)
      throw new Error(`could not start java for node ${nodeId} (is java on PATH?)`);
    const launched: { nodeId: number; pid: number; exit: LaunchedBroker['exit'] } = {
      nodeId,
      pid: child.pid,
      exit: undefined,
    };
    child.on('exit', (code, signal) => {
      launched.exit = { code, signal };
    });
    child.on('error', () => {}); // reported through `exit`
    child.unref();
    return launched;
  } finally {
    closeSync(out);
  }
}

export async function isAlive(pid: number): Promise<boolean> {
  // kill(pid, 0) also succeeds for a zombie; an empty /proc command line tells those apart.
  return (await commandLine(pid)) !== undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids];
  while (true) {
    const checks = await Promise.all(alive.map(async (pid) => ((await isAlive(pid)) ? pid : undefined)));
    alive = checks.filter((pid): pid is number => pid !== undefined);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(200);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM lets a broker do a controlled shutdown (hand over leadership, flush, close the log cleanly so
 * the next start needs no recovery); SIGKILL only for those still alive after `graceMs`.
 * Resolves with the pids that had to be killed.
 */
export async function terminate(pids: readonly number[], graceMs = 30_000): Promise<number[]> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const stubborn = await waitGone(pids, graceMs);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const undead = await waitGone(stubborn, 10_000);
  if (undead.length > 0)
    throw new Error(
      `processes ${undead.join(', ')} survived SIGKILL; check them with \`ps -p ${undead.join(',')}\``,
    );
  return stubborn;
}

export async function killNow(pids: readonly number[]): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGKILL');
  await waitGone(pids, 10_000);
}

/** The last lines of a node's broker log and JVM output, for error messages. */
export async function logTail(home: string, nodeId: number, lines = 25): Promise<string> {
  const parts: string[] = [];
  for (const file of [homeFiles.brokerLog(home, nodeId), homeFiles.stdoutLog(home, nodeId)]) {
    let text: string;
    try {
      text = (await readFile(file, 'utf8')).trimEnd();
    } catch {
      continue;
    }
    if (text.length === 0) continue;
    const all = text.split('\n');
    parts.push(
      `--- last ${Math.min(lines, all.length)} lines of ${file} ---\n${all.slice(-lines).join('\n')}`,
    );
  }
  return parts.length > 0 ? parts.join('\n') : `(node ${nodeId} wrote no log in ${nodeDir(home, nodeId)})`;
}
