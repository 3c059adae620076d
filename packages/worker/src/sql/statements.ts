/**
 * Every SQL statement of the worker side of the queue protocol, in one place, named for the protocol step it
 * implements (docs/contributing.md "All SQL of the queue protocol lives in one place"). Section numbers refer to
 * docs/protocol.md.
 *
 * Conventions (§0): every connection runs with `search_path=tasker,public` and `TimeZone=UTC`; tasker objects
 * are schema-qualified anyway; pgmq parameters are cast (`$1::text`, `$2::bigint`) because node-pg sends
 * untyped parameters and pgmq has overloaded functions; `msg_id` (int8) stays a string.
 *
 * Where upstream issues several statements for one protocol phase, the statements below fold them into one
 * statement (one round trip, one implicit transaction) with the same effect; each comment says which upstream
 * statements it replaces. The worker never spans a transaction across the tasker and the pgmq database (§0.4).
 */

// ---------------------------------------------------------------------------------------------------------
// Statement type: the text plus the row type it returns, so call sites get typed rows.
// ---------------------------------------------------------------------------------------------------------

export interface Statement<Row> {
  readonly name: string;
  readonly text: string;
  /** Phantom: the row type. Never set at runtime. */
  readonly row?: Row;
}

function statement<Row>(name: string, text: string): Statement<Row> {
  return { name, text };
}

// ---------------------------------------------------------------------------------------------------------
// Startup: template registration (§7.1) and queues (§1.2)
// ---------------------------------------------------------------------------------------------------------

/**
 * Find-or-create the namespace (§7.1; upstream `TaskNamespace::find_or_create`: SELECT, then INSERT with
 * description `Auto-created namespace: {name}`). One statement; `ON CONFLICT DO NOTHING` + the fallback SELECT
 * keeps it correct when two workers start at once. $1 = namespace name.
 */
export const FIND_OR_CREATE_NAMESPACE = statement<{ task_namespace_uuid: string }>(
  'find_or_create_namespace',
  `WITH inserted AS (
     INSERT INTO tasker.task_namespaces (name, description, created_at, updated_at)
     VALUES ($1::text, 'Auto-created namespace: ' || $1::text, NOW(), NOW())
     ON CONFLICT (name) DO NOTHING
     RETURNING task_namespace_uuid
   )
   SELECT task_namespace_uuid::text FROM inserted
   UNION ALL
   SELECT task_namespace_uuid::text FROM tasker.task_namespaces WHERE name = $1::text
   LIMIT 1`,
);

/**
 * Upsert the named task (§7.1; upstream `NamedTask::find_by_name_version_namespace` then `NamedTask::update`
 * (`description = COALESCE($2, description)`, `configuration = COALESCE($3, configuration)`) or
 * `NamedTask::create` with identity_strategy `strict`). One statement on the
 * `(task_namespace_uuid, name, version)` unique constraint.
 * $1 name, $2 version, $3 description (nullable), $4 namespace uuid, $5 configuration (serde JSON of the template).
 */
export const UPSERT_NAMED_TASK = statement<{ named_task_uuid: string; inserted: boolean }>(
  'upsert_named_task',
  `INSERT INTO tasker.named_tasks
     (name, version, description, task_namespace_uuid, configuration, identity_strategy, created_at, updated_at)
   VALUES ($1::text, $2::text, $3::text, $4::uuid, $5::jsonb, 'strict', NOW(), NOW())
   ON CONFLICT (task_namespace_uuid, name, version) DO UPDATE
     SET description = COALESCE(EXCLUDED.description, tasker.named_tasks.description),
         configuration = COALESCE(EXCLUDED.configuration, tasker.named_tasks.configuration),
         updated_at = NOW()
   RETURNING named_task_uuid::text, (xmax = 0) AS inserted`,
);

/** The installed pgmq extension's version (§8.1); no row = no pgmq extension in this database. */
export const PGMQ_VERSION = statement<{ extversion: string }>(
  'pgmq_version',
  "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgmq'",
);

/**
 * `pgmq.create` (§1.2), idempotent for an existing queue, under a transaction-scoped advisory lock per queue name
 * (§8.3). Before pgmq 1.6.0, two creations of one queue at once race in `CREATE TABLE IF NOT EXISTS` and the
 * loser fails (unique violation on `pg_type`); from 1.6.0 pgmq takes this very lock itself
 * (`hashtext('pgmq.queue_' || name)`), which is re-entrant within our transaction, so the statement means the
 * same on every version. The materialized CTE is scanned before `pgmq.create` is evaluated: lock first.
 * $1 = queue name.
 */
export const CREATE_QUEUE = statement<Record<string, never>>(
  'create_queue',
  `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext('pgmq.queue_' || $1::text)))
   SELECT pgmq.create($1::text) FROM locked`,
);

/**
 * Whether a queue exists (its `pgmq.meta` row and its table, both written by `pgmq.create` in one transaction):
 * the check after a creation lost a race to a creator that took no lock (§8.3). $1 = queue name.
 */
export const QUEUE_EXISTS = statement<{ exists: boolean }>(
  'queue_exists',
  `SELECT EXISTS (SELECT 1 FROM pgmq.meta WHERE queue_name = $1::text)
          AND to_regclass('pgmq.' || quote_ident(pgmq.format_table_name($1::text, 'q'))) IS NOT NULL AS exists`,
);

// ---------------------------------------------------------------------------------------------------------
// Intake (§3.3, §3.4)
// ---------------------------------------------------------------------------------------------------------

export interface QueueMessageRow {
  msg_id: string;
  read_ct: number;
  message: unknown;
}

/**
 * Fallback poll (§3.3): non-blocking `pgmq.read`, which sets the visibility timeout and increments read_ct.
 * $1 queue, $2 visibility timeout seconds, $3 how many (never more than free handler slots).
 */
export const READ_MESSAGES = statement<QueueMessageRow>(
  'read_messages',
  'SELECT msg_id::text AS msg_id, read_ct, message FROM pgmq.read($1::text, $2::integer, $3::integer)',
);

/**
 * Notification (§3.4): fetch one message by id, taking its lease (visibility timeout) before anything else is
 * done with it; zero rows = missing, archived or invisible (another worker holds it). Used for signal-only AND
 * payload notifications (README "Leases": every claim is made under a lease).
 * $1 queue, $2 msg_id, $3 visibility timeout seconds.
 */
export const READ_SPECIFIC_MESSAGE = statement<QueueMessageRow>(
  'read_specific_message',
  `SELECT msg_id::text AS msg_id, read_ct, message
     FROM tasker.pgmq_read_specific_message($1::text, $2::bigint, $3::integer)`,
);

/** Ack = archive, never delete (§4.4): for messages that can never lead to a claim. $1 queue, $2 msg_id. */
export const ARCHIVE_MESSAGE = statement<{ archived: boolean }>(
  'archive_message',
  'SELECT pgmq.archive($1::text, $2::bigint) AS archived',
);

// ---------------------------------------------------------------------------------------------------------
// Hydration (§4.2) — one statement instead of upstream's seven
// ---------------------------------------------------------------------------------------------------------

export interface HydrationRow {
  task_found: boolean;
  step_found: boolean;
  /** `tasks` row as Rust's `Task` serde JSON (naive timestamps from jsonb: `YYYY-MM-DDTHH:MM:SS.ffffff`). */
  task: Record<string, unknown> | null;
  task_name: string | null;
  task_version: string | null;
  namespace_name: string | null;
  /** `named_tasks.configuration` as text: the serde JSON of the `TaskTemplate` (text: the decode cache's key). */
  template: string | null;
  /** `WorkflowStepWithName` serde JSON. */
  workflow_step: Record<string, unknown> | null;
  step_task_uuid: string | null;
  /** `to_state` of the most recent transition; null = no transition (state `pending`, §4.3-1). */
  current_state: string | null;
  /** Age of the most recent transition in ms, by the database clock (lease recovery, README "Leases"). */
  state_age_ms: number | null;
  /** The latest `in_progress` transition (the current or last claim): its uuid and metadata (our lease). */
  claim_transition_uuid: string | null;
  claim_metadata: Record<string, unknown> | null;
  /** `[[step_name, results], …]` ordered by distance, workflow_step_uuid; null when the step is not claimable. */
  dependencies: [string, unknown][] | null;
  /** The claim this statement made (null: not claimable, namespace not served, or another worker won). */
  new_claim_uuid: string | null;
  new_claim_attempts: number | null;
}

/**
 * Hydration and claim in one round trip. The reads are everything the Rust worker reads before claiming (§4.2
 * statements 1, 2, 3, 5 and 7, plus the state read of §4.3-1) and, being one statement, they see the database
 * as it was before the claim — the pre-claim snapshot upstream hands its handlers:
 * - `Task::find_by_id` column list (no `completed_at`), `Task::for_orchestration` names;
 * - the template from `named_tasks.configuration` (joined by `named_task_uuid`, equivalent to upstream's
 *   lookup by namespace name + task name + version through the unique constraint);
 * - `WorkflowStepWithName::find_by_id` with `template_step_name = COALESCE(inputs->>'__template_step_name', name)`;
 * - the current state (most recent transition) and its age by the database clock, and — when the step is
 *   `in_progress` or `enqueued_*_for_orchestration` — the latest claim transition (its metadata names the lease
 *   message, see `CLAIM_STEP`), so a worker that reads a message whose lease lapsed can recover the step;
 * - `get_step_transitive_dependencies` rows with `processed AND results IS NOT NULL`, only when the step is
 *   claimable and has a parent (a root step's walk finds nothing; skipping it saves the function call).
 * The claim (`claimCtes`, as `CLAIM_STEP`) is made only for a step of this task in a namespace this worker
 * serves ($5); it is a no-op unless the step is `enqueued`, and loses cleanly to a concurrent claimer.
 * $1 task_uuid, $2 step_uuid, $3 claim metadata, $4 last_attempted_at, $5 served namespaces.
 */
export const HYDRATE_AND_CLAIM = statement<HydrationRow>(
  'hydrate_and_claim',
  `WITH ids AS (SELECT $1::uuid AS task_uuid, $2::uuid AS step_uuid),
   eligible AS (
     SELECT ws.workflow_step_uuid
       FROM ids
       JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = ids.step_uuid AND ws.task_uuid = ids.task_uuid
       JOIN tasker.tasks t ON t.task_uuid = ws.task_uuid
       JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
       JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
      WHERE tn.name = ANY($5::text[])
   ),
   ${claimCtes('(SELECT workflow_step_uuid FROM eligible)', '$3::jsonb', '$4::timestamp')}
   SELECT
     t.task_uuid IS NOT NULL AS task_found,
     ws.workflow_step_uuid IS NOT NULL AS step_found,
     CASE WHEN t.task_uuid IS NULL THEN NULL ELSE jsonb_build_object(
       'task_uuid', t.task_uuid, 'named_task_uuid', t.named_task_uuid, 'complete', t.complete,
       'requested_at', t.requested_at, 'initiator', t.initiator, 'source_system', t.source_system,
       'reason', t.reason, 'tags', t.tags, 'context', t.context, 'identity_hash', t.identity_hash,
       'priority', t.priority, 'created_at', t.created_at, 'updated_at', t.updated_at,
       'correlation_id', t.correlation_id, 'parent_correlation_id', t.parent_correlation_id) END AS task,
     nt.name AS task_name,
     nt.version AS task_version,
     tn.name AS namespace_name,
     nt.configuration::text AS template,
     CASE WHEN ws.workflow_step_uuid IS NULL THEN NULL ELSE jsonb_build_object(
       'workflow_step_uuid', ws.workflow_step_uuid, 'task_uuid', ws.task_uuid,
       'named_step_uuid', ws.named_step_uuid, 'name', ns.name,
       'template_step_name', COALESCE(ws.inputs->>'__template_step_name', ns.name),
       'retryable', ws.retryable, 'max_attempts', ws.max_attempts, 'in_process', ws.in_process,
       'processed', ws.processed, 'processed_at', ws.processed_at, 'attempts', ws.attempts,
       'last_attempted_at', ws.last_attempted_at, 'backoff_request_seconds', ws.backoff_request_seconds,
       'inputs', ws.inputs, 'results', ws.results, 'checkpoint', ws.checkpoint,
       'created_at', ws.created_at, 'updated_at', ws.updated_at) END AS workflow_step,
     ws.task_uuid::text AS step_task_uuid,
     cur.to_state AS current_state,
     (EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - cur.created_at)) * 1000)::float8 AS state_age_ms,
     cl.workflow_step_transition_uuid::text AS claim_transition_uuid,
     cl.metadata AS claim_metadata,
     CASE WHEN ws.workflow_step_uuid IS NULL OR cur.to_state IS DISTINCT FROM 'enqueued' THEN NULL
          WHEN NOT EXISTS (SELECT 1 FROM tasker.workflow_step_edges e WHERE e.to_step_uuid = ws.workflow_step_uuid)
          THEN '[]'::jsonb
          ELSE (
       SELECT COALESCE(jsonb_agg(jsonb_build_array(d.step_name, d.results) ORDER BY d.distance, d.workflow_step_uuid),
                       '[]'::jsonb)
         FROM tasker.get_step_transitive_dependencies(ws.workflow_step_uuid) d
        WHERE d.processed = true AND d.results IS NOT NULL) END AS dependencies,
     claimed.workflow_step_transition_uuid::text AS new_claim_uuid,
     marked.attempts AS new_claim_attempts
   FROM ids
   LEFT JOIN tasker.tasks t ON t.task_uuid = ids.task_uuid
   LEFT JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
   LEFT JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
   LEFT JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = ids.step_uuid
   LEFT JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
   LEFT JOIN LATERAL (
     SELECT tr.to_state, tr.created_at FROM tasker.workflow_step_transitions tr
      WHERE tr.workflow_step_uuid = ids.step_uuid AND tr.most_recent = true
      ORDER BY tr.sort_key DESC LIMIT 1
   ) cur ON true
   LEFT JOIN LATERAL (
     SELECT tr.workflow_step_transition_uuid, tr.metadata FROM tasker.workflow_step_transitions tr
      WHERE tr.workflow_step_uuid = ids.step_uuid AND tr.to_state = 'in_progress'
        AND cur.to_state IN ('in_progress', 'enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')
      ORDER BY tr.sort_key DESC LIMIT 1
   ) cl ON true
   LEFT JOIN claimed ON true
   LEFT JOIN marked ON true`,
);

// ---------------------------------------------------------------------------------------------------------
// Claim (§4.3) — one statement instead of upstream's state SELECT ×2, guard SELECT, BEGIN/sort_key/UPDATE/
// INSERT/COMMIT, in_process UPDATE and attempts UPDATE.
// ---------------------------------------------------------------------------------------------------------

/**
 * `enqueued → in_progress` with upstream's metadata, then `in_process = true`, `attempts + 1`,
 * `last_attempted_at` — atomically (upstream runs the last two in autocommit after the transition; folding them
 * in removes the crash window "in_progress with the old attempts", §4.3).
 *
 * The double-claim guard is the same as upstream's: the partial unique index
 * `idx_workflow_step_transitions_uuid_most_recent`. A concurrent claimer blocks on the row lock of the
 * `most_recent` row; after the winner commits, READ COMMITTED re-checks `most_recent = true AND
 * to_state = 'enqueued'`, finds nothing and inserts nothing (zero rows = not claimed). A unique violation, if
 * it ever surfaces, also means "not claimed". The INSERT reads the UPDATE's output, so the old row is always
 * demoted before the new one is inserted.
 * The metadata is upstream's `{event, timestamp}` plus two keys of ours (extra keys are ignored by every reader):
 * `worker_uuid` and `lease` = `{queue, msg_id}`, the step message whose visibility timeout is the claim's lease
 * (README "Leases").
 * The worker claims inside `HYDRATE_AND_CLAIM`; this claim alone is what test/bench's PostgreSQL floor issues.
 * $1 step_uuid, $2 transition metadata, $3 last_attempted_at (client clock, naive UTC, as Rust).
 */
export const CLAIM_STEP = statement<{ workflow_step_transition_uuid: string; attempts: number }>(
  'claim_step',
  `WITH ${claimCtes('$1::uuid', '$2::jsonb', '$3::timestamp')}
   SELECT claimed.workflow_step_transition_uuid::text, marked.attempts
     FROM claimed CROSS JOIN marked`,
);

/**
 * The claim's three data-modifying CTEs (`prior`, `claimed`, `marked`), shared by `CLAIM_STEP` and
 * `HYDRATE_AND_CLAIM` so the claim is written in one place. `step` is an SQL expression for the step uuid
 * (NULL claims nothing); `metadata` and `attemptedAt` are parameter references.
 */
function claimCtes(step: string, metadata: string, attemptedAt: string): string {
  return `prior AS (
     UPDATE tasker.workflow_step_transitions
        SET most_recent = false, updated_at = NOW()
      WHERE workflow_step_uuid = ${step} AND most_recent = true AND to_state = 'enqueued'
     RETURNING workflow_step_uuid
   ), claimed AS (
     INSERT INTO tasker.workflow_step_transitions
       (workflow_step_uuid, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
     SELECT prior.workflow_step_uuid, 'in_progress', 'enqueued', ${metadata},
            (SELECT COALESCE(MAX(sort_key), 0) + 1 FROM tasker.workflow_step_transitions
              WHERE workflow_step_uuid = prior.workflow_step_uuid),
            true, NOW(), NOW()
       FROM prior
     RETURNING workflow_step_transition_uuid, workflow_step_uuid
   ), marked AS (
     UPDATE tasker.workflow_steps ws
        SET in_process = true, attempts = COALESCE(ws.attempts, 0) + 1, last_attempted_at = ${attemptedAt},
            updated_at = NOW()
       FROM claimed
      WHERE ws.workflow_step_uuid = claimed.workflow_step_uuid
     RETURNING ws.attempts
   )`;
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoint yield (§6.3)
// ---------------------------------------------------------------------------------------------------------

/**
 * `CheckpointService::persist_checkpoint`: the record with `history` = previous history + the current cursor
 * (timestamp from `to_jsonb(now())`). No transition, no attempt increment. 0 rows = step missing.
 * $1 step_uuid, $2 CheckpointRecord JSON (history []), $3 cursor JSON.
 */
export const PERSIST_CHECKPOINT = statement<{ checkpoint: unknown }>(
  'persist_checkpoint',
  `UPDATE tasker.workflow_steps
      SET checkpoint = jsonb_set($2::jsonb, '{history}',
            COALESCE((SELECT checkpoint->'history' FROM tasker.workflow_steps WHERE workflow_step_uuid = $1::uuid),
                     '[]'::jsonb)
            || jsonb_build_array(jsonb_build_object('cursor', $3::jsonb, 'timestamp', to_jsonb(now())))),
          updated_at = NOW()
    WHERE workflow_step_uuid = $1::uuid
   RETURNING checkpoint`,
);

// ---------------------------------------------------------------------------------------------------------
// Completion (§4.6, §4.7) — one statement instead of upstream's step SELECT, task SELECT, state SELECT,
// BEGIN/sort_key/UPDATE/INSERT/COMMIT and results UPDATE; then the message (separate, after commit).
// ---------------------------------------------------------------------------------------------------------

/**
 * The completion of one claim: `in_progress → enqueued_for_orchestration | enqueued_as_error_for_orchestration`
 * with metadata `{event, timestamp, worker_uuid, correlation_id}` (fires the audit trigger exactly like upstream),
 * and in the same transaction `in_process = false, results = $4` (upstream's post-transition action, run right
 * after the commit). The demoted `in_progress` row must be the claim this worker made ($5 = its
 * `workflow_step_transition_uuid`), a fencing token: a worker that lost its lease (README "Leases") cannot
 * complete the NEXT attempt's claim with a stale result. The same statement writes a lease recovery (`in_progress
 * → enqueued_as_error_for_orchestration` with a `worker_lost` failure) fenced to the abandoned claim the recovering
 * worker observed, so two recoverers, or a recoverer and a late owner, cannot both write: the second finds no
 * `most_recent` claim row. Zero rows = nothing written (upstream: `InvalidTransition`). The row also carries the
 * task's current state, read in the same statement, so that the result is not sent while orchestration is still
 * enqueuing (§5.5) without a round trip of its own.
 * $1 step_uuid, $2 to_state, $3 metadata, $4 StepExecutionResult JSON, $5 claim transition uuid.
 */
export const COMPLETE_CLAIM = statement<{
  workflow_step_transition_uuid: string;
  task_uuid: string;
  task_state: string | null;
}>(
  'complete_claim',
  `WITH prior AS (
     UPDATE tasker.workflow_step_transitions
        SET most_recent = false, updated_at = NOW()
      WHERE workflow_step_uuid = $1::uuid AND most_recent = true AND to_state = 'in_progress'
        AND workflow_step_transition_uuid = $5::uuid
     RETURNING workflow_step_uuid
   ), completed AS (
     INSERT INTO tasker.workflow_step_transitions
       (workflow_step_uuid, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
     SELECT prior.workflow_step_uuid, $2::text, 'in_progress', $3::jsonb,
            (SELECT COALESCE(MAX(sort_key), 0) + 1 FROM tasker.workflow_step_transitions
              WHERE workflow_step_uuid = $1::uuid),
            true, NOW(), NOW()
       FROM prior
     RETURNING workflow_step_transition_uuid, workflow_step_uuid
   ), written AS (
     UPDATE tasker.workflow_steps ws
        SET in_process = false, results = $4::jsonb, updated_at = NOW()
       FROM completed
      WHERE ws.workflow_step_uuid = completed.workflow_step_uuid
     RETURNING ws.workflow_step_uuid, ws.task_uuid
   )
   SELECT completed.workflow_step_transition_uuid::text, written.task_uuid::text,
          (SELECT tt.to_state FROM tasker.task_transitions tt
            WHERE tt.task_uuid = written.task_uuid AND tt.most_recent) AS task_state
     FROM completed CROSS JOIN written`,
);

/**
 * The task's current state (§5.4: a result must not reach orchestration while it is still enqueuing the step's
 * batch). $1 task_uuid. No row or a null state: the task has no transition yet.
 */
export const TASK_STATE = statement<{ to_state: string }>(
  'task_state',
  'SELECT to_state FROM tasker.task_transitions WHERE task_uuid = $1::uuid AND most_recent',
);

/**
 * What became of a claim, used only when `COMPLETE_CLAIM` wrote nothing: the transition right after the claim
 * (sort_key + 1) — our own completion whose COMMIT reply was lost, or another worker's lease recovery — and the
 * step's current state. $1 step_uuid, $2 claim transition uuid.
 */
export const CLAIM_SUCCESSOR = statement<{
  current_state: string | null;
  next_state: string | null;
  next_metadata: Record<string, unknown> | null;
}>(
  'claim_successor',
  `SELECT
     (SELECT to_state FROM tasker.workflow_step_transitions
       WHERE workflow_step_uuid = $1::uuid AND most_recent = true ORDER BY sort_key DESC LIMIT 1) AS current_state,
     nxt.to_state AS next_state,
     nxt.metadata AS next_metadata
   FROM (SELECT 1) one
   LEFT JOIN LATERAL (
     SELECT n.to_state, n.metadata FROM tasker.workflow_step_transitions c
       JOIN tasker.workflow_step_transitions n
         ON n.workflow_step_uuid = c.workflow_step_uuid AND n.sort_key = c.sort_key + 1
      WHERE c.workflow_step_transition_uuid = $2::uuid AND c.workflow_step_uuid = $1::uuid
      LIMIT 1
   ) nxt ON true`,
);

/**
 * The notifying send (§2.2, §4.7): `pgmq.send` + NOTIFY on `pgmq_message_ready.{ns}` and
 * `pgmq_message_ready`. Used for the completion message to `orchestration_step_results` and for domain events.
 * $1 queue, $2 message, $3 delay seconds.
 */
export const SEND_WITH_NOTIFY = statement<{ msg_id: string }>(
  'send_with_notify',
  'SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, $3::integer)::text AS msg_id',
);

/**
 * The result message and the ack of the step message in ONE statement (one transaction on the pgmq database):
 * `pgmq_send_with_notify('orchestration_step_results', StepMessage, 0)` + `pgmq.archive(step queue, msg_id)`.
 * The step message is the claim's lease (README "Leases"): it is archived only once orchestration has been told,
 * so a worker that dies anywhere before this statement leaves a message that resurfaces when its lease lapses,
 * and the next reader finishes the job (recover the claim, or re-send the result). Both queues live on the
 * pgmq database, so "sent" and "archived" commit together. $1 results queue, $2 StepMessage, $3 step queue,
 * $4 step msg_id.
 */
export const SEND_RESULT_AND_ARCHIVE = statement<{ msg_id: string; archived: boolean }>(
  'send_result_and_archive',
  `SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, 0)::text AS msg_id,
          pgmq.archive($3::text, $4::bigint) AS archived`,
);

/**
 * Lease heartbeat (§8.2): push the visibility timeout of every in-flight step message of one queue to now + vt,
 * one statement per queue per beat. Messages missing from the result were archived by someone else — another
 * worker recovered the claim after the lease lapsed. pgmq ≥ 1.8.0: its array form of `set_vt`, one UPDATE.
 * $1 queue, $2 msg_ids, $3 vt seconds.
 */
export const EXTEND_LEASES = statement<{ msg_id: string }>(
  'extend_leases',
  'SELECT msg_id::text AS msg_id FROM pgmq.set_vt($1::text, $2::bigint[], $3::integer)',
);

/**
 * `EXTEND_LEASES` for pgmq before 1.8.0, which has only the per-message `set_vt(text, bigint, integer)`: called
 * once per id inside the one statement, so a beat is still one round trip per queue; an archived message's call
 * returns no row, exactly like the array form. Same parameters and rows as `EXTEND_LEASES`.
 */
export const EXTEND_LEASES_EACH = statement<{ msg_id: string }>(
  'extend_leases_each',
  `SELECT extended.msg_id::text AS msg_id
     FROM unnest($2::bigint[]) AS held(msg_id)
     CROSS JOIN LATERAL pgmq.set_vt($1::text, held.msg_id, $3::integer) AS extended`,
);

/** Health: the database answers. */
// ---------------------------------------------------------------------------------------------------------
// Domain-event subscriber (docs/protocol.md §6.4): ours; upstream only creates `{ns}_domain_events_dlq`.
// Reads use READ_MESSAGES, acknowledgements ARCHIVE_MESSAGE.
// ---------------------------------------------------------------------------------------------------------

/** A failed delivery comes back after `$3` seconds (the single-id `set_vt`, present in every supported pgmq). */
export const RETRY_EVENT_LATER = statement<{ msg_id: string }>(
  'retry_event_later',
  'SELECT msg_id::text AS msg_id FROM pgmq.set_vt($1::text, $2::bigint, $3::integer)',
);

/** Dead-letters an event: its DLQ entry and the archive of the original commit together, one statement. */
export const DEAD_LETTER_EVENT = statement<{ msg_id: string; archived: boolean }>(
  'dead_letter_event',
  `SELECT pgmq.send($1::text, $2::jsonb, 0)::text AS msg_id,
          pgmq.archive($3::text, $4::bigint) AS archived`,
);

export const PING = statement<{ ok: number }>('ping', 'SELECT 1 AS ok');

/**
 * Metrics: the depth of each served step queue, from pgmq's own `pgmq.metrics(queue)` (1.5.0 and later report
 * `queue_visible_length` too): a count over the queue table, so it runs at most once per second, on the health
 * connection (`database-probe.ts`), never on the step pool. $1 queue names.
 */
export const QUEUE_DEPTHS = statement<{
  queue_name: string;
  queue_length: string;
  queue_visible_length: string;
  oldest_msg_age_sec: number | null;
}>(
  'queue_depths',
  `SELECT m.queue_name, m.queue_length, m.queue_visible_length, m.oldest_msg_age_sec
     FROM unnest($1::text[]) AS served(queue_name)
     CROSS JOIN LATERAL pgmq.metrics(served.queue_name) AS m`,
);
