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
import type { QueuedMessage } from './intake.js';
import { type Queryable, run, SqlState, sqlState } from './sql/connections.js';
import {
  HYDRATE_AND_CLAIM,
  type HydrationRow,
  type LeasedHydrationRow,
  leaseAndClaimStatements,
} from './sql/statements.js';
import type { TemplateCache } from './template-cache.js';
import { claimMetadata, type Lease, naiveUtcNow } from './transition-metadata.js';

/**
 * Hydration and claim in one round trip (`HYDRATE_AND_CLAIM`): builds the `TaskSequenceStep` the Rust worker
 * hands its handlers (docs/protocol.md §4.2) from the pre-claim snapshot, and claims the step (§4.3) when it is
 * `enqueued`, belongs to the message's task and to a namespace this worker serves.
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
 * Database errors are thrown: the message stays for redelivery.
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

export async function hydrateAndClaim(
  db: Queryable,
  input: {
    ids: { task_uuid: string; step_uuid: string };
    namespaces: ReadonlySet<string>;
    owner: { workerUuid: string; lease: Lease };
  },
  templates: TemplateCache,
): Promise<Hydration> {
  const { ids } = input;
  let row: HydrationRow | undefined;
  try {
    [row] = await run(db, HYDRATE_AND_CLAIM, [
      ids.task_uuid,
      ids.step_uuid,
      JSON.stringify(claimMetadata(undefined, input.owner)),
      naiveUtcNow(),
      [...input.namespaces],
    ]);
  } catch (error) {
    // The partial unique index on `most_recent` caught a concurrent claim: upstream maps it to "not claimed".
    if (sqlState(error) === SqlState.UNIQUE_VIOLATION) return { kind: 'claim_lost' };
    throw error;
  }
  if (row === undefined) throw new Error('hydrate_and_claim returned no row');
  return fromRow(row, ids, input.namespaces, templates);
}

/**
 * A leased message after its body was read and its step hydrated and claimed: what `StepProcessor.process`
 * takes. `claimStartedAt` is when the lease was taken (`performance.now()`): the claim's duration runs from there.
 */
export type TakenMessage =
  /** The body is not a `StepMessage`: nothing was looked up or claimed. */
  | { kind: 'malformed'; message: QueuedMessage; error: string }
  /** The hydrate-and-claim statement failed: nothing was claimed. */
  | { kind: 'failed'; message: QueuedMessage; stepMessage: StepMessage; error: string }
  | { kind: 'hydrated'; message: QueuedMessage; stepMessage: StepMessage; hydration: Hydration };

/**
 * A message leased by a read (poll, notification): its body checked (§2.1: all three UUIDs), its step hydrated
 * and claimed in one statement naming the message as the claim's lease. Never throws.
 */
export async function takeMessage(
  db: Queryable,
  message: QueuedMessage,
  owner: { namespaces: ReadonlySet<string>; workerUuid: string },
  templates: TemplateCache,
): Promise<TakenMessage> {
  let stepMessage: StepMessage;
  try {
    stepMessage = decodeParsed('StepMessage', message.body);
  } catch (error) {
    return { kind: 'malformed', message, error: (error as Error).message };
  }
  try {
    const hydration = await hydrateAndClaim(
      db,
      {
        ids: stepMessage,
        namespaces: owner.namespaces,
        owner: { workerUuid: owner.workerUuid, lease: { queue: message.queue, msg_id: message.msgId } },
      },
      templates,
    );
    return { kind: 'hydrated', message, stepMessage, hydration };
  } catch (error) {
    return { kind: 'failed', message, stepMessage, error: (error as Error).message };
  }
}

/** What a lease-and-claim statement did (`leaseAndClaimStatements`). */
export type LeaseAndClaim =
  /** Nothing was leased: the message is invisible, archived or missing, or the queue is empty. */
  | { kind: 'none' }
  /** A concurrent claim won and the statement rolled back, its lease with it: the message stays visible. */
  | { kind: 'claim_lost' }
  /**
   * A message was leased. `stepMessage` and `hydration` are null when its body is not a `StepMessage` (nothing
   * was hydrated or claimed; the caller reports the body, `process-step.ts`).
   */
  | {
      kind: 'leased';
      msgId: string;
      body: unknown;
      stepMessage: StepMessage | null;
      hydration: Hydration | null;
    };

/**
 * Tasker and pgmq in one database: the lease (one message by id, or the next visible one when `msgId` is null),
 * the hydration and the claim in one round trip (`leaseAndClaimStatements`); the
 * hydration's outcomes are `hydrateAndClaim`'s. Database errors other than a lost claim race are thrown (nothing
 * was leased).
 */
export async function leaseAndClaim(
  db: Queryable,
  input: {
    queue: string;
    msgId: string | null;
    visibilityTimeoutSeconds: number;
    namespaces: ReadonlySet<string>;
    workerUuid: string;
    pgmq: { lastReadAt: boolean };
  },
  templates: TemplateCache,
): Promise<LeaseAndClaim> {
  // The statement adds the lease (the message it read) to the metadata itself.
  const metadata = JSON.stringify({ ...claimMetadata(), worker_uuid: input.workerUuid });
  const tail = [metadata, naiveUtcNow(), [...input.namespaces]];
  let row: LeasedHydrationRow | undefined;
  try {
    const statements = leaseAndClaimStatements(input.queue, input.pgmq);
    [row] =
      input.msgId === null
        ? await run(db, statements.next, [input.visibilityTimeoutSeconds, ...tail])
        : await run(db, statements.message, [input.msgId, input.visibilityTimeoutSeconds, ...tail]);
  } catch (error) {
    if (sqlState(error) === SqlState.UNIQUE_VIOLATION) return { kind: 'claim_lost' };
    throw error;
  }
  if (row === undefined) return { kind: 'none' };
  const leased = { kind: 'leased', msgId: row.lease_msg_id, body: row.lease_message } as const;
  if (!row.ids_valid) return { ...leased, stepMessage: null, hydration: null };
  // The statement checked the three ids with the schema's own rule: the body is a StepMessage.
  const body = row.lease_message as Record<string, string>;
  const stepMessage: StepMessage = {
    task_uuid: body.task_uuid as string,
    step_uuid: body.step_uuid as string,
    correlation_id: body.correlation_id as string,
  };
  return { ...leased, stepMessage, hydration: fromRow(row, stepMessage, input.namespaces, templates) };
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
