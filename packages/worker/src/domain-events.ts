import {
  checkResultSchema,
  conditionMatches,
  type DomainEventPublisher,
  definePublisher,
  type Logger,
  type PublishedEvent,
  type ResultSchemaCheck,
  type StepOutcomeFacts,
  willRetry,
} from '@tasker-bridge/core';
import {
  type DomainEvent,
  type EventDeclaration,
  encodeJson,
  formatUtcTimestamp,
  type StepExecutionResult,
  type TaskSequenceStep,
} from '@tasker-bridge/schemas';
import { sendWithNotify } from './pgmq.js';
import { domainEventQueueName } from './queues.js';
import type { Queryable } from './sql/connections.js';
import { uuidv7 } from './uuid.js';

/**
 * Domain events (docs/protocol.md §6.4), as upstream's worker publishes them, after the step's completion has
 * committed (upstream may publish before), so a consumer never sees an event for a step that is not yet
 * `enqueued_*_for_orchestration`:
 *
 * - The step's publisher is the one its first declaration names (`publisher:`), as upstream's
 *   `get_or_default`: a registered `DomainEventPublisher` of that name, else the default one (with a warning). It
 *   gives each firing declaration its business payload (default: the handler's `result`).
 * - A declaration fires when its `condition` holds: `success`, `failure`, `always`, and — unlike upstream's worker,
 *   which never passes the retryability they need — `retryable_failure` (failed, `metadata.retryable`, attempts
 *   left) and `permanent_failure` (failed otherwise) (`willRetry` in core).
 * - Events the handler published itself (`context.publish`) are delivered when their own condition holds, with
 *   `fired_by` = the handler's callable; a declaration the handler published does not also fire by itself.
 * - Each payload is checked against the declaration's JSON schema; the `DomainEvent` goes to
 *   `{namespace}_domain_events` through `tasker.pgmq_send_with_notify` (`durable`, `broadcast`) and to the
 *   in-process callback (`fast`, `broadcast`).
 *
 * Failures are logged and never affect the step.
 */

/** Upstream's default publisher; its name is `metadata.fired_by` of the events it publishes. */
export const defaultPublisher = definePublisher('DefaultDomainEventPublisher', ({ result }) => result.result);

export interface PublishReport {
  published: string[];
  skipped: string[];
  errors: string[];
}

export interface PublishInput {
  step: TaskSequenceStep;
  result: StepExecutionResult;
  /** The claim's `attempts`, this execution included. */
  attempts: number;
  /** What the handler published with `context.publish`, in order. */
  published: readonly PublishedEvent[];
  /** Registered publishers by name. */
  publishers: ReadonlyMap<string, DomainEventPublisher>;
  logger: Logger;
  onEvent?: ((event: DomainEvent) => void) | undefined;
}

export function buildDomainEvent(
  declaration: EventDeclaration,
  step: TaskSequenceStep,
  result: StepExecutionResult,
  payload: unknown,
  firedBy: string,
  now = new Date(),
): DomainEvent {
  return {
    event_id: uuidv7(now.getTime()),
    event_name: declaration.name,
    event_version: '1.0',
    payload: { task_sequence_step: step, execution_result: result, payload },
    metadata: {
      task_uuid: step.task.task.task_uuid,
      step_uuid: step.workflow_step.workflow_step_uuid,
      step_name: step.workflow_step.name,
      namespace: step.task.namespace_name,
      correlation_id: step.task.task.correlation_id,
      fired_at: formatUtcTimestamp(now),
      fired_by: firedBy,
    },
  };
}

/** How the step ended, for the publication conditions. */
export function outcomeFacts(
  step: TaskSequenceStep,
  result: StepExecutionResult,
  attempts: number,
): StepOutcomeFacts {
  const maxAttempts = step.workflow_step.max_attempts ?? step.step_definition.retry?.max_attempts ?? 3;
  return { succeeded: result.success, willRetry: willRetry(result, attempts, maxAttempts) };
}

export async function publishDomainEvents(db: Queryable, input: PublishInput): Promise<PublishReport> {
  const report: PublishReport = { published: [], skipped: [], errors: [] };
  const declarations = input.step.step_definition.publishes_events ?? [];
  if (declarations.length === 0) return report;
  const outcome = outcomeFacts(input.step, input.result, input.attempts);
  const publisher = stepPublisher(declarations, input.publishers, input.logger);

  const deliver = async (declaration: EventDeclaration, payload: () => unknown, firedBy: string) => {
    try {
      const value = await payload();
      if (value === undefined) {
        report.skipped.push(declaration.name);
        return;
      }
      const schema = declaration.schema;
      const check: ResultSchemaCheck =
        schema !== null && typeof schema === 'object' ? checkResultSchema(schema, value) : { ok: true };
      if (!check.ok) {
        const issues = check.issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ');
        throw new Error(`Schema validation failed for '${declaration.name}': ${issues}`);
      }
      const event = buildDomainEvent(declaration, input.step, input.result, value, firedBy);
      if (declaration.delivery_mode !== 'fast') {
        await sendWithNotify(
          db,
          domainEventQueueName(event.metadata.namespace),
          encodeJson('DomainEvent', event),
        );
      }
      if (declaration.delivery_mode !== 'durable') input.onEvent?.(event);
      report.published.push(event.event_id);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      report.errors.push(reason);
      input.logger.error({ event_name: declaration.name, error: reason }, 'domain event not published');
    }
  };

  const byHandler = new Set(input.published.map((e) => e.name));
  for (const declaration of declarations) {
    if (byHandler.has(declaration.name) || !conditionMatches(declaration.condition, outcome)) {
      report.skipped.push(declaration.name);
      continue;
    }
    await deliver(
      declaration,
      () => publisher.payload({ declaration, step: input.step, result: input.result, outcome }),
      publisher.name,
    );
  }
  const callable = input.step.step_definition.handler.callable;
  for (const event of input.published) {
    const declaration = declarations.find((d) => d.name === event.name);
    if (declaration === undefined || !conditionMatches(event.condition, outcome)) {
      report.skipped.push(event.name);
      continue;
    }
    await deliver(declaration, () => event.payload, callable);
  }

  if (report.published.length > 0) {
    input.logger.info(
      { published_count: report.published.length, event_ids: report.published },
      'domain events published',
    );
  }
  return report;
}

/** Publisher names the templates' declarations use that are not registered (each falls back to the default). */
export function unknownPublishers(
  templates: readonly { steps: readonly { publishes_events?: readonly EventDeclaration[] }[] }[],
  publishers: ReadonlyMap<string, DomainEventPublisher>,
): string[] {
  const names = new Set<string>();
  for (const template of templates) {
    for (const step of template.steps) {
      for (const declaration of step.publishes_events ?? []) {
        if (declaration.publisher !== null && !publishers.has(declaration.publisher))
          names.add(declaration.publisher);
      }
    }
  }
  return [...names].sort();
}

/** The publisher the step's first declaration names, or the default one (upstream's `get_or_default`). */
function stepPublisher(
  declarations: readonly EventDeclaration[],
  publishers: ReadonlyMap<string, DomainEventPublisher>,
  logger: Logger,
): DomainEventPublisher {
  const name = declarations[0]?.publisher;
  if (name === undefined || name === null) return defaultPublisher;
  const found = publishers.get(name);
  if (found !== undefined) return found;
  logger.warn({ publisher: name }, 'domain event publisher is not registered; the default publisher is used');
  return defaultPublisher;
}
