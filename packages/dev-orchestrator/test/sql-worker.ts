import { randomUUID } from 'node:crypto';
import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';

/**
 * The worker's side of the protocol in plain SQL (docs/protocol.md §7.1, §4.3, §4.6, §4.7), so the
 * orchestrator can be tested before the TypeScript worker exists. One step at a time, driven by the test.
 */

export interface ClaimedStep {
  msg_id: string;
  task_uuid: string;
  step_uuid: string;
  correlation_id: string;
  name: string;
  template_step_name: string;
  inputs: Record<string, unknown> | null;
  attempts: number;
}

export type Outcome =
  | { success: true; result?: unknown }
  | {
      success: false;
      retryable: boolean;
      message?: string;
      headers?: Record<string, string>;
      /** Report the failure through the success state (a worker bug upstream treats as permanent). */
      viaSuccessState?: boolean;
    };

export class SqlWorker {
  readonly workerUuid = randomUUID();
  private readonly pool: pg.Pool;

  constructor(
    databaseUrl: string,
    readonly namespace: string,
  ) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      options: TASKER_SESSION_OPTIONS,
      max: 3,
    });
    this.pool.on('error', () => {});
  }

  get queue(): string {
    return `worker_${this.namespace}_queue`;
  }

  /** Template registration + queue creation, as a worker does at startup. */
  async register(template: Record<string, unknown>): Promise<void> {
    const ns = await this.pool.query<{ task_namespace_uuid: string }>(
      `INSERT INTO tasker.task_namespaces (name, description, created_at, updated_at)
       VALUES ($1::text, 'Auto-created namespace: ' || $1::text, NOW(), NOW())
       ON CONFLICT (name) DO UPDATE SET updated_at = NOW() RETURNING task_namespace_uuid::text`,
      [this.namespace],
    );
    await this.pool.query(
      `INSERT INTO tasker.named_tasks (name, version, description, task_namespace_uuid, configuration, identity_strategy, created_at, updated_at)
       VALUES ($1, $2, NULL, $3::uuid, $4::jsonb, 'strict', NOW(), NOW())
       ON CONFLICT (task_namespace_uuid, name, version) DO UPDATE SET configuration = EXCLUDED.configuration, updated_at = NOW()`,
      [template.name, template.version, ns.rows[0]!.task_namespace_uuid, JSON.stringify(template)],
    );
    for (const q of [this.queue, 'orchestration_step_results'])
      await this.pool.query('SELECT pgmq.create($1::text)', [q]);
  }

  /** Polls the worker queue (deadline) and claims the first message: `enqueued → in_progress`, attempts + 1, archive. */
  async claimNext(timeoutMs = 10_000): Promise<ClaimedStep> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await this.pool.query<{
        msg_id: string;
        message: { task_uuid: string; step_uuid: string; correlation_id: string };
      }>('SELECT msg_id::text, message FROM pgmq.read($1::text, $2::int, $3::int)', [this.queue, 30, 1]);
      const row = rows[0];
      if (row) return this.claim(row.msg_id, row.message);
      if (Date.now() > deadline) throw new Error(`no message on ${this.queue} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Claims and runs steps with `decide` until `count` steps have been handled. */
  async run(
    count: number,
    decide: (step: ClaimedStep) => Outcome | Promise<Outcome>,
  ): Promise<ClaimedStep[]> {
    const handled: ClaimedStep[] = [];
    for (let i = 0; i < count; i++) {
      const step = await this.claimNext();
      await this.complete(step, await decide(step));
      handled.push(step);
    }
    return handled;
  }

  private async claim(
    msgId: string,
    message: { task_uuid: string; step_uuid: string; correlation_id: string },
  ): Promise<ClaimedStep> {
    const info = await this.pool.query<{
      name: string;
      template_step_name: string;
      inputs: Record<string, unknown> | null;
    }>(
      `SELECT ns.name, COALESCE(ws.inputs->>'__template_step_name', ns.name) AS template_step_name, ws.inputs
         FROM tasker.workflow_steps ws JOIN tasker.named_steps ns ON ws.named_step_uuid = ns.named_step_uuid
        WHERE ws.workflow_step_uuid = $1::uuid`,
      [message.step_uuid],
    );
    await this.transition(message.step_uuid, 'enqueued', 'in_progress', {
      event: '{"type":"Start"}',
      timestamp: new Date().toISOString(),
    });
    await this.pool.query(
      'UPDATE tasker.workflow_steps SET in_process = true, updated_at = NOW() WHERE workflow_step_uuid = $1::uuid',
      [message.step_uuid],
    );
    const attempts = await this.pool.query<{ attempts: number }>(
      `UPDATE tasker.workflow_steps SET attempts = COALESCE(attempts, 0) + 1, last_attempted_at = (NOW() AT TIME ZONE 'UTC'), updated_at = NOW()
        WHERE workflow_step_uuid = $1::uuid RETURNING attempts`,
      [message.step_uuid],
    );
    await this.pool.query('SELECT pgmq.archive($1::text, $2::bigint)', [this.queue, msgId]);
    return { msg_id: msgId, ...message, ...info.rows[0]!, attempts: attempts.rows[0]!.attempts };
  }

  async complete(step: ClaimedStep, outcome: Outcome): Promise<void> {
    const now = new Date().toISOString();
    const result = {
      step_uuid: step.step_uuid,
      success: outcome.success,
      result: outcome.success ? (outcome.result ?? {}) : {},
      metadata: {
        execution_time_ms: 3,
        handler_version: null,
        retryable: outcome.success ? false : outcome.retryable,
        completed_at: now,
        worker_id: `sql-worker-${this.workerUuid}`,
        worker_hostname: null,
        started_at: now,
        custom: {},
        error_code: null,
        error_type: outcome.success ? null : 'handler_error',
        context: {},
      },
      status: outcome.success ? 'completed' : 'failed',
      error: outcome.success
        ? null
        : {
            message: outcome.message ?? 'boom',
            error_type: 'handler_error',
            backtrace: null,
            retryable: outcome.retryable,
          },
      orchestration_metadata:
        !outcome.success && outcome.headers
          ? { headers: outcome.headers, error_context: null, backoff_hint: null, custom: {} }
          : null,
    };
    const toState =
      outcome.success || outcome.viaSuccessState
        ? 'enqueued_for_orchestration'
        : 'enqueued_as_error_for_orchestration';
    const eventType =
      toState === 'enqueued_for_orchestration' ? 'EnqueueForOrchestration' : 'EnqueueAsErrorForOrchestration';
    await this.transition(step.step_uuid, 'in_progress', toState, {
      event: JSON.stringify({ type: eventType, data: result }),
      timestamp: now,
      worker_uuid: this.workerUuid,
      correlation_id: step.correlation_id,
    });
    await this.pool.query(
      'UPDATE tasker.workflow_steps SET in_process = false, results = $2::jsonb, updated_at = NOW() WHERE workflow_step_uuid = $1::uuid',
      [step.step_uuid, JSON.stringify(result)],
    );
    await this.sendResult({
      task_uuid: step.task_uuid,
      step_uuid: step.step_uuid,
      correlation_id: step.correlation_id,
    });
  }

  async sendResult(body: unknown): Promise<void> {
    await this.pool.query('SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, $3::int)', [
      'orchestration_step_results',
      JSON.stringify(body),
      0,
    ]);
  }

  async queueDepth(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgmq."q_${this.queue}"`,
    );
    return rows[0]!.n;
  }

  query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(sql, params);
  }

  private async transition(
    stepUuid: string,
    from: string,
    to: string,
    metadata: Record<string, unknown>,
  ): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const sk = await client.query<{ n: number }>(
        'SELECT COALESCE(MAX(sort_key), 0) + 1 AS n FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = $1::uuid',
        [stepUuid],
      );
      await client.query(
        'UPDATE tasker.workflow_step_transitions SET most_recent = false, updated_at = NOW() WHERE workflow_step_uuid = $1::uuid AND most_recent = true',
        [stepUuid],
      );
      await client.query(
        `INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
         VALUES ($1::uuid, $2, $3, $4::jsonb, $5, true, NOW(), NOW())`,
        [stepUuid, to, from, JSON.stringify(metadata), sk.rows[0]!.n],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
