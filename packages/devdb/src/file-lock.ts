import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DevDbError, DevDbErrorCode } from './errors.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A cross-process mutex (an exclusive `mkdir`) so that test runs, `db up` and the demo started at the same time do
 * not initialise or start the same cluster twice. A lock left by a dead process is taken over.
 */
export async function withFileLock<T>(dir: string, work: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lockDir = `${dir}.lock`;
  const owner = join(lockDir, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(owner, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && !processAlive(holder)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new DevDbError(
          DevDbErrorCode.ClusterLocked,
          `timed out waiting for ${lockDir} (held by pid ${holder})`,
        );
      }
      // Polling is the only portable way to wait for another process's mkdir lock.
      await delay(100);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

export { processAlive };
