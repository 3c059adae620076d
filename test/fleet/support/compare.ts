// Compares what two workers wrote for the same template (scenario 4): transitions with their metadata, the
// `results` documents, the audit rows, the task's transitions and the queue messages. Values are compared, not
// shapes: only what is per-run by nature is masked first (uuids, timestamps, durations, worker and host names:
// `maskRunValues`), keeping its type, so a field one worker fills and the other leaves null still differs.

import type pg from 'pg';
import { queueMessagesForTask, shapeDiff, shapeOf, type TaskSnapshot } from './db-inspect.js';

const UUID = /^(worker_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A uuid inside a longer string (a handler's `AUDIT-<uuid>` reference). */
const EMBEDDED_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Members whose values differ between runs whatever their format (durations, the host, the worker's name). */
const RUN_KEYS = new Set(['execution_time_ms', 'worker_hostname', 'worker_id']);

function typeTag(value: unknown): string {
  if (value === null) return '<null>';
  if (value instanceof Date) return '<timestamp>';
  return `<${typeof value}>`;
}

/**
 * A copy of a JSON value with its per-run parts replaced by `<type>` tags: uuid and timestamp strings anywhere
 * (`<uuid>`, `<timestamp>`; a uuid inside a longer string too), and the members named in RUN_KEYS (`<number>`,
 * `<string>`, `<null>`…). Event strings of transition metadata (serde JSON of the state machine event) are parsed
 * first, so their content is compared.
 */
export function maskRunValues(value: unknown): unknown {
  if (value instanceof Date) return '<timestamp>';
  if (typeof value === 'string') {
    if (UUID.test(value)) return '<uuid>';
    if (TIMESTAMP.test(value)) return '<timestamp>';
    return value.replace(EMBEDDED_UUID, '<uuid>');
  }
  if (Array.isArray(value)) return value.map(maskRunValues);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (RUN_KEYS.has(key) && member !== null && typeof member !== 'object') out[key] = typeTag(member);
    else if (key === 'event' && typeof member === 'string') out[key] = maskRunValues(parsedEvent(member));
    else out[key] = maskRunValues(member);
  }
  return out;
}

/** Upstream stores a step transition's event as serde JSON in a string; task transitions use plain words. */
function parsedEvent(event: string): unknown {
  try {
    return { '(json string)': JSON.parse(event) };
  } catch {
    return event;
  }
}

export interface WriteComparison {
  /** Human-readable differences: `where: left | right`. Empty = indistinguishable. */
  differences: string[];
}

/**
 * Compares two snapshots of the same template run by different workers (`left` = ours, `right` = reference).
 * Steps are matched by name, audit rows by step and then order.
 */
export function compareTaskWrites(left: TaskSnapshot, right: TaskSnapshot): WriteComparison {
  const differences: string[] = [];
  const diff = (a: unknown, b: unknown, where: string) =>
    differences.push(...shapeDiff(maskRunValues(a), maskRunValues(b), where));
  const byName = (s: TaskSnapshot) => new Map(s.steps.map((step) => [step.name, step]));
  const l = byName(left);
  const r = byName(right);
  for (const name of new Set([...l.keys(), ...r.keys()])) {
    const a = l.get(name);
    const b = r.get(name);
    if (!a || !b) {
      differences.push(`step ${name}: ${a ? 'present' : 'absent'} | ${b ? 'present' : 'absent'}`);
      continue;
    }
    const at = `step ${name}`;
    for (const field of ['attempts', 'in_process', 'processed', 'backoff_request_seconds'] as const) {
      if (a[field] !== b[field]) differences.push(`${at}.${field}: ${a[field]} | ${b[field]}`);
    }
    // Written by the clock: only whether they are set can be compared.
    for (const field of ['processed_at', 'last_attempted_at'] as const) {
      differences.push(...shapeDiff(shapeOf(a[field]), shapeOf(b[field]), `${at}.${field}`));
    }
    diff(a.checkpoint, b.checkpoint, `${at}.checkpoint`);
    diff(a.results, b.results, `${at}.results`);
    const path = (s: typeof a) =>
      s.transitions.map((t) => `${t.from_state ?? 'null'}->${t.to_state}`).join(' ');
    if (path(a) !== path(b)) differences.push(`${at}.transitions: ${path(a)} | ${path(b)}`);
    const count = Math.min(a.transitions.length, b.transitions.length);
    for (let i = 0; i < count; i++) {
      const ta = a.transitions[i]!;
      const tb = b.transitions[i]!;
      const where = `${at}.transition[${i}](${ta.from_state ?? 'null'}->${ta.to_state})`;
      diff(ta.metadata, tb.metadata, `${where}.metadata`);
      if (ta.most_recent !== tb.most_recent) differences.push(`${where}.most_recent: differs`);
    }
  }
  const taskPath = (s: TaskSnapshot) => s.task_transitions.map((t) => t.to_state).join(' ');
  if (taskPath(left) !== taskPath(right)) {
    differences.push(`task.transitions: ${taskPath(left)} | ${taskPath(right)}`);
  }
  diff(auditsByStep(left), auditsByStep(right), 'workflow_step_result_audit');
  return { differences };
}

/** Audit rows keyed by step name, in the order they were written. */
function auditsByStep(s: TaskSnapshot): Record<string, unknown[]> {
  const names = new Map(s.steps.map((step) => [step.workflow_step_uuid, step.name]));
  const out: Record<string, unknown[]> = {};
  for (const { created_at: _c, updated_at: _u, ...row } of s.audits) {
    const name = names.get(String(row.workflow_step_uuid)) ?? '(unknown step)';
    out[name] = [...(out[name] ?? []), row];
  }
  return out;
}

/** The worker-side and orchestration-side queue messages of a task, their per-run values masked. */
export async function taskMessages(
  client: pg.Client,
  namespace: string,
  taskUuid: string,
): Promise<Record<string, unknown>> {
  const dispatch = await queueMessagesForTask(client, `worker_${namespace}_queue`, taskUuid);
  const results = await queueMessagesForTask(client, 'orchestration_step_results', taskUuid);
  return {
    // The worker acks dispatch messages: upstream archives them (pgmq.archive), it never deletes them.
    dispatch: maskRunValues(dispatch.map((m) => ({ source: m.source, message: m.message }))),
    step_results: maskRunValues(results.map((m) => ({ source: m.source, message: m.message }))),
  };
}
