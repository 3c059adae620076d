import { type ClonedDatabase, createDatabaseFromTemplate } from '@tasker-bridge/devdb';
import { inject } from 'vitest';

/** A database of this test file's own, cloned from the migrated template (pgmq + tasker schema). */
export function createTestDatabase(): Promise<ClonedDatabase> {
  const { adminUrl, template } = inject('devdb');
  return createDatabaseFromTemplate(adminUrl, template);
}
