// vitest globalSetup of the `fleet` project (after test/setup/devdb-global.ts): makes sure upstream's programs are
// installed once per run (a cold server build takes tens of minutes; see test/fleet/NOTE.md) and our native Rust
// worker is built (after the server, whose compiled dependencies it reuses), then hands their paths to the test
// files through inject('fleet').

import type { TestProject } from 'vitest/node';
import { ensureRustWorker } from './rust-worker-build.js';
import { type BuildTiming, ensureTaskerPy, ensureTaskerServer } from './upstream-programs.js';

export interface FleetProvided {
  serverBinary: string;
  python: string;
  rustWorkerBinary: string;
  /** Present when this run had to build the server. */
  serverBuild?: BuildTiming;
}

declare module 'vitest' {
  export interface ProvidedContext {
    fleet: FleetProvided;
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const [[server, rustWorker], python] = await Promise.all([
    ensureTaskerServer().then(async (s) => [s, await ensureRustWorker()] as const),
    ensureTaskerPy(),
  ]);
  if (server.built) {
    process.stderr.write(
      `[fleet] built tasker-server (${server.built.kind}) in ${server.built.seconds} s: ${server.binary}\n`,
    );
  }
  if (rustWorker.built) {
    process.stderr.write(
      `[fleet] built the fleet Rust worker (${rustWorker.built.kind}) in ${rustWorker.built.seconds} s\n`,
    );
  }
  process.stderr.write(`[fleet] upstream programs ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
  project.provide('fleet', {
    serverBinary: server.binary,
    python,
    rustWorkerBinary: rustWorker.binary,
    ...(server.built ? { serverBuild: server.built } : {}),
  });
}
