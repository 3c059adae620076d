import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Chaos global setup: worker processes run the built packages with plain node (worker-child.mjs), so build
 * them first. `tsc -b` is incremental: a no-op when dist is current (as after `npm test`'s typecheck).
 */
export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const res = spawnSync(tsc, ['-b', 'packages/worker'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`tsc -b packages/worker failed (exit ${res.status})`);
}
