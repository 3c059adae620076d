// Compares what two workers wrote for the same template (scenario 4): transitions with their metadata, the
// `results` documents, the audit rows and the queue messages. Values that are per-run by nature (uuids,
// timestamps, worker ids, durations) are compared by shape; everything else must be equal.

import type pg from 'pg';
import { queueMessagesForTask, shapeDiff, shapeOf, type TaskSnapshot } from './db-inspect.js';

/** A transition's metadata with its `event` string parsed (upstream stores serde JSON of the event as a string). */
export function normalizeTransitionMetadata(metadata: unknown): unknown {
  if (typeof metadata !== 'object' || metadata === null) return metadata;
  const m = { ...(metadata as Record<string, unknown>) };
  if (typeof m.event === 'string') {
    try {
      m.event = { '(json string)': JSON.parse(m.event) };
    } catch {
      // a plain string event (task transitions use e.g. "Start")
    }
  }
  return m;
}

/** Fields of a `results` document whose values legitimately differ between runs or workers. */
const VOLATILE_RESULT_PATHS = [
  ['step_uuid'],
  ['metadata', 'completed_at'],
  ['metadata', 'started_at'],
  ['metadata', 'execution_time_ms'],
  ['metadata', 'worker_id'],
  ['metadata', 'worker_hostname'],
];

function withoutVolatile(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null) return doc;
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const path of VOLATILE_RESULT_PATHS) {
    let node: Record<string, unknown> | undefined = copy;
    for (const key of path.slice(0, -1)) {
      const next: unknown = node?.[key];
      node = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : undefined;
    }
    const last = path[path.length - 1] as string;
    if (node && last in node) node[last] = `<${typeof node[last] === 'object' ? 'null' : typeof node[last]}>`;
  }
  return copy;
}

export interface WriteComparison {
  /** Human-readable differences: `where: left | right`. Empty = indistinguishable. */
  differences: string[];
}

/**
 * Compares two snapshots of the same template run by different workers (`left` = ours, `right` = reference).
 * Steps are matched by name.
 */
export function compareTaskWrites(left: TaskSnapshot, right: TaskSnapshot): WriteComparison {
  const differences: string[] = [];
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
    for (const field of ['attempts', 'in_process', 'processed'] as const) {
      if (a[field] !== b[field]) differences.push(`${at}.${field}: ${a[field]} | ${b[field]}`);
    }
    for (const field of [
      'processed_at',
      'last_attempted_at',
      'backoff_request_seconds',
      'checkpoint',
    ] as const) {
      differences.push(...shapeDiff(shapeOf(a[field]), shapeOf(b[field]), `${at}.${field}`));
    }
    // results: exact once per-run values are masked, and same shape including them
    differences.push(...shapeDiff(shapeOf(a.results), shapeOf(b.results), `${at}.results(shape)`));
    if (JSON.stringify(withoutVolatile(a.results)) !== JSON.stringify(withoutVolatile(b.results))) {
      differences.push(
        ...shapeDiff(withoutVolatile(a.results), withoutVolatile(b.results), `${at}.results(value)`),
      );
    }
    const path = (s: typeof a) =>
      s.transitions.map((t) => `${t.from_state ?? 'null'}->${t.to_state}`).join(' ');
    if (path(a) !== path(b)) differences.push(`${at}.transitions: ${path(a)} | ${path(b)}`);
    const count = Math.min(a.transitions.length, b.transitions.length);
    for (let i = 0; i < count; i++) {
      const ta = a.transitions[i]!;
      const tb = b.transitions[i]!;
      const where = `${at}.transition[${i}](${ta.from_state ?? 'null'}->${ta.to_state}).metadata`;
      differences.push(
        ...shapeDiff(
          shapeOf(normalizeTransitionMetadata(ta.metadata)),
          shapeOf(normalizeTransitionMetadata(tb.metadata)),
          where,
        ),
      );
      if (ta.most_recent !== tb.most_recent) differences.push(`${where}.most_recent: differs`);
    }
  }
  const auditShape = (s: TaskSnapshot) =>
    shapeOf(s.audits.map(({ created_at: _c, updated_at: _u, ...rest }) => rest));
  differences.push(...shapeDiff(auditShape(left), auditShape(right), 'workflow_step_result_audit'));
  return { differences };
}

/** The worker-side and orchestration-side queue messages of a task, reduced to their shapes. */
export async function taskMessageShapes(
  client: pg.Client,
  namespace: string,
  taskUuid: string,
): Promise<Record<string, unknown>> {
  const dispatch = await queueMessagesForTask(client, `worker_${namespace}_queue`, taskUuid);
  const results = await queueMessagesForTask(client, 'orchestration_step_results', taskUuid);
  return {
    // The worker acks dispatch messages: upstream archives them (pgmq.archive), it never deletes them.
    dispatch: shapeOf(dispatch.map((m) => ({ source: m.source, message: m.message }))),
    dispatch_count: dispatch.length,
    step_results: shapeOf(results.map((m) => ({ source: m.source, message: m.message }))),
    step_results_count: results.length,
  };
}
