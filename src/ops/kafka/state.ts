// Persists what `start` launched in <home>/state.json and tells whether those processes are still our brokers.

import { readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { exec } from './exec.ts';
import { homeFiles } from './paths.ts';
import { KafkaModes, type KafkaBrokerInfo, type KafkaRunning } from './types.ts';

export async function writeState(state: KafkaRunning): Promise<void> {
  const file = homeFiles.state(state.home);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

/** The recorded state, or undefined when there is none or it is unreadable (treated as "not running"). */
export async function readState(home: string): Promise<KafkaRunning | undefined> {
  let text: string;
  try {
    text = await readFile(homeFiles.state(home), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseState(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export async function clearState(home: string): Promise<void> {
  await rm(homeFiles.state(home), { force: true });
}

export function parseState(value: unknown): KafkaRunning | undefined {
  if (!isRecord(value)) return undefined;
  const { mode, version, bootstrap, brokers, home } = value;
  if (mode !== KafkaModes.single && mode !== KafkaModes.cluster) return undefined;
  if (typeof version !== 'string' || typeof bootstrap !== 'string' || typeof home !== 'string')
    return undefined;
  if (!Array.isArray(brokers) || brokers.length === 0) return undefined;
  const parsed: KafkaBrokerInfo[] = [];
  for (const b of brokers) {
    if (!isRecord(b)) return undefined;
    const { nodeId, port, controllerPort, pid, logFile } = b;
    if (
      !isInt(nodeId) ||
      !isInt(port) ||
      !isInt(controllerPort) ||
      !isInt(pid) ||
      typeof logFile !== 'string'
    )
      return undefined;
    parsed.push({ nodeId, port, controllerPort, pid, logFile });
  }
  return { mode, version, bootstrap, brokers: parsed, home };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * The command line of a live process, or undefined if it is gone. A pid alone is not proof that the
 * process is our broker: the OS reuses pids after a reboot or a long time.
 */
export async function commandLine(pid: number): Promise<string[] | undefined> {
  if (process.platform !== 'linux') return commandLineFromPs(pid);
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (raw.length === 0) return undefined; // a zombie has an empty command line
    return raw.split('\0').filter((part) => part.length > 0);
  } catch {
    return undefined;
  }
}

/** Without /proc (macOS), `ps` gives the command line space-joined; good enough for the checks below. */
async function commandLineFromPs(pid: number): Promise<string[] | undefined> {
  const result = await exec('ps', ['-ww', '-o', 'args=', '-p', String(pid)]);
  const line = result.stdout.trim();
  return result.exitCode === 0 && line.length > 0 ? line.split(/\s+/) : undefined;
}

/** True when `argv` is a java process running the broker of node `nodeId` of `home`. */
export function isBrokerCommand(argv: readonly string[], home: string, nodeId?: number): boolean {
  const exe = argv[0] ?? '';
  if (!/(^|\/)java$/.test(exe)) return false;
  if (nodeId !== undefined) return argv.includes(homeFiles.serverProperties(home, nodeId));
  return argv.some((arg) => arg.startsWith(home + '/node-') && arg.endsWith('/server.properties'));
}

export async function isBrokerAlive(home: string, broker: KafkaBrokerInfo): Promise<boolean> {
  const argv = await commandLine(broker.pid);
  return argv !== undefined && isBrokerCommand(argv, home, broker.nodeId);
}

/** Every live broker process of `home`, found by scanning /proc (also those state.json lost track of). */
export async function findBrokerProcesses(home: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = process.platform === 'linux' ? await readdir('/proc') : await pidsFromPs();
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await commandLine(Number(entry));
    if (argv && isBrokerCommand(argv, home)) pids.push(Number(entry));
  }
  return pids;
}

async function pidsFromPs(): Promise<string[]> {
  const result = await exec('ps', ['-ax', '-o', 'pid=']);
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((pid) => pid.length > 0);
}
