import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/bench (run.mjs bundles these sources and keeps each file's own import.meta.url). */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(BENCH_DIR, '..', '..');

/**
 * Everything the bench fetches or builds lives outside the repository: its own devdb cluster and the
 * graphile-worker / pg-boss / Node 22 install. `TASKER_BRIDGE_BENCH_CACHE` overrides
 * `${XDG_CACHE_HOME:-~/.cache}/tasker-bridge/bench`.
 */
export function benchCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TASKER_BRIDGE_BENCH_CACHE) return env.TASKER_BRIDGE_BENCH_CACHE;
  const base = env.XDG_CACHE_HOME ?? join(userInfo().homedir, '.cache');
  return join(base, 'tasker-bridge', 'bench');
}
