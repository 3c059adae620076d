import { chmod, lstat, mkdir, stat as stat_ } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { DevDbError, DevDbErrorCode } from './errors.js';

const ROOT_CACHE_DIR = '/var/tmp/tasker-bridge';

/**
 * Where the development cluster and its derived files live: never inside the repository.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user and its files must be
 * reachable by that user; root's home (mode 700) is not, hence `/var/tmp` in that case (made safe by
 * `ensureCacheDir`). `TASKER_BRIDGE_CACHE_DIR` overrides both.
 */
export function devDbCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TASKER_BRIDGE_CACHE_DIR) return env.TASKER_BRIDGE_CACHE_DIR;
  if (isRoot()) return ROOT_CACHE_DIR;
  const base = env.XDG_CACHE_HOME ?? join(userInfo().homedir, '.cache');
  return join(base, 'tasker-bridge');
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function unsafe(path: string, why: string): DevDbError {
  return new DevDbError(
    DevDbErrorCode.UnsafeCachePath,
    `refusing to use ${path}: ${why}. Remove it, or point TASKER_BRIDGE_CACHE_DIR at a directory of your own.`,
  );
}

/**
 * Checks a path devdb is about to use (the cache directory, a cluster's directory): a directory owned by one of
 * `owners` and writable by no one else, reached through no link of anyone else's. In a world-writable place such
 * as /var/tmp another local user could otherwise create it first, or plant a link there, and have root write,
 * start or hand over to `postgres` whatever they point it at.
 */
export async function checkOwnedDirectory(path: string, owners: readonly number[]): Promise<void> {
  const link = await lstat(path);
  if (link.isSymbolicLink() && !owners.includes(link.uid))
    throw unsafe(path, `it is a symbolic link owned by uid ${link.uid}`);
  const stat = link.isSymbolicLink() ? await stat_(path) : link;
  if (!stat.isDirectory()) throw unsafe(path, 'it is not a directory');
  if (!owners.includes(stat.uid)) throw unsafe(path, `it is owned by uid ${stat.uid}`);
  if ((stat.mode & 0o022) !== 0) throw unsafe(path, 'others can write to it');
}

/**
 * Creates the cache directory if needed and refuses one that is not this user's own (see `checkOwnedDirectory`).
 * As root the default `/var/tmp/tasker-bridge` is kept root-owned with mode 0711: the `postgres` user can pass
 * through to its cluster's directory (mode 0700, its own) but can neither list nor change the cache; a plain user's
 * cache is 0700.
 */
export async function ensureCacheDir(dir: string): Promise<void> {
  const root = isRoot();
  await mkdir(dir, { recursive: true, mode: root ? 0o711 : 0o700 });
  await checkOwnedDirectory(dir, [process.getuid?.() ?? 0]);
  if (root && dir === ROOT_CACHE_DIR && ((await lstat(dir)).mode & 0o777) !== 0o711) await chmod(dir, 0o711);
}
