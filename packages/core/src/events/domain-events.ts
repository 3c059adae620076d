import type { EventDeclaration, StepExecutionResult, TaskSequenceStep } from '../wire.js';

/**
 * Domain events as the handler side sees them (docs/protocol.md §6.4): when a declared event fires, what a named
 * publisher makes of it, and what a handler publishes itself. Delivery (the queue, the in-process callback, the
 * subscriber) is the worker's.
 */

/** `publishes_events[].condition`: when an event fires, as upstream's `PublicationCondition` defines it. */
export const PublicationCondition = {
  SUCCESS: 'success',
  FAILURE: 'failure',
  /** The step failed and orchestration will run it again. */
  RETRYABLE_FAILURE: 'retryable_failure',
  /** The step failed for good: not retryable, or out of attempts. */
  PERMANENT_FAILURE: 'permanent_failure',
  ALWAYS: 'always',
} as const;
export type PublicationCondition = (typeof PublicationCondition)[keyof typeof PublicationCondition];

/** How a step's execution ended, in the terms of the publication conditions. */
export interface StepOutcomeFacts {
  succeeded: boolean;
  /** Orchestration will run the step again: it failed, `metadata.retryable`, and attempts remain. */
  willRetry: boolean;
}

/**
 * Whether orchestration retries after `result`: it reads `metadata.retryable` alone, and only while the claim's
 * `attempts` (this execution included) is below `maxAttempts` (docs/protocol.md §5.2). Upstream asks the database's
 * step readiness for the same fact; its worker never does on this path, so its `retryable_failure` and
 * `permanent_failure` events never fire.
 */
export function willRetry(result: StepExecutionResult, attempts: number, maxAttempts: number): boolean {
  return !result.success && result.metadata.retryable === true && attempts < maxAttempts;
}

export function conditionMatches(condition: PublicationCondition, outcome: StepOutcomeFacts): boolean {
  switch (condition) {
    case PublicationCondition.SUCCESS:
      return outcome.succeeded;
    case PublicationCondition.FAILURE:
      return !outcome.succeeded;
    case PublicationCondition.RETRYABLE_FAILURE:
      return !outcome.succeeded && outcome.willRetry;
    case PublicationCondition.PERMANENT_FAILURE:
      return !outcome.succeeded && !outcome.willRetry;
    case PublicationCondition.ALWAYS:
      return true;
  }
}

/** An event a handler published with `context.publish`, delivered by the worker once the result is committed. */
export interface PublishedEvent {
  /** A `publishes_events` name of the step. */
  readonly name: string;
  /** The business payload, already a JSON value. */
  readonly payload: unknown;
  readonly condition: PublicationCondition;
}

/** What a publisher is asked about one declared event of one step execution. */
export interface PublishContext {
  readonly declaration: EventDeclaration;
  readonly step: TaskSequenceStep;
  readonly result: StepExecutionResult;
  readonly outcome: StepOutcomeFacts;
}

/**
 * A named publisher: a template's `publishes_events[].publisher` selects it (upstream: all events of a step use the
 * first declaration's publisher). It shapes each event's business payload, which is then checked against the
 * declaration's schema; `undefined` skips the event. The default publisher's payload is the handler's result.
 * Its `name` is written as the event's `metadata.fired_by`.
 */
export interface DomainEventPublisher {
  readonly name: string;
  payload(context: PublishContext): unknown | Promise<unknown>;
}

/** A `DomainEventPublisher` from a name and a payload function. */
export function definePublisher(
  name: string,
  payload: (context: PublishContext) => unknown | Promise<unknown>,
): DomainEventPublisher {
  if (name === '') throw new TypeError('definePublisher: a publisher needs a name');
  return { name, payload };
}
