import { type Queryable, run, SqlState, sqlState } from './sql/connections.js';
import { CLAIM_STEP } from './sql/statements.js';
import { claimMetadata, type Lease, naiveUtcNow } from './transition-metadata.js';

/**
 * The claim (queue-protocol.md §4.3): `enqueued → in_progress` with metadata
 * `{"event":"{\"type\":\"Start\"}","timestamp":"…+00:00"}`, `in_process = true`, `attempts + 1`,
 * `last_attempted_at` — one statement, one round trip (see `CLAIM_STEP`). The metadata also names the claiming
 * worker and the step message whose visibility timeout is the claim's lease (README "Leases").
 *
 * Returns `null` when the step was not claimed: it is no longer `enqueued` (another worker won the race, or
 * orchestration moved it), which upstream also maps to "not claimed" (`Ok(false)`), including the unique
 * violation on `idx_workflow_step_transitions_uuid_most_recent`. Other database errors are thrown.
 */
export async function claimStep(
  db: Queryable,
  stepUuid: string,
  owner: { workerUuid: string; lease: Lease },
): Promise<{ transitionUuid: string; attempts: number } | null> {
  try {
    const metadata = claimMetadata(undefined, owner);
    const [row] = await run(db, CLAIM_STEP, [stepUuid, JSON.stringify(metadata), naiveUtcNow()]);
    return row === undefined
      ? null
      : { transitionUuid: row.workflow_step_transition_uuid, attempts: row.attempts };
  } catch (error) {
    if (sqlState(error) === SqlState.UNIQUE_VIOLATION) return null;
    throw error;
  }
}
