// Builds our native Rust worker (test/fleet/rust, on crates.io tasker-worker / tasker-shared 0.1.8) with
// `cargo build --release --locked` into tasker-server's target directory, after the server: its Cargo.lock pins
// every crate the server's lock pins, so cargo reuses the server's compiled dependencies and compiles only
// tasker-worker, tasker-client, their few extra crates and ours (test/fleet/NOTE.md has the figures).
// Its source lives in the repository, so cargo runs every time and decides what is stale (seconds when nothing is).

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { rustWorkerBuildPaths } from './paths.js';
import { tailLines } from './processes.js';
import { type BuildTiming, recordTiming, run, serverBuildEnv } from './upstream-programs.js';

export interface RustWorkerBinary {
  binary: string;
  /** Set when this call compiled something. */
  built?: BuildTiming;
}

/**
 * The fleet Rust worker's binary: TASKER_RUST_WORKER_BIN if set; with TASKER_FLEET_NO_BUILD the existing build
 * (never compiled here); else built or brought up to date now.
 */
export async function ensureRustWorker(env: NodeJS.ProcessEnv = process.env): Promise<RustWorkerBinary> {
  if (env.TASKER_RUST_WORKER_BIN) {
    if (!existsSync(env.TASKER_RUST_WORKER_BIN)) {
      throw new Error(`TASKER_RUST_WORKER_BIN=${env.TASKER_RUST_WORKER_BIN} missing`);
    }
    return { binary: env.TASKER_RUST_WORKER_BIN };
  }
  const paths = rustWorkerBuildPaths(env);
  if (env.TASKER_FLEET_NO_BUILD) {
    if (existsSync(paths.binary)) return { binary: paths.binary };
    throw new Error(`fleet Rust worker not built at ${paths.binary} and TASKER_FLEET_NO_BUILD is set`);
  }
  const kind = existsSync(paths.binary) ? 'warm' : 'cold';
  await mkdir(dirname(paths.buildLog), { recursive: true });
  await writeFile(paths.buildLog, `[fleet] ${new Date().toISOString()} ${kind} build\n`);
  const started = Date.now();
  // Concurrent runs need no lock of ours: cargo locks the target directory, and the second build finds it fresh.
  const result = await run(
    'cargo',
    ['build', '--release', '--locked', '--manifest-path', paths.manifest, '--target-dir', paths.targetDir],
    { env: { ...env, ...(await serverBuildEnv(env)) }, logFile: paths.buildLog },
  );
  if (result.code !== 0 || !existsSync(paths.binary)) {
    throw new Error(
      `cargo build of the fleet Rust worker failed (${result.code}); log ${paths.buildLog}:\n` +
        tailLines(result.output, 30),
    );
  }
  if (!/^\s*Compiling /m.test(result.output)) return { binary: paths.binary };
  const built: BuildTiming = {
    kind,
    seconds: Math.round((Date.now() - started) / 1000),
    finishedAt: new Date().toISOString(),
    host: { cpus: availableParallelism() },
  };
  await recordTiming(paths.timings, built);
  return { binary: paths.binary, built };
}
