import { type CheckpointYieldData, formatUtcTimestamp } from '@tasker-bridge/schemas';
import { type Queryable, run } from './sql/connections.js';
import { PERSIST_CHECKPOINT } from './sql/statements.js';
import { stringifySorted } from './transition-metadata.js';

/**
 * Checkpoint yield (docs/protocol.md §6.3): persist a `CheckpointRecord` (`cursor`, `items_processed`,
 * `timestamp`, `accumulated_results`, `history` + the current cursor) on the claimed step. No state
 * transition, no attempt increment, no queue traffic; the worker then re-invokes the handler in-process with
 * `workflow_step.checkpoint` replaced by the yielded data. Throws when the row is missing.
 */
export async function persistCheckpoint(
  db: Queryable,
  data: CheckpointYieldData,
  now = new Date(),
): Promise<unknown> {
  const record = {
    cursor: data.cursor,
    items_processed: data.items_processed,
    timestamp: formatUtcTimestamp(now),
    accumulated_results: data.accumulated_results ?? null,
    history: [],
  };
  const rows = await run(db, PERSIST_CHECKPOINT, [
    data.step_uuid,
    stringifySorted(record),
    stringifySorted(data.cursor ?? null),
  ]);
  if (rows.length === 0) throw new Error(`step ${data.step_uuid} not found while persisting its checkpoint`);
  return rows[0]?.checkpoint;
}
