import {
  decodeParsed,
  decodeTrusted,
  type StepExecutionResult,
  type StepMessage,
  setMember,
  type TaskSequenceStep,
  type TaskTemplate,
  WireValidationError,
} from '@tasker-bridge/schemas';
import type { ClaimMethod, QueuedMessage } from './intake.js';
import { type Queryable, run, SqlState, sqlState } from './sql/connections.js';
import { HYDRATE_AND_CLAIM, type HydrationRow, leaseAndClaimStatements } from './sql/statements.js';
import type { TemplateCache } from './template-cache.js';
import { claimMetadata, naiveUtcNow } from './transition-metadata.js';

/**
 * Hydration and claim of a batch of leased messages in one round trip (`HYDRATE_AND_CLAIM`; with the lease in
 * the same statement when tasker and pgmq share a database, `leaseAndClaimStatements`): builds, per message, the
 * `TaskSequenceStep` the Rust worker hands its handlers (docs/protocol.md §4.2) from the pre-claim snapshot, and
 * claims the step (§4.3) when it is `enqueued`, belongs to the message's task and to a namespace this worker
 * serves.
 *
 * Outcomes:
 * - `ready`: claimed and fully hydrated (decoded with serde's rules, so timestamps and defaults are exactly what
 *   Rust would hand over);
 * - `unrunnable`: claimed, but the template, the step definition or the step's data does not decode. Upstream
 *   fails hydration before its claim and re-reads the message forever, leaving the step `enqueued`; we report a
 *   permanent failure instead, so orchestration (and whoever looks at the task) sees why;
 * - `claim_lost`: the step was `enqueued` but another worker claimed it in the meantime;
 * - `claimed`: the step is `in_progress` or `enqueued_*_for_orchestration`, with its latest claim (lease
 *   recovery decides, README "Leases");
 * - `skip`: the message can never lead to a claim (unknown task/step, step of another task, namespace not
 *   served, or the step is past `enqueued`). The caller archives the message (an improvement over upstream,
 *   which re-reads such messages forever, §4.4).
 * A statement that fails leaves its messages to their leases (`claimMessages` retries a batch message by
 * message, so only the message at fault is left).
 */

export interface NewClaim {
  transitionUuid: string;
  attempts: number;
}

export type Hydration =
  | { kind: 'ready'; step: TaskSequenceStep; template: TaskTemplate; claim: NewClaim }
  | { kind: 'unrunnable'; reason: SkipReason; detail: string; claim: NewClaim; correlationId: string }
  | { kind: 'claim_lost' }
  | { kind: 'skip'; reason: SkipReason; detail: string; state: string | null }
  | Claimed;

/**
 * The step is claimed (`in_progress`) or its claim has ended (`enqueued_*_for_orchestration`, result maybe not
 * yet sent): the caller decides from the claim's lease whether this message is that lease and whether it
 * lapsed (README "Leases").
 */
export interface Claimed {
  kind: 'claimed';
  state: 'in_progress' | 'enqueued_for_orchestration' | 'enqueued_as_error_for_orchestration';
  /** Age of the current state, by the database clock. */
  stateAgeMs: number;
  /** The latest claim (`in_progress` transition): its uuid and metadata. */
  claimTransitionUuid: string | null;
  claimMetadata: Record<string, unknown> | null;
  taskUuid: string;
  correlationId: string;
}

const CLAIMED_STATES: ReadonlySet<string> = new Set([
  'in_progress',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
]);

export const SkipReason = {
  TASK_NOT_FOUND: 'task_not_found',
  STEP_NOT_FOUND: 'step_not_found',
  STEP_TASK_MISMATCH: 'step_task_mismatch',
  NAMESPACE_NOT_SUPPORTED: 'namespace_not_supported',
  TEMPLATE_INVALID: 'template_invalid',
  STEP_DEFINITION_NOT_FOUND: 'step_definition_not_found',
  NOT_CLAIMABLE: 'not_claimable',
  UNDECODABLE: 'undecodable',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/**
 * A leased message after its body was read and its step hydrated and claimed: what `StepProcessor.process`
 * takes.
 */
export type TakenMessage =
  /** The body is not a `StepMessage`: nothing was looked up or claimed. */
  | { kind: 'malformed'; message: QueuedMessage; error: string }
  /** The hydrate-and-claim statement failed: nothing was claimed. */
  | { kind: 'failed'; message: QueuedMessage; stepMessage: StepMessage; error: string }
  | { kind: 'hydrated'; message: QueuedMessage; stepMessage: StepMessage; hydration: Hydration };

/** Whether processing `taken` must run a claim this statement made (then it must run, whatever else is true). */
export function claimedHere(taken: TakenMessage): boolean {
  return (
    taken.kind === 'hydrated' && (taken.hydration.kind === 'ready' || taken.hydration.kind === 'unrunnable')
  );
}

/** Who claims, and for which namespaces. */
export interface ClaimOwner {
  workerUuid: string;
  namespaces: ReadonlySet<string>;
}

/**
 * Messages of one queue leased by a read (poll, notification): each body checked (§2.1: all three UUIDs), then
 * their steps hydrated and claimed in one statement (`HYDRATE_AND_CLAIM`), each claim naming its message as its
 * lease. When the statement fails as a whole — one step's claim cannot be written, a concurrent claimer's unique
 * violation — each message is tried again in a statement of its own, so only the message at fault fails (its
 * lease decides when it is looked at again). Never throws.
 */
export async function claimMessages(
  db: Queryable,
  messages: readonly QueuedMessage[],
  owner: ClaimOwner,
  templates: TemplateCache,
): Promise<TakenMessage[]> {
  const taken: TakenMessage[] = [];
  const valid: { message: QueuedMessage; stepMessage: StepMessage }[] = [];
  for (const message of messages) {
    try {
      valid.push({ message, stepMessage: decodeParsed('StepMessage', message.body) });
    } catch (error) {
      taken.push({ kind: 'malformed', message, error: (error as Error).message });
    }
  }
  if (valid.length === 0) return taken;
  try {
    taken.push(...(await hydrateAndClaim(db, valid, owner, templates)));
  } catch (error) {
    if (valid.length === 1) {
      const [{ message, stepMessage }] = valid as [(typeof valid)[number]];
      taken.push(
        sqlState(error) === SqlState.UNIQUE_VIOLATION
          ? // The partial unique index on `most_recent` caught a concurrent claim: upstream's "not claimed".
            { kind: 'hydrated', message, stepMessage, hydration: { kind: 'claim_lost' } }
          : { kind: 'failed', message, stepMessage, error: (error as Error).message },
      );
    } else {
      for (const one of valid) taken.push(...(await claimMessages(db, [one.message], owner, templates)));
    }
  }
  return taken;
}

async function hydrateAndClaim(
  db: Queryable,
  valid: readonly { message: QueuedMessage; stepMessage: StepMessage }[],
  owner: ClaimOwner,
  templates: TemplateCache,
): Promise<TakenMessage[]> {
  const queue = (valid[0] as (typeof valid)[number]).message.queue;
  const rows = await run(db, HYDRATE_AND_CLAIM, [
    valid.map((v) => v.message.msgId),
    valid.map((v) => v.stepMessage.task_uuid),
    valid.map((v) => v.stepMessage.step_uuid),
    queue,
    ownerMetadata(owner),
    naiveUtcNow(),
    [...owner.namespaces],
  ]);
  if (rows.length !== valid.length)
    throw new Error(`hydrate_and_claim returned ${rows.length} rows for ${valid.length}`);
  return valid.map(({ message, stepMessage }, i) => ({
    kind: 'hydrated',
    message,
    stepMessage,
    hydration: fromRow(rows[i] as HydrationRow, stepMessage, owner.namespaces, templates),
  }));
}

/** The claim metadata without its lease (the statements add `lease` per message). */
function ownerMetadata(owner: ClaimOwner): string {
  return JSON.stringify({ ...claimMetadata(), worker_uuid: owner.workerUuid });
}

/** What to lease: notified messages by id, or the next visible ones. */
export interface LeaseRequest {
  queue: string;
  namespace: string;
  method: ClaimMethod;
  /** Notified ids (those still visible are leased), or null for the next `limit` visible messages. */
  msgIds: readonly string[] | null;
  limit: number;
}

/**
 * Tasker and pgmq in one database: the lease, the hydration and the claim of a batch in one round trip
 * (`leaseAndClaimStatements`). Empty when nothing was leased. A database error is thrown: nothing was leased,
 * the messages stay visible (the caller reads them the plain way, `take.ts`).
 */
export async function leaseAndClaimMessages(
  db: Queryable,
  request: LeaseRequest,
  owner: ClaimOwner & { visibilityTimeoutSeconds: number; pgmq: { lastReadAt: boolean } },
  templates: TemplateCache,
): Promise<TakenMessage[]> {
  const leasedAt = performance.now();
  const statements = leaseAndClaimStatements(request.queue, owner.pgmq);
  const tail = [owner.visibilityTimeoutSeconds, ownerMetadata(owner), naiveUtcNow(), [...owner.namespaces]];
  const rows =
    request.msgIds === null
      ? await run(db, statements.next, [request.limit, ...tail])
      : await run(db, statements.byIds, [request.msgIds, ...tail]);
  const taken: TakenMessage[] = [];
  for (const row of rows) {
    const message: QueuedMessage = {
      queue: request.queue,
      namespace: request.namespace,
      msgId: row.msg_id,
      body: row.message,
      method: request.method,
      leasedAt,
    };
    if (row.ids_valid) {
      // The statement checked the three ids with the schema's own rule: the body is a StepMessage.
      const body = row.message as Record<string, string>;
      const stepMessage: StepMessage = {
        task_uuid: body.task_uuid as string,
        step_uuid: body.step_uuid as string,
        correlation_id: body.correlation_id as string,
      };
      const hydration = fromRow(row, stepMessage, owner.namespaces, templates);
      taken.push({ kind: 'hydrated', message, stepMessage, hydration });
    } else {
      // Nothing was claimed for it: the schema tells what is wrong with the body (and should it accept the body
      // after all, its step is claimed the plain way).
      taken.push(...(await claimMessages(db, [message], owner, templates)));
    }
  }
  return taken;
}

/** The outcome of a hydrate-and-claim row for the step `ids` names (see the top of this file). */
function fromRow(
  row: HydrationRow,
  ids: { task_uuid: string; step_uuid: string },
  namespaces: ReadonlySet<string>,
  templates: TemplateCache,
): Hydration {
  const skip = (reason: SkipReason, detail: string): Hydration => ({
    kind: 'skip',
    reason,
    detail,
    state: row.current_state,
  });

  if (!row.task_found || row.task === null) return skip(SkipReason.TASK_NOT_FOUND, 'task does not exist');
  if (!row.step_found || row.workflow_step === null)
    return skip(SkipReason.STEP_NOT_FOUND, 'step does not exist');
  if (row.step_task_uuid !== ids.task_uuid) {
    return skip(SkipReason.STEP_TASK_MISMATCH, `step belongs to task ${row.step_task_uuid}`);
  }
  const namespace = row.namespace_name ?? '';
  if (!namespaces.has(namespace)) {
    // Upstream: "Namespace '…' is not supported by this worker" (§4.2-4).
    return skip(
      SkipReason.NAMESPACE_NOT_SUPPORTED,
      `namespace '${namespace}' is not supported by this worker`,
    );
  }
  // Claimability before decoding: a step past `enqueued` is skipped whatever its data looks like.
  if (row.current_state !== null && CLAIMED_STATES.has(row.current_state)) {
    return {
      kind: 'claimed',
      state: row.current_state as Claimed['state'],
      stateAgeMs: row.state_age_ms ?? 0,
      claimTransitionUuid: row.claim_transition_uuid,
      claimMetadata: row.claim_metadata,
      taskUuid: ids.task_uuid,
      correlationId: String(row.task.correlation_id),
    };
  }
  if (row.current_state !== 'enqueued') {
    return skip(SkipReason.NOT_CLAIMABLE, `step is '${row.current_state ?? 'pending'}', not 'enqueued'`);
  }
  if (row.new_claim_uuid === null || row.new_claim_attempts === null) return { kind: 'claim_lost' };
  const claim: NewClaim = { transitionUuid: row.new_claim_uuid, attempts: row.new_claim_attempts };
  const unrunnable = (reason: SkipReason, detail: string): Hydration => ({
    kind: 'unrunnable',
    reason,
    detail,
    claim,
    correlationId: String(row.task?.correlation_id),
  });

  let template: TaskTemplate;
  try {
    if (row.template === null) throw new Error('no template');
    template = templates.decode(row.template);
  } catch (error) {
    return unrunnable(
      SkipReason.TEMPLATE_INVALID,
      `named_tasks.configuration is not a TaskTemplate: ${message(error)}`,
    );
  }
  const templateStepName = row.workflow_step.template_step_name as string;
  const definition = template.steps.find((s) => s.name === templateStepName);
  if (definition === undefined) {
    return unrunnable(
      SkipReason.STEP_DEFINITION_NOT_FOUND,
      `template ${namespace}/${row.task_name}/${row.task_version} has no step '${templateStepName}'`,
    );
  }

  // Decoded with serde's rules part by part, each as much as it needs: the task and the step row come from this
  // statement's own jsonb_build_object over typed columns, so their shape holds by construction (no schema
  // validation per step); the step definition is the cached template's, validated when it was decoded; only the
  // dependency results, written by whichever workers ran the ancestors, are validated here.
  try {
    const step: TaskSequenceStep = {
      task: decodeTrusted('TaskForOrchestration', {
        task: row.task,
        task_name: row.task_name,
        task_version: row.task_version,
        namespace_name: namespace,
      }),
      workflow_step: decodeTrusted('WorkflowStepWithName', row.workflow_step),
      dependency_results: dependencyResults(row.dependencies ?? []),
      step_definition: definition,
    };
    return { kind: 'ready', step, template, claim };
  } catch (error) {
    return unrunnable(
      SkipReason.UNDECODABLE,
      `step data does not decode as TaskSequenceStep: ${message(error)}`,
    );
  }
}

/**
 * Ancestors' results by step name: later rows win for duplicate names (§4.2-7); each must decode strictly, and a
 * failure names its place in the `TaskSequenceStep`. setMember: a step may be named `__proto__`, which assignment
 * would turn into the object's prototype.
 */
function dependencyResults(rows: readonly [string, unknown][]): Record<string, StepExecutionResult> {
  const latest = new Map(rows);
  const results: Record<string, StepExecutionResult> = {};
  for (const [name, value] of latest) {
    try {
      setMember(results, name, decodeParsed('StepExecutionResult', value));
    } catch (error) {
      if (!(error instanceof WireValidationError)) throw error;
      const at = `/dependency_results/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      throw new WireValidationError(
        'TaskSequenceStep',
        error.issues.map((issue) => ({ path: `${at}${issue.path}`, message: issue.message })),
      );
    }
  }
  return results;
}

function message(error: unknown): string {
  if (error instanceof WireValidationError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
