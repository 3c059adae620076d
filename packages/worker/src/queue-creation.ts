import type { Logger } from '@tasker-bridge/core';
import { createQueueLocked, queueExists } from './pgmq.js';
import { type Queryable, sqlState } from './sql/connections.js';

/**
 * Queue creation at startup (docs/protocol.md §1.2, §8.3), safe when many processes start at once.
 *
 * Two layers, because one alone does not cover every peer:
 * - `createQueueLocked` takes the per-queue advisory lock pgmq ≥ 1.6 takes inside `pgmq.create`, so our workers (and
 *   any pgmq ≥ 1.6 creator) serialise on every pgmq version — the race never happens between them;
 * - a creator that takes no lock (a Rust worker or tasker-server on pgmq 1.5) can still win the race against us.
 *   pgmq then fails our call with a duplicate error although the queue exists; we check that it does and carry
 *   on. Catching alone would leave the race to happen on every concurrent start; the lock alone would miss
 *   these peers.
 */

/** unique_violation (the `pg_type`/`pg_class` row of the queue's table), duplicate_table, duplicate_object. */
const LOST_RACE = new Set(['23505', '42P07', '42710']);
/** A lost race followed by no queue should not happen; a few tries make a vanishing peer harmless too. */
const ATTEMPTS = 3;

export async function createQueue(db: Queryable, queue: string, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await createQueueLocked(db, queue);
      return;
    } catch (error) {
      if (!LOST_RACE.has(sqlState(error) ?? '')) throw error;
      if (await queueExists(db, queue)) {
        logger.debug(
          { queue, error: (error as Error).message },
          'queue created concurrently by another process',
        );
        return;
      }
      if (attempt >= ATTEMPTS) throw error;
    }
  }
}

/** Creates each queue in order (§1.2). */
export async function createQueues(db: Queryable, queues: readonly string[], logger: Logger): Promise<void> {
  for (const queue of queues) await createQueue(db, queue, logger);
}
