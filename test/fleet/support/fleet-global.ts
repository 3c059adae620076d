// vitest globalSetup of the `fleet` project (after test/setup/devdb-global.ts): makes sure upstream's programs are
// installed once per run (a cold server build takes tens of minutes; see test/fleet/NOTE.md), then hands their
// paths to the test files through inject('fleet').

import type { TestProject } from 'vitest/node';
import { type BuildTiming, ensureTaskerPy, ensureTaskerServer } from './upstream-programs.js';

export interface FleetProvided {
  serverBinary: string;
  python: string;
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
  const [server, python] = await Promise.all([ensureTaskerServer(), ensureTaskerPy()]);
  if (server.built) {
    process.stderr.write(
      `[fleet] built tasker-server (${server.built.kind}) in ${server.built.seconds} s: ${server.binary}\n`,
    );
  }
  process.stderr.write(`[fleet] upstream programs ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
  project.provide('fleet', {
    serverBinary: server.binary,
    python,
    ...(server.built ? { serverBuild: server.built } : {}),
  });
}
