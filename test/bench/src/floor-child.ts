// Child process: the PostgreSQL floor. The per-step statements of our worker, issued by a minimal loop with no
// framework around them: `concurrency` loops, each with its own connection, each doing
//   read (pgmq.read with the lease's visibility timeout, batch `batch`) → per message: claim transition (or,
//   with BENCH_HYDRATE=1, the worker's hydrate-and-claim for that message) → result write (fenced to the claim)
//   → result message + archive (one statement); each statement for one step, however many the worker batches
// with the exact SQL texts of packages/worker/src/sql/statements.ts (imported, so the floor follows the worker),
// prepared by name as the worker does.
// Env: BENCH_DB_URL, BENCH_CONCURRENCY, BENCH_STEPS (stop after this many), BENCH_BATCH (default 10),
// BENCH_HYDRATE=1 to include the hydration read. Prints `BENCH_READY`, starts on SIGUSR1, prints
// `BENCH_DONE <n>` at the end.

import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { completionsParam } from '../../../packages/worker/src/complete.js';
import { sendResultsParams } from '../../../packages/worker/src/pgmq.js';
import {
  CLAIM_STEP,
  COMPLETE_CLAIMS,
  HYDRATE_AND_CLAIM,
  READ_MESSAGES,
  SEND_RESULTS_AND_ARCHIVE,
} from '../../../packages/worker/src/sql/statements.js';
import { claimMetadata, naiveUtcNow } from '../../../packages/worker/src/transition-metadata.js';
import { BENCH_NAMESPACE, BENCH_QUEUE, RESULTS_QUEUE } from './db.js';

const url = process.env.BENCH_DB_URL as string;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 1);
const total = Number(process.env.BENCH_STEPS ?? 0);
const batch = Number(process.env.BENCH_BATCH ?? 10);
const hydrate = process.env.BENCH_HYDRATE === '1';
const workerUuid = '01900000-0000-7000-8000-0000000f1003';

const clients: pg.Client[] = [];
for (let i = 0; i < concurrency; i++) {
  const client = new pg.Client({ connectionString: url, options: TASKER_SESSION_OPTIONS });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
}
const go = new Promise<void>((resolve) => process.once('SIGUSR1', () => resolve()));
process.stdout.write('BENCH_READY\n');
await go;

let claimed = 0;
let done = 0;
async function loop(db: pg.Client): Promise<void> {
  while (done < total) {
    const want = Math.min(batch, total - claimed);
    if (want <= 0) return;
    const { rows } = await db.query({
      name: READ_MESSAGES.name,
      text: READ_MESSAGES.text,
      values: [BENCH_QUEUE, 30, want],
    });
    if (rows.length === 0) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    claimed += rows.length;
    for (const row of rows as {
      msg_id: string;
      message: { step_uuid: string; task_uuid: string; correlation_id: string };
    }[]) {
      const m = row.message;
      const lease = { workerUuid, lease: { queue: BENCH_QUEUE, msg_id: row.msg_id } };
      // With hydration: the worker's own hydrate-and-claim statement, for this one message; without: the claim
      // alone.
      const claimUuid = hydrate
        ? (
            await db.query<{ new_claim_uuid: string }>({
              name: HYDRATE_AND_CLAIM.name,
              text: HYDRATE_AND_CLAIM.text,
              values: [
                [row.msg_id],
                [m.task_uuid],
                [m.step_uuid],
                BENCH_QUEUE,
                JSON.stringify({ ...claimMetadata(), worker_uuid: workerUuid }),
                naiveUtcNow(),
                [BENCH_NAMESPACE],
              ],
            })
          ).rows[0]?.new_claim_uuid
        : (
            await db.query<{ workflow_step_transition_uuid: string }>({
              name: CLAIM_STEP.name,
              text: CLAIM_STEP.text,
              values: [m.step_uuid, JSON.stringify(claimMetadata(undefined, lease)), naiveUtcNow()],
            })
          ).rows[0]?.workflow_step_transition_uuid;
      const result = {
        step_uuid: m.step_uuid,
        success: true,
        result: { started_at_ms: performance.timeOrigin + performance.now() },
        status: 'completed',
        metadata: {
          execution_time_ms: 0,
          custom: {},
          retryable: false,
          completed_at: new Date().toISOString(),
        },
      };
      // The worker's completion statements, each for this one step.
      await db.query({
        name: COMPLETE_CLAIMS.name,
        text: COMPLETE_CLAIMS.text,
        values: [
          completionsParam([
            {
              stepUuid: m.step_uuid,
              claimTransitionUuid: claimUuid as string,
              result: result as never,
              workerUuid,
              correlationId: m.correlation_id,
            },
          ]),
        ],
      });
      await db.query({
        name: SEND_RESULTS_AND_ARCHIVE.name,
        text: SEND_RESULTS_AND_ARCHIVE.text,
        values: sendResultsParams(RESULTS_QUEUE, [
          { message: m, lease: { queue: BENCH_QUEUE, msgId: row.msg_id } },
        ]),
      });
      done += 1;
    }
  }
}
await Promise.all(clients.map(loop));
process.stdout.write(`BENCH_DONE ${done}\n`);
await Promise.all(clients.map((c) => c.end()));
process.exit(0);
