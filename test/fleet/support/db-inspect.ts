// Reads what the fleet wrote for a task (straight from the tables, as orchestration will read them) and reduces
// JSON documents to their shape, so the TS worker's writes can be compared with the Python worker's.

import pg from 'pg';

export interface StepTransitionRow {
  from_state: string | null;
  to_state: string;
  metadata: unknown;
  sort_key: number;
  most_recent: boolean;
}

export interface StepSnapshot {
  name: string;
  workflow_step_uuid: string;
  attempts: number | null;
  in_process: boolean;
  processed: boolean;
  processed_at: string | null;
  last_attempted_at: string | null;
  backoff_request_seconds: number | null;
  results: unknown;
  checkpoint: unknown;
  transitions: StepTransitionRow[];
}

export interface TaskSnapshot {
  task_uuid: string;
  namespace: string;
  name: string;
  context: unknown;
  complete: boolean;
  task_transitions: Array<{
    from_state: string | null;
    to_state: string;
    metadata: unknown;
    sort_key: number;
  }>;
  steps: StepSnapshot[];
  /** tasker.workflow_step_result_audit rows (written when orchestration processes a result). */
  audits: Array<Record<string, unknown>>;
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function snapshotTask(client: pg.Client, taskUuid: string): Promise<TaskSnapshot> {
  const task = await client.query(
    `SELECT t.task_uuid::text, ns.name AS namespace, nt.name, t.context, t.complete
       FROM tasker.tasks t
       JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
       JOIN tasker.task_namespaces ns ON ns.task_namespace_uuid = nt.task_namespace_uuid
      WHERE t.task_uuid = $1`,
    [taskUuid],
  );
  if (task.rowCount !== 1) throw new Error(`task ${taskUuid} not found`);
  const taskTransitions = await client.query(
    `SELECT from_state, to_state, metadata, sort_key FROM tasker.task_transitions
      WHERE task_uuid = $1 ORDER BY sort_key`,
    [taskUuid],
  );
  const steps = await client.query(
    `SELECT ns.name, ws.workflow_step_uuid::text, ws.attempts, ws.in_process, ws.processed,
            ws.processed_at::text, ws.last_attempted_at::text, ws.backoff_request_seconds, ws.results, ws.checkpoint
       FROM tasker.workflow_steps ws
       JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
      WHERE ws.task_uuid = $1 ORDER BY ns.name`,
    [taskUuid],
  );
  const transitions = await client.query(
    `SELECT workflow_step_uuid::text, from_state, to_state, metadata, sort_key, most_recent
       FROM tasker.workflow_step_transitions
      WHERE workflow_step_uuid IN (SELECT workflow_step_uuid FROM tasker.workflow_steps WHERE task_uuid = $1)
      ORDER BY workflow_step_uuid, sort_key`,
    [taskUuid],
  );
  const audits = await client.query(
    `SELECT * FROM tasker.workflow_step_result_audit WHERE task_uuid = $1 ORDER BY created_at`,
    [taskUuid],
  );
  return {
    ...task.rows[0],
    task_transitions: taskTransitions.rows,
    steps: steps.rows.map((step) => ({
      ...step,
      transitions: transitions.rows
        .filter((t) => t.workflow_step_uuid === step.workflow_step_uuid)
        .map(({ workflow_step_uuid: _, ...rest }) => rest),
    })),
    audits: audits.rows,
  };
}

/** Every message (live or archived) of a pgmq queue whose JSON payload mentions the task. */
export async function queueMessagesForTask(
  client: pg.Client,
  queue: string,
  taskUuid: string,
): Promise<Array<{ source: 'queue' | 'archive'; read_ct: number; message: unknown }>> {
  const out: Array<{ source: 'queue' | 'archive'; read_ct: number; message: unknown }> = [];
  for (const [source, table] of [
    ['queue', `q_${queue}`],
    ['archive', `a_${queue}`],
  ] as const) {
    const exists = await client.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = 'pgmq' AND tablename = $1`,
      [table],
    );
    if (exists.rowCount === 0) continue;
    const rows = await client.query(
      `SELECT read_ct, message FROM pgmq.${pg.escapeIdentifier(table)}
        WHERE message->>'task_uuid' = $1 ORDER BY msg_id`,
      [taskUuid],
    );
    for (const row of rows.rows) out.push({ source, read_ct: row.read_ct, message: row.message });
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The shape of a JSON value: objects keep their keys (sorted) with the shape of each value, arrays the union of
 * their elements' shapes, scalars become their type (`string:uuid`, `string:timestamp`, `integer`, `float`...).
 */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const shapes = [...new Set(value.map((v) => JSON.stringify(shapeOf(v))))].sort();
    return shapes.map((s) => JSON.parse(s));
  }
  switch (typeof value) {
    case 'string':
      if (UUID.test(value)) return 'string:uuid';
      if (TIMESTAMP.test(value)) return 'string:timestamp';
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'float';
    case 'boolean':
      return 'boolean';
    case 'object':
      return Object.fromEntries(
        Object.keys(value as object)
          .sort()
          .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
      );
    default:
      return typeof value;
  }
}

/** Paths where two shapes differ, as `path: left | right` lines (empty when identical). */
export function shapeDiff(left: unknown, right: unknown, path = '$'): string[] {
  if (JSON.stringify(left) === JSON.stringify(right)) return [];
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(left) && isObj(right)) {
    const l = left as Record<string, unknown>;
    const r = right as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(l), ...Object.keys(r)])].sort();
    return keys.flatMap((k) =>
      !(k in l)
        ? [`${path}.${k}: (absent) | ${JSON.stringify(r[k])}`]
        : !(k in r)
          ? [`${path}.${k}: ${JSON.stringify(l[k])} | (absent)`]
          : shapeDiff(l[k], r[k], `${path}.${k}`),
    );
  }
  return [`${path}: ${JSON.stringify(left)} | ${JSON.stringify(right)}`];
}
