import type { Logger } from '@tasker-bridge/core';
import type { Queryable } from './db.js';

/**
 * Sending step messages (docs/protocol.md §2.2), and what the dev orchestrator does when the tasker tables and
 * pgmq live in different databases (`pgmqDatabaseUrl`, upstream `PGMQ_DATABASE_URL`).
 *
 * With one database, the `pending → enqueued` transition and the send commit together (step-enqueuer.ts). Split,
 * they cannot: the transition commits on the tasker database first, then the message is sent on the pgmq one —
 * upstream's order ("TAS-29 Phase 5.4"). The reverse order is not safe: a worker may read the message before the
 * step is `enqueued`, find it `pending` and drop the message as stale. What the chosen order can leave behind is
 * a step `enqueued` whose send failed (pgmq database unreachable, connection lost mid-send); upstream then waits
 * for its staleness detection. The dev orchestrator keeps such messages in `UnsentStepMessages` and sends them again at
 * every ready-task cycle until they go through. A retry whose first attempt did commit (reply lost) sends the
 * message twice; a worker claims the step through one of them and drops the other (pgmq is at-least-once).
 */

export interface StepMessage {
  task_uuid: string;
  step_uuid: string;
  correlation_id: string;
}

/** `tasker.pgmq_send_with_notify(queue, StepMessage, 0)`, the send that wakes the namespace's workers. Returns msg_id. */
export async function sendStepMessage(db: Queryable, queue: string, message: StepMessage): Promise<string> {
  const { rows } = await db.query<{ msg_id: string }>(
    'SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, $3::int)::text AS msg_id',
    [queue, JSON.stringify(message), 0],
  );
  const msgId = rows[0]?.msg_id;
  if (msgId === undefined) throw new Error(`pgmq_send_with_notify returned no msg_id for queue ${queue}`);
  return msgId;
}

/** Whether the queue exists (a worker of the namespace creates it at startup, docs/protocol.md §1.2). */
export async function queueExists(db: Queryable, queue: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pgmq.list_queues() WHERE queue_name = $1::text) AS found',
    [queue],
  );
  return rows[0]?.found === true;
}

interface Unsent {
  queue: string;
  message: StepMessage;
  stepName: string;
}

/** Step messages of `enqueued` steps whose send failed (split databases only), by step uuid. */
export class UnsentStepMessages {
  readonly #unsent = new Map<string, Unsent>();

  get size(): number {
    return this.#unsent.size;
  }

  /** Step uuids still waiting for their message. */
  get stepUuids(): string[] {
    return [...this.#unsent.keys()];
  }

  keep(queue: string, message: StepMessage, stepName: string): void {
    this.#unsent.set(message.step_uuid, { queue, message, stepName });
  }

  /** Sends every kept message in the order kept; those that fail again stay for the next call. */
  async flush(pgmq: Queryable, logger: Logger): Promise<void> {
    for (const [stepUuid, unsent] of [...this.#unsent]) {
      try {
        const msgId = await sendStepMessage(pgmq, unsent.queue, unsent.message);
        this.#unsent.delete(stepUuid);
        logger.info(
          {
            task_uuid: unsent.message.task_uuid,
            step_uuid: stepUuid,
            step_name: unsent.stepName,
            queue_name: unsent.queue,
            msg_id: msgId,
          },
          'step message sent on retry',
        );
      } catch (error) {
        logger.debug(
          { step_uuid: stepUuid, queue_name: unsent.queue, err: (error as Error).message },
          'step message still unsent',
        );
      }
    }
  }
}
