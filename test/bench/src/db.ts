// The bench's database side: its own devdb cluster (isolated from test runs), a fresh clone per measured run,
// set-based seeding of enqueued steps, the two ways of feeding step messages, and the completion watcher.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ClonedDatabase,
  createDatabaseFromTemplate,
  type DevCluster,
  ensureTemplateDatabase,
  startDevCluster,
} from '@tasker-bridge/devdb';
import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { BENCH_DIR } from './paths.js';

export const BENCH_NAMESPACE = 'bench';
export const BENCH_QUEUE = `worker_${BENCH_NAMESPACE}_queue`;
export const RESULTS_QUEUE = 'orchestration_step_results';
export const TEMPLATE_DIR = join(BENCH_DIR, 'templates');
export const TEMPLATE_FILE = join(TEMPLATE_DIR, 'bench_noop.yaml');
export const HANDLER_NAME = 'bench_handlers.NoopHandler';

export interface BenchDb {
  cluster: DevCluster;
  template: string;
  clone(): Promise<ClonedDatabase>;
}

/** The bench's own PostgreSQL 18 cluster (devdb, own cache dir): other sessions' test databases stay out of it. */
export async function openBenchCluster(cacheDir: string): Promise<BenchDb> {
  const cluster = await startDevCluster({ cacheDir });
  const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
  return {
    cluster,
    template,
    clone: () => createDatabaseFromTemplate(cluster.adminUrl, template),
  };
}

export function taskerPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, options: TASKER_SESSION_OPTIONS, max });
  pool.on('error', () => {});
  return pool;
}

export async function templateObject(): Promise<Record<string, unknown>> {
  return parseYaml(await readFile(TEMPLATE_FILE, 'utf8')) as Record<string, unknown>;
}

/**
 * Rows a worker would have registered (namespace, named task with the template as configuration) and the queues,
 * for contenders that do not register anything themselves (the SQL floor). Idempotent; a worker's own
 * registration overwrites the configuration with its serialisation.
 */
export async function ensureRegistration(pool: pg.Pool): Promise<void> {
  const template = await templateObject();
  await pool.query(
    `WITH ns AS (
       INSERT INTO tasker.task_namespaces (name, description, created_at, updated_at)
       VALUES ($1::text, 'Auto-created namespace: ' || $1::text, NOW(), NOW())
       ON CONFLICT (name) DO UPDATE SET updated_at = NOW() RETURNING task_namespace_uuid)
     INSERT INTO tasker.named_tasks (name, version, description, task_namespace_uuid, configuration,
                                     identity_strategy, created_at, updated_at)
     SELECT $2::text, $3::text, 'bench', task_namespace_uuid, $4::jsonb, 'strict', NOW(), NOW() FROM ns
     ON CONFLICT (task_namespace_uuid, name, version) DO NOTHING`,
    [BENCH_NAMESPACE, template.name, template.version, JSON.stringify(template)],
  );
  for (const q of [BENCH_QUEUE, RESULTS_QUEUE]) await pool.query('SELECT pgmq.create($1::text)', [q]);
}

/**
 * Orchestration's side, set-based: `count` tasks of the bench template with one step each, every step with the
 * transitions `pending` → `enqueued` (most recent), exactly what orchestration leaves before it sends the step
 * message. One task per step: hydration then reads a task row, its named task and an empty dependency walk per
 * step, which is what a root step of a real workflow costs (a step's hydration cost does not depend on how many
 * siblings it has; dependency results are the part that grows, and a no-op bench has none).
 * The StepMessages are kept in `public.bench_steps` (phase = `label`) for the feed.
 */
export async function seedSteps(pool: pg.Pool, count: number, label: string): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS public.bench_steps (
       seq bigserial PRIMARY KEY, phase text NOT NULL, task_uuid uuid NOT NULL, step_uuid uuid NOT NULL,
       correlation_id uuid NOT NULL)`,
  );
  await pool.query(
    `INSERT INTO tasker.named_steps (name, created_at, updated_at) VALUES ('noop', NOW(), NOW())
     ON CONFLICT (name) DO NOTHING`,
  );
  await pool.query(
    `WITH nt AS (
       SELECT nt.named_task_uuid FROM tasker.named_tasks nt
         JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
        WHERE tn.name = $1 AND nt.name = 'bench_noop' AND nt.version = '1.0.0'),
     t AS (
       INSERT INTO tasker.tasks (named_task_uuid, complete, requested_at, initiator, source_system, reason, tags,
                                 context, identity_hash, created_at, updated_at, priority, correlation_id)
       SELECT nt.named_task_uuid, false, NOW(), 'bench', 'bench', 'npm run bench', '["bench"]'::jsonb,
              jsonb_build_object('n', g), $3 || ':' || g, NOW(), NOW(), 0, gen_random_uuid()
         FROM nt, generate_series(1, $2::int) g
       RETURNING task_uuid, correlation_id),
     s AS (
       INSERT INTO tasker.workflow_steps (task_uuid, named_step_uuid, retryable, max_attempts, in_process,
                                          processed, created_at, updated_at)
       SELECT t.task_uuid, (SELECT named_step_uuid FROM tasker.named_steps WHERE name = 'noop'), true, 3, false,
              false, NOW(), NOW()
         FROM t
       RETURNING workflow_step_uuid, task_uuid),
     tr AS (
       INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, to_state, from_state, metadata, sort_key,
                                                     most_recent, created_at, updated_at)
       SELECT s.workflow_step_uuid, x.to_state, x.from_state, x.metadata::jsonb, x.sort_key, x.most_recent,
              NOW(), NOW()
         FROM s CROSS JOIN (VALUES
           ('pending', NULL, '{"event":"{\\"type\\":\\"Start\\"}"}', 1, false),
           ('enqueued', 'pending', '{"event":"{\\"type\\":\\"Enqueue\\"}"}', 2, true)
         ) AS x(to_state, from_state, metadata, sort_key, most_recent))
     INSERT INTO public.bench_steps (phase, task_uuid, step_uuid, correlation_id)
     SELECT $3, s.task_uuid, s.workflow_step_uuid, t.correlation_id FROM s JOIN t USING (task_uuid)`,
    [BENCH_NAMESPACE, count, label],
  );
  await pool.query('ANALYZE');
}

const STEP_MESSAGE = `jsonb_build_object('task_uuid', task_uuid, 'step_uuid', step_uuid, 'correlation_id', correlation_id)`;

/** Throughput feed: every message of `label` in one `pgmq.send_batch` (no notification: the poll path). */
export async function feedBatch(pool: pg.Pool, label: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM pgmq.send_batch($1::text,
       (SELECT array_agg(${STEP_MESSAGE} ORDER BY seq) FROM public.bench_steps WHERE phase = $2))`,
    [BENCH_QUEUE, label],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Throughput feed, orchestration's way: one `tasker.pgmq_send_with_notify` per message (§2.2), all in one
 * statement, so every message and its `message_with_payload` notification become visible at the same commit.
 */
export async function feedNotify(pool: pg.Pool, label: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(tasker.pgmq_send_with_notify($1::text, ${STEP_MESSAGE}, 0))::text AS n
       FROM (SELECT * FROM public.bench_steps WHERE phase = $2 ORDER BY seq) s`,
    [BENCH_QUEUE, label],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function stepMessages(pool: pg.Pool, label: string) {
  const { rows } = await pool.query<{ task_uuid: string; step_uuid: string; correlation_id: string }>(
    `SELECT task_uuid::text, step_uuid::text, correlation_id::text FROM public.bench_steps
      WHERE phase = $1 ORDER BY seq`,
    [label],
  );
  return rows;
}

/** Latency feed: one message with orchestration's notifying send; returns after its commit. */
export async function sendOne(pool: pg.Pool, body: unknown): Promise<void> {
  await pool.query('SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, 0)', [
    BENCH_QUEUE,
    JSON.stringify(body),
  ]);
}

/** Epoch milliseconds with sub-millisecond resolution (same clock as the handlers' `started_at_ms`). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Counts result messages (`orchestration_step_results`) as they are sent, from their notifications
 * (`tasker.pgmq_send_with_notify` NOTIFYs `pgmq_message_ready.orchestration`): no polling load on the database.
 */
export class ResultWatcher {
  readonly #client: pg.Client;
  count = 0;
  lastAt = 0;
  #waiters: { n: number; resolve: () => void }[] = [];

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async open(url: string): Promise<ResultWatcher> {
    const client = new pg.Client({ connectionString: url, options: TASKER_SESSION_OPTIONS });
    client.on('error', () => {});
    const watcher = new ResultWatcher(client);
    client.on('notification', (msg) => {
      if (!msg.payload?.includes(`"${RESULTS_QUEUE}"`)) return;
      watcher.count += 1;
      watcher.lastAt = nowMs();
      watcher.#waiters = watcher.#waiters.filter((w) => {
        if (watcher.count < w.n) return true;
        w.resolve();
        return false;
      });
    });
    await client.connect();
    await client.query('LISTEN "pgmq_message_ready.orchestration"');
    return watcher;
  }

  /** Resolves when `n` results have been seen; rejects after `timeoutMs` without progress. */
  async waitFor(n: number, timeoutMs: number): Promise<void> {
    let seen = this.count;
    let lastProgress = Date.now();
    const reached = new Promise<void>((resolve) => {
      if (this.count >= n) resolve();
      else this.#waiters.push({ n, resolve });
    });
    for (;;) {
      const done = await Promise.race([reached.then(() => true), sleep(250).then(() => false)]);
      if (done) return;
      if (this.count !== seen) {
        seen = this.count;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > timeoutMs) {
        throw new Error(`stalled at ${this.count}/${n} results for ${timeoutMs} ms`);
      }
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => {});
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Handler start times recorded by the no-op handlers (`results.result.started_at_ms`), by step. */
export async function handlerStarts(pool: pg.Pool, label: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ step_uuid: string; started: number | null }>(
    `SELECT b.step_uuid::text, (ws.results->'result'->>'started_at_ms')::float8 AS started
       FROM public.bench_steps b JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = b.step_uuid
      WHERE b.phase = $1`,
    [label],
  );
  return new Map(rows.filter((r) => r.started !== null).map((r) => [r.step_uuid, r.started as number]));
}
