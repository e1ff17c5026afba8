// Builds `java` command lines for brokers and tools from the resolved classpath.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toolsLog4j2 } from './log4j.ts';
import { versionCacheDir } from './paths.ts';

export interface JvmOptions {
  readonly heapMb: number;
  readonly log4jFile: string;
  /**
   * Short-lived admin tools start faster with the C1 compiler only and serial GC; never used for the
   * broker or the perf tools, whose measured throughput needs the full JIT.
   */
  readonly quickStart?: boolean;
  readonly systemProperties?: Readonly<Record<string, string>>;
}

export function javaArgs(classpath: string, mainClass: string, options: JvmOptions): string[] {
  const gc = options.quickStart
    ? ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto']
    : ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35'];
  const props = Object.entries({
    'java.awt.headless': 'true',
    'log4j2.configurationFile': options.log4jFile,
    ...options.systemProperties,
  }).map(([k, v]) => `-D${k}=${v}`);
  const heap = options.quickStart
    ? [`-Xmx${options.heapMb}m`]
    : [`-Xms${options.heapMb}m`, `-Xmx${options.heapMb}m`];
  return [...heap, ...gc, ...props, '-cp', classpath, mainClass];
}

/** The WARN-to-stderr log4j2 file every tool run uses, kept next to the cached classpath. */
export async function toolsLog4jFile(version: string): Promise<string> {
  const file = path.join(versionCacheDir(version), 'tools-log4j2.properties');
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, toolsLog4j2());
  }
  return file;
}
