// Where things live: the package's Maven pom, the classpath cache, a broker home and its node folders.

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The StreamForge package root, found from this file (not from cwd, so any working directory works). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (true) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'kafka', 'pom.xml')))
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`No kafka/pom.xml above ${fileURLToPath(import.meta.url)}; is the package complete?`);
    dir = parent;
  }
}

export function kafkaPomPath(): string {
  return path.join(packageRoot(), 'kafka', 'pom.xml');
}

/** `$STREAMFORGE_CACHE`, else `~/.cache/streamforge`. */
export function cacheRoot(): string {
  const fromEnv = process.env['STREAMFORGE_CACHE'];
  return fromEnv && fromEnv.length > 0
    ? path.resolve(fromEnv)
    : path.join(os.homedir(), '.cache', 'streamforge');
}

export function versionCacheDir(version: string): string {
  return path.join(cacheRoot(), `kafka-${version}`);
}

export function resolveHome(home?: string): string {
  return path.resolve(home ?? path.join(process.cwd(), '.streamforge', 'kafka'));
}

export function nodeDir(home: string, nodeId: number): string {
  return path.join(home, `node-${nodeId}`);
}

export const homeFiles = {
  state: (home: string) => path.join(home, 'state.json'),
  /** Written when storage is formatted; says which mode and cluster id the data belongs to. */
  layout: (home: string) => path.join(home, 'layout.json'),
  lock: (home: string) => path.join(home, '.lock'),
  log4j: (home: string) => path.join(home, 'log4j2.properties'),
  serverProperties: (home: string, nodeId: number) => path.join(nodeDir(home, nodeId), 'server.properties'),
  dataDir: (home: string, nodeId: number) => path.join(nodeDir(home, nodeId), 'data'),
  brokerLog: (home: string, nodeId: number) => path.join(nodeDir(home, nodeId), 'kafka.log'),
  stdoutLog: (home: string, nodeId: number) => path.join(nodeDir(home, nodeId), 'stdout.log'),
} as const;
