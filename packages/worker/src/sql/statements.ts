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
// Hydration (§4.2) and claim (§4.3) — one statement for a batch of messages, instead of upstream's seven
// hydration reads and its state SELECT ×2, guard SELECT, BEGIN/sort_key/UPDATE/INSERT/COMMIT, in_process
// UPDATE and attempts UPDATE per step
// ---------------------------------------------------------------------------------------------------------

/** One row per message of a hydrate-and-claim statement, in the order of its messages. */
export interface HydrationRow {
  /** The message this row is about (its lease). */
  msg_id: string;
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
  /**
   * The claim this statement made through this message (null: not claimable, namespace not served, another
   * worker won, or another message of the same batch names the same step and claimed it).
   */
  new_claim_uuid: string | null;
  new_claim_attempts: number | null;
}

/**
 * Hydration and claim of a batch of leased messages in one round trip (one implicit transaction). Per message,
 * the reads are everything the Rust worker reads before claiming (§4.2 statements 1, 2, 3, 5 and 7, plus the
 * state read of §4.3-1) and, being one statement, they see the database as it was before the claim — the
 * pre-claim snapshot upstream hands its handlers:
 * - `Task::find_by_id` column list (no `completed_at`), `Task::for_orchestration` names;
 * - the template from `named_tasks.configuration` (joined by `named_task_uuid`, equivalent to upstream's
 *   lookup by namespace name + task name + version through the unique constraint);
 * - `WorkflowStepWithName::find_by_id` with `template_step_name = COALESCE(inputs->>'__template_step_name', name)`;
 * - the current state (most recent transition) and its age by the database clock, and — when the step is
 *   `in_progress` or `enqueued_*_for_orchestration` — the latest claim transition (its metadata names the lease
 *   message), so a worker that reads a message whose lease lapsed can recover the step;
 * - `get_step_transitive_dependencies` rows with `processed AND results IS NOT NULL`, only when the step is
 *   claimable and has a parent (a root step's walk finds nothing; skipping it saves the function call).
 * The claim (`claimCtes`) is made only for a step of the message's task in a namespace this worker serves, once
 * per step (two messages of one batch naming the same step: the first claims, the other finds it lost); it is a
 * no-op unless the step is `enqueued`, and loses cleanly to a concurrent claimer. Its metadata names the message
 * as the claim's lease.
 * $1 msg_ids (text[], the leases), $2 task_uuids, $3 step_uuids (uuid[], same order), $4 the messages' queue,
 * $5 claim metadata without the lease, $6 last_attempted_at, $7 served namespaces.
 */
export const HYDRATE_AND_CLAIM = statement<HydrationRow>(
  'hydrate_and_claim',
  hydrateAndClaimText({
    ids: `ids AS (
     SELECT i.ord, i.msg_id, i.task_uuid, i.step_uuid
       FROM unnest($1::text[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS i(msg_id, task_uuid, step_uuid, ord)
   )`,
    queue: '$4::text',
    metadata: '$5::jsonb',
    attemptedAt: '$6::timestamp',
    namespaces: '$7::text[]',
    columns: '',
  }),
);

/** A `HydrationRow` of a lease-and-claim statement (`leaseAndClaimStatements`), with the message it leased. */
export interface LeasedHydrationRow extends HydrationRow {
  /** The leased message's body (pgmq `message`). */
  message: unknown;
  /**
   * The body is a `StepMessage` (an object whose three ids are lowercase hyphenated UUIDs, exactly what the
   * schema accepts): only then was its step hydrated and claimed. False: every hydration column is null.
   */
  ids_valid: boolean;
}

/** The lease-and-claim statements of one step queue (`leaseAndClaimStatements`). */
export interface LeaseAndClaimStatements {
  /**
   * Notified messages, by id (those still visible). $1 msg_ids (bigint[]), $2 vt seconds, $3 claim metadata
   * without the lease, $4 last_attempted_at, $5 namespaces.
   */
  byIds: Statement<LeasedHydrationRow>;
  /**
   * The next visible messages, oldest first (a poll, a burst of notifications). $1 how many, $2 vt seconds,
   * $3 claim metadata without the lease, $4 last_attempted_at, $5 namespaces.
   */
  next: Statement<LeasedHydrationRow>;
}

const leaseAndClaimByQueue = new Map<string, LeaseAndClaimStatements>();

/**
 * Tasker and pgmq in one database: the lease (§3.3/§3.4, the visibility timeout) and `HYDRATE_AND_CLAIM` in one
 * statement, one round trip fewer per batch. The lease is the UPDATE `pgmq.read` runs: visible messages only,
 * `vt` = now + vt, `read_ct` + 1, `last_read_at` = now where the queue table has it (`lastReadAt`: pgmq ≥ 1.10.0,
 * as `pgmq.read` there), rows another transaction is leasing at that moment skipped (`SKIP LOCKED`), not waited
 * for. Written out for the queue's table (pgmq's layout, `pgmq.format_table_name`) so that it is planned once
 * with the statement: `pgmq.read` and `tasker.pgmq_read_specific_message` plan dynamic SQL on every call, and the
 * tasker one looks the table up in `information_schema` first. The task and step ids come from each leased
 * message's body, checked in SQL with the schema's own rule for a UUID (`ids_valid`), so a body the worker would
 * reject claims nothing. No row: nothing was leased (invisible, archived or missing messages, an empty queue).
 * The statement is one transaction: if it fails (a concurrent claim's unique violation, a lost connection) no
 * lease is taken either, and the messages stay visible. Prepared statements of their own per queue and pgmq
 * layout.
 */
export function leaseAndClaimStatements(
  queue: string,
  pgmq: { lastReadAt: boolean },
): LeaseAndClaimStatements {
  const key = `${queue}\u0000${pgmq.lastReadAt}`;
  let statements = leaseAndClaimByQueue.get(key);
  if (statements !== undefined) return statements;
  // Validated at startup (`queueNameProblem`); checked again because it is written into the SQL text.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(queue)) throw new Error(`not a queue name: ${JSON.stringify(queue)}`);
  const table = `pgmq."q_${queue.toLowerCase()}"`;
  const lastReadAt = pgmq.lastReadAt ? ', last_read_at = clock_timestamp()' : '';
  const uuid = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;
  const text = (pick: string, limit: string) =>
    hydrateAndClaimText({
      ids: `leased AS (
     UPDATE ${table} q
        SET vt = clock_timestamp() + make_interval(secs => $2::integer), read_ct = q.read_ct + 1${lastReadAt}
      WHERE q.msg_id = ANY (ARRAY(
        SELECT s.msg_id FROM ${table} s
         WHERE ${pick} s.vt <= clock_timestamp() ORDER BY s.msg_id ${limit}FOR UPDATE SKIP LOCKED))
     RETURNING q.msg_id, q.message
   ),
   ids AS (
     SELECT row_number() OVER (ORDER BY leased.msg_id) AS ord, leased.msg_id::text AS msg_id, leased.message,
            v.ids_valid,
            CASE WHEN v.ids_valid THEN (leased.message->>'task_uuid')::uuid END AS task_uuid,
            CASE WHEN v.ids_valid THEN (leased.message->>'step_uuid')::uuid END AS step_uuid
       FROM leased
       CROSS JOIN LATERAL (SELECT COALESCE(
         leased.message->>'task_uuid' ~ ${uuid} AND leased.message->>'step_uuid' ~ ${uuid}
           AND leased.message->>'correlation_id' ~ ${uuid}, false) AS ids_valid) v
   )`,
      queue: `'${queue}'::text`,
      metadata: '$3::jsonb',
      attemptedAt: '$4::timestamp',
      namespaces: '$5::text[]',
      columns: `
     ids.message, ids.ids_valid,`,
    });
  const n = leaseAndClaimByQueue.size + 1;
  statements = {
    byIds: statement(`lease_and_claim_by_ids_${n}`, text('s.msg_id = ANY($1::bigint[]) AND', '')),
    next: statement(`lease_and_claim_next_${n}`, text('', 'LIMIT $1::integer ')),
  };
  leaseAndClaimByQueue.set(key, statements);
  return statements;
}

/**
 * The text of a hydrate-and-claim statement (see `HYDRATE_AND_CLAIM`) after its `ids` CTE, which yields one row
 * per message: `ord` (the result's order), `msg_id` (text), `task_uuid` and `step_uuid` (null: nothing to
 * hydrate). `queue`, `metadata`, `attemptedAt` and `namespaces` are SQL expressions for the messages' queue, the
 * claim metadata without its lease, `last_attempted_at` and the served namespaces; `columns` are selected first.
 */
function hydrateAndClaimText(p: {
  ids: string;
  queue: string;
  metadata: string;
  attemptedAt: string;
  namespaces: string;
  columns: string;
}): string {
  return `WITH ${p.ids},
   eligible AS (
     SELECT DISTINCT ON (ws.workflow_step_uuid) ws.workflow_step_uuid, ids.msg_id
       FROM ids
       JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = ids.step_uuid AND ws.task_uuid = ids.task_uuid
       JOIN tasker.tasks t ON t.task_uuid = ws.task_uuid
       JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
       JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
      WHERE tn.name = ANY(${p.namespaces})
      ORDER BY ws.workflow_step_uuid, ids.ord
   ),
   ${claimCtes(
     `${p.metadata} || jsonb_build_object('lease', jsonb_build_object('queue', ${p.queue}, 'msg_id', prior.msg_id))`,
     p.attemptedAt,
   )}
   SELECT${p.columns}
     ids.msg_id,
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
   LEFT JOIN eligible el ON el.workflow_step_uuid = ids.step_uuid AND el.msg_id = ids.msg_id
   LEFT JOIN claimed ON claimed.workflow_step_uuid = el.workflow_step_uuid
   LEFT JOIN marked ON marked.workflow_step_uuid = el.workflow_step_uuid
   ORDER BY ids.ord`;
}

/**
 * `enqueued → in_progress` with upstream's metadata, then `in_process = true`, `attempts + 1`,
 * `last_attempted_at` — atomically (upstream runs the last two in autocommit after the transition; folding them
 * in removes the crash window "in_progress with the old attempts", §4.3).
 *
 * The double-claim guard is the same as upstream's: the partial unique index
 * `idx_workflow_step_transitions_uuid_most_recent`. A concurrent claimer blocks on the row lock of the
 * `most_recent` row; after the winner commits, READ COMMITTED re-checks `most_recent = true AND
 * to_state = 'enqueued'`, finds nothing and inserts nothing (no claim). A unique violation, if it ever
 * surfaces, also means "not claimed". The INSERT reads the UPDATE's output, so the old row is always demoted
 * before the new one is inserted.
 * The metadata is upstream's `{event, timestamp}` plus two keys of ours (extra keys are ignored by every reader):
 * `worker_uuid` and `lease` = `{queue, msg_id}`, the step message whose visibility timeout is the claim's lease
 * (README "Leases").
 * The worker claims inside its hydrate-and-claim statements; this claim alone is what test/bench's PostgreSQL
 * floor issues. $1 step_uuid, $2 transition metadata, $3 last_attempted_at (client clock, naive UTC, as Rust).
 */
export const CLAIM_STEP = statement<{ workflow_step_transition_uuid: string; attempts: number }>(
  'claim_step',
  `WITH eligible AS (SELECT $1::uuid AS workflow_step_uuid, NULL::text AS msg_id),
   ${claimCtes('$2::jsonb', '$3::timestamp')}
   SELECT claimed.workflow_step_transition_uuid::text, marked.attempts
     FROM claimed JOIN marked ON marked.workflow_step_uuid = claimed.workflow_step_uuid`,
);

/**
 * The claim's three data-modifying CTEs (`prior`, `claimed`, `marked`) over the CTE `eligible`
 * (`workflow_step_uuid`, `msg_id`: one row per step to claim), shared by `CLAIM_STEP` and the hydrate-and-claim
 * statements so the claim is written in one place. `metadata` is an SQL expression for a claim's metadata (it
 * may use `prior.msg_id`), `attemptedAt` one for `last_attempted_at`.
 */
function claimCtes(metadata: string, attemptedAt: string): string {
  return `prior AS (
     UPDATE tasker.workflow_step_transitions tr
        SET most_recent = false, updated_at = NOW()
       FROM eligible
      WHERE tr.workflow_step_uuid = eligible.workflow_step_uuid AND tr.most_recent = true
        AND tr.to_state = 'enqueued'
     RETURNING tr.workflow_step_uuid, eligible.msg_id
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
     RETURNING ws.workflow_step_uuid, ws.attempts
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
 * The completion of a batch of claims, each fenced to its own claim: `in_progress → enqueued_for_orchestration |
 * enqueued_as_error_for_orchestration` with metadata `{event, timestamp, worker_uuid, correlation_id}` (fires the
 * audit trigger exactly like upstream), and in the same transaction `in_process = false, results = …`
 * (upstream's post-transition action, run right after the commit). The demoted `in_progress` row must be the
 * claim this worker made (`claim_uuid`, its `workflow_step_transition_uuid`), a fencing token: a worker that lost
 * its lease (README "Leases") cannot complete the NEXT attempt's claim with a stale result. The same statement
 * writes a lease recovery (`in_progress → enqueued_as_error_for_orchestration` with a `worker_lost` failure)
 * fenced to the abandoned claim the recovering worker observed, so two recoverers, or a recoverer and a late
 * owner, cannot both write: the second finds no `most_recent` claim row. A completion whose claim does not match
 * writes nothing and returns no row (upstream: `InvalidTransition`); the others are written all the same. Each
 * row also carries its task's current state, read in the same statement, so that a result is not sent while
 * orchestration is still enqueuing its task's steps (§5.5) without a round trip of its own.
 * The claim row is found by its uuid (`ANY(ARRAY(…))`, the primary key): joined to the input instead, the generic
 * plan scans every `in_progress` row of the database through the state index.
 * $1 a JSON array of `{step_uuid, to_state, claim_uuid, metadata, results}` (results: the StepExecutionResult),
 * one per step: one parameter whatever the batch size, and no array-literal escaping of the documents.
 */
export const COMPLETE_CLAIMS = statement<CompletedRow>('complete_claims', completeClaimsText(false));

/** A row of `COMPLETE_CLAIMS` / `COMPLETE_AND_REPORT`: a completion written. */
export interface CompletedRow {
  step_uuid: string;
  workflow_step_transition_uuid: string;
  task_uuid: string;
  task_state: string | null;
  /** `COMPLETE_AND_REPORT` only: the result message's msg_id; null when the task is `enqueuing_steps` (not sent). */
  result_msg_id?: string | null;
}

/**
 * Tasker and pgmq in one database: `COMPLETE_CLAIMS` and, in the same transaction, what
 * `SEND_RESULTS_AND_ARCHIVE` does after it, for every completion written whose task is not `enqueuing_steps`
 * (§5.5): its `StepMessage` to the results queue through `tasker.pgmq_send_with_notify` and the archive of its
 * step message. One round trip and one commit fewer per batch. The order orchestration relies on (§5.1: the step
 * is `enqueued_*_for_orchestration` when its result message is read) holds because the message and the
 * transition become visible at the same commit, and the notification is delivered at that commit. A completion
 * not written sends nothing; one whose task is still enqueuing is written and sent later
 * (`SEND_RESULTS_AND_ARCHIVE`). $1 as `COMPLETE_CLAIMS`; $2–$5 as `SEND_RESULTS_AND_ARCHIVE`'s $1–$4, in the
 * order of $1.
 */
export const COMPLETE_AND_REPORT = statement<CompletedRow>('complete_and_report', completeClaimsText(true));

function completeClaimsText(report: boolean): string {
  const columns = `done.workflow_step_uuid::text AS step_uuid, done.workflow_step_transition_uuid::text,
          done.task_uuid::text, done.task_state`;
  const tail = report
    ? `, ready AS (
     SELECT input.ord FROM done JOIN input ON input.step_uuid = done.workflow_step_uuid
      WHERE done.task_state IS DISTINCT FROM 'enqueuing_steps'
   ), ${reportCtes(2, true)}
   SELECT ${columns}, sent.msg_id::text AS result_msg_id
     FROM done JOIN input ON input.step_uuid = done.workflow_step_uuid
     LEFT JOIN sent ON sent.ord = input.ord
     CROSS JOIN (SELECT count(*) FROM archived) AS archived`
    : `
   SELECT ${columns} FROM done`;
  return `WITH input AS (
     SELECT (e->>'step_uuid')::uuid AS step_uuid, e->>'to_state' AS to_state, (e->>'claim_uuid')::uuid AS claim_uuid,
            e->'metadata' AS metadata, e->'results' AS results, x.ord
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, ord)
   ), prior AS (
     UPDATE tasker.workflow_step_transitions tr
        SET most_recent = false, updated_at = NOW()
       FROM input
      WHERE tr.workflow_step_transition_uuid = ANY (ARRAY(SELECT input.claim_uuid FROM input))
        AND tr.workflow_step_transition_uuid = input.claim_uuid AND tr.workflow_step_uuid = input.step_uuid
        AND tr.most_recent = true AND tr.to_state = 'in_progress'
     RETURNING tr.workflow_step_uuid
   ), completed AS (
     INSERT INTO tasker.workflow_step_transitions
       (workflow_step_uuid, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
     SELECT prior.workflow_step_uuid, input.to_state, 'in_progress', input.metadata,
            (SELECT COALESCE(MAX(sort_key), 0) + 1 FROM tasker.workflow_step_transitions
              WHERE workflow_step_uuid = prior.workflow_step_uuid),
            true, NOW(), NOW()
       FROM prior JOIN input ON input.step_uuid = prior.workflow_step_uuid
     RETURNING workflow_step_transition_uuid, workflow_step_uuid
   ), written AS (
     UPDATE tasker.workflow_steps ws
        SET in_process = false, results = input.results, updated_at = NOW()
       FROM completed JOIN input ON input.step_uuid = completed.workflow_step_uuid
      WHERE ws.workflow_step_uuid = completed.workflow_step_uuid
     RETURNING ws.workflow_step_uuid, ws.task_uuid
   ), done AS (
     SELECT completed.workflow_step_uuid, completed.workflow_step_transition_uuid, written.task_uuid,
            (SELECT tt.to_state FROM tasker.task_transitions tt
              WHERE tt.task_uuid = written.task_uuid AND tt.most_recent) AS task_state
       FROM completed JOIN written ON written.workflow_step_uuid = completed.workflow_step_uuid
   )${tail}`;
}

/**
 * The task's current state (§5.5: a result must not reach orchestration while it is still enqueuing the task's
 * steps). $1 task_uuid. No row or a null state: the task has no transition yet.
 */
export const TASK_STATE = statement<{ to_state: string }>(
  'task_state',
  'SELECT to_state FROM tasker.task_transitions WHERE task_uuid = $1::uuid AND most_recent',
);

/**
 * What became of a claim, used only when `COMPLETE_CLAIMS` wrote nothing for it: the transition right after the claim
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
 * The result messages and the acks of their step messages in ONE statement (one transaction on the pgmq
 * database): `pgmq_send_with_notify(results queue, StepMessage, 0)` per message — so orchestration gets the same
 * `message_with_payload` notification per result as from any worker — and `pgmq.archive(step queue, msg_ids[])`
 * per step queue. A step message is its claim's lease (README "Leases"): it is archived only once orchestration
 * has been told, so a worker that dies anywhere before this statement leaves a message that resurfaces when its
 * lease lapses, and the next reader finishes the job (recover the claim, or re-send the result). Both queues
 * live on the pgmq database, so "sent" and "archived" commit together.
 * $1 results queue, $2 JSON array of StepMessages, $3 their step queues, $4 their step msg_ids (same order).
 * One row: the result messages' msg_ids in the order of $2.
 */
export const SEND_RESULTS_AND_ARCHIVE = statement<{ msg_ids: string[] }>(
  'send_results_and_archive',
  `WITH ${reportCtes(1, false)}
   SELECT (SELECT array_agg(msg_id::text ORDER BY ord) FROM sent) AS msg_ids,
          (SELECT count(*) FROM archived) AS archived`,
);

/**
 * The CTEs `sent` (ord, msg_id: one result message per StepMessage) and `archived` (msg_id: the step messages
 * archived) of `SEND_RESULTS_AND_ARCHIVE` and `COMPLETE_AND_REPORT`, on the parameters `sendResultsParams`
 * builds, numbered from `$first`: results queue, JSON array of StepMessages, their step queues, their step
 * msg_ids. `onlyReady`: only the entries whose ordinal a CTE `ready` (ord) lists.
 */
function reportCtes(first: number, onlyReady: boolean): string {
  const [queue, messages, queues, msgIds] = [0, 1, 2, 3].map((i) => `$${first + i}`);
  const only = (ord: string) => (onlyReady ? ` WHERE ${ord} IN (SELECT ready.ord FROM ready)` : '');
  return `sent AS (
     SELECT m.ord, tasker.pgmq_send_with_notify(${queue}::text, m.body, 0) AS msg_id
       FROM jsonb_array_elements(${messages}::jsonb) WITH ORDINALITY AS m(body, ord)${only('m.ord')}
   ), archived AS (
     SELECT a.msg_id
       FROM (SELECT u.queue, array_agg(u.msg_id) AS msg_ids
               FROM unnest(${queues}::text[], ${msgIds}::bigint[]) WITH ORDINALITY AS u(queue, msg_id, ord)${only('u.ord')}
              GROUP BY u.queue) g
       CROSS JOIN LATERAL pgmq.archive(g.queue, g.msg_ids) AS a(msg_id)
   )`;
}

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

/** Health: the database answers. */
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
