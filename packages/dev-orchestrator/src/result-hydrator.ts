import type { Queryable } from './db.js';
import type { StepResultDocument } from './wire.js';

/**
 * Turning an `orchestration_step_results` message into the step's `StepExecutionResult` (queue-protocol.md
 * §5.2 step 1, §4.6 "Decoding strictness"; upstream `orchestration/hydration/step_result_hydrator.rs`): the body
 * must be a `StepMessage` with three UUIDs, the step must exist and have `results`, and `results` must decode
 * the way serde would decode it.
 */

export class HydrationError extends Error {
  readonly code = 'result_undecodable';
  constructor(message: string) {
    super(message);
    this.name = 'HydrationError';
  }
}

export interface StepMessage {
  task_uuid: string;
  step_uuid: string;
  correlation_id: string;
}

export interface HydratedResult {
  message: StepMessage;
  step: {
    workflow_step_uuid: string;
    task_uuid: string;
    attempts: number | null;
    max_attempts: number | null;
    step_name: string;
  };
  result: StepResultDocument;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function parseStepMessage(body: unknown): StepMessage {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HydrationError('Invalid StepMessage format: not an object');
  }
  const o = body as Record<string, unknown>;
  for (const key of ['task_uuid', 'step_uuid', 'correlation_id'] as const) {
    if (typeof o[key] !== 'string' || !UUID.test(o[key] as string)) {
      throw new HydrationError(`Invalid StepMessage format: ${key} missing or not a UUID`);
    }
  }
  return {
    task_uuid: o.task_uuid as string,
    step_uuid: o.step_uuid as string,
    correlation_id: o.correlation_id as string,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const BACKOFF_TYPES = ['ServerRequested', 'RateLimit', 'ServiceUnavailable', 'Custom'];

/** What serde rejects in a `StepExecutionResult` document (§4.6); returns the first problem found. */
export function stepResultProblem(doc: unknown): string | undefined {
  if (!isObject(doc)) return 'results is not an object';
  const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k);
  if (has(doc, 'step_uuid') && (typeof doc.step_uuid !== 'string' || !UUID.test(doc.step_uuid)))
    return 'step_uuid is not a UUID';
  if (has(doc, 'success') && typeof doc.success !== 'boolean') return 'success must be a boolean';
  if (has(doc, 'status') && typeof doc.status !== 'string') return 'status must be a string';
  if (has(doc, 'metadata')) {
    const m = doc.metadata;
    if (!isObject(m)) return 'metadata must be an object';
    if (has(m, 'execution_time_ms') && !Number.isInteger(m.execution_time_ms))
      return 'metadata.execution_time_ms must be an integer';
    if (has(m, 'retryable') && typeof m.retryable !== 'boolean')
      return 'metadata.retryable must be a boolean';
    for (const k of ['custom', 'context'])
      if (has(m, k) && !isObject(m[k])) return `metadata.${k} must be an object`;
    for (const k of ['handler_version', 'worker_id', 'worker_hostname', 'error_code', 'error_type']) {
      if (has(m, k) && m[k] !== null && typeof m[k] !== 'string')
        return `metadata.${k} must be a string or null`;
    }
    for (const k of ['completed_at', 'started_at']) {
      if (
        has(m, k) &&
        m[k] !== null &&
        (typeof m[k] !== 'string' || Number.isNaN(Date.parse(m[k] as string)))
      ) {
        return `metadata.${k} must be an RFC 3339 timestamp`;
      }
    }
  }
  if (has(doc, 'error') && doc.error !== null) {
    const e = doc.error;
    if (!isObject(e)) return 'error must be an object or null';
    if (typeof e.message !== 'string') return 'error.message is required';
    if (typeof e.retryable !== 'boolean') return 'error.retryable is required';
  }
  if (has(doc, 'orchestration_metadata') && doc.orchestration_metadata !== null) {
    const om = doc.orchestration_metadata;
    if (!isObject(om)) return 'orchestration_metadata must be an object or null';
    if (!isObject(om.headers) || !Object.values(om.headers).every((v) => typeof v === 'string')) {
      return 'orchestration_metadata.headers is required (string map)';
    }
    if (!isObject(om.custom)) return 'orchestration_metadata.custom is required';
    const hint = om.backoff_hint;
    if (hint !== undefined && hint !== null) {
      if (!isObject(hint) || !BACKOFF_TYPES.includes(hint.backoff_type as string))
        return 'backoff_hint.backoff_type is invalid';
      if (!Number.isInteger(hint.delay_seconds) || (hint.delay_seconds as number) < 0)
        return 'backoff_hint.delay_seconds must be a u32';
    }
  }
  return undefined;
}

export async function hydrateResult(db: Queryable, body: unknown): Promise<HydratedResult> {
  const message = parseStepMessage(body);
  const { rows } = await db.query<HydratedResult['step'] & { results: unknown }>(
    `SELECT ws.workflow_step_uuid::text, ws.task_uuid::text, ws.attempts, ws.max_attempts, ws.results, ns.name AS step_name
       FROM tasker.workflow_steps ws JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
      WHERE ws.workflow_step_uuid = $1::uuid`,
    [message.step_uuid],
  );
  const row = rows[0];
  if (!row) throw new HydrationError(`WorkflowStep not found for step_uuid ${message.step_uuid}`);
  if (row.results === null || row.results === undefined) {
    throw new HydrationError(`No results found in WorkflowStep.results for step_uuid ${message.step_uuid}`);
  }
  const problem = stepResultProblem(row.results);
  if (problem)
    throw new HydrationError(`Failed to deserialize StepExecutionResult from results JSONB: ${problem}`);
  const { results, ...step } = row;
  return { message, step, result: results as StepResultDocument };
}

/** `StepExecutionResult::normalized_status`: an empty status follows `success`. */
export function normalizedStatus(result: StepResultDocument): string {
  if (result.status === undefined || result.status === '') return result.success ? 'completed' : 'failed';
  return result.status;
}
