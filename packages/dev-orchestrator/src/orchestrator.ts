import { EventEmitter, on } from 'node:events';
import { type Logger, noopLogger } from '@tasker-bridge/core';
import { createClient, createPool, NotificationListener } from '@tasker-bridge/worker/internal';
import type pg from 'pg';
import { type BackoffConfig, DEFAULT_BACKOFF } from './backoff.js';
import type { OrchestrationContext } from './context.js';
import { type ProgressEvent, ProgressTracker } from './progress.js';
import { processResultMessage, type QueueMessage, STEP_RESULTS_QUEUE } from './result-processor.js';
import {
  findStrandedTasks,
  getTaskReadyInfo,
  processTaskByState,
  type ReadyTaskInfo,
} from './step-enqueuer.js';
import { UnsentStepMessages } from './step-messages.js';
import type { StepState } from './step-state-machine.js';
import { type CreatedTask, initializeTask, type TaskRequest } from './task-initializer.js';
import { currentTaskState, type TaskState, TERMINAL_TASK_STATES } from './task-state-machine.js';

/**
 * The development orchestrator: plays tasker-orchestration's part of the queue protocol against a real tasker
 * database so a worker can run whole workflows without the Rust server. Not a production orchestrator; see
 * README.md for what it does and does not replicate.
 *
 * All protocol work (task creation, result processing, the periodic ready-task cycle) runs one operation at a
 * time, in arrival order, which keeps runs reproducible.
 */

export interface DevOrchestratorOptions {
  /** The tasker database. */
  databaseUrl: string;
  /**
   * The pgmq database when it is split from the tasker one (upstream `PGMQ_DATABASE_URL`); default `databaseUrl`.
   * Queues, LISTEN and every pgmq call go there; see step-messages.ts for how enqueueing works split.
   */
  pgmqDatabaseUrl?: string;
  logger?: Logger;
  /** Fallback poll of the results queue and the ready-task cycle (ms). Default 500. */
  pollIntervalMs?: number;
  /** Visibility timeout for result reads (s); upstream 30. */
  visibilityTimeoutSeconds?: number;
  /** How often live progress is read back from the database (ms). Default 100. */
  progressIntervalMs?: number;
  /** `common.backoff` equivalents; upstream defaults. */
  backoff?: Partial<BackoffConfig>;
}

export interface StepSnapshot {
  step_uuid: string;
  name: string;
  state: StepState;
  attempts: number | null;
  max_attempts: number | null;
  retryable: boolean;
  processed: boolean;
  inputs: unknown;
  results: unknown;
}

export interface TaskSnapshot {
  task_uuid: string;
  correlation_id: string;
  state: TaskState;
  complete: boolean;
  /** True once nothing more will happen without outside help: a terminal state or `blocked_by_failures`. */
  settled: boolean;
  steps: StepSnapshot[];
}

export class TaskWaitTimeoutError extends Error {
  readonly code = 'task_wait_timeout';
  constructor(
    readonly snapshot: TaskSnapshot | undefined,
    timeoutMs: number,
  ) {
    super(
      `task ${snapshot?.task_uuid ?? '?'} did not settle within ${timeoutMs} ms (state ${snapshot?.state ?? 'unknown'}; steps: ${
        snapshot?.steps.map((s) => `${s.name}=${s.state}`).join(', ') ?? '-'
      })`,
    );
    this.name = 'TaskWaitTimeoutError';
  }
}

const SETTLED_STATES: readonly TaskState[] = [...TERMINAL_TASK_STATES, 'blocked_by_failures'];
/** Upstream bootstrap creates these (docs/protocol.md §1.2); the last is a side effect of `initialize_queues(["orchestration"])`. */
const ORCHESTRATION_QUEUES = [
  'orchestration_task_requests',
  'orchestration_task_finalizations',
  STEP_RESULTS_QUEUE,
  'worker_orchestration_queue',
];
/**
 * `pgmq.create` under the per-queue advisory lock pgmq ≥ 1.6 takes itself (docs/protocol.md §8.3): workers create
 * these queues too, and may start at the same moment; before pgmq 1.6 the loser of that race would fail.
 */
const CREATE_QUEUE = `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext('pgmq.queue_' || $1::text)))
   SELECT pgmq.create($1::text) FROM locked`;
const RESULTS_CHANNEL = 'pgmq_message_ready.orchestration';
const READ_BATCH = 10;
const POOL_SETTINGS = {
  applicationName: 'tasker-bridge-dev-orchestrator',
  max: 5,
  connectionTimeoutMillis: 10_000,
};
const READY_TASKS_PER_CYCLE = 10;

export class DevOrchestrator {
  private readonly emitter = new EventEmitter();
  private readonly options: Required<Omit<DevOrchestratorOptions, 'logger' | 'backoff'>>;
  /** Split databases: the pgmq database differs from the tasker one. */
  private readonly split: boolean;
  private readonly logger: Logger;
  private readonly backoff: BackoffConfig;
  private readonly progress = new ProgressTracker();
  private pool: pg.Pool | undefined;
  private pgmqPool: pg.Pool | undefined;
  private ctx: OrchestrationContext | undefined;
  private listener: NotificationListener | undefined;
  private timers: NodeJS.Timeout[] = [];
  private work: Promise<unknown> = Promise.resolve();
  private drainScheduled = false;
  private running = false;

  constructor(options: DevOrchestratorOptions) {
    this.options = {
      databaseUrl: options.databaseUrl,
      pgmqDatabaseUrl: options.pgmqDatabaseUrl ?? options.databaseUrl,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      progressIntervalMs: options.progressIntervalMs ?? 100,
    };
    this.split = this.options.pgmqDatabaseUrl !== this.options.databaseUrl;
    this.logger = (options.logger ?? noopLogger).child({ component: 'dev-orchestrator' });
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.emitter.setMaxListeners(0);
  }

  /** Creates the orchestration queues, LISTENs for result notifications and starts the fallback timers. */
  async start(): Promise<void> {
    if (this.running) return;
    const pool = createPool({
      ...POOL_SETTINGS,
      connectionString: this.options.databaseUrl,
      onError: (error) => this.logger.warn({ err: error.message }, 'idle database connection failed'),
    });
    this.pool = pool;
    const pgmqPool = this.split
      ? createPool({
          ...POOL_SETTINGS,
          connectionString: this.options.pgmqDatabaseUrl,
          onError: (error) =>
            this.logger.warn({ err: error.message }, 'idle pgmq database connection failed'),
        })
      : pool;
    this.pgmqPool = pgmqPool;
    const { rows } = await pool.query<{ id: string }>('SELECT tasker.uuid_generate_v7()::text AS id');
    this.ctx = {
      pool,
      pgmqPool,
      unsent: this.split ? new UnsentStepMessages() : null,
      processorUuid: rows[0]!.id,
      backoff: this.backoff,
      logger: this.logger,
    };
    for (const queue of ORCHESTRATION_QUEUES) await pgmqPool.query(CREATE_QUEUE, [queue]);
    // The results queue's notifications come from `tasker.pgmq_send_with_notify`, on the pgmq database.
    // After a reconnection, a drain catches up with what was sent while the connection was down.
    this.listener = new NotificationListener({
      createClient: () =>
        createClient(
          this.options.pgmqDatabaseUrl,
          'tasker-bridge-dev-orchestrator-listener',
          POOL_SETTINGS.connectionTimeoutMillis,
        ),
      channels: [RESULTS_CHANNEL],
      onNotification: () => this.scheduleDrain(),
      onConnected: (reconnected) => {
        if (reconnected) this.scheduleDrain();
      },
      logger: this.logger,
    });
    await this.listener.start();
    this.running = true;
    this.timers.push(
      setInterval(() => {
        this.scheduleDrain();
        this.enqueueWork(() => this.readyTaskCycle());
      }, this.options.pollIntervalMs),
      setInterval(() => void this.emitProgress(), this.options.progressIntervalMs),
    );
    this.scheduleDrain();
    this.logger.info(
      { processor_uuid: this.ctx.processorUuid, split_databases: this.split },
      'dev orchestrator started',
    );
  }

  /** Stops timers and the listener, lets the operation in flight finish, closes the pool. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.listener?.stop();
    await this.work.catch(() => {});
    await this.emitProgress();
    const unsent = this.ctx?.unsent?.stepUuids ?? [];
    if (unsent.length > 0) {
      this.logger.warn(
        { step_uuids: unsent },
        'stopped with step messages still unsent: these steps stay enqueued with no message',
      );
    }
    if (this.pgmqPool !== this.pool) await this.pgmqPool?.end();
    await this.pool?.end();
    this.pool = undefined;
    this.pgmqPool = undefined;
    this.emitter.emit('stopped');
  }

  /** Task initialisation followed by the first enqueue, as upstream's `create_and_enqueue_task_from_request`. */
  createTask(request: TaskRequest): Promise<CreatedTask> {
    const ctx = this.context();
    return this.enqueueWork(async () => {
      const created = await initializeTask(ctx.pool, request, ctx.processorUuid);
      this.progress.track(created.task_uuid);
      const info = await getTaskReadyInfo(ctx, created.task_uuid);
      if (!info) throw new Error(`Unable to find task info for ${created.task_uuid}`);
      await processTaskByState(ctx, info);
      this.logger.info(
        { task_uuid: created.task_uuid, correlation_id: created.correlation_id },
        'task created',
      );
      return created;
    });
  }

  on(event: 'step', listener: (e: Extract<ProgressEvent, { kind: 'step' }>) => void): this;
  on(event: 'task', listener: (e: Extract<ProgressEvent, { kind: 'task' }>) => void): this;
  on(
    event: 'result_rejected',
    listener: (e: Extract<ProgressEvent, { kind: 'result_rejected' }>) => void,
  ): this;
  on(event: 'progress', listener: (e: ProgressEvent) => void): this;
  on(event: string, listener: (e: never) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: string, listener: (...args: never[]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Every progress event from now until `stop()` (or until the consumer breaks out). */
  async *events(signal?: AbortSignal): AsyncGenerator<ProgressEvent> {
    const controller = new AbortController();
    const onStop = () => controller.abort();
    this.emitter.once('stopped', onStop);
    signal?.addEventListener('abort', onStop, { once: true });
    try {
      for await (const [event] of on(this.emitter, 'progress', { signal: controller.signal }))
        yield event as ProgressEvent;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      this.emitter.off('stopped', onStop);
    }
  }

  /** Polls (with a deadline) until the task settles; resolves with its state and every step's state. */
  async waitForTask(
    taskUuid: string,
    options: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<TaskSnapshot> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    this.progress.track(taskUuid);
    let snapshot: TaskSnapshot | undefined;
    for (;;) {
      snapshot = await this.getTask(taskUuid);
      if (snapshot?.settled) {
        await this.emitProgress();
        return snapshot;
      }
      if (Date.now() >= deadline) throw new TaskWaitTimeoutError(snapshot, timeoutMs);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(options.intervalMs ?? 50, Math.max(0, deadline - Date.now()))),
      );
    }
  }

  async getTask(taskUuid: string): Promise<TaskSnapshot | undefined> {
    const { pool } = this.context();
    const task = await pool.query<{ task_uuid: string; correlation_id: string; complete: boolean }>(
      'SELECT task_uuid::text, correlation_id::text, complete FROM tasker.tasks WHERE task_uuid = $1::uuid',
      [taskUuid],
    );
    const row = task.rows[0];
    if (!row) return undefined;
    const state = await currentTaskState(pool, taskUuid);
    const steps = await pool.query<StepSnapshot>(
      `SELECT ws.workflow_step_uuid::text AS step_uuid, ns.name, COALESCE(t.to_state, 'pending') AS state, ws.attempts,
              ws.max_attempts, ws.retryable, ws.processed, ws.inputs, ws.results
         FROM tasker.workflow_steps ws
         JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
         LEFT JOIN tasker.workflow_step_transitions t ON t.workflow_step_uuid = ws.workflow_step_uuid AND t.most_recent
        WHERE ws.task_uuid = $1::uuid
        ORDER BY ws.created_at, ws.workflow_step_uuid`,
      [taskUuid],
    );
    return { ...row, state, settled: SETTLED_STATES.includes(state), steps: steps.rows };
  }

  private context(): OrchestrationContext {
    if (!this.ctx || !this.running) throw new Error('DevOrchestrator is not running; call start() first');
    return this.ctx;
  }

  /** Serialises protocol work; a failed operation is logged and does not stop the next one. */
  private enqueueWork<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.work.then(fn);
    this.work = run.then(
      () => this.emitProgress(),
      (error: unknown) => {
        this.logger.error({ err: error }, 'orchestration operation failed');
        return this.emitProgress();
      },
    );
    return run;
  }

  private scheduleDrain(): void {
    if (!this.running || this.drainScheduled) return;
    this.drainScheduled = true;
    void this.enqueueWork(async () => {
      this.drainScheduled = false;
      await this.drainResults();
    }).catch(() => {});
  }

  /** Reads `orchestration_step_results` until empty; each message is handled before the next is read. */
  private async drainResults(): Promise<void> {
    if (!this.running) return;
    const ctx = this.context();
    for (;;) {
      const { rows } = await ctx.pgmqPool.query<QueueMessage>(
        'SELECT msg_id::text, read_ct, message FROM pgmq.read($1::text, $2::int, $3::int)',
        [STEP_RESULTS_QUEUE, this.options.visibilityTimeoutSeconds, READ_BATCH],
      );
      if (rows.length === 0 || !this.running) return;
      for (const message of rows) {
        try {
          const outcome = await processResultMessage(ctx, message);
          if (outcome.type === 'processed') this.progress.track(outcome.task_uuid);
          else this.emit({ kind: 'result_rejected', msg_id: message.msg_id, reason: outcome.reason });
        } catch (error) {
          // Left unacknowledged: it becomes visible again after the visibility timeout (as upstream).
          this.logger.error(
            { msg_id: message.msg_id, err: error },
            'step result processing failed; message left for redelivery',
          );
        }
        await this.emitProgress();
      }
    }
  }

  /**
   * Upstream's periodic ready-task cycle (`tasker.get_next_ready_tasks`): retries after backoff, waiting tasks;
   * plus our own tasks stranded mid-operation by a lost connection; with split databases, first the step messages
   * whose send failed after their `enqueued` transition (step-messages.ts).
   */
  private async readyTaskCycle(): Promise<void> {
    if (!this.running) return;
    const ctx = this.context();
    await ctx.unsent?.flush(ctx.pgmqPool, this.logger);
    const { rows } = await ctx.pool.query<ReadyTaskInfo>(
      `SELECT task_uuid::text, namespace_name::text, ready_steps_count::int AS ready_steps_count, current_state::text
         FROM tasker.get_next_ready_tasks($1::int)`,
      [READY_TASKS_PER_CYCLE],
    );
    for (const info of [...rows, ...(await findStrandedTasks(ctx, READY_TASKS_PER_CYCLE))]) {
      try {
        await processTaskByState(ctx, info);
      } catch (error) {
        this.logger.warn({ task_uuid: info.task_uuid, err: error }, 'ready-task processing failed');
      }
    }
  }

  private emitting: Promise<void> = Promise.resolve();

  /** Reads new transitions of tracked tasks and emits them (one scan at a time, in order). */
  private emitProgress(): Promise<void> {
    this.emitting = this.emitting.then(async () => {
      const pool = this.pool;
      if (!pool) return;
      try {
        for (const event of await this.progress.scan(pool)) {
          this.emit(event);
        }
      } catch (error) {
        if (this.running) this.logger.debug({ err: error }, 'progress scan failed');
      }
    });
    return this.emitting;
  }

  private emit(event: ProgressEvent): void {
    this.emitter.emit('progress', event);
    this.emitter.emit(event.kind, event);
  }
}
