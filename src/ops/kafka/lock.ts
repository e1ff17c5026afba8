// A lock file per home, so two `start`/`stop` runs on the same home do not launch or kill brokers over each other.

import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { KafkaOpsError, KafkaOpsErrorCodes } from './errors.ts';
import { homeFiles } from './paths.ts';

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding `<home>/.lock`. A concurrent run waits (up to `waitMs`, a cluster start takes
 * about half a minute); a lock left by a dead process is taken over.
 */
export async function withHomeLock<T>(home: string, work: () => Promise<T>, waitMs = 180_000): Promise<T> {
  const file = homeFiles.lock(home);
  await mkdir(home, { recursive: true });
  const deadline = Date.now() + waitMs;
  let emptySince: number | undefined;
  while (true) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0) {
      emptySince = undefined;
      if (!ownerAlive(owner)) {
        await rm(file, { force: true }); // left by a process that died
      } else if (Date.now() > deadline) {
        throw new KafkaOpsError(
          KafkaOpsErrorCodes.HOME_LOCKED,
          `Kafka home ${home} is locked by process ${owner}`,
          {
            hint: `wait for it to finish, or delete ${file} if that process is not a StreamForge command`,
          },
        );
      }
    } else {
      // Being written this instant, or its writer died between creating and writing it.
      emptySince ??= Date.now();
      if (Date.now() - emptySince > 2000) await rm(file, { force: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}
