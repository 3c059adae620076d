// Imported by path: vitest loads global setup files without the source export condition.

import type { TestProject } from 'vitest/node';
import { ensureTemplateDatabase, startDevCluster } from '../../packages/devdb/src/index.js';

export interface DevDbProvided {
  adminUrl: string;
  template: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    devdb: DevDbProvided;
  }
}

/**
 * Brings up the real PostgreSQL 18 + pgmq + tasker schema once per test run and builds the migrated template;
 * each test file clones it (test/support/db.ts). The server stops at the end unless another process uses it.
 */
export default async function setup(project: TestProject) {
  const cluster = await startDevCluster();
  const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
  project.provide('devdb', { adminUrl: cluster.adminUrl, template });
  return () => cluster.release();
}
