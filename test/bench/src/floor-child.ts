// Child process: the PostgreSQL floor. The per-step statements of our worker, issued by a minimal loop with no
// framework around them: `concurrency` loops, each with its own connection, each doing
//   read (pgmq.read, batch `batch`) → per message: [hydrate] → claim transition → archive → result write →
//   result message
// with the exact SQL texts of packages/worker/src/sql/statements.ts (imported, so the floor follows the worker).
// Env: BENCH_DB_URL, BENCH_CONCURRENCY, BENCH_STEPS (stop after this many), BENCH_BATCH (default 10),
// BENCH_HYDRATE=1 to include the hydration read. Prints `BENCH_READY`, starts on SIGUSR1, prints
// `BENCH_DONE <n>` at the end.

import { TASKER_CONNECTION_OPTIONS } from '@tasker-bridge/devdb';
import pg from 'pg';
import {
  ARCHIVE_MESSAGE,
  CLAIM_STEP,
  COMPLETE_STEP,
  HYDRATE_STEP,
  READ_MESSAGES,
  SEND_WITH_NOTIFY,
} from '../../../packages/worker/src/sql/statements.js';
import {
  claimMetadata,
  completionMetadata,
  naiveUtcNow,
} from '../../../packages/worker/src/transition-metadata.js';
import { BENCH_QUEUE, RESULTS_QUEUE } from './db.js';

const url = process.env.BENCH_DB_URL as string;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 1);
const total = Number(process.env.BENCH_STEPS ?? 0);
const batch = Number(process.env.BENCH_BATCH ?? 10);
const hydrate = process.env.BENCH_HYDRATE === '1';
const workerUuid = '01900000-0000-7000-8000-0000000f1003';

const clients: pg.Client[] = [];
for (let i = 0; i < concurrency; i++) {
  const client = new pg.Client({ connectionString: url, options: TASKER_CONNECTION_OPTIONS });
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
    const { rows } = await db.query({ text: READ_MESSAGES.text, values: [BENCH_QUEUE, 30, want] });
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
      if (hydrate) await db.query({ text: HYDRATE_STEP.text, values: [m.task_uuid, m.step_uuid] });
      await db.query({
        text: CLAIM_STEP.text,
        values: [m.step_uuid, JSON.stringify(claimMetadata()), naiveUtcNow()],
      });
      await db.query({ text: ARCHIVE_MESSAGE.text, values: [BENCH_QUEUE, row.msg_id] });
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
      await db.query({
        text: COMPLETE_STEP.text,
        values: [
          m.step_uuid,
          'enqueued_for_orchestration',
          JSON.stringify(completionMetadata(result as never, workerUuid, m.correlation_id)),
          JSON.stringify(result),
        ],
      });
      await db.query({
        text: SEND_WITH_NOTIFY.text,
        values: [
          RESULTS_QUEUE,
          JSON.stringify({
            task_uuid: m.task_uuid,
            step_uuid: m.step_uuid,
            correlation_id: m.correlation_id,
          }),
          0,
        ],
      });
      done += 1;
    }
  }
}
await Promise.all(clients.map(loop));
process.stdout.write(`BENCH_DONE ${done}\n`);
await Promise.all(clients.map((c) => c.end()));
process.exit(0);
