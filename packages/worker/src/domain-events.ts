import { checkResultSchema, type Logger, type ResultSchemaCheck } from '@tasker-bridge/core';
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
 * Domain events (docs/protocol.md §6.4), as upstream's `DefaultDomainEventPublisher`: for each entry of the
 * step definition's `publishes_events` whose `condition` matches the outcome (`success`, `failure`, `always`;
 * `retryable_failure`/`permanent_failure` never match on this path), the payload is the handler's `result`,
 * checked against the declaration's JSON schema, and a `DomainEvent` goes to `{namespace}_domain_events`
 * through `tasker.pgmq_send_with_notify` (`durable` and `broadcast`); `fast` and `broadcast` go to the
 * in-process listener. Unlike upstream, this runs only after the completion has committed, so a consumer never
 * sees an event for a step that is not yet `enqueued_*_for_orchestration`. Failures are logged and never
 * affect the step.
 */

/** Upstream's publisher name, written as `metadata.fired_by`. */
export const DEFAULT_PUBLISHER_NAME = 'DefaultDomainEventPublisher';

export interface PublishReport {
  published: string[];
  skipped: string[];
  errors: string[];
}

export function shouldPublish(condition: EventDeclaration['condition'], succeeded: boolean): boolean {
  switch (condition) {
    case 'success':
      return succeeded;
    case 'failure':
      return !succeeded;
    case 'always':
      return true;
    default:
      // retryable_failure / permanent_failure need the readiness-derived retryability upstream does not pass
      // on this path (`should_publish(step_succeeded)` → `is_retryable = None`), so they never match.
      return false;
  }
}

export function buildDomainEvent(
  declaration: EventDeclaration,
  step: TaskSequenceStep,
  result: StepExecutionResult,
  now = new Date(),
): DomainEvent {
  return {
    event_id: uuidv7(now.getTime()),
    event_name: declaration.name,
    event_version: '1.0',
    payload: { task_sequence_step: step, execution_result: result, payload: result.result },
    metadata: {
      task_uuid: step.task.task.task_uuid,
      step_uuid: step.workflow_step.workflow_step_uuid,
      step_name: step.workflow_step.name,
      namespace: step.task.namespace_name,
      correlation_id: step.task.task.correlation_id,
      fired_at: formatUtcTimestamp(now),
      fired_by: DEFAULT_PUBLISHER_NAME,
    },
  };
}

export async function publishDomainEvents(
  db: Queryable,
  input: {
    step: TaskSequenceStep;
    result: StepExecutionResult;
    logger: Logger;
    onEvent?: ((event: DomainEvent) => void) | undefined;
  },
): Promise<PublishReport> {
  const report: PublishReport = { published: [], skipped: [], errors: [] };
  const declarations = input.step.step_definition.publishes_events ?? [];
  for (const declaration of declarations) {
    if (!shouldPublish(declaration.condition, input.result.success)) {
      report.skipped.push(declaration.name);
      continue;
    }
    try {
      const schema = declaration.schema;
      const check: ResultSchemaCheck =
        schema !== null && typeof schema === 'object'
          ? checkResultSchema(schema, input.result.result)
          : { ok: true };
      if (!check.ok) {
        const issues = check.issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ');
        throw new Error(`Schema validation failed for '${declaration.name}': ${issues}`);
      }
      const event = buildDomainEvent(declaration, input.step, input.result);
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
  }
  if (report.published.length > 0) {
    input.logger.info(
      { published_count: report.published.length, event_ids: report.published },
      'domain events published',
    );
  }
  return report;
}
