import { type Queryable, run } from './sql/connections.js';
import { ARCHIVE_MESSAGE } from './sql/statements.js';

/**
 * Ack = `pgmq.archive` (docs/protocol.md §4.4): the row moves to `pgmq.a_{queue}` with `archived_at`.
 * Returns false when the message was already gone (archived by another path or worker).
 */
export async function archiveMessage(db: Queryable, queue: string, msgId: string): Promise<boolean> {
  const [row] = await run(db, ARCHIVE_MESSAGE, [queue, msgId]);
  return row?.archived === true;
}
