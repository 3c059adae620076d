import { userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Where the development cluster and its derived files live: never inside the repository.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user and its files must be
 * reachable by that user; root's home (mode 700) is not, hence `/var/tmp` in that case.
 * `TASKER_BRIDGE_CACHE_DIR` overrides both.
 */
export function devDbCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TASKER_BRIDGE_CACHE_DIR) return env.TASKER_BRIDGE_CACHE_DIR;
  if (isRoot()) return '/var/tmp/tasker-bridge';
  const base = env.XDG_CACHE_HOME ?? join(userInfo().homedir, '.cache');
  return join(base, 'tasker-bridge');
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
