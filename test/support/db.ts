import { type ClonedDatabase, createDatabaseFromTemplate } from '@tasker-bridge/devdb';
import { inject } from 'vitest';

/** A database of this test file's own, cloned from the migrated template (pgmq + tasker schema). */
export function createTestDatabase(): Promise<ClonedDatabase> {
  const { adminUrl, template } = inject('devdb');
  return createDatabaseFromTemplate(adminUrl, template);
}

/** A split deployment of this test file's own: the tasker schema in one database, pgmq in another. */
export interface SplitTestDatabases {
  taskerUrl: string;
  pgmqUrl: string;
  /** Drops both databases. */
  drop(): Promise<void>;
}

/** Clones both split templates (devdb `ensureSplitTemplateDatabases`): tasker-only and pgmq-only databases. */
export async function createSplitTestDatabases(): Promise<SplitTestDatabases> {
  const { adminUrl, splitTemplates } = inject('devdb');
  const tasker = await createDatabaseFromTemplate(adminUrl, splitTemplates.tasker);
  let pgmq: ClonedDatabase;
  try {
    pgmq = await createDatabaseFromTemplate(adminUrl, splitTemplates.pgmq);
  } catch (error) {
    await tasker.drop();
    throw error;
  }
  return {
    taskerUrl: tasker.url,
    pgmqUrl: pgmq.url,
    async drop() {
      await Promise.all([tasker.drop(), pgmq.drop()]);
    },
  };
}
