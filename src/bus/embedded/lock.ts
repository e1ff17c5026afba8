// The directory lock that keeps a second process off an embedded log: a lock file holding a pid.

import fs from 'node:fs';
import path from 'node:path';
import { BusError, BusErrorCodes } from '../errors.ts';

export const LOCK_FILE = 'streamforge.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock or throws LOCKED. A lock whose pid is dead (a crashed process) is stale and
 * taken over; link(2) makes two processes racing for a stale lock agree on one winner.
 */
export function acquireLock(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    // The pid is written to a private file first and hard-linked into place: link(2) fails
    // atomically if the lock exists, and the lock is never seen empty.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${process.pid}\n`);
    try {
      fs.linkSync(tmp, file);
      return () => {
        if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BusError(BusErrorCodes.UNREACHABLE, `Cannot create the lock file ${file}`, {
          cause: error,
        });
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const pid = readPid(file);
    if (pid !== null && pid !== process.pid && isAlive(pid)) {
      throw new BusError(BusErrorCodes.LOCKED, `The embedded log ${dir} is locked by process ${pid}`, {
        hint: `only one process may open it; stop process ${pid} or use another directory`,
      });
    }
    // Stale (dead pid, unreadable, or our own pid left by an earlier instance): remove and retry.
    // The pid is checked again right before removal so a fresh lock is not taken from its owner.
    if (readPid(file) === pid) fs.rmSync(file, { force: true });
  }
  throw new BusError(BusErrorCodes.LOCKED, `Could not take the lock ${file}: other processes keep taking it`);
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
