import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { COMPLETE_AND_REPORT, COMPLETE_CLAIMS } from '../src/sql/statements.js';
import { ProtocolRows } from './fixtures/protocol-rows.js';

/**
 * The generic plans the worker's pools use (`plan_cache_mode=force_generic_plan`, docs/performance.md §3.1) must
 * stay index lookups of the rows a statement is about, whatever the statistics say. Here the statistics were taken
 * while no step was `in_progress` (as after any quiet period), which makes "every `in_progress` row" look like the
 * cheapest way to the claim row: the completion must find it by its uuid all the same.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
  // The registration a worker would have made (the plans do not depend on the template).
  await rows.query(
    `WITH ns AS (
       INSERT INTO tasker.task_namespaces (name, description, created_at, updated_at)
       VALUES ('plans', 'plans', NOW(), NOW()) RETURNING task_namespace_uuid)
     INSERT INTO tasker.named_tasks (name, version, description, task_namespace_uuid, configuration,
                                     identity_strategy, created_at, updated_at)
     SELECT 'flow', '1.0.0', 'plans', task_namespace_uuid, '{}'::jsonb, 'strict', NOW(), NOW() FROM ns`,
  );
  const first = await rows.createTask({ namespace: 'plans', name: 'flow', steps: [{ name: 'a' }] });
  // 2,000 more tasks of one enqueued step each, as orchestration leaves them, then fresh statistics.
  await rows.query(
    `WITH t AS (
       INSERT INTO tasker.tasks (named_task_uuid, complete, requested_at, initiator, source_system, reason, tags,
                                 context, identity_hash, created_at, updated_at, priority, correlation_id)
       SELECT $1::uuid, false, NOW(), 'test', 'test', 'plans', '[]'::jsonb, jsonb_build_object('n', g),
              'plans:' || g, NOW(), NOW(), 0, gen_random_uuid()
         FROM generate_series(1, 2000) g
       RETURNING task_uuid),
     s AS (
       INSERT INTO tasker.workflow_steps (task_uuid, named_step_uuid, retryable, max_attempts, in_process,
                                          processed, created_at, updated_at)
       SELECT t.task_uuid, (SELECT named_step_uuid FROM tasker.workflow_steps WHERE workflow_step_uuid = $2::uuid),
              true, 3, false, false, NOW(), NOW()
         FROM t
       RETURNING workflow_step_uuid)
     INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, to_state, from_state, metadata, sort_key,
                                                   most_recent, created_at, updated_at)
     SELECT s.workflow_step_uuid, x.to_state, x.from_state, '{}'::jsonb, x.sort_key, x.most_recent, NOW(), NOW()
       FROM s CROSS JOIN (VALUES ('pending', NULL, 1, false), ('enqueued', 'pending', 2, true))
         AS x(to_state, from_state, sort_key, most_recent)`,
    [first.named_task_uuid, first.steps.a],
  );
  await rows.query('ANALYZE tasker.workflow_step_transitions');
  client = new pg.Client({
    connectionString: db.url,
    options: '-c search_path=tasker,public -c TimeZone=UTC -c plan_cache_mode=force_generic_plan',
  });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await rows?.close();
  await db?.drop();
});

/** The generic plan of `text`'s CTE `cte`, as EXPLAIN prints it (the statement is not run). */
async function ctePlan(name: string, text: string, params: string, cte: string): Promise<string> {
  await client.query(`PREPARE ${name} AS ${text}`);
  const plan = (await client.query(`EXPLAIN EXECUTE ${name}(${params})`)).rows
    .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'])
    .join('\n');
  const start = plan.indexOf(`CTE ${cte}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = plan.indexOf('\n  CTE ', start + 1);
  return plan.slice(start, end < 0 ? undefined : end);
}

it.each([
  ['complete_claims', COMPLETE_CLAIMS.text, `'[]'`],
  ['complete_and_report', COMPLETE_AND_REPORT.text, `'[]', 'orchestration_step_results', '[]', '{}', '{}'`],
])(
  '%s finds the claim row by its primary key, not through every in_progress row',
  async (name, text, params) => {
    const prior = await ctePlan(`plan_${name}`, text, params, 'prior');
    expect(prior).toMatch(/Update on workflow_step_transitions/);
    expect(prior).toMatch(/Index Scan using workflow_step_transitions_pkey/);
    expect(prior).not.toMatch(/state_lookup/);
  },
);
