// Builds the conformance crate (test/conformance/rust) and returns its binary. The target directory lives
// in the user cache, never in the repo; Cargo.lock is committed and used with --locked.
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const crateDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'rust');
export const vectorsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
/** Upstream's cursor splits (`conformance cursors`), beside the wire-type vectors: not a wire type. */
export const cursorVectorsFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'cursor-splits.json');
const upstreamManifest = join(crateDir, 'upstream', 'Cargo.toml');

function cargo(args, options = {}) {
  const result = spawnSync('cargo', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  return result;
}

/**
 * The directory of tasker-worker 0.1.8 in cargo's cache (the build script reads one file of it, see
 * rust/build.rs): fetched from crates.io through rust/upstream/Cargo.toml on first use, nothing compiled.
 */
export function taskerWorkerSource() {
  const metadata = () =>
    cargo([
      'metadata',
      '--format-version',
      '1',
      '--locked',
      '--offline',
      '--manifest-path',
      upstreamManifest,
    ]);
  let result = metadata();
  if (result.status !== 0) {
    const fetched = cargo(['fetch', '--locked', '--manifest-path', upstreamManifest], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    if (fetched.status !== 0)
      throw new Error(`cargo fetch of tasker-worker 0.1.8 failed:\n${fetched.stderr}`);
    result = metadata();
  }
  if (result.status !== 0) throw new Error(`cargo metadata failed:\n${result.stderr}`);
  const found = JSON.parse(result.stdout).packages.find(
    (p) => p.name === 'tasker-worker' && p.version === '0.1.8',
  );
  if (found === undefined) throw new Error('tasker-worker 0.1.8 is not in rust/upstream/Cargo.lock');
  return dirname(found.manifest_path);
}

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
    env: { ...process.env, CARGO_TARGET_DIR: targetDir, TASKER_WORKER_SRC: taskerWorkerSource() },
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
