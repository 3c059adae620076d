import {
  decodeParsed,
  type StepExecutionResult,
  type StepMessage,
  WireValidationError,
} from '@tasker-bridge/schemas';
import type { Queryable } from './db.js';

/**
 * Turning an `orchestration_step_results` message into the step's `StepExecutionResult` (docs/protocol.md
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

export interface HydratedResult {
  message: StepMessage;
  step: {
    workflow_step_uuid: string;
    task_uuid: string;
    attempts: number | null;
    max_attempts: number | null;
    step_name: string;
  };
  /** `results` decoded as serde decodes it: every absent key has its default. */
  result: StepExecutionResult;
}

/** The message body as a `StepMessage` (three UUIDs), or a `HydrationError`. */
export function parseStepMessage(body: unknown): StepMessage {
  try {
    return decodeParsed('StepMessage', body);
  } catch (error) {
    throw new HydrationError(`Invalid StepMessage format: ${wireProblem(error)}`);
  }
}

/** `results` decoded as orchestration's serde decodes it (§4.6), or undefined when serde would reject it. */
export function decodeStepResult(results: unknown): StepExecutionResult | undefined {
  try {
    return decodeParsed('StepExecutionResult', results);
  } catch (error) {
    if (error instanceof WireValidationError) return undefined;
    throw error;
  }
}

/** The reasons of a `WireValidationError`, path first; anything else is rethrown. */
function wireProblem(error: unknown): string {
  if (!(error instanceof WireValidationError)) throw error;
  return error.issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
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
  let result: StepExecutionResult;
  try {
    result = decodeParsed('StepExecutionResult', row.results);
  } catch (error) {
    throw new HydrationError(
      `Failed to deserialize StepExecutionResult from results JSONB: ${wireProblem(error)}`,
    );
  }
  const { results: _results, ...step } = row;
  return { message, step, result };
}

/** `StepExecutionResult::normalized_status`: an empty status follows `success`. */
export function normalizedStatus(result: StepExecutionResult): string {
  if (result.status === '') return result.success ? 'completed' : 'failed';
  return result.status;
}
