// Parses and validates the embedded bus options taken from the bus URI's query string.

import { BusError, BusErrorCodes } from '../errors.ts';

export const FsyncPolicies = { ALWAYS: 'always', INTERVAL: 'interval', NEVER: 'never' } as const;
export type FsyncPolicy = (typeof FsyncPolicies)[keyof typeof FsyncPolicies];

export interface EmbeddedOptions {
  /** When appended data is forced to stable storage (see README.md for what each one guarantees). */
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  /** How often the background cleaner applies retention and compaction. */
  readonly cleanerIntervalMs: number;
}

const policies: readonly string[] = Object.values(FsyncPolicies);
const names = ['fsync', 'fsyncIntervalMs', 'cleanerIntervalMs'] as const;

function positiveInt(options: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n <= 0) {
    throw new BusError(
      BusErrorCodes.INVALID_CONFIG,
      `Embedded bus option ${name}=${raw} is invalid: allowed values are positive integers (milliseconds)`,
    );
  }
  return n;
}

export function parseEmbeddedOptions(options: Readonly<Record<string, string>>): EmbeddedOptions {
  for (const name of Object.keys(options)) {
    if (!(names as readonly string[]).includes(name)) {
      throw new BusError(
        BusErrorCodes.INVALID_CONFIG,
        `Unknown embedded bus option "${name}": allowed options are ${names.join(', ')}`,
      );
    }
  }
  const fsync = options['fsync'] ?? FsyncPolicies.INTERVAL;
  if (!policies.includes(fsync)) {
    throw new BusError(
      BusErrorCodes.INVALID_CONFIG,
      `Embedded bus option fsync=${fsync} is invalid: allowed values are ${policies.join(', ')}`,
    );
  }
  return {
    fsync: fsync as FsyncPolicy,
    fsyncIntervalMs: positiveInt(options, 'fsyncIntervalMs', 1000),
    cleanerIntervalMs: positiveInt(options, 'cleanerIntervalMs', 30_000),
  };
}
