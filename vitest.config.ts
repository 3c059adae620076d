import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests run against each package's `src/` through the `@tasker-bridge/source` export condition, so no build
// step is needed before `npm test` (docs/contributing.md "Packages").
const conditions = ['@tasker-bridge/source', ...defaultServerConditions];

const dbSetup = './test/setup/devdb-global.ts';

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // test/docs: every README's TypeScript examples, type-checked in memory (docs/contributing.md).
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/docs/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts', 'apps/*/test/**/*.int.test.ts'],
          globalSetup: [dbSetup],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [dbSetup],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // Upstream's real programs (tasker-server from crates.io, tasker-py from PyPI) on the real database.
          // The global setup installs them once into a cache outside the repo (a cold server build takes tens of
          // minutes: test/fleet/NOTE.md); each file starts its own server and workers on its own database.
          name: 'fleet',
          include: ['test/fleet/**/*.test.ts'],
          globalSetup: [dbSetup, './test/fleet/support/fleet-global.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Process kills, connection kills, PostgreSQL restarts and bad input under load (test/chaos). Worker
          // processes run the built packages, hence the build step; files that restart PostgreSQL use a cluster
          // of their own. `CHAOS_SCALE=soak` (npm run test:chaos:soak) for the long run. Scenarios also run under
          // upstream's real `tasker-server`, hence the fleet tier's programs (built once per machine).
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          globalSetup: [dbSetup, './test/fleet/support/fleet-global.ts', './test/setup/build.ts'],
          testTimeout: 180_000, // soak scenarios set their own (support/harness.ts TEST_TIMEOUT)
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          // Every publishable package packed and installed from its tarball outside the workspace, on Node 20.19.0
          // and on the newest Node from npm; a strict TS handler module compiled and run by the installed CLI.
          name: 'packed',
          include: ['test/packed/**/*.test.ts'],
          globalSetup: [dbSetup, './test/setup/build.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
