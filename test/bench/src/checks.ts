// What every measured run must leave behind, checked after the contender has stopped (so a late duplicate is
// counted too). A run that fails a check never enters the table or the history: the bench stops with
// BenchRunFailed, naming the contender, round, concurrency and each failed check.

import type pg from 'pg';
import { BENCH_QUEUE, RESULTS_QUEUE } from './db.js';

export interface RunCheck {
  /** Steps seeded for this run (every phase: latency samples and throughput). */
  steps: number;
  /** Steps whose current state is `enqueued_for_orchestration`. */
  completed: number;
  /** Steps with more than one `in_progress` transition (claimed twice). */
  doubleClaims: number;
  resultMessages: number;
  /** Seeded steps without a result message. */
  missingResults: number;
  /** Result messages beyond one per seeded step (duplicates, or for steps the bench did not seed). */
  extraResults: number;
  /** Step messages neither archived nor deleted. */
  leftInQueue: number;
}

export async function checkRun(pool: pg.Pool): Promise<RunCheck> {
  const { rows } = await pool.query<Record<keyof RunCheck, string>>(
    `WITH seeded AS (SELECT step_uuid FROM public.bench_steps),
          results AS (SELECT message->>'step_uuid' AS step_uuid FROM pgmq.q_${RESULTS_QUEUE}),
          answered AS (SELECT DISTINCT s.step_uuid FROM seeded s JOIN results r ON r.step_uuid = s.step_uuid::text)
     SELECT (SELECT count(*) FROM seeded)::text AS "steps",
            (SELECT count(*) FROM seeded s
               JOIN tasker.workflow_step_transitions tr
                 ON tr.workflow_step_uuid = s.step_uuid AND tr.most_recent
                AND tr.to_state = 'enqueued_for_orchestration')::text AS "completed",
            (SELECT count(*) FROM (
               SELECT 1 FROM seeded s
                 JOIN tasker.workflow_step_transitions tr
                   ON tr.workflow_step_uuid = s.step_uuid AND tr.to_state = 'in_progress'
                GROUP BY s.step_uuid HAVING count(*) > 1) twice)::text AS "doubleClaims",
            (SELECT count(*) FROM results)::text AS "resultMessages",
            ((SELECT count(*) FROM seeded) - (SELECT count(*) FROM answered))::text AS "missingResults",
            ((SELECT count(*) FROM results) - (SELECT count(*) FROM answered))::text AS "extraResults",
            (SELECT count(*) FROM pgmq.q_${BENCH_QUEUE})::text AS "leftInQueue"`,
  );
  const r = rows[0];
  if (!r) throw new Error('bench check query returned no row');
  return {
    steps: Number(r.steps),
    completed: Number(r.completed),
    doubleClaims: Number(r.doubleClaims),
    resultMessages: Number(r.resultMessages),
    missingResults: Number(r.missingResults),
    extraResults: Number(r.extraResults),
    leftInQueue: Number(r.leftInQueue),
  };
}

/** Each failed check as one sentence; empty when the run is sound. */
export function failedChecks(check: RunCheck, expectedSteps: number): string[] {
  const failures: string[] = [];
  if (check.steps !== expectedSteps) failures.push(`seeded ${check.steps} steps, expected ${expectedSteps}`);
  if (check.completed !== check.steps) {
    failures.push(`${check.steps - check.completed} of ${check.steps} steps not enqueued_for_orchestration`);
  }
  if (check.doubleClaims > 0) failures.push(`${check.doubleClaims} steps claimed more than once`);
  if (check.missingResults > 0) failures.push(`${check.missingResults} steps without a result message`);
  if (check.extraResults > 0) failures.push(`${check.extraResults} extra result messages`);
  if (check.leftInQueue > 0) failures.push(`${check.leftInQueue} step messages left in ${BENCH_QUEUE}`);
  return failures;
}

export interface RunContext {
  contender: string;
  round: number;
  concurrency: number;
  logDir: string;
}

/** A measured run that failed its checks, stalled or could not start: the bench stops with exit code 1. */
export class BenchRunFailed extends Error {
  readonly code: 'BENCH_CHECK_FAILED' | 'BENCH_RUN_FAILED';
  readonly context: RunContext;
  readonly failures: readonly string[];

  constructor(context: RunContext, failures: readonly string[], cause?: unknown) {
    const what = `${context.contender}, round ${context.round}, c=${context.concurrency}`;
    const headline =
      cause === undefined
        ? `${failures.length} check(s) failed`
        : `the run did not finish (${cause instanceof Error ? cause.message : String(cause)})`;
    super(
      `bench FAILED: ${what}: ${headline}\n${failures.map((f) => `  - ${f}`).join('\n')}${
        failures.length ? '\n' : ''
      }  logs: ${context.logDir}\nThe bench stopped: no table, no history entry.`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'BenchRunFailed';
    this.code = cause === undefined ? 'BENCH_CHECK_FAILED' : 'BENCH_RUN_FAILED';
    this.context = context;
    this.failures = failures;
  }
}
