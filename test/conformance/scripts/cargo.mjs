// Builds the conformance crate (test/conformance/rust) and returns its binary. The target directory lives
// in the user cache, never in the repo; Cargo.lock is committed and used with --locked.
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const crateDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'rust');
export const vectorsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

export function cargoTargetDir() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return process.env.CARGO_TARGET_DIR || join(cache, 'tasker-bridge', 'cargo-target');
}

/** Runs `cargo build --locked` (a no-op when fresh) and returns the binary path. Throws with cargo's stderr. */
export function buildConformanceBinary() {
  const targetDir = cargoTargetDir();
  const started = Date.now();
  const result = spawnSync('cargo', ['build', '--locked', '--quiet'], {
    cwd: crateDir,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`cargo build failed:\n${result.stderr}`);
  return { binary: join(targetDir, 'debug', 'conformance'), seconds: (Date.now() - started) / 1000 };
}

/** Runs the binary with arguments; throws with its stderr on failure. */
export function runConformance(binary, args) {
  const result = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`conformance ${args[0]} failed:\n${result.stderr}`);
  return result.stdout;
}
