import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Global setup of the tiers that run the built packages rather than their sources: chaos (worker processes run
 * with plain node) and packed (every package packed and installed as users install it). `tsc -b` is
 * incremental: a no-op when dist is current (as after `npm test`'s typecheck).
 */
export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const res = spawnSync(tsc, ['-b'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`tsc -b failed (exit ${res.status})`);
}
