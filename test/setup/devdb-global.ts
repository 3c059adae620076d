// Imported by path: vitest loads global setup files without the source export condition.

import type { TestProject } from 'vitest/node';
import {
  describePgmq,
  ensureSplitTemplateDatabases,
  ensureTemplateDatabase,
  type SplitTemplateDatabases,
  startDevCluster,
} from '../../packages/devdb/src/index.js';

export interface DevDbProvided {
  adminUrl: string;
  /** pgmq + every tasker migration in one database (test/support/db.ts `createTestDatabase`). */
  template: string;
  /** tasker and pgmq in separate databases (`createSplitTestDatabases`). */
  splitTemplates: SplitTemplateDatabases;
  /** The pgmq extension version this run's cluster installs (the crate's, or `TASKER_BRIDGE_PGMQ_SQL_DIR`'s). */
  pgmqVersion: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    devdb: DevDbProvided;
  }
}

/**
 * Brings up the real PostgreSQL 18 + pgmq + tasker schema once per test run and builds the migrated templates;
 * each test file clones them (test/support/db.ts). The server stops at the end unless another process uses it.
 * The templates persist in the cluster, so after the first run this costs a few catalogue lookups.
 */
export default async function setup(project: TestProject) {
  const cluster = await startDevCluster();
  try {
    const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
    const splitTemplates = await ensureSplitTemplateDatabases(cluster.adminUrl, cluster.artifacts);
    process.stderr.write(
      `[devdb] ${project.name}: ${describePgmq(cluster.artifacts)}, 127.0.0.1:${cluster.port}\n`,
    );
    project.provide('devdb', {
      adminUrl: cluster.adminUrl,
      template,
      splitTemplates,
      pgmqVersion: cluster.artifacts.pgmqVersion,
    });
  } catch (error) {
    await cluster.release();
    throw error;
  }
  return () => cluster.release();
}
