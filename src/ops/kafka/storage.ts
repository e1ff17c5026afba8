// Formats each node's KRaft storage once (or again after `fresh`), recording the home's mode and cluster id.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KafkaOpsError, KafkaOpsErrorCodes } from './errors.ts';
import { exec, tail } from './exec.ts';
import { javaArgs, toolsLog4jFile } from './jvm.ts';
import { homeFiles } from './paths.ts';
import { type KafkaMode } from './types.ts';

interface Layout {
  readonly mode: KafkaMode;
  readonly clusterId: string;
}

/** What Kafka's `Uuid.randomUuid()` makes: 16 random bytes, base64url, never starting with '-' (tools read that as an option). */
export function newClusterId(): string {
  while (true) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Deletes everything `start` wrote into `home` (node data, logs, configs, state), keeping the folder. */
export async function wipeHome(home: string): Promise<void> {
  if (!existsSync(home)) return;
  for (const entry of await readdir(home)) {
    if (/^node-\d+$/.test(entry) || ['layout.json', 'state.json', 'log4j2.properties'].includes(entry)) {
      await rm(path.join(home, entry), { recursive: true, force: true });
    }
  }
}

export async function readLayout(home: string): Promise<Layout | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(homeFiles.layout(home), 'utf8'));
    if (typeof value === 'object' && value !== null && 'mode' in value && 'clusterId' in value) {
      const { mode, clusterId } = value;
      if ((mode === 'single' || mode === 'cluster') && typeof clusterId === 'string')
        return { mode, clusterId };
    }
  } catch {
    // no layout yet
  }
  return undefined;
}

function isFormatted(home: string, nodeId: number): boolean {
  return existsSync(path.join(homeFiles.dataDir(home, nodeId), 'meta.properties'));
}

/**
 * Formats the nodes whose storage is not formatted yet. The server.properties files must exist.
 * Data of the other mode in the same home is refused rather than mixed: its cluster id differs.
 */
export async function formatIfNeeded(
  home: string,
  mode: KafkaMode,
  nodeIds: readonly number[],
  classpath: string,
  version: string,
): Promise<boolean> {
  let layout = await readLayout(home);
  if (layout && layout.mode !== mode) {
    throw new KafkaOpsError(
      KafkaOpsErrorCodes.HOME_CONFLICT,
      `${home} holds the data of a ${layout.mode} Kafka, not a ${mode} one`,
      {
        hint: `pass --fresh (fresh: true) to wipe it, or use another --home`,
      },
    );
  }
  if (!layout) {
    if (nodeIds.some((id) => isFormatted(home, id))) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.HOME_CONFLICT,
        `${home} has Kafka data but no layout.json, so its mode is unknown`,
        {
          hint: `pass --fresh (fresh: true) to wipe it, or use another --home`,
        },
      );
    }
    layout = { mode, clusterId: newClusterId() };
    await mkdir(home, { recursive: true });
    await writeFile(homeFiles.layout(home), `${JSON.stringify(layout, null, 2)}\n`);
  }
  const todo = nodeIds.filter((id) => !isFormatted(home, id));
  const log4jFile = await toolsLog4jFile(version);
  const clusterId = layout.clusterId;
  await Promise.all(
    todo.map(async (nodeId) => {
      await mkdir(homeFiles.dataDir(home, nodeId), { recursive: true });
      const args = [
        ...javaArgs(classpath, 'kafka.tools.StorageTool', { heapMb: 256, log4jFile, quickStart: true }),
        ...['format', '-t', clusterId, '-c', homeFiles.serverProperties(home, nodeId)],
      ];
      const result = await exec('java', args);
      if (result.exitCode !== 0) {
        throw new KafkaOpsError(
          KafkaOpsErrorCodes.FORMAT_FAILED,
          `Formatting the storage of node ${nodeId} in ${home} failed`,
          {
            hint: 'pass --fresh to start from empty storage',
            details: tail(result.stdout + result.stderr, 20),
          },
        );
      }
    }),
  );
  return todo.length > 0;
}
